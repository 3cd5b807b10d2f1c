"""Benchmark: a complete KIA intake with photo, through the pages, with the regency's register.

    .venv/bin/python bench/bench_intake.py                         # 239,471 residents, 50 intakes
    .venv/bin/python bench/bench_intake.py -n 20000 --n-intakes 10
    .venv/bin/python bench/bench_intake.py --base-db /tmp/intake-base.sqlite   # keep the register for next time

Builds a SQLite file (in a child process, so the measured process starts as a server does): the
demo users, requirement templates and stock, then the synthetic register of N residents imported
and scanned through the real pipeline (thousands of open cases). `--base-db` keeps that state in
a file and starts from a copy of it when it exists.

Then, through the services (not timed): a village's letter listing N children of 5–16 years
who are in the register, each asking for a KIA, disposed, and a trip of today on site with
SIAK reachable and enough KIA blanks. Logged in as the trip's petugas, it drives the pages as
the browser does for each child, following the links and the htmx requests the pages send:

    trip day → Hadir (htmx: the row, and the live counts out of band in the same answer)
    → Layani (the link in that row: the new application form, prefilled from the register by the
    child's NIK, the service the village list asked for preselected) → "Pemohon adalah: orang tua"
    (eligibility preview) → save (the child is called to the desk) → application page
    → "Simpan daftar syarat" (htmx: every document line "Ada" and the pas foto, ~50 kB PNG, in one
    multipart POST) → finish on site (htmx: document number, blank; answered with the page itself)

"Panggil" and the visit page are optional steps of the roster, not taken here. The counts'
10-second poll (other officers' changes) is a timer, not a step of the intake: not driven.
It prints, per kind of request, p50 / p95 / max of the server time (WSGI, no network) and
the response size, the number of requests per intake, and the p95 over all of them. The first
intake is reported apart ("cold"): it builds the per-process caches (the duplicate index behind
the pre-trip check at check-in), and the next requests pay the garbage collector's full passes
over that index.
"""
from __future__ import annotations

import argparse
import html as html_module
import io
import multiprocessing
import os
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HSS_RESIDENTS = 239_471
PASSWORD = "pecel-demo-2026"
TARGET_P95_MS = 100
TARGET_REQUESTS = 10
CSRF_RE = re.compile(r'"X-CSRFToken": "([^"]+)"|name="csrf_token" type="hidden" value="([^"]+)"')


# ---------------------------------------------------------------- the database

def build_base(app, n: int, seed: int, tmp: Path) -> None:
    """Demo users, templates and stock; the synthetic register imported and scanned."""
    from webapp.admin.demo import load_regions_and_users
    from webapp.core.uow import unit_of_work
    from webapp.extensions import db
    from webapp.inventory.demo import load_inventory
    from webapp.quality import importer
    from webapp.requirements.demo import load_requirement_templates
    from webapp.synthetic import generate_register, write_siak_csv

    with app.app_context():
        db.create_all()
        for loader in (load_regions_and_users, load_requirement_templates, load_inventory):
            with unit_of_work():
                loader()
        started = time.perf_counter()
        csv_path = tmp / "register.csv"
        write_siak_csv(generate_register(n, seed=seed).records, csv_path)
        outcome = importer.import_file(csv_path, scan=True)
        assert outcome.status == "selesai", outcome
        print(f"register: {outcome.rows_read:,} residents generated, imported and scanned in "
              f"{time.perf_counter() - started:.0f} s", flush=True)
        db.session.remove()
        db.engine.dispose()


def _build(config: dict, n: int, seed: int, tmp: Path) -> None:
    from webapp import create_app
    build_base(create_app(config), n, seed, tmp)


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database (WAL included)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def children_in_register(count: int):
    """`count` children of 5–16 years today with a NIK and a KK and no case blocking them, from the
    village with most of them."""
    from sqlalchemy import func, select

    from webapp.core.timefmt import wita_today
    from webapp.extensions import db
    from webapp.intake.eligibility import age_on
    from webapp.intake.services import blocking_reasons
    from webapp.quality import services as quality
    from webapp.quality.models import Person

    today = wita_today()
    young, old = today - timedelta(days=5 * 365 + 30), today - timedelta(days=16 * 365)
    snapshot = quality.current_snapshot_id()
    eligible = (Person.snapshot_id == snapshot, Person.birth_date.between(old, young), Person.nik.isnot(None),
                Person.no_kk.isnot(None))
    desa = db.session.execute(select(Person.desa_code).where(*eligible).group_by(Person.desa_code)
                              .order_by(func.count().desc()).limit(1)).scalar_one()
    found, niks = [], set()
    for person in db.session.execute(select(Person).where(*eligible, Person.desa_code == desa)
                                     .order_by(Person.row_no)).scalars():
        if person.nik in niks or not 5 <= age_on(person.birth_date, today) <= 16:
            continue
        if blocking_reasons(person_key=person.person_key, nik=person.nik, name=person.name,
                            birth_date=person.birth_date):
            continue          # a case waits for the centre: this one would end with a receipt
        niks.add(person.nik)
        found.append(person)
        if len(found) == count:
            break
    return desa, found


def prepare_trip(app, count: int):
    """Through the services: a letter listing the children (KIA 5–17), disposed; a trip of today
    on site with SIAK reachable and the blanks; the roster made. Returns (trip id, petugas)."""
    from webapp.auth.services import find_by_username
    from webapp.core.timefmt import wita_today
    from webapp.core.uow import unit_of_work
    from webapp.field import services as field
    from webapp.inventory import services as inventory
    from webapp.layanan.catalog import EQUIPMENT_KINDS
    from webapp.requests import services as requests
    from webapp.requests.importer import ResidentRow
    from webapp.trips import services as trips
    from webapp.trips.services import MemberChoice, TripPlan

    today = wita_today()
    with app.app_context(), unit_of_work():
        users = {name: find_by_username(name) for name in ("admin", "kadis", "operator", "kabid.dafduk", "petugas")}
        desa, children = children_in_register(count)
        assert len(children) == count, f"only {len(children)} children of 5–16 in one village"
        req = requests.register_request(requests.LetterData(
            letter_number=f"470/{count:03d}/BENCH/2026", letter_date=today - timedelta(days=10), desa_code=desa,
            signatory_name="Kepala Desa", signatory_title="Kepala Desa", requested_date=today,
            location="Balai desa"), actor=users["operator"])
        for row, child in enumerate(children, start=1):
            requests.add_resident(req, ResidentRow(row=row, name=child.name.title(), sex=child.sex,
                                                   birth_date=child.birth_date, services=[("KIA", "5_17")],
                                                   nik=child.nik, no_kk=child.no_kk, phone=None, note=""),
                                  actor=users["operator"])
        requests.dispose_request(req, divisions=["dafduk"], instruction="Bench", due_date=None, actor=users["kadis"])
        inventory.receive("BLANGKO_KIA", count + 10, actor=users["admin"], reason="Bench")
        trip = trips.schedule_trip(TripPlan(
            start_date=today, end_date=today, node_code="BUS-01", request_ids=[req.id],
            members=[MemberChoice(users["petugas"].id, "koordinator"), MemberChoice(users["operator"].id, "operator")],
            stock={"BLANGKO_KIA": count + 5}, accepted_missing=frozenset(EQUIPMENT_KINDS)), actor=users["kabid.dafduk"])
        trips.record_departure(trip, actor=users["petugas"])
        trips.record_arrival(trip, actor=users["petugas"])
        trips.set_siak_link(trip, True, actor=users["petugas"])
        field.ensure_roster(trip, users["petugas"])
        return trip.id


# ---------------------------------------------------------------- driving the pages

class Browser:
    """The test client as the browser uses it: each request timed (server side, in-process),
    its size kept, grouped by kind."""

    def __init__(self, app):
        self.client = app.test_client()
        self.timings: dict[str, list[float]] = defaultdict(list)
        self.sizes: dict[str, list[int]] = defaultdict(list)
        self.token = ""
        self.count = 0

    def login(self, username: str) -> None:
        page = self.client.get("/masuk").get_data(as_text=True)
        token = CSRF_RE.search(page)
        resp = self.client.post("/masuk", data={"csrf_token": token.group(1) or token.group(2),
                                                "username": username, "password": PASSWORD})
        assert resp.status_code == 302, resp.status_code
        home = self.client.get("/").get_data(as_text=True)
        found = CSRF_RE.search(home)
        self.token = found.group(1) or found.group(2)

    def request(self, kind: str, method: str, path: str, *, data=None, htmx: bool = False, expect: int = 200,
                files: dict | None = None):
        headers = {"HX-Request": "true", "X-CSRFToken": self.token} if htmx else {}
        body = dict(data or {})
        if method == "POST":
            body.setdefault("csrf_token", self.token)
        if files:
            body.update(files)
        started = time.perf_counter()
        resp = self.client.open(path, method=method, data=body if method == "POST" else None, headers=headers,
                                content_type="multipart/form-data" if files else None)
        elapsed = (time.perf_counter() - started) * 1000
        if resp.status_code != expect:
            shown = re.findall(r'role="alert"[^>]*>([^<]+)<', resp.get_data(as_text=True))
            raise AssertionError(f"{kind} {path}: {resp.status_code} {shown}")
        self.timings[kind].append(elapsed)
        self.sizes[kind].append(len(resp.get_data()))
        self.count += 1
        return resp


def intake(browser: Browser, trip_id, visit, number: int, photo: bytes, issued_on: str) -> None:
    """One child's KIA from the roster to the finished document, as the pages are clicked."""
    from webapp.extensions import db
    from webapp.intake.models import Application

    browser.request("trip day", "GET", f"/lapangan/{trip_id}")
    row = browser.request("check in (Hadir, htmx row + counts oob)", "POST", f"/lapangan/kunjungan/{visit.id}/hadir",
                          htmx=True).get_data(as_text=True)
    assert 'id="trip-counts"' in row and "hx-swap-oob" in row, "the counts come with the row"
    serve = html_module.unescape(re.search(r'<a href="([^"]+)"[^>]*data-testid="serve"', row).group(1))
    form_page = browser.request("Layani: new application form (register prefill)", "GET", serve).get_data(as_text=True)
    assert 'selected value="KIA:5_17"' in form_page, "the service asked for is preselected"
    subject = form_values(form_page)
    subject.update(service="KIA:5_17", relation="orang_tua")
    browser.request("eligibility preview (htmx)", "POST", f"/pelayanan/kunjungan/{visit.id}/pratinjau",
                    data=subject, htmx=True)
    saved = browser.request("save application (→ 302)", "POST", f"/pelayanan/kunjungan/{visit.id}/baru",
                            data=subject, expect=302)
    location = saved.headers["Location"]
    browser.request("application page", "GET", location)
    with browser.client.application.app_context():
        application = db.session.execute(db.select(Application).where(Application.visit_id == visit.id)).scalar_one()
        lines = [(line.id, line.kind) for line in application.lines]
        application_id = application.id
    checklist = {f"state:{line_id}": "ada" for line_id, kind in lines if kind != "photo"}
    photo_line = next(line_id for line_id, kind in lines if kind == "photo")
    browser.request("checklist + pas foto ~50 kB (one multipart, htmx)", "POST",
                    f"/pelayanan/{application_id}/syarat", htmx=True, data=checklist,
                    files={f"file:{photo_line}": (io.BytesIO(photo), "pas-foto.png", "image/png")})
    document_number = f"6306-KIA-{issued_on.replace('-', '')}-{number:04d}"
    finished = browser.request("finish on site (htmx, page rendered)", "POST",
                               f"/pelayanan/{application_id}/selesai", htmx=True,
                               data={"document_number": document_number, "issued_on": issued_on,
                                     "stock_code": "BLANGKO_KIA", "spoiled": "0"})
    assert 'data-testid="outcome"' in finished.get_data(as_text=True)


SUBJECT_FIELDS = ("subject_nik", "subject_no_kk", "subject_name", "subject_sex", "subject_birth_place",
                  "subject_birth_date", "subject_address", "subject_married", "person_key")


def form_values(html: str) -> dict:
    """What the prefilled form would submit: the inputs' values and the selected options."""
    values = {}
    for name in SUBJECT_FIELDS:
        found = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html) or \
            re.search(rf'<input[^>]*value="([^"]*)"[^>]*name="{name}"', html)
        if found:
            values[name] = found.group(1)
            continue
        select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
        if select:
            chosen = re.search(r'<option[^>]*selected[^>]*value="([^"]*)"|<option[^>]*value="([^"]*)"[^>]*selected',
                               select.group(1))
            values[name] = (chosen.group(1) or chosen.group(2)) if chosen else ""
    return {k: html_module.unescape(v) for k, v in values.items()}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def report(browser: Browser, cold: dict, intakes: int, per_intake: int) -> None:
    verdict = "met" if per_intake <= TARGET_REQUESTS else "MISSED"
    print(f"\n{intakes} intakes, {per_intake} requests each (target ≤ {TARGET_REQUESTS}: {verdict}); server time in "
          f"ms, first intake apart (cold)\n")
    print(f"{'request':<52} {'n':>4} {'cold':>7} {'p50':>7} {'p95':>7} {'max':>7} {'size':>8}")
    every = []
    for kind, timings in browser.timings.items():
        warm = timings[cold[kind]:]
        every += warm
        size = statistics.median(browser.sizes[kind])
        cold_ms = max(timings[:cold[kind]]) if cold[kind] else float("nan")
        print(f"{kind:<52} {len(warm):>4} {cold_ms:7.1f} {statistics.median(warm):7.1f} {percentile(warm, 0.95):7.1f} "
              f"{max(warm):7.1f} {size / 1024:6.1f}kB")
    print(f"\nall warm requests: n {len(every)}, p50 {statistics.median(every):.1f} ms, "
          f"p95 {percentile(every, 0.95):.1f} ms (target ≤ {TARGET_P95_MS}), max {max(every):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=HSS_RESIDENTS, help="residents in the register")
    parser.add_argument("--n-intakes", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--base-db", type=Path, help="keep / reuse the register database here")
    args = parser.parse_args()

    from webapp import create_app
    from webapp.core.timefmt import wita_today
    from webapp.field.models import Visit
    from webapp.synthetic.images import noise_png

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        work = tmp / "intake.sqlite"
        config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{work}", "UPLOAD_FOLDER": str(tmp / "files")}
        os.environ.setdefault("SECRET_KEY", "bench")
        if args.base_db and args.base_db.exists():
            copy_sqlite(args.base_db, work)
            print(f"register: from {args.base_db}")
        else:   # in a child process: the server being measured starts fresh, without the generator's heap
            child = multiprocessing.get_context("fork").Process(target=_build, args=(config, args.n, args.seed, tmp))
            child.start()
            child.join()
            assert child.exitcode == 0, "building the register failed"
            if args.base_db:
                copy_sqlite(work, args.base_db)
        app = create_app(config)
        trip_id = prepare_trip(app, args.n_intakes + 1)
        with app.app_context():
            visits = Visit.query.filter_by(trip_id=trip_id).order_by(Visit.name).all()
        browser = Browser(app)
        browser.login("petugas")
        issued_on = wita_today().isoformat()
        cold: dict = {}
        for number, visit in enumerate(visits):
            before = browser.count
            intake(browser, trip_id, visit, number + 1, noise_png(50_000, seed=number), issued_on)
            if number == 0:
                cold = {kind: len(t) for kind, t in browser.timings.items()}
                per_intake = browser.count - before
        with app.app_context():
            check_outcome(trip_id, len(visits))
        report(browser, cold, len(visits) - 1, per_intake)


def check_outcome(trip_id, expected: int) -> None:
    """Every intake really ended finished on site, with its photo and its blank."""
    from webapp.extensions import db
    from webapp.field import services as field
    from webapp.intake.models import Application
    from webapp.trips.models import Trip
    finished = Application.query.filter_by(trip_id=trip_id, status="selesai_lapangan").all()
    assert len(finished) == expected and all(any(f.kind == "foto" for f in a.files) for a in finished)
    blanks = {line.code: line for line in field.stock_lines(db.session.get(Trip, trip_id))}["BLANGKO_KIA"]
    assert blanks.used == expected, blanks


if __name__ == "__main__":
    main()
