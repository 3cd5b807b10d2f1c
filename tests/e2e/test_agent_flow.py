"""The pages with a real hardware agent: `python -m agent --simulate` runs as its own process,
paired with the live server by the key line `flask agent pubkey` prints. The page connects and
authenticates with a ticket from the web app, the header turns green, the devices page lists the
simulated camera, card reader and printer as ready; a KIA photo is taken with the camera into the
checklist form and saved with it, the KTP-el read is noted on the application, and the receipt
printed on the (simulated) thermal printer, whose ESC/POS bytes carry the receipt number; at the
pick-up desk "Pindai QR" reads that receipt's QR and opens it."""
from __future__ import annotations

import os
import re
import selectors
import socket
import subprocess
import sys
import time
from datetime import timedelta
from itertools import count
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.integration.intake_factories import trip_on_site, visit_at_desk
from tests.integration.trip_factories import office_user
from webapp.auth.roles import Role
from webapp.core.timefmt import wita_today
from webapp.devices import tickets
from webapp.devices.models import CardReading
from webapp.intake import services as intake
from webapp.intake.models import Application, Receipt

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 300
_BUS = count(81)


def _listening_url(proc: subprocess.Popen) -> str:
    """The URL the agent prints once it listens ("agent listening on ws://127.0.0.1:PORT/v1")."""
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        if selector.select(timeout=0.5):
            line = proc.stdout.readline()
            found = re.search(r"ws://127\.0\.0\.1:\d+", line or "")
            if found:
                return found.group(0)
    raise RuntimeError("the agent did not start (see its log)")


class Agent:
    """`python -m agent --simulate` in its own process, paired with the live server."""

    def __init__(self, folder: Path, origin: str, key_line: str):
        self.folder, self.origin = folder, origin
        self.key_file = folder / "ticket-key"
        self.key_file.write_text(key_line + "\n")
        self.printer_file = folder / "printer.bin"
        self.proc: subprocess.Popen | None = None
        self.port = 0

    def start(self) -> str:
        log = (self.folder / "agent.log").open("a")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "agent", "--simulate", "--port", str(self.port), "--allow-origin", self.origin,
             "--ticket-key", str(self.key_file), "--simulate-printer-file", str(self.printer_file)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        log.close()
        url = _listening_url(self.proc)
        self.port = int(url.rsplit(":", 1)[1])          # the same port again after a restart
        return url

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.proc = None


@pytest.fixture
def agent(live_app, live_server, tmp_path):
    """A simulated agent paired with the live server; the server's pages point at it meanwhile."""
    if not (ROOT / "agent" / "__main__.py").exists():
        pytest.fail("agent/__main__.py is missing")
    with live_app.app_context():
        key_line = tickets.public_key_line(tickets.private_key())
    running = Agent(tmp_path, live_server, key_line)
    before = {name: live_app.config.get(name) for name in ("AGENT_URL", "AGENT_DESK")}
    try:
        url = running.start()
        live_app.config.update(AGENT_URL=url, AGENT_DESK="field")   # the bus's devices for the field team
        yield running
    finally:
        live_app.config.update(before)
        running.stop()


@pytest.fixture
def no_agent(live_app):
    """The pages expect an agent on a port where none listens."""
    before = {name: live_app.config.get(name) for name in ("AGENT_URL", "AGENT_DESK")}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    live_app.config.update(AGENT_URL=f"ws://127.0.0.1:{port}", AGENT_DESK="field")
    yield
    live_app.config.update(before)


@pytest.fixture(autouse=True)
def _no_console_errors(page):
    """As tests/e2e/conftest.py, but a refused websocket (no agent listening yet, or any more) is
    Chromium's own log line, not an error of the page."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield
    real = [e for e in errors if "favicon" not in e and "Failed to load resource" not in e
            and not re.search(r"Response Status Error Code 4\d\d", e) and not e.startswith("WebSocket connection to")]
    assert real == [], real


@pytest.fixture
def own_bus(live_app):
    before = live_app.config.get("BUSES", "")
    code = f"BUS-{next(_BUS)}"
    live_app.config["BUSES"] = f"{before};{code}=Bus Uji Agen {code}"
    yield code
    live_app.config["BUSES"] = before


def sign_in(page, base_url, user):
    from tests.conftest import PASSWORD
    page.goto(base_url + "/masuk")
    page.get_by_label("Nama pengguna").fill(user.username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(lambda url: "/masuk" not in url)


def kia_application(officer, bus) -> Application:
    trip = trip_on_site(team=[officer], bus=bus, trip_stock={"BLANGKO_KIA": 3})
    visit = visit_at_desk(trip, name="Aluh Masitah Uji Agen")
    today = wita_today()
    application = intake.start_application(visit, intake.ApplicationInput("KIA", "5_17", intake.Subject(
        name="Galuh Rahmah Uji Agen", relation="orang_tua", sex="P",
        birth_date=today.replace(year=today.year - 6) - timedelta(days=40))), actor=officer)
    from webapp.extensions import db
    db.session.commit()
    return application


def test_the_page_uses_the_agent_for_photo_card_receipt_and_qr(page, base_url, live_db, agent, own_bus,
                                                                 login_page):
    officer = office_user(Role.PETUGAS, full_name="Rahmat Hidayat Uji Agen")
    application = kia_application(officer, own_bus)
    sign_in(page, base_url, officer)

    status = page.get_by_test_id("agent-status")
    expect(status).to_have_attribute("data-agent-state", "ready")              # connected, every device ready
    expect(status).to_contain_text("Perangkat siap")
    status.click()
    expect(page.get_by_test_id("agent-summary")).to_have_text("Perangkat siap")
    rows = page.get_by_test_id("device-row")
    expect(rows).to_have_count(3)
    for kind in ("Kamera", "Pembaca kartu", "Printer struk"):
        expect(rows.filter(has_text=kind)).to_have_attribute("data-agent-state", "ready")
    expect(page.locator("[data-agent-version]")).not_to_have_text("—")

    # The KIA photo from the camera, into the checklist form, saved with the rest.
    page.goto(f"{base_url}/pelayanan/{application.id}")
    for text in ("Kutipan akta kelahiran anak", "KK orang tua", "KTP-el kedua orang tua"):
        page.get_by_label(f"Ada: {text}", exact=True).check()
    photo_line = page.locator(".check-line", has_text="Pas foto berwarna")
    take = photo_line.get_by_test_id("camera-capture")
    expect(take).to_be_enabled()
    take.click()
    expect(photo_line.get_by_test_id("camera-preview")).to_be_visible()
    expect(photo_line.locator("[data-agent-message]")).to_contain_text("Foto dari kamera siap")
    chosen = photo_line.locator("input[type=file]").evaluate("input => [input.files.length, input.files[0].type]")
    assert chosen == [1, "image/jpeg"]
    with page.expect_response(re.compile(r"/syarat$")) as answer:
        page.get_by_test_id("save-checklist").click()
    assert answer.value.status == 200
    expect(page.get_by_test_id("checklist-saved")).to_be_visible()
    expect(page.locator(".check-line", has_text="Pas foto berwarna")).to_contain_text("Pas foto 1")
    expect(page.get_by_test_id("complete")).to_contain_text("Persyaratan lengkap")
    live_db.session.expire_all()
    [photo] = [f for f in live_db.session.get(Application, application.id).files if f.kind == "foto"]
    from webapp.files.models import StoredFile
    assert live_db.session.get(StoredFile, photo.file_id).mime_type == "image/jpeg"

    # "Baca KTP-el": the card presented is noted on the application.
    with page.expect_response(re.compile(r"/ktp-el$")) as answer:
        page.get_by_test_id("card-read").click()
    assert answer.value.status == 200
    expect(page.get_by_test_id("card-reading")).to_contain_text("Simulasi Pembaca KTP-el")
    live_db.session.expire_all()
    assert CardReading.query.filter_by(application_id=application.id).count() == 1

    # The receipt, printed on the thermal printer.
    page.get_by_test_id("receipt").get_by_test_id("receipt-submit").click()
    expect(page.get_by_test_id("application-status")).to_have_text("Berkas diterima (tanda terima)")
    page.get_by_test_id("print-receipt").click()
    number = page.get_by_test_id("receipt").get_by_test_id("receipt-number").inner_text()
    printer = page.get_by_test_id("agent-print")
    expect(printer).to_be_enabled()
    printer.click()
    expect(page.locator("[data-agent-message]")).to_have_text("Tanda terima dicetak.", timeout=30_000)   # a serial line
    printed = agent.printer_file.read_bytes()
    assert number.encode() in printed
    receipt = live_db.session.query(Receipt).filter_by(number=number).one()
    assert f"KPTT:{number}:{receipt.check_code}".encode() in printed        # the QR's payload
    assert receipt.holder_nik.encode() not in printed                          # the NIK only masked

    # At the pick-up desk: "Pindai QR" reads that receipt's QR (the simulated camera shows the last
    # receipt printed) and opens it, as a keyboard-wedge scanner typing into the field would.
    page.locator("summary", has_text="Rahmat Hidayat Uji Agen").click()          # the user menu
    page.get_by_test_id("logout").click()
    expect(page.get_by_text("Anda sudah keluar.")).to_be_visible()
    login_page(Role.OPERATOR)
    page.goto(f"{base_url}/dokumen/pengambilan")
    scan = page.get_by_test_id("scan-qr")
    expect(scan).to_be_enabled()
    scan.click()
    page.wait_for_url(re.compile(r"/dokumen/pengambilan/"))
    expect(page.locator("main")).to_contain_text(number)

    # The agent stops: the header says so and the desk's button waits; it comes back: the page
    # reconnects by itself (a fresh ticket) and the header is green again.
    page.goto(f"{base_url}/dokumen/pengambilan")
    expect(page.get_by_test_id("agent-status")).to_have_attribute("data-agent-state", "ready")
    agent.stop()
    expect(page.get_by_test_id("agent-status")).to_have_attribute("data-agent-state", re.compile("off|connecting"))
    expect(page.get_by_test_id("agent-status")).to_contain_text("Agen perangkat tidak terhubung")
    expect(page.get_by_test_id("scan-qr")).to_be_disabled()
    agent.start()
    expect(page.get_by_test_id("agent-status")).to_have_attribute("data-agent-state", "ready", timeout=45_000)
    expect(page.get_by_test_id("scan-qr")).to_be_enabled()


def test_without_an_agent_the_pages_work_as_before(page, base_url, live_db, no_agent, own_bus):
    officer = office_user(Role.PETUGAS, full_name="Fitri Handayani Uji Tanpa Agen")
    application = kia_application(officer, own_bus)
    sign_in(page, base_url, officer)
    status = page.get_by_test_id("agent-status")
    expect(status).to_have_text("Agen perangkat tidak terhubung")
    expect(status).to_have_attribute("data-agent-state", re.compile("off|connecting"))

    page.goto(f"{base_url}/pelayanan/{application.id}")
    photo_line = page.locator(".check-line", has_text="Pas foto berwarna")
    expect(photo_line.get_by_test_id("camera-capture")).to_be_disabled()
    expect(photo_line.locator("[data-agent-hint]")).to_have_text("Tanpa agen perangkat: pilih berkas foto seperti biasa.")
    expect(page.get_by_test_id("card-read")).to_be_disabled()
    photo_line.locator("input[type=file]").set_input_files({"name": "anak.png", "mimeType": "image/png", "buffer": PNG})
    with page.expect_response(re.compile(r"/syarat$")) as answer:
        page.get_by_test_id("save-checklist").click()
    assert answer.value.status == 200
    expect(page.locator(".check-line", has_text="Pas foto berwarna")).to_contain_text("Pas foto 1")
