"""Issue 11, scale-out: the office keeps no state in a process. Two office app processes (gunicorn,
two workers each, separate ports and instance folders) on ONE PostgreSQL database and ONE Redis,
with the same SECRET_KEY and a shared UPLOAD_FOLDER, behind a pretend proxy (PROXY_COUNT=1, the
client address in X-Forwarded-For); one job worker (`flask jobs worker`) beside the second app
only. Shown over HTTP:

(a) a login made on app 1 is valid on app 2 (the same cookie), a form rendered by app 1 posts to
    app 2 (CSRF token), and a logout on app 2 ends the login on app 1 (server-side login row);
(b) failed logins split between the apps add up to one count: the wait applies on both;
(c) the login rate limit (Flask-Limiter in Redis) counts requests split between the apps to the
    same total as one app would;
(d) a register export uploaded on app 1 is imported by the worker beside app 2, and the result
    is on app 1's page;
(e) an office with two web workers and no REDIS_URL refuses to start.

Runs in the serial part of scripts/test (`-m procs`). Needs PostgreSQL (the server of
TEST_DATABASE_URL or PG_URL, database `<name>_scaleout`, dropped and made again; by default
`test_scaleout`) and Redis (SCALEOUT_REDIS_URL, default redis://127.0.0.1:6379/7; only that
database is flushed). Without either it is skipped locally and fails in CI (CI set)."""
from __future__ import annotations

import os
import re
import subprocess
import time

import pytest

from tests.support.procs import PYTHON, REPO, OfficeProcess, end
from tests.support.webclient import WebClient

pytestmark = pytest.mark.procs

DEMO_PASSWORD = "pecel-demo-2026"
SECRET = "scale-out-shared-secret"
WEB_WORKERS = 2
IMPORT_DEADLINE = 240.0
LOGIN_RATE_LIMIT = 20          # Config.LOGIN_RATE_LIMIT: "20 per 5 minutes" per client address
FREE_FAILURES = 5              # Config.LOGIN_MAX_FAILURES


# ---------------------------------------------------------------- PostgreSQL and Redis, or skip

def _scaleout_db_url() -> str:
    base = os.environ.get("TEST_DATABASE_URL") or os.environ.get("PG_URL") or ""
    if not base.startswith("postgres"):
        base = "postgresql://postgres@127.0.0.1:5432/test"
    from sqlalchemy.engine import make_url
    url = make_url(base)
    return url.set(database=f"{url.database or 'test'}_scaleout").render_as_string(hide_password=False)


def _pg_problem(url: str) -> str | None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool
    target = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1)).set(database="postgres")
    engine = create_engine(target, poolclass=NullPool, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return None
    except Exception as error:   # noqa: BLE001 - any failure to connect means "not reachable"
        return f"{type(error).__name__}: {error}"
    finally:
        engine.dispose()


def _redis(url: str):
    import redis
    return redis.Redis.from_url(url, socket_connect_timeout=5)


def _redis_problem(url: str) -> str | None:
    try:
        _redis(url).ping()
        return None
    except Exception as error:   # noqa: BLE001
        return f"{type(error).__name__}: {error}"


def _unavailable(what: str, problem: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is needed for the scale-out test and is not reachable ({problem})")
    pytest.skip(f"{what} not reachable ({problem})")


def _require_selected(request) -> None:
    if "procs" not in (request.config.option.markexpr or "") and not os.environ.get("CI"):
        pytest.skip("runs when selected: pytest -m procs (scripts/test does)")


@pytest.fixture
def stack(request):
    _require_selected(request)
    db_url = _scaleout_db_url()
    problem = _pg_problem(db_url)
    if problem:
        _unavailable("PostgreSQL", problem)
    redis_url = os.environ.get("SCALEOUT_REDIS_URL") or "redis://127.0.0.1:6379/7"
    problem = _redis_problem(redis_url)
    if problem:
        _unavailable("Redis", problem)
    return db_url, redis_url


class ScaledOffice(OfficeProcess):
    """An office app process with several gunicorn workers (OfficeProcess runs one)."""

    def _gunicorn_args(self) -> list[str]:
        args = super()._gunicorn_args()
        at = args.index("--workers")
        args[at + 1] = str(WEB_WORKERS)
        return args


@pytest.fixture
def offices(tmp_path, stack):
    db_url, redis_url = stack
    _redis(redis_url).flushdb()
    shared = tmp_path / "shared-files"           # the shared storage (NFS in production)
    env = {"REDIS_URL": redis_url, "JOBS_URL": redis_url, "SECRET_KEY": SECRET, "UPLOAD_FOLDER": str(shared),
           "AGENT_TICKET_KEY_FILE": str(tmp_path / "shared-keys" / "agent-ticket-key.pem"),
           "PROXY_COUNT": "1", "WEB_CONCURRENCY": str(WEB_WORKERS)}
    one = ScaledOffice(db_url, tmp_path / "app1", extra_env=env)
    two = ScaledOffice(db_url, tmp_path / "app2", extra_env=env)
    one.prepare()                                  # the one database: fresh, upgraded, demo data
    one.start()
    two.start()
    worker = two.spawn("jobs", "worker", log="worker")   # beside app 2 only
    yield one, two, worker, redis_url
    end(worker)
    two.close()
    one.close()
    _redis(redis_url).flushdb()
    print(one.logs(60))
    print(two.logs(60))


# ---------------------------------------------------------------- helpers

def login_attempt(web: WebClient, username: str, password: str, address: str):
    """One POST of the login form from the client `address` (X-Forwarded-For); not followed."""
    form = web.get("/masuk").form(action="/masuk")
    return web.submit(form.set(username=username, password=password),
                      headers={"X-Forwarded-For": address}, follow=False)


def wait_seconds(page) -> int:
    """The wait the throttled login page names ("Tunggu 4 detik"), in seconds."""
    found = re.search(r"Tunggu (\d+) (detik|menit)", page.text)
    assert found, f"no wait on the page ({page.status}): {page.text[:400]}"
    return int(found.group(1)) * (60 if found.group(2) == "menit" else 1)


THROTTLED = "Terlalu banyak percobaan masuk yang gagal"
RATE_LIMITED = "Terlalu banyak percobaan masuk dari alamat ini"


# ---------------------------------------------------------------- the test

def test_two_office_processes_share_logins_limits_files_and_jobs(offices, tmp_path):
    one, two, worker, redis_url = offices
    assert one.port != two.port and one.instance != two.instance

    # (a) A login made on app 1 is valid on app 2: the same cookie, nothing kept in a process.
    web1 = WebClient(one.url)
    web1.login("operator", DEMO_PASSWORD)
    web2 = WebClient(two.url)
    for cookie in web1.cookies:
        web2.cookies.set_cookie(cookie)
    home = web2.get("/")
    assert home.status == 200 and "/masuk" not in home.url
    assert "Fitri Handayani" in home.text                     # the operator's name in the header
    # A form rendered by app 1 (its CSRF token in the shared session) is accepted by app 2:
    # logging out there ends the login row in the database, so app 1 no longer knows it either.
    logout = web1.get("/").form(action="/keluar")
    logout.base_url = two.url + "/"
    assert web2.submit(logout).status == 200
    assert "/masuk" in web1.get("/").url

    # (b) Failed logins for one account from one address, split between the apps, add up: after
    # the free failures each further one doubles the wait, on whichever app it lands.
    attacker = "203.0.113.10"
    guesses = [WebClient(one.url), WebClient(two.url)]
    for attempt in range(FREE_FAILURES):
        answer = login_attempt(guesses[attempt % 2], "kabid.dafduk", "salah-tebak", attacker)
        assert answer.status != 302
    # 3 on app 1, 2 on app 2: neither saw five, together they did: the account now waits.
    assert THROTTLED in answer.text
    wait = wait_seconds(answer)
    for attempt in range(3):              # wait out the short waits: 2, 4, 8 s, then 16 s
        time.sleep(wait + 0.5)
        answer = login_attempt(guesses[attempt % 2], "kabid.dafduk", "salah-tebak", attacker)
        assert THROTTLED in answer.text
        assert wait_seconds(answer) > wait
        wait = wait_seconds(answer)
    # The right password is now refused from that address on both apps (no password is checked).
    for web in guesses:
        refused = login_attempt(web, "kabid.dafduk", DEMO_PASSWORD, attacker)
        assert refused.status != 302 and THROTTLED in refused.text
    rows = one.sql("SELECT failures FROM login_throttle WHERE address = :a", {"a": attacker})
    assert rows == [(FREE_FAILURES + 3,)]
    # The owner on another address is not locked out, on either app.
    owner = WebClient(two.url)
    assert login_attempt(owner, "kabid.dafduk", DEMO_PASSWORD, "198.51.100.7").status == 302

    # (c) The login rate limit counts across both apps: LOGIN_RATE_LIMIT failed POSTs from one
    # address, half on each app, use it up; the next one is refused on both (each app alone has
    # seen only half: per-process counters would let it through).
    address = "203.0.113.20"
    clients = [WebClient(one.url), WebClient(two.url)]
    for attempt in range(LOGIN_RATE_LIMIT):
        answer = login_attempt(clients[attempt % 2], f"tamu{attempt}", "salah", address)
        assert answer.status in (200, 422), (attempt, answer.status)
    for web in clients:
        limited = login_attempt(web, "operator", DEMO_PASSWORD, address)
        assert limited.status == 429 and RATE_LIMITED in limited.text
    assert any(b"LIMITER" in key.upper() for key in _redis(redis_url).keys("*")), "no limiter counters in Redis"
    # Another address still gets in through either app.
    assert login_attempt(WebClient(one.url), "operator", DEMO_PASSWORD, "198.51.100.8").status == 302

    # (d) A register export uploaded on app 1 is imported by the worker beside app 2 (app 1 has no
    # worker), from the shared UPLOAD_FOLDER; app 1 shows the result.
    from webapp.quality.demo import DEMO_SEED, DEMO_SIZE
    from webapp.synthetic import generate_register, write_siak_csv
    export = tmp_path / "ekspor-siak-skala.csv"
    write_siak_csv(generate_register(DEMO_SIZE, seed=DEMO_SEED).records, export)
    web1.login("operator", DEMO_PASSWORD)
    upload = web1.get("/kualitas/impor").form(action="/kualitas/impor")
    answer = web1.submit(upload, files={"file": [(export.name, "text/csv", export.read_bytes())]}, follow=False)
    assert answer.status == 302, answer.text[:500]
    import_id = answer.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    status = _wait_for_import(one, import_id, worker)
    if status == "perlu_konfirmasi":      # a smaller register waits for the confirmation: on app 1
        page = web1.get(f"/kualitas/impor/{import_id}")
        web1.submit(page.form(action="/ganti"))
        status = _wait_for_import(one, import_id, worker)
    assert status == "selesai", one.sql("SELECT status, error_summary FROM register_import WHERE id = :i",
                                        {"i": import_id})
    runs = one.sql("SELECT worker, status FROM job_run WHERE subject_id = :i ORDER BY created_at", {"i": import_id})
    assert runs and all(state == "selesai" for _w, state in runs)
    assert all(who.endswith(f"|{worker.pid}") for who, _s in runs), (runs, worker.pid)   # the worker beside app 2
    page = web1.get(f"/kualitas/impor/{import_id}")
    assert 'data-status="selesai"' in page.text
    rows_read = one.sql("SELECT rows_read FROM register_import WHERE id = :i", {"i": import_id})[0][0]
    assert rows_read > 0 and f'data-testid="rows-read">{rows_read}<' in page.text
    assert not list((tmp_path / "shared-files" / "register-imports").glob(f"{import_id}*"))   # removed when done

    # The agent's ticket key is shared too (AGENT_TICKET_KEY_FILE): the pick-up desk's agent knows
    # one public key, and a ticket from either app must pass it.
    keys = {office.flask("agent", "pubkey", check=True).stdout.strip() for office in (one, two)}
    assert len(keys) == 1 and next(iter(keys))


def _wait_for_import(office: OfficeProcess, import_id: str, worker) -> str:
    deadline = time.monotonic() + IMPORT_DEADLINE
    while time.monotonic() < deadline:
        assert worker.poll() is None, f"the job worker exited ({worker.returncode})"
        status = office.sql("SELECT status FROM register_import WHERE id = :i", {"i": import_id})[0][0]
        if status not in ("antri", "berjalan"):
            return status
        time.sleep(0.5)
    raise AssertionError(f"import {import_id} not done within {IMPORT_DEADLINE:.0f} s")


def test_an_office_with_several_workers_and_no_redis_refuses_to_start(tmp_path, request):
    """(e) Each worker would keep its own rate-limit counters in memory: gunicorn exits at once
    (before binding; no database or Redis needed to show it)."""
    _require_selected(request)
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "JOBS_URL", "WEB_CONCURRENCY")}
    env.update(ROLE="office", SECRET_KEY=SECRET, DATABASE_URL=f"sqlite:///{tmp_path / 'office.sqlite'}",
               INSTANCE_PATH=str(tmp_path / "instance"), PYTHONPATH=str(REPO))
    result = subprocess.run([PYTHON, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--workers", "2",
                             "--bind", "127.0.0.1:0", "webapp:create_app()"],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "ROLE=office with 2 web workers needs REDIS_URL" in result.stderr
