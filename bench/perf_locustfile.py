"""Locust users of the performance suite (bench/perf_suite.py runs them; not meant to be run alone).

PERF_DATA names a JSON file the suite writes: the password, NIKs and names from the register,
the visits of today's trip for the intakes. PERF_WAIT is the think time in seconds (1 for the
mixed load, 0 for the saturation runs). Every user logs in once in on_start (its own session,
its login not in the figures: the suite measures logins apart); then:

- KadisUser, KabidUser, OperatorUser: the dashboards (/ and the mutu baku dashboard), the lists
  (requests, trips, the case list, the operator queue), each the pages of its role, and one htmx
  interaction (the case list's next page as the pager asks for it: the rows fragment).
- SearchUser (operator): Cari Penduduk by NIK and by name (POST, CSRF token sent).
- FieldUser (petugas): an intake on today's trip, as the pages are clicked (bench_intake.py's
  sequence): Hadir (htmx) → the new application form → save → the application page → the
  checklist with the pas foto (htmx, multipart) → finish on site (htmx) or a receipt.
- ListUser / BareUser: only the 50-row case list / only the bare Flask page of 50 rows
  (bench/bare_app.py), for the throughput ratio.
"""
from __future__ import annotations

import html
import json
import os
import random
import re
import sys
import uuid
from itertools import count
from pathlib import Path

import gevent
from locust import FastHttpUser, constant, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent))

DATA = json.loads(Path(os.environ["PERF_DATA"]).read_text()) if os.environ.get("PERF_DATA") else {}
WAIT = float(os.environ.get("PERF_WAIT", "1"))
CSRF_RE = re.compile(r'"X-CSRFToken": "([^"]+)"|name="csrf_token" type="hidden" value="([^"]+)"')
STATE_RE = re.compile(r'name="state:([0-9a-f-]{36})"')
PHOTO_RE = re.compile(r'name="file:([0-9a-f-]{36})" accept="image/jpeg,image/png"')
SERVE_RE = re.compile(r'<a href="([^"]+)"[^>]*data-testid="serve"')
# Each locust run serves its own slice of the trip's visits (PERF_VISITS="from:to"): a visit checked
# in by the run before would be refused.
_first, _, _last = os.environ.get("PERF_VISITS", "0:").partition(":")
_visits = iter(DATA.get("visits", [])[int(_first or 0):int(_last) if _last else None])
_numbers = count(1)
_photo = bytes(Path(DATA["photo"]).read_bytes()) if DATA.get("photo") else b""


USERS = int(os.environ.get("PERF_USERS", "0"))
DURATION = float(os.environ.get("PERF_DURATION", "0"))
_in = {"count": 0}


def _logged_in(environment) -> None:
    """Hold every user until all are logged in (logins are slow on purpose and measured apart);
    then the figures start from zero and the run lasts PERF_DURATION seconds from there."""
    _in["count"] += 1
    if USERS and _in["count"] == USERS:
        environment.runner.stats.reset_all()
        _times.clear()
        _in["measuring"] = True
        if DURATION:
            def stop_later():
                gevent.sleep(DURATION)
                environment.runner.quit()
            gevent.spawn(stop_later)
    while USERS and _in["count"] < USERS:
        gevent.sleep(0.05)


_times: dict[str, list[float]] = {}


@events.request.add_listener
def _timed(name, response_time, exception, **_kwargs) -> None:
    """Every request's time by kind (the part of its name before ":"): the percentiles of all
    reads, all writes, all searches together, written to PERF_TIMES when the run ends."""
    if _in.get("measuring") and ":" in name and exception is None:
        _times.setdefault(name.split(":", 1)[0], []).append(response_time)


@events.quitting.add_listener
def _write_times(environment, **_kwargs) -> None:
    if os.environ.get("PERF_TIMES"):
        Path(os.environ["PERF_TIMES"]).write_text(json.dumps(_times))


def _token(text: str) -> str:
    found = CSRF_RE.search(text)
    return (found.group(1) or found.group(2)) if found else ""


class _Office(FastHttpUser):
    abstract = True
    wait_time = constant(WAIT)
    username = "operator"

    def on_start(self) -> None:
        page = self.client.get("/masuk", name="(login page, on_start)").text
        with self.client.post("/masuk", name="(login, on_start)", allow_redirects=False, catch_response=True,
                              data={"csrf_token": _token(page), "username": self.username,
                                    "password": DATA.get("password", "")}) as resp:
            if resp.status_code != 302:
                resp.failure(f"login {self.username}: {resp.status_code}")
        self.token = _token(self.client.get("/", name="(home after login, on_start)").text)
        _logged_in(self.environment)

    def htmx(self) -> dict:
        return {"HX-Request": "true", "X-CSRFToken": self.token}

    def page(self, path: str, name: str, **kwargs):
        with self.client.get(path, name=name, catch_response=True, **kwargs) as resp:
            if resp.status_code != 200:
                resp.failure(f"{resp.status_code}")
            return resp


class _Reader(_Office):
    abstract = True

    def read(self, path: str, name: str, **kwargs):
        return self.page(path, name, **kwargs)


class KadisUser(_Reader):
    """The Kepala Dinas: the dashboards and the letters."""
    weight = 4
    username = "kadis"

    @task(3)
    def dashboard(self):
        self.read("/", "read: / (dashboard)")

    @task(3)
    def mutu_baku(self):
        self.read("/laporan/mutu-baku", "read: /laporan/mutu-baku")

    @task(2)
    def requests_list(self):
        self.read("/permohonan/", "read: /permohonan/ (requests)")


class KabidUser(_Reader):
    """A kabid: trips, letters, the mutu baku dashboard, the cases."""
    weight = 4
    username = "kabid.dafduk"

    @task(2)
    def dashboard(self):
        self.read("/", "read: / (dashboard)")

    @task(2)
    def trips_list(self):
        self.read("/perjalanan/", "read: /perjalanan/ (trips)")

    @task(1)
    def requests_list(self):
        self.read("/permohonan/", "read: /permohonan/ (requests)")

    @task(1)
    def mutu_baku(self):
        self.read("/laporan/mutu-baku", "read: /laporan/mutu-baku")

    @task(2)
    def case_list(self):
        self.read("/kualitas/kasus", "read: /kualitas/kasus (cases, 50 rows)")


class OperatorUser(_Reader):
    """The operator: the queue, the cases and their htmx pager."""
    weight = 4
    username = "operator"

    @task(2)
    def dashboard(self):
        self.read("/", "read: / (dashboard)")

    @task(3)
    def queue(self):
        self.read("/dokumen/antrean", "read: /dokumen/antrean (operator queue)")

    @task(2)
    def case_list(self):
        self.read("/kualitas/kasus", "read: /kualitas/kasus (cases, 50 rows)")

    @task(2)
    def case_page_htmx(self):
        self.read(f"/kualitas/kasus?hal={random.randint(2, 8)}", "read: htmx /kualitas/kasus?hal=N (rows)",
                  headers=self.htmx())


class SearchUser(_Office):
    weight = 4
    username = "operator"

    def search(self, query: str, name: str):
        with self.client.post("/kualitas/penduduk", name=name, catch_response=True,
                              data={"csrf_token": self.token, "query": query}) as resp:
            if resp.status_code != 200:
                resp.failure(f"{resp.status_code}")

    @task
    def by_nik(self):
        self.search(random.choice(DATA["niks"]), "search: NIK (POST /kualitas/penduduk)")

    @task
    def by_name(self):
        self.search(random.choice(DATA["names"]), "search: name (POST /kualitas/penduduk)")


def _multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for key, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode())
    for key, (filename, content, kind) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"; filename="{filename}"\r\n'
                     f'Content-Type: {kind}\r\n\r\n'.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class FieldUser(_Office):
    weight = 4
    username = "petugas"

    @task
    def intake(self):
        from bench_intake import form_values   # the prefilled form's values, as the browser submits them

        visit = next(_visits, None)
        if visit is None:           # every visit of the trip served: the field user reads instead
            self.page(f"/lapangan/{DATA['trip']}", "read: /lapangan/<trip> (trip day)")
            return
        number = next(_numbers)
        client = self.client
        with client.post(f"/lapangan/kunjungan/{visit}/hadir", name="write: Hadir (htmx row + counts)",
                         headers=self.htmx(), catch_response=True) as resp:
            serve = SERVE_RE.search(resp.text or "")
            if resp.status_code != 200 or not serve:
                resp.failure(f"check in: {resp.status_code}")
                return
        form = self.page(html.unescape(serve.group(1)), "read: intake form (register prefill)")
        subject = form_values(form.text)
        subject.update(service="KIA:5_17", relation="orang_tua", csrf_token=self.token)
        with client.post(f"/pelayanan/kunjungan/{visit}/baru", name="write: save application (302)", data=subject,
                         allow_redirects=False, catch_response=True) as resp:
            location = resp.headers.get("Location", "")
            if resp.status_code != 302 or "/pelayanan/" not in location:
                resp.failure(f"save: {resp.status_code}")
                return
        application = location.rstrip("/").rsplit("/", 1)[-1]
        page = self.page(f"/pelayanan/{application}", "read: application page").text
        photos = set(PHOTO_RE.findall(page))
        states = {f"state:{line}": "ada" for line in dict.fromkeys(STATE_RE.findall(page)) if line not in photos}
        body, kind = _multipart({**states, "csrf_token": self.token},
                                {f"file:{line}": ("pas-foto.png", _photo, "image/png") for line in photos})
        with client.post(f"/pelayanan/{application}/syarat", name="write: checklist + pas foto (htmx, multipart)",
                         data=body, headers={**self.htmx(), "Content-Type": kind}, catch_response=True) as resp:
            if resp.status_code != 200:
                resp.failure(f"checklist: {resp.status_code}")
                return
        if number % 2:
            with client.post(f"/pelayanan/{application}/selesai", name="write: finish on site (htmx)",
                             headers=self.htmx(), catch_response=True,
                             data={"csrf_token": self.token, "document_number": f"6306-KIA-PERF-{uuid.uuid4().hex[:10]}",
                                   "issued_on": DATA["issued_on"], "stock_code": "BLANGKO_KIA", "spoiled": "0"}) as resp:
                if resp.status_code != 200 or 'data-testid="outcome"' not in (resp.text or ""):
                    resp.failure(f"finish: {resp.status_code}")
        else:
            with client.post(f"/pelayanan/{application}/tanda-terima", name="write: receipt (302)",
                             allow_redirects=False, catch_response=True,
                             data={"csrf_token": self.token, "applications": application,
                                   "collect_at": "kantor"}) as resp:
                if resp.status_code != 302:
                    resp.failure(f"receipt: {resp.status_code}")


class ListUser(_Office):
    """Only the 50-row list page from the database (the ratio's numerator)."""
    weight = 1
    username = "operator"

    @task
    def case_list(self):
        self.page("/kualitas/kasus", "ratio: /kualitas/kasus (50 rows, database)")


class BareUser(FastHttpUser):
    """Only the bare Flask page of 50 rows, no database (bench/bare_app.py)."""
    weight = 1
    wait_time = constant(WAIT)

    def on_start(self) -> None:
        _logged_in(self.environment)

    @task
    def bare(self):
        with self.client.get("/", name="ratio: bare Flask, 50 rows", catch_response=True) as resp:
            if resp.status_code != 200:
                resp.failure(f"{resp.status_code}")
