"""The performance suite (issue 11): the app under a mixed load at the regency's scale, on SQLite
and PostgreSQL, against its own targets.

    PYTHONPATH=. nice -n 5 .venv/bin/python bench/perf_suite.py                  # both databases, full scale
    PYTHONPATH=. .venv/bin/python bench/perf_suite.py --db sqlite --scale 0.05 --duration 20 --no-docs

Per database:
1. the database (bench/perf_build.py): 239,471 residents imported and scanned, 2,000 letters,
   400 trips, 60,000 applications with their status history and receipts — built once and
   reused while its content key holds (SQLite: /tmp/perf-suite/base-<key>.sqlite, copied for each
   run; PostgreSQL: the database `bench_perf`, PERF_PG_URL to change it). Then, through the
   services, a trip of today on site with children to serve (the intakes of the load).
2. the app served by gunicorn as in production (gunicorn.conf.py, 2 workers × 4 threads, the
   office role with REDIS_URL, redis://127.0.0.1:6379/6 unless PERF_REDIS_URL), and beside it
   the bare Flask page of 50 rows (bench/bare_app.py) with the same settings, on loopback.
3. from a separate process, locust headless (bench/perf_locustfile.py): first the ratio — the
   50-row case list alone, then the bare page alone, each saturated (no think time); then the
   mixed load, 20 users with a 1-second think time (dashboards, lists, search by NIK and by
   name, intakes ending with a finish on site or a receipt) for --duration seconds; then the same
   users without think time (--saturation seconds) for the maximum throughput. Logins are
   measured apart (a few sequential POST /masuk: the password hash is deliberately slow).
4. sizes with Accept-Encoding: gzip (what travels): each page, a first visit (the dashboard's
   HTML with every stylesheet, script and image it loads, and what the stylesheets load), and
   an htmx interaction (the case list's next page).

Prints p50/p95/p99 and throughput per page and the targets met or missed, and (unless
--no-docs) writes the section "Performance suite (issue 11)" of docs/performance.md.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import platform
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from http.cookiejar import CookieJar
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import perf_build  # noqa: E402

WORK = Path(os.environ.get("PERF_WORK", "/tmp/perf-suite"))
PG_URL = os.environ.get("PERF_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench_perf")
REDIS_URL = os.environ.get("PERF_REDIS_URL", "redis://127.0.0.1:6379/6")
PASSWORD = "pecel-demo-2026"
PYTHON = sys.executable
# The code the app server runs (a copy of the checkout with a change undone, for a before/after).
APP_ROOT = Path(os.environ.get("PERF_APP_ROOT", str(REPO)))
LOCUST = str(Path(PYTHON).with_name("locust"))
WORKERS, THREADS = 2, 4

TARGETS = {"read": 50, "write": 100, "search": 20}     # p95, ms
FIRST_VISIT_KB, HTMX_KB, RATIO = 150, 20, 0.5


# ---------------------------------------------------------------- the database

def _fresh_pg(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def _pg_key(url: str) -> str | None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT key FROM perf_suite_build")).scalar()
    except Exception:   # noqa: BLE001 - no database, no table: not built
        return None
    finally:
        engine.dispose()


def _build_in_child(url: str, scale: float, seed: int, key: str, files: Path) -> None:
    """Built in a child process: the servers start from the files, not the generator's heap."""
    import multiprocessing

    def run():
        os.environ.setdefault("SECRET_KEY", "perf-suite")
        from webapp import create_app
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(files), "TESTING": False})
        perf_build.build_database(app, scale=scale, seed=seed, key=key, say=lambda line: print("  " + line, flush=True))

    child = multiprocessing.get_context("fork").Process(target=run)
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"building the database failed ({url})")


def ensure_database(kind: str, scale: float, seed: int, run_dir: Path) -> str:
    """The database URL for this run: the cached build (made when missing), SQLite copied."""
    key = perf_build.content_key(scale, seed)
    if kind == "sqlite":
        base = WORK / f"base-{key}.sqlite"
        if not base.exists():
            print(f"building {base} (scale {scale}) …", flush=True)
            partial = base.with_suffix(".building")
            for suffix in ("", "-wal", "-shm"):
                Path(str(partial) + suffix).unlink(missing_ok=True)
            _build_in_child(f"sqlite:///{partial}", scale, seed, key, WORK / "build-files")
            with sqlite3.connect(partial) as src, sqlite3.connect(base) as dst:
                src.backup(dst)
            for suffix in ("", "-wal", "-shm"):
                Path(str(partial) + suffix).unlink(missing_ok=True)
        else:
            print(f"database: reusing {base}", flush=True)
        work = run_dir / "perf.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(str(work) + suffix).unlink(missing_ok=True)
        with sqlite3.connect(base) as src, sqlite3.connect(work) as dst:
            src.backup(dst)
        return f"sqlite:///{work}"
    url = PG_URL
    if _pg_key(url) != key:
        print(f"building {url.rsplit('/', 1)[-1]} on PostgreSQL (scale {scale}) …", flush=True)
        _fresh_pg(url)
        _build_in_child(url, scale, seed, key, WORK / "build-files")
    else:
        print(f"database: reusing {url.rsplit('@', 1)[-1]} (key {key})", flush=True)
    return url


def prepare_data(url: str, run_dir: Path, visits: int, tag: str) -> Path:
    """Today's trip and the search queries, written for the locust process."""
    from sqlalchemy import func, select

    os.environ.setdefault("SECRET_KEY", "perf-suite")
    from webapp import create_app
    from webapp.core.timefmt import wita_today
    from webapp.extensions import db
    from webapp.quality import services as quality
    from webapp.quality.models import Person
    from webapp.synthetic.images import noise_png

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(run_dir / "files"), "TESTING": False})
    started = time.perf_counter()
    run = perf_build.prepare_run(app, visits, tag=tag)
    with app.app_context():
        snapshot = quality.current_snapshot_id()
        sample = db.session.execute(select(Person.nik, Person.name).where(
            Person.snapshot_id == snapshot, Person.nik.isnot(None)).order_by(func.random()).limit(400)).all()
        db.session.remove()
        db.engine.dispose()
    photo = run_dir / "pas-foto.png"
    photo.write_bytes(noise_png(50_000, seed=1))
    data = {"password": PASSWORD, "trip": run["trip"], "visits": run["visits"], "issued_on": wita_today().isoformat(),
            "niks": [nik for nik, _name in sample],
            # A name as an officer types it: the first two words (a full name is rarely typed whole).
            "names": [" ".join(name.split()[:2]) for _nik, name in sample], "photo": str(photo)}
    path = run_dir / "locust-data.json"
    path.write_text(json.dumps(data))
    print(f"today's trip: {len(run['visits'])} children to serve (made in {time.perf_counter() - started:.0f} s)",
          flush=True)
    return path


# ---------------------------------------------------------------- the servers

def _free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, name: str, target: str, env: dict, run_dir: Path, extra: list[str] = ()):
        self.name, self.port = name, _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = run_dir / f"{name}.log"
        from tests.support.procs import _gunicorn_has_control_socket
        args = [PYTHON, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{self.port}",
                "--workers", str(WORKERS), "--threads", str(THREADS), "--timeout", "120", *extra]
        if _gunicorn_has_control_socket():
            args.append("--no-control-socket")
        with open(self.log, "ab") as handle:
            self.proc = subprocess.Popen([*args, target], cwd=APP_ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)

    def wait(self, path: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.name} exited {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=5) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        raise SystemExit(f"{self.name} did not answer on {self.url}{path}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


def server_env(url: str, run_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("JOBS_URL", "FLASK_DEBUG", "PYTEST_XDIST_WORKER")}
    env.update({"FLASK_APP": "webapp", "ROLE": "office", "NODE_ID": "OFFICE", "DATABASE_URL": url,
                "INSTANCE_PATH": str(run_dir / "instance"), "UPLOAD_FOLDER": str(run_dir / "files"),
                "SECRET_KEY": "perf-suite-secret", "REDIS_URL": REDIS_URL, "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONPATH": os.pathsep.join(p for p in (str(APP_ROOT), str(REPO), env.get("PYTHONPATH")) if p)})
    return env


def flush_redis() -> None:
    import redis
    redis.Redis.from_url(REDIS_URL).flushdb()


# ---------------------------------------------------------------- locust

def locust(host: str, classes: list[str], users: int, seconds: int, wait: float, data: Path, out: Path,
           visits: str = "0:0") -> dict:
    """One headless locust run; {name: figures} from its CSV (the on_start requests left out).
    `visits` ("from:to"): the slice of today's visits this run's intakes take."""
    env = {**os.environ, "PERF_DATA": str(data), "PERF_WAIT": str(wait), "PERF_USERS": str(users),
           "PERF_DURATION": str(seconds), "PERF_VISITS": visits, "PERF_TIMES": f"{out}_times.json"}
    # -t is only a ceiling: the run lasts `seconds` from the moment every user is logged in.
    args = [LOCUST, "-f", str(REPO / "bench" / "perf_locustfile.py"), "--headless", "-u", str(users), "-r",
            str(users), "-t", f"{seconds + 180}s", "--host", host, "--csv", str(out), "--only-summary",
            "--stop-timeout", "10", "--loglevel", "WARNING", *classes]
    done = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=seconds + 300)
    (out.parent / f"{out.name}.log").write_text(done.stdout + done.stderr)
    rows = {}
    with open(f"{out}_stats.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            if "on_start" in row["Name"]:
                continue
            rows[row["Name"]] = {
                "n": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                "p50": float(row["50%"] or 0), "p95": float(row["95%"] or 0), "p99": float(row["99%"] or 0),
                "rps": float(row["Requests/s"] or 0), "bytes": float(row["Average Content Size"] or 0)}
    with open(f"{out}_failures.csv", newline="") as handle:
        failures = [f"{r['Name']}: {r['Error']} ×{r['Occurrences']}" for r in csv.DictReader(handle)]
    if failures:
        rows["Aggregated"]["failure_kinds"] = failures[:8]
    times = Path(f"{out}_times.json")
    if times.exists():
        rows["Aggregated"]["kinds"] = {kind: _percentiles(values) for kind, values in json.loads(times.read_text()).items()}
    return rows


def _percentiles(values: list[float]) -> dict:
    ordered = sorted(values)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]
    return {"n": len(ordered), "p50": at(0.5), "p95": at(0.95), "p99": at(0.99)}


# ---------------------------------------------------------------- sizes, logins

class Browser:
    """urllib with cookies and Accept-Encoding: gzip; counts the bytes as they travel."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self.token = ""

    def fetch(self, path: str, data: dict | None = None, headers: dict | None = None) -> tuple[int, int, str, str]:
        """(status, bytes on the wire, body text, content type)"""
        url = path if path.startswith("http") else self.base + path
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(url, data=body, headers={"Accept-Encoding": "gzip", **(headers or {})})
        try:
            with self.opener.open(req, timeout=30) as answer:
                raw, status, info = answer.read(), answer.status, answer.headers
        except urllib.error.HTTPError as error:
            raw, status, info = error.read(), error.code, error.headers
        plain = gzip.decompress(raw) if info.get("Content-Encoding") == "gzip" else raw
        kind = info.get("Content-Type", "")
        text = plain.decode("utf-8", "replace") if ("text" in kind or "javascript" in kind or "json" in kind) else ""
        return status, len(raw), text, kind

    def login(self, username: str) -> float:
        _s, _n, page, _k = self.fetch("/masuk")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        started = time.perf_counter()
        status, _n, _text, _k = self.fetch("/masuk", {"csrf_token": token, "username": username, "password": PASSWORD})
        elapsed = (time.perf_counter() - started) * 1000
        assert status == 200, status            # urllib followed the 302 to the home page
        _s, _n, home, _k = self.fetch("/")
        found = re.search(r'"X-CSRFToken": "([^"]+)"', home)
        self.token = found.group(1) if found else ""
        return elapsed


ASSET_RE = re.compile(r'<(?:link[^>]+rel="(?:stylesheet|icon|preload|modulepreload)"[^>]*href|script[^>]+src|img[^>]+src)'
                      r'="([^"]+)"')
CSS_URL_RE = re.compile(r'url\(\s*["\']?([^"\')]+)["\']?\s*\)')


def first_visit(base: str) -> dict:
    """A new user's first visit: the login page and the dashboard after it, with every stylesheet,
    script and image they load (each once), as transferred (gzip accepted)."""
    browser = Browser(base)
    seen, total, parts = set(), 0, {}
    for path, username in (("/masuk", None), ("/", "kadis")):
        if username:
            browser.login(username)
        status, size, page, _kind = browser.fetch(path)
        total += size
        parts[f"HTML {path}"] = size
        pending = [urllib.parse.urljoin(base + path, src) for src in ASSET_RE.findall(page)]
        while pending:
            url = pending.pop()
            if url in seen or not url.startswith(base) or url.startswith("data:"):
                continue
            seen.add(url)
            status, size, text, kind = browser.fetch(url)
            if status != 200:
                continue
            total += size
            parts[url[len(base):]] = size
            if "css" in kind:
                pending += [urllib.parse.urljoin(url, src) for src in CSS_URL_RE.findall(text)
                            if not src.startswith("data:")]
    return {"total": total, "parts": parts}


def page_sizes(base: str, pages: list[tuple[str, str, str]]) -> dict:
    sizes = {}
    browsers: dict[str, Browser] = {}
    for username, name, path in pages:
        browser = browsers.get(username)
        if browser is None:
            browser = browsers[username] = Browser(base)
            browser.login(username)
        headers = {"HX-Request": "true", "X-CSRFToken": browser.token} if "htmx" in name else {}
        if name.startswith("search"):
            status, size, text, _k = browser.fetch(path, {"csrf_token": browser.token, "query": "SITI"}, headers)
        else:
            status, size, text, _k = browser.fetch(path, headers=headers)
        sizes[name] = {"status": status, "wire": size, "plain": len(text.encode())}
    return sizes


def login_times(base: str, samples: int = 6) -> list[float]:
    return sorted(Browser(base).login("operator") for _ in range(samples))


# ---------------------------------------------------------------- one database

MIXED = ["KadisUser", "KabidUser", "OperatorUser", "SearchUser", "FieldUser"]
SIZED_PAGES = [
    ("kadis", "read: / (dashboard)", "/"),
    ("kadis", "read: /laporan/mutu-baku", "/laporan/mutu-baku"),
    ("kadis", "read: /permohonan/ (requests)", "/permohonan/"),
    ("kabid.dafduk", "read: /perjalanan/ (trips)", "/perjalanan/"),
    ("operator", "read: /kualitas/kasus (cases, 50 rows)", "/kualitas/kasus"),
    ("operator", "read: /dokumen/antrean (operator queue)", "/dokumen/antrean"),
    ("operator", "read: htmx /kualitas/kasus?hal=N (rows)", "/kualitas/kasus?hal=2"),
    ("operator", "search: name (POST /kualitas/penduduk)", "/kualitas/penduduk"),
]


def run_database(kind: str, args) -> dict:
    run_dir = WORK / f"run-{kind}"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    url = ensure_database(kind, args.scale, args.seed, run_dir)
    tag = datetime.now(timezone.utc).strftime("%H%M%S")
    data = prepare_data(url, run_dir, args.visits, tag)
    flush_redis()
    env = server_env(url, run_dir)
    app = Server("app", "webapp:create_app()", env, run_dir)
    bare = Server("bare", "bare_app:app", env, run_dir, ["--pythonpath", str(REPO / "bench")])
    result: dict = {"database": kind, "url": url.rsplit("@", 1)[-1]}
    try:
        app.wait("/masuk")
        bare.wait("/")
        result["logins_ms"] = login_times(app.url)
        result["sizes"] = page_sizes(app.url, SIZED_PAGES)
        result["first_visit"] = first_visit(app.url)
        # Warm up: per-process caches (the duplicate index behind the check-in's pre-trip check is
        # built by each worker on its first check-in), the database's pages in the OS cache.
        visits = len(json.loads(data.read_text())["visits"])
        warm = min(12, visits // 4)
        half = warm + (visits - warm) // 2
        locust(app.url, ["KadisUser", "KabidUser", "OperatorUser", "SearchUser", "FieldUser"], 8, 20, 0, data,
               run_dir / "warm", visits=f"0:{warm}")
        ratio_s = args.ratio_duration
        result["ratio_list"] = locust(app.url, ["ListUser"], args.users, ratio_s, 0, data, run_dir / "ratio-list")
        result["ratio_bare"] = locust(bare.url, ["BareUser"], args.users, ratio_s, 0, data, run_dir / "ratio-bare")
        print(f"ratio: list {result['ratio_list']['Aggregated']['rps']:.0f} req/s, bare "
              f"{result['ratio_bare']['Aggregated']['rps']:.0f} req/s: {ratio_of(result):.2f}×", flush=True)
        if args.ratio_only:
            return result
        print("mixed load, think time 1 s …", flush=True)
        result["mixed"] = locust(app.url, MIXED, args.users, args.duration, 1,
                                 data, run_dir / "mixed", visits=f"{warm}:{half}")
        print("saturation, no think time …", flush=True)
        result["saturation"] = locust(app.url, MIXED, args.users, args.saturation,
                                      0, data, run_dir / "saturation", visits=f"{half}:")
    finally:
        app.stop()
        bare.stop()
    return result


# ---------------------------------------------------------------- report

def kind_of(name: str) -> str:
    return name.split(":", 1)[0]


def verdicts(result: dict) -> list[tuple[str, str, str, bool]]:
    """(what, figure, target, met)"""
    out = []
    mixed = result["mixed"]
    kinds = mixed["Aggregated"].get("kinds", {})
    for group in ("read", "write", "search"):
        worst = max((row["p95"], name) for name, row in mixed.items() if kind_of(name) == group)
        every = kinds.get(group)
        figure = every["p95"] if every else worst[0]
        shown = f"{every['p95']:.0f} ms over all {every['n']} (worst page {worst[0]:.0f} ms)" if every else \
            f"{worst[0]:.0f} ms"
        plural = {"read": "reads", "write": "writes", "search": "searches"}[group]
        out.append((f"{plural} p95 (worst page: {worst[1].split(': ', 1)[1]})", shown,
                    f"≤ {TARGETS[group]} ms", figure <= TARGETS[group]))
    first = result["first_visit"]["total"] / 1024
    out.append(("first visit, compressed", f"{first:.1f} KB", f"≤ {FIRST_VISIT_KB} KB", first <= FIRST_VISIT_KB))
    htmx = result["sizes"]["read: htmx /kualitas/kasus?hal=N (rows)"]["wire"] / 1024
    out.append(("htmx interaction (case list page), compressed", f"{htmx:.1f} KB", f"≤ {HTMX_KB} KB", htmx <= HTMX_KB))
    ratio = ratio_of(result)
    out.append(("50-row list vs bare Flask page, throughput", f"{ratio:.2f}×", f"≥ {RATIO}×", ratio >= RATIO))
    return out


def ratio_of(result: dict) -> float:
    listed = result["ratio_list"]["Aggregated"]["rps"]
    bare = result["ratio_bare"]["Aggregated"]["rps"]
    return listed / bare if bare else 0.0


def table(result: dict) -> list[str]:
    lines = []
    mixed, saturated, sizes = result["mixed"], result["saturation"], result["sizes"]
    lines.append("| page | n | p50 ms | p95 ms | p99 ms | req/s (1 s think) | req/s (saturation) | KB (gzip / plain) |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in sorted(n for n in mixed if n != "Aggregated"):
        row, sat = mixed[name], saturated.get(name, {})
        size = sizes.get(name)
        shown = f"{size['wire'] / 1024:.1f} / {size['plain'] / 1024:.1f}" if size else f"– / {row['bytes'] / 1024:.1f}"
        failures = f" ({row['failures']} failed)" if row["failures"] else ""
        lines.append(f"| {name}{failures} | {row['n']} | {row['p50']:.0f} | {row['p95']:.0f} | {row['p99']:.0f} | "
                     f"{row['rps']:.1f} | {sat.get('rps', 0):.1f} | {shown} |")
    for kind, figures in sorted(mixed["Aggregated"].get("kinds", {}).items()):
        plural = {"read": "reads", "write": "writes", "search": "searches"}.get(kind, kind)
        lines.append(f"| *all {plural}* | {figures['n']} | {figures['p50']:.0f} | {figures['p95']:.0f} | "
                     f"{figures['p99']:.0f} | | | |")
    agg, sat = mixed["Aggregated"], saturated["Aggregated"]
    lines.append(f"| **all** | {agg['n']} | {agg['p50']:.0f} | {agg['p95']:.0f} | {agg['p99']:.0f} | {agg['rps']:.1f} | "
                 f"**{sat['rps']:.1f}** (p95 {sat['p95']:.0f} ms) | |")
    return lines


def report_lines(result: dict, args) -> list[str]:
    listed, bare = result["ratio_list"]["Aggregated"], result["ratio_bare"]["Aggregated"]
    logins = result["logins_ms"]
    lines = [f"#### {'SQLite' if result['database'] == 'sqlite' else 'PostgreSQL'} (`{result['url']}`)", ""]
    lines += table(result)
    lines += ["", f"Ratio run ({args.users} users, no think time, {args.ratio_duration} s each): the 50-row case list "
              f"{listed['rps']:.0f} req/s (p50 {listed['p50']:.0f} ms), the bare Flask page of 50 rows "
              f"{bare['rps']:.0f} req/s (p50 {bare['p50']:.0f} ms): **{ratio_of(result):.2f}×**.",
              f"Logins (POST /masuk, {len(logins)} sequential, the argon2 hash included): "
              f"median {logins[len(logins) // 2]:.0f} ms, max {logins[-1]:.0f} ms.",
              f"First visit (login page, then the dashboard, every asset once, gzip): "
              f"**{result['first_visit']['total'] / 1024:.1f} KB** — "
              + ", ".join(f"{k} {v / 1024:.1f}" for k, v in result["first_visit"]["parts"].items()) + ".", ""]
    failures = result["mixed"]["Aggregated"].get("failure_kinds") or result["saturation"]["Aggregated"].get("failure_kinds")
    if failures:
        lines += ["Failures: " + "; ".join(failures), ""]
    lines += ["| target | figure | target | met |", "| --- | --- | --- | --- |"]
    for what, figure, target, met in verdicts(result):
        lines.append(f"| {what} | {figure} | {target} | {'yes' if met else '**no**'} |")
    lines.append("")
    return lines


def machine() -> str:
    cpus = os.cpu_count()
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        model = platform.processor()
    mem = ""
    try:
        kb = int(next(line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal")))
        mem = f", {kb / 2**20:.0f} GiB RAM"
    except (OSError, StopIteration):
        pass
    load = os.getloadavg()
    return (f"{cpus} cores ({model}){mem}, Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}, load average at the end {load[0]:.1f}")


SECTION = "## Performance suite (issue 11)"


def write_docs(results: list[dict], args, started: datetime) -> None:
    path = REPO / "docs" / "performance.md"
    text = path.read_text(encoding="utf-8")
    size = perf_build.sizes(args.scale)
    body = [SECTION, "",
            f"`PYTHONPATH=. nice -n 5 .venv/bin/python bench/perf_suite.py --db {args.db} --scale {args.scale} "
            f"--duration {args.duration}` — {started:%Y-%m-%d %H:%M} UTC; {machine()}.", "",
            f"Database (bench/perf_build.py): {size.residents:,} residents imported and scanned, {size.letters:,} "
            f"letters, {size.trips:,} trips, {size.applications:,} applications with their receipts and status "
            f"history, the SOP steps remeasured. Served by gunicorn (gunicorn.conf.py, {WORKERS} workers × {THREADS} "
            f"threads, office role, Redis) on loopback; locust {_locust_version()} headless in its own process on the "
            f"same 2 cores. Mixed load: {args.users} users, 1 s think time, {args.duration} s from the moment all are "
            "logged in (12 office users — Kepala Dinas, kabid, operator, each its role's pages: dashboards, lists, "
            "the case list's htmx pager; 4 searching by NIK and by name; 4 petugas taking intakes "
            f"on today's trip, ending with a finish on site or a receipt); saturation: the same users without think "
            f"time, {args.saturation} s. Times are locust's (client side, loopback), in ms; sizes with "
            "`Accept-Encoding: gzip`.", ""]
    for result in results:
        body += report_lines(result, args)
    block = "\n".join(body).rstrip() + "\n"
    start = text.find(SECTION)
    if start == -1:
        marker = text.find("\n### CI")
        text = text.rstrip() + "\n\n" + block if marker == -1 else text + "\n" + block
    else:
        # Replace the generated part (up to the hand-written notes' heading or the next section).
        end_candidates = [i for i in (text.find("\n## ", start + 1), text.find("\n### Profiled", start + 1)) if i != -1]
        end = min(end_candidates) if end_candidates else len(text)
        text = text[:start] + block + text[end:]
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")


def _locust_version() -> str:
    try:
        import locust as module
        return module.__version__
    except ImportError:
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: 239,471 residents, 60,000 applications")
    parser.add_argument("--seed", type=int, default=6306)
    parser.add_argument("--duration", type=int, default=60, help="seconds of the mixed load with think time")
    parser.add_argument("--saturation", type=int, default=30, help="seconds of the mixed load without think time")
    parser.add_argument("--ratio-duration", type=int, default=20)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--visits", type=int, default=600, help="children on today's trip for the intakes")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--ratio-only", action="store_true", help="only the list-vs-bare ratio (profiling rounds)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--from-json", type=Path, help="only write the docs from the figures of a run")
    args = parser.parse_args()

    WORK.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("INSTANCE_PATH", str(WORK / "suite-instance"))   # the builder's and preparer's app
    started = datetime.now(timezone.utc)
    results = []
    if args.from_json:          # the docs again from a run's figures
        results = json.loads(args.from_json.read_text())
        write_docs(results, args, started)
        return
    for kind in (("sqlite", "postgres") if args.db == "both" else (args.db,)):
        print(f"==== {kind}", flush=True)
        result = run_database(kind, args)
        results.append(result)
        if not args.ratio_only:
            print("\n".join(report_lines(result, args)), flush=True)
        # after each database: a later failure keeps what was measured
        (WORK / "last-run.json").write_text(json.dumps(results, indent=1))
        if args.json:
            args.json.write_text(json.dumps(results, indent=1))
        if not args.no_docs and not args.ratio_only:
            write_docs(results, args, started)


if __name__ == "__main__":
    main()
