"""Issue 9, must show: the office (gunicorn on PostgreSQL) and a field node (gunicorn and the sync
worker on SQLite) as real processes, the link between them a TCP proxy the test cuts and
restores. Check-out through the proxy; the link cut; 30 intakes with photos and receipts on the
node (some through its web forms over HTTP, the rest with `flask demo field-day`); the node says
offline with entries waiting; the link restored; the sync (`flask sync run --once` and the worker);
check-in; then everything the node made is at the office, row for row and byte for byte, the trip
released and the node's register slice deleted.

Runs in the serial part of scripts/test (`-m procs`; without that selection, and CI unset, it is
skipped so a run of tests/integration/test_sync_*.py does not start it by accident). It needs
PostgreSQL: the server of TEST_DATABASE_URL (or PG_URL, else postgresql://postgres@127.0.0.1:5432),
on a database of its own (`<name>_procs`, dropped and made again). Without a reachable server it
is skipped locally and fails in CI (CI set)."""
from __future__ import annotations

import hashlib
import os
import re
import time
import uuid
from datetime import date, datetime, timedelta

import pytest

from tests.support.procs import NodeProcess, OfficeProcess
from tests.support.tcpproxy import TcpProxy
from tests.support.webclient import WebClient

pytestmark = pytest.mark.procs

DEMO_PASSWORD = "pecel-demo-2026"
HTTP_INTAKES = 4          # through the node's web forms, photos uploaded
FIELD_DAY_INTAKES = 26    # `flask demo field-day` (the same services)
SYNC_DEADLINE = 240.0     # seconds the worker may take to push the day once the link is back


# ---------------------------------------------------------------- where the office's database lives

def _procs_db_url() -> str:
    base = os.environ.get("TEST_DATABASE_URL") or os.environ.get("PG_URL") or ""
    if not base.startswith("postgres"):
        base = "postgresql://postgres@127.0.0.1:5432/test"
    from sqlalchemy.engine import make_url
    url = make_url(base)
    return url.set(database=f"{url.database or 'test'}_procs").render_as_string(hide_password=False)


def _reachable(url: str) -> str | None:
    """None when the server answers, else why not."""
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


@pytest.fixture
def office_db_url(request):
    if "procs" not in (request.config.option.markexpr or "") and not os.environ.get("CI"):
        # Not by accident: `pytest tests/integration/test_sync_*.py` would start a 2-minute run of
        # real processes on the shared default database; scripts/test selects it with -m procs.
        pytest.skip("runs when selected: pytest -m procs (scripts/test does)")
    url = _procs_db_url()
    problem = _reachable(url)
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is needed for the two-process test and is not reachable ({problem})")
        pytest.skip(f"PostgreSQL not reachable ({problem}); set TEST_DATABASE_URL")
    return url


@pytest.fixture
def procs(tmp_path, office_db_url):
    """The office and the node (not started); their logs are printed after the test (pytest
    shows them when it fails)."""
    office = OfficeProcess(office_db_url, tmp_path / "office")
    node = NodeProcess(tmp_path / "node")
    proxies = []

    def make_proxy(port):
        proxies.append(TcpProxy(port).start())
        return proxies[-1]

    yield office, node, make_proxy
    node.close()
    office.close()
    for proxy in proxies:
        proxy.stop()
    print(office.logs(80))
    print(node.logs(80))


# ---------------------------------------------------------------- rows, normalised for comparing

UUID_RE = re.compile(r"^[0-9a-fA-F]{32}$|^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

COLUMNS = {
    "visit": "id, trip_id, walk_in, desa_code, name, nik, no_kk, sex, birth_date, queue_number, status",
    "application": "id, visit_id, trip_id, service_code, subtype_code, status, relation, subject_name, subject_nik, "
                   "subject_birth_date, receipt_id, late",
    "application_requirement": "id, application_id, position, text, kind, state",
    "application_file": "id, application_id, line_id, file_id, kind",
    "stored_file": "id, sha256, size, mime_type",
    "receipt": "id, number, check_code, visit_id, trip_id, holder_name, collect_at, status",
    "status_history": "id, entity_type, entity_id, from_status, to_status, actor_name",
}


def _norm(value):
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str) and UUID_RE.match(value):
        return uuid.UUID(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def trip_rows(proc, trip_id: uuid.UUID) -> dict[str, dict]:
    """{table: {id: row}} of everything of the trip on one side (office or node)."""
    def rows(table):
        return [tuple(_norm(v) for v in row) for row in proc.sql(f"SELECT {COLUMNS[table]} FROM {table}")]
    out: dict[str, dict] = {}
    out["visit"] = {r[0]: r for r in rows("visit") if r[1] == trip_id}
    out["application"] = {r[0]: r for r in rows("application") if r[2] == trip_id}
    out["application_requirement"] = {r[0]: r for r in rows("application_requirement") if r[1] in out["application"]}
    out["application_file"] = {r[0]: r for r in rows("application_file") if r[1] in out["application"]}
    files = {r[3] for r in out["application_file"].values()}
    out["stored_file"] = {r[0]: r for r in rows("stored_file") if r[0] in files}
    out["receipt"] = {r[0]: r for r in rows("receipt") if r[4] == trip_id}
    entities = set(out["visit"]) | set(out["application"]) | set(out["receipt"])
    out["status_history"] = {r[0]: r for r in rows("status_history") if r[2] in entities}
    return out


# ---------------------------------------------------------------- an officer at the bus, over HTTP

def _png(seed: int, *, portrait: bool) -> bytes:
    from webapp.synthetic.images import portrait_png, scan_png
    return portrait_png(seed) if portrait else scan_png(seed)


def intake_over_http(web: WebClient, trip_id: uuid.UUID, n: int) -> str:
    """A walk-in parent, a KIA for their child with the pas foto and a scan, a receipt, printed:
    through the node's forms as an officer's browser sends them. Returns the receipt number."""
    from webapp.core.timefmt import wita_today
    from webapp.requests.demo import make_nik
    today = wita_today()
    page = web.get(f"/lapangan/{trip_id}/warga-baru")
    assert page.status == 200, page.text[:400]
    form = page.form(action="/warga-baru")
    desa = next(v for v in form.options("desa_code") if v)
    born = date(today.year - 34, 3, 1 + n)
    name = f"Walk In Uji {n:02d}"
    nik = make_nik(".".join(desa.split(".")[:3]), born, "L", 9100 + n)
    answer = web.submit(form.set(name=name, nik=nik, no_kk="", sex="L", birth_date=born.isoformat(),
                                 desa_code=desa, phone="0812 5000 %04d" % n))
    assert answer.status == 200 and "masuk antrean nomor" in answer.text, answer.text[:2000]
    row = re.search(r'<tr id="visit-([0-9a-f-]{36})"[^>]*>(?:(?!</tr>).)*?' + re.escape(name), answer.text, re.S)
    assert row, f"{name} not on the trip day"
    visit_id = row.group(1)

    page = web.get(f"/pelayanan/kunjungan/{visit_id}/baru")
    form = page.form(action="/baru")
    assert "KIA:5_17" in form.options("service")
    child_born = today.replace(year=today.year - 7) - timedelta(days=10 + n)
    answer = web.submit(form.set(service="KIA:5_17", relation="orang_tua", subject_nik="", subject_no_kk="",
                                 subject_name=f"Anak Uji {n:02d}", subject_sex="P",
                                 subject_birth_date=child_born.isoformat()))
    assert answer.status == 200 and "/pelayanan/" in answer.url, answer.text[:2000]
    application_id = answer.url.rstrip("/").rsplit("/", 1)[-1]

    form = answer.form(testid="checklist")
    photo_inputs = [f.name for f in form.fields if f.kind == "file" and f.name != "file:"
                    and "application/pdf" not in f.attrs.get("accept", "")]
    assert photo_inputs, "the KIA checklist has a photo line"
    for name_ in {f.name for f in form.fields if f.name.startswith("state:")}:
        form.choose(name_, "ada")
    answer = web.submit(form, files={photo_inputs[0]: [(f"anak-{n}.png", "image/png", _png(100 + n, portrait=True))],
                                     "file:": [(f"kk-{n}.png", "image/png", _png(200 + n, portrait=False))]})
    assert answer.status == 200, answer.text[:2000]
    assert 'data-testid="complete"' in answer.text, "the checklist is complete"

    form = answer.form(action="/tanda-terima")
    answer = web.submit(form.set(applications=[application_id], collect_at="kantor"))
    assert answer.status == 200, answer.text[:2000]
    number = re.search(r"Tanda terima (KP-[A-Z0-9-]+) diterbitkan", answer.text)
    assert number, answer.text[:2000]
    printed = web.get(answer.find(r'href="([^"]+)"[^>]*data-testid="print-receipt"'))
    assert printed.status == 200 and number.group(1) in printed.text
    return number.group(1)


# ---------------------------------------------------------------- the test

def _outbox_waiting(node) -> int:
    return int(node.sql("SELECT count(*) FROM sync_outbox WHERE sent_at IS NULL")[0][0])


def _checkin_args(node, trip_id: uuid.UUID) -> list[str]:
    """Every blank still with the trip comes back; every piece of equipment is fine."""
    args = []
    movements = node.sql("SELECT stock_code, kind, quantity, trip_id FROM stock_movement")
    outstanding: dict[str, int] = {}
    for code, kind, quantity, trip in movements:
        if _norm(trip) != trip_id:
            continue
        sign = {"issue": 1, "use": -1, "spoil": -1, "return": -1}.get(kind, 0)
        outstanding[code] = outstanding.get(code, 0) + sign * int(quantity)
    for code, left in sorted(outstanding.items()):
        args += ["--returned", f"{code}={left}"]
    equipment = {_norm(r[0]) for r in node.sql("SELECT equipment_id, trip_id FROM trip_equipment") if _norm(r[1]) == trip_id}
    for item_id, number in node.sql("SELECT id, inventory_number FROM equipment_item"):
        if _norm(item_id) in equipment:
            args += ["--equipment", f"{number}=baik"]
    return args


def test_a_day_offline_arrives_complete_at_the_office(procs):
    office, node, make_proxy = procs
    started = time.monotonic()

    def step(what: str) -> None:
        print(f"{time.monotonic() - started:6.1f} s  {what}")

    office.prepare()
    step("office prepared (database, demo)")
    office.start()
    step("office started")
    proxy = make_proxy(office.port)
    trip_number = office.trip_on_bus()
    node.prepare(proxy.url, office.token(), trip_number)          # pair and check out, through the proxy
    assert office.sql("SELECT t.number FROM trip_checkout c JOIN trip t ON t.id = c.trip_id "
                      "WHERE c.node_code = 'BUS-01' AND c.status = 'di_bus'") == [(trip_number,)]
    trip_id = _norm(node.sql("SELECT id FROM trip WHERE number = :n", {"n": trip_number})[0][0])
    before = trip_rows(node, trip_id)
    slice_before = int(node.sql("SELECT count(*) FROM person")[0][0])
    assert slice_before > 0, "the register slice came with the check-out"
    step("node paired, trip checked out")
    node.start_web()
    step("node web started")

    proxy.cut()                                                    # the bus drives out of signal
    team = [name for (name,) in node.sql("SELECT u.username FROM trip_member m JOIN users u ON u.id = m.user_id "
                                         "WHERE u.active AND u.password_hash <> '!' ORDER BY m.position")]
    assert team, "the team's logins came with the check-out"
    officer = next((name for name in team if name.startswith("petugas")), team[0])
    web = WebClient(node.url)
    web.login(officer, DEMO_PASSWORD)
    http_receipts = [intake_over_http(web, trip_id, n) for n in range(HTTP_INTAKES)]
    step(f"{HTTP_INTAKES} intakes over HTTP")
    day = node.flask("demo", "field-day", "--applications", str(FIELD_DAY_INTAKES), "--photos", "2",
                     "--photo-kb", "40", "--seed", "9", "--trip", trip_number, check=True)
    assert f"{FIELD_DAY_INTAKES} permohonan, {FIELD_DAY_INTAKES} tanda terima" in day.stdout
    step(f"{FIELD_DAY_INTAKES} intakes by flask demo field-day")

    attempt = node.sync_once()                                     # the office cannot be reached
    assert attempt.returncode == 1, attempt.stdout + attempt.stderr
    state = node.status()
    assert state["online"] is False and state["pending"] > 0 and state["last_error"], state
    step(f"offline, {state['pending']} waiting")
    header = web.get("/").text                                     # the header says so too
    assert re.search(r'data-testid="sync-online"[^>]*>\s*luring', header), "the header shows offline"

    worker = node.start_sync_worker(interval=1.0)                 # waiting for the office
    proxy.restore()
    deadline = time.monotonic() + SYNC_DEADLINE
    while _outbox_waiting(node) and time.monotonic() < deadline:
        assert worker.poll() is None, node.logs()
        time.sleep(0.5)
    assert _outbox_waiting(node) == 0, f"still waiting after {SYNC_DEADLINE:.0f} s\n{node.logs()}"
    step("the worker pushed the day")
    node.stop_sync_worker()
    again = node.sync_once()
    assert again.returncode == 0, again.stdout + again.stderr
    state = node.status()
    assert state["online"] is True and state["pending"] == 0 and state["last_error"] is None, state

    # Everything the node has of the trip is at the office, the same.
    at_node = trip_rows(node, trip_id)
    at_office = trip_rows(office, trip_id)
    made = {table: set(at_node[table]) - set(before[table]) for table in at_node}
    assert len(made["application"]) == HTTP_INTAKES + FIELD_DAY_INTAKES
    assert len(made["receipt"]) == HTTP_INTAKES + FIELD_DAY_INTAKES
    assert len(made["visit"]) >= HTTP_INTAKES
    assert len(made["application_file"]) >= 2 * (HTTP_INTAKES + FIELD_DAY_INTAKES)
    for application_id in made["application"]:
        assert any(r[1] == application_id for r in at_node["application_requirement"].values())
        assert any(r[2] == application_id for r in at_node["status_history"].values())
    for table, rows in at_node.items():
        missing = set(rows) - set(at_office[table])
        assert not missing, f"{table}: {len(missing)} of {len(rows)} rows missing at the office"
        different = [(rows[k], at_office[table][k]) for k in rows if rows[k] != at_office[table][k]]
        assert not different, f"{table}: rows differ (node, office): {different[:3]}"
    numbers = [r[1] for r in at_office["receipt"].values()]
    assert len(numbers) == len(set(numbers)) and set(http_receipts) <= set(numbers)
    assert office.sql("SELECT number FROM receipt GROUP BY number HAVING count(*) > 1") == []
    for _id, sha256, size, _mime in at_office["stored_file"].values():
        path = office.files / sha256[:2] / sha256
        data = path.read_bytes()
        assert len(data) == size and hashlib.sha256(data).hexdigest() == sha256, path

    step("compared")
    # Check-in: the blanks counted, the equipment fine; the office releases the trip.
    done = node.flask("field", "checkin", trip_number, *_checkin_args(node, trip_id), check=True)
    assert "diterima kantor" in done.stdout
    checkouts = "SELECT c.status FROM trip_checkout c JOIN trip t ON t.id = c.trip_id WHERE t.number = :n"
    assert office.sql(checkouts, {"n": trip_number}) == [("kembali",)]      # released at the office
    assert node.sql(checkouts, {"n": trip_number}) == [("kembali",)]        # and on the laptop
    assert node.status()["pending"] == 0
    assert int(node.sql("SELECT count(*) FROM person")[0][0]) == 0, "the register slice is deleted"
    assert not trip_rows(node, trip_id)["stored_file"], "the residents' files are deleted on the laptop"
    assert node.integrity_check() == "ok"
    step("checked in")
