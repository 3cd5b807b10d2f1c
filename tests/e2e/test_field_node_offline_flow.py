"""The bus laptop with the office stopped, in the browser: two live servers in threads — the office
(ROLE=office, its own SQLite file) and a field node (ROLE=field, NODE_ID=BUS-01, its own SQLite
file and upload folder) that reaches the office over real HTTP (urllib, no test-client transport).

The trip is made at the office through the services, the node registered (`nodes.add_node`),
paired and the trip checked out through the real commands while the office is up. Then the office
server stops (its port refuses connections) and an officer, logged in on the node, records the
arrival, checks a child in, takes a KIA with its photo, accepts it with a receipt and prints it;
the header says offline and 1 application waiting. The office starts again on the same port,
"Sinkronkan sekarang" runs a pass, the header says online and nothing waiting, and the office
holds the application, its receipt and the photo's bytes."""
from __future__ import annotations

import json
import re
import shutil
import socket
import threading

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from tests.conftest import PASSWORD, build_schema
from tests.e2e.conftest import _free_port
from tests.integration.trip_factories import disposed_request, office_user, stock
from webapp import create_app
from webapp.auth.roles import Role
from webapp.core.db import utcnow
from webapp.core.timefmt import format_datetime, wita_today
from webapp.extensions import db
from webapp.files.models import StoredFile
from webapp.files.services import path_of
from webapp.intake.models import Receipt
from webapp.sync.models import NodeLink

pytestmark = pytest.mark.e2e

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 300 + b"pas foto Galuh"
CHILD = "Galuh Rahmah"                  # on the village's list: KIA 5-17 (born 2015)
SYNC_NOW = re.compile(r"/sinkron/sekarang$")
WIDGET_REFRESH_MS = 20_000              # the header's own refresh (every 15 s) and some


class LiveServer:
    """An app served by werkzeug in a thread; stopped for real (the port then refuses) and started
    again on the same port (werkzeug's server sets SO_REUSEADDR)."""

    def __init__(self, app, port: int | None = None) -> None:
        self.app, self.port = app, port or _free_port()
        self._server = self._thread = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "LiveServer":
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)
            self._server = self._thread = None


def refuses(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture(scope="module")
def schema_file(tmp_path_factory):
    """An SQLite file with the schema and the regions, copied for each side."""
    folder = tmp_path_factory.mktemp("offline-schema")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'schema.sqlite'}",
                      "UPLOAD_FOLDER": str(folder / "files"), "SERVER_NAME": None})
    build_schema(app)
    with app.app_context():
        db.engine.dispose()
    return folder / "schema.sqlite"


def _app(schema_file, folder, *, role: str, node_id: str):
    folder.mkdir()
    shutil.copyfile(schema_file, folder / "db.sqlite")
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'db.sqlite'}", "ROLE": role,
                       "NODE_ID": node_id, "UPLOAD_FOLDER": str(folder / "files"), "SERVER_NAME": None,
                       "SYNC_TOKEN_FILE": str(folder / "instance" / "sync-token"), "SESSION_IDLE_MINUTES": 30,
                       # no hardware agent here (as the other browser tests: tests/e2e/conftest.py)
                       "AGENT_URL": "", "AGENT_TICKET_KEY_FILE": str(folder / "instance" / "agent-ticket-key.pem")})


@pytest.fixture
def office_and_node(schema_file, tmp_path):
    office = _app(schema_file, tmp_path / "office", role="office", node_id="OFFICE")
    node = _app(schema_file, tmp_path / "node", role="field", node_id="BUS-01")
    assert "kp_sync_transport" not in node.extensions           # urllib to the office's real port
    servers = {"office": LiveServer(office).start(), "node": LiveServer(node).start()}
    yield office, node, servers
    for server in servers.values():
        server.stop()
    for app in (office, node):
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def office_trip() -> dict:
    """At the office: a disposed village request (three residents), a trip today for BUS-01 with
    its officer and three KIA blanks, departed; the node registered. Committed."""
    from webapp.layanan.catalog import EQUIPMENT_KINDS
    from webapp.requirements.services import seed_templates
    from webapp.sync import nodes
    from webapp.trips import services as trips
    from webapp.trips.services import MemberChoice, TripPlan

    seed_templates()
    officer = office_user(Role.PETUGAS, full_name="Rahmat Hidayat Uji Bus")
    kabid = office_user(Role.KABID_DAFDUK)
    stock("BLANGKO_KIA", 8)
    request = disposed_request(requested_date=wita_today(), divisions=("dafduk", "capil"))
    trip = trips.schedule_trip(TripPlan(
        start_date=wita_today(), end_date=wita_today(), node_code="BUS-01", request_ids=[request.id],
        members=[MemberChoice(officer.id, "operator")], stock={"BLANGKO_KIA": 3},
        accepted_missing=frozenset(EQUIPMENT_KINDS)), actor=kabid)
    trips.record_departure(trip, actor=kabid)
    _node, token = nodes.add_node("BUS-01", name="Laptop Bus 01")
    db.session.commit()
    return {"trip_id": trip.id, "number": trip.number, "username": officer.username, "token": token}


def header(page):
    return page.get_by_test_id("sync-status")


def test_intake_on_the_bus_with_the_office_stopped_then_synced(page, office_and_node):
    office, node, servers = office_and_node
    office_server, node_server = servers["office"], servers["node"]
    with office.app_context():
        trip = office_trip()

    # --- while the office answers: pair the laptop and check the trip out (as the CLI does) -----------
    runner = node.test_cli_runner()
    paired = runner.invoke(args=["field", "pair", "--office", office_server.url, "--token", trip["token"]])
    assert paired.exit_code == 0, paired.output
    checked_out = runner.invoke(args=["field", "checkout", trip["number"]])
    assert checked_out.exit_code == 0, checked_out.output
    assert f"Perjalanan {trip['number']} sudah di laptop ini" in checked_out.output

    # --- the office goes away: its port refuses, the sync worker's pass finds it offline ------------
    office_server.stop()
    assert refuses(office_server.port)
    worker = runner.invoke(args=["sync", "run", "--once"])
    assert worker.exit_code == 1 and "gagal" in worker.output, worker.output

    node_url = node_server.url
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(node_url + "/masuk")
    page.get_by_label("Nama pengguna").fill(trip["username"])          # the password the office gave
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(lambda url: "/masuk" not in url)
    expect(header(page).get_by_test_id("sync-online")).to_have_text("luring")
    expect(header(page).get_by_test_id("sync-pending")).to_have_text("0 menunggu")

    # --- the trip day on the bus: arrival, the child checked in, "Layani" -------------------------------
    page.get_by_role("link", name="Pelayanan Lapangan").first.click()
    page.get_by_test_id("today-trips").locator("tr", has_text=trip["number"]).get_by_test_id("open-trip-day").click()
    page.get_by_test_id("arrive").click()
    expect(page.get_by_test_id("trip-status")).to_have_text("Tiba di lokasi")
    child = page.get_by_test_id("visit-row").filter(has_text=CHILD)
    child.get_by_test_id("check-in").click()
    expect(child.locator(".queue-no")).to_have_text("001")
    child.get_by_test_id("serve").click()

    # --- the KIA: the form, the checklist with the photo, the receipt ---------------------------------
    expect(page.get_by_role("heading", name="Permohonan baru")).to_be_visible()
    page.get_by_label("Layanan").select_option("KIA:5_17")
    page.get_by_label("Pemohon adalah").select_option("orang_tua")
    expect(page.get_by_label("Nama lengkap")).to_have_value(CHILD)
    page.get_by_test_id("save-application").click()
    expect(page.get_by_role("heading", name=re.compile("Kartu Identitas Anak"))).to_be_visible()
    for text in ("Kutipan akta kelahiran anak", "KK orang tua", "KTP-el kedua orang tua"):
        page.get_by_label(f"Ada: {text}", exact=True).check()
    page.locator(".check-line", has_text="Pas foto berwarna").locator("input[type=file]").set_input_files(
        {"name": "galuh.png", "mimeType": "image/png", "buffer": PNG})
    with page.expect_response(re.compile(r"/syarat$")) as saved:
        page.get_by_test_id("save-checklist").click()
    assert saved.value.status == 200
    expect(page.get_by_test_id("complete")).to_contain_text("Persyaratan lengkap")
    expect(page.get_by_test_id("siak-offline")).to_be_visible()
    receipt_form = page.get_by_test_id("receipt")
    receipt_form.get_by_label("Melalui kantor desa").check()
    receipt_form.get_by_test_id("receipt-submit").click()
    expect(page.get_by_text(re.compile(r"Tanda terima KP-\S+ diterbitkan untuk 1 permohonan"))).to_be_visible()
    receipt_no = re.search(r"KP-BUS01-\d{6}", page.get_by_test_id("receipt-number").inner_text()).group(0)

    # --- the printed receipt: number, check code, QR; only the receipt prints ---------------------------
    page.get_by_test_id("print-receipt").click()
    printed = page.get_by_test_id("receipt")
    expect(printed).to_contain_text("TANDA TERIMA BERKAS")
    expect(page.get_by_test_id("receipt-number")).to_have_text(receipt_no)
    expect(page.get_by_test_id("receipt-qr").locator("svg")).to_be_visible()
    expect(page.get_by_test_id("receipt-items")).to_contain_text("1 pindaian/foto terlampir")
    check_code = page.get_by_test_id("receipt-check-code").inner_text().strip()
    page.emulate_media(media="print")
    expect(page.get_by_test_id("receipt-tools")).to_be_hidden()
    expect(header(page)).to_be_hidden()
    expect(page.get_by_test_id("receipt-qr").locator("svg")).to_be_visible()
    page.emulate_media(media="screen")

    # --- the header: offline, the intake waiting --------------------------------------------------------
    # One intake is one application waiting, however many entries it wrote (the roster, the arrival,
    # the visit, the checklist, the photo, the receipt...): `flask sync status` counts the entries.
    expect(header(page).get_by_test_id("sync-online")).to_have_text("luring")
    expect(header(page).get_by_test_id("sync-pending")).to_have_text("1 permohonan menunggu")
    status = json.loads(runner.invoke(args=["sync", "status", "--json"]).output)
    assert status["online"] is False and status["pending"] > 1
    expect(header(page).get_by_test_id("sync-pending-entries")).to_have_text(f"({status['pending']} entri)")
    expect(header(page)).to_have_attribute("data-pending", str(status["pending"]))
    with page.expect_response(SYNC_NOW) as tried:                      # still offline: tried, nothing lost
        header(page).get_by_test_id("sync-now").click()
    assert tried.value.status == 200 and "tidak terjangkau" in tried.value.text()
    expect(header(page).get_by_test_id("sync-online")).to_have_text("luring")
    expect(header(page).get_by_test_id("sync-pending")).to_have_text("1 permohonan menunggu")

    # --- the office is back on the same port; "Sinkronkan sekarang" -------------------------------------
    restarted = utcnow().replace(microsecond=0)
    office_server.start()
    assert not refuses(office_server.port)
    with page.expect_response(SYNC_NOW) as synced:
        header(page).get_by_test_id("sync-now").click()
    assert synced.value.status == 200 and 'data-pending="0"' in synced.value.text()
    # The header also refreshes itself every 15 s: should a refresh read the state just before the pass
    # committed and land after the button's answer, the next one shows the new state (hence the wait).
    expect(header(page).get_by_test_id("sync-online")).to_have_text("daring", timeout=WIDGET_REFRESH_MS)
    expect(header(page).get_by_test_id("sync-pending")).to_have_text("0 menunggu", timeout=WIDGET_REFRESH_MS)
    expect(header(page)).to_have_attribute("data-pending", "0")
    with node.test_request_context():
        link = db.session.get(NodeLink, 1)
        assert link.online and link.last_success_at >= restarted and link.last_error is None
        last_sync = format_datetime(link.last_success_at)
        db.session.remove()
    expect(header(page).get_by_test_id("sync-last-success")).to_contain_text(last_sync)
    assert json.loads(runner.invoke(args=["sync", "status", "--json"]).output)["pending"] == 0

    page.goto("about:blank")                                            # no more header refreshes

    # --- and it arrived: the application, its receipt and the photo's bytes at the office ---------------
    with office.app_context():
        receipt = db.session.execute(select(Receipt).where(Receipt.number == receipt_no)).scalar_one()
        assert receipt.check_code == check_code and receipt.trip_id == trip["trip_id"]
        (application,) = receipt.applications
        assert (application.service_code, application.subtype_code, application.subject_name,
                application.status) == ("KIA", "5_17", CHILD, "tanda_terima")
        (attached,) = application.files
        stored = db.session.get(StoredFile, attached.file_id)
        assert path_of(stored.sha256).read_bytes() == PNG
        assert {line.state for line in application.lines} == {"ada"}
