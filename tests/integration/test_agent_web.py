"""The hardware agent seen from the web app: tickets for the page (who gets which devices, CSRF,
the refusal in JSON), the pairing commands, the header and the devices page, "Baca KTP-el"
noted on the application through the change door (and pushed from the bus to the office with
its application), "Cetak tanda terima" and "Pindai QR"."""
from __future__ import annotations

import base64
import json
import re

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from tests.integration.receipt_factories import draft_application, field_trip, receipt_for, visit_on
from tests.integration.sync_factories import bus, in_node, node, office, walk_in  # noqa: F401
from tests.integration.test_change_contract import Door
from tests.integration.trip_factories import office_user
from webapp.auth.models import User
from webapp.auth.roles import Role
from webapp.devices import services, tickets
from webapp.devices.models import CardReading
from webapp.extensions import db
from webapp.field.models import Visit
from webapp.intake.models import RECEIPTED, Application
from webapp.layanan.catalog import service_label
from webapp.sync import services as sync_services
from webapp.sync.models import OutboxEntry

ATR = "3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A"
ATR_HEX = ATR.replace(" ", "")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def payload_of(ticket: str, app) -> dict:
    """The ticket checked with the line `flask agent pubkey` prints, as the agent checks it."""
    with app.app_context():
        line = tickets.public_key_line(tickets.private_key())
    prefix, body, signature = ticket.split(".")
    public = Ed25519PublicKey.from_public_bytes(unb64(line.removeprefix("ed25519:")))
    public.verify(unb64(signature), f"{prefix}.{body}".encode())
    return json.loads(unb64(body))


@pytest.fixture
def on_the_bus(app):
    """The devices of the bus: the field team captures, reads cards, scans and prints."""
    app.config["AGENT_DESK"] = "field"
    return app


def ask_ticket(client, *, csrf: bool = True):
    headers = {"Accept": "application/json"}
    if csrf:
        headers["X-CSRFToken"] = client.csrf_token("/")
    return client.post("/agent/ticket", headers=headers)


# --- tickets ----------------------------------------------------------------------------------------------

def test_an_officer_on_the_bus_gets_a_signed_ticket_for_this_page_and_every_device(app, client, login_as, on_the_bus):
    user = login_as(Role.PETUGAS)
    resp = ask_ticket(client)
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    answer = resp.get_json()
    assert answer["url"] == "ws://127.0.0.1:8765/v1" and answer["expires_in"] == 60
    payload = payload_of(answer["ticket"], app)
    assert payload["sub"] == user.username and payload["role"] == "petugas"
    assert payload["origin"] == "http://localhost"          # the page's origin as the browser sees it
    assert payload["methods"] == ["camera.capture", "camera.scan_qr", "card.read", "printer.print", "printer.status"]
    assert payload["exp"] - payload["iat"] == 60 and payload["node"] == "OFFICE"
    assert resp.headers["Cache-Control"] == "no-store"
    assert ask_ticket(client).get_json()["ticket"] != answer["ticket"]        # a fresh one each time


def test_the_pick_up_desk_gets_scanning_and_printing_only(app, client, login_as):
    login_as(Role.OPERATOR)                                  # the office's default desk: pick-up
    payload = payload_of(ask_ticket(client).get_json()["ticket"], app)
    assert payload["methods"] == ["camera.scan_qr", "printer.print", "printer.status"]


def test_the_ticket_names_the_origin_the_page_was_served_from(app):
    from webapp.devices.views import page_origin
    for base, origin in (("http://127.0.0.1:5000/", "http://127.0.0.1:5000"),
                         ("https://kp.disdukcapil.local/", "https://kp.disdukcapil.local"),
                         ("http://LOCALHOST:5001/sub/", "http://localhost:5001")):
        with app.test_request_context("/agent/ticket", base_url=base):
            assert page_origin() == origin


@pytest.mark.parametrize("role", [Role.VIEWER, Role.KEPALA_DINAS, Role.KEPALA_DESA])
def test_roles_without_devices_are_refused_in_json(client, login_as, on_the_bus, role):
    login_as(role)
    resp = ask_ticket(client)
    assert resp.status_code == 403 and resp.get_json()["error"] == "forbidden"
    assert "Akses ditolak" in resp.get_json()["message"]


def test_an_officer_at_the_office_desk_has_no_devices(client, login_as):
    login_as(Role.PETUGAS)
    resp = ask_ticket(client)
    assert resp.status_code == 403 and resp.get_json()["error"] == "forbidden"


def test_no_agent_configured_means_no_ticket_for_anyone(app, client, login_as, on_the_bus):
    app.config["AGENT_URL"] = ""
    login_as(Role.PETUGAS)
    assert ask_ticket(client).status_code == 403


def test_a_ticket_needs_the_csrf_token_and_a_login(client, login_as, on_the_bus):
    resp = client.post("/agent/ticket", headers={"X-CSRFToken": client.csrf_token()})
    assert resp.status_code == 302 and "/masuk" in resp.headers["Location"]
    login_as(Role.PETUGAS)
    refused = ask_ticket(client, csrf=False)
    assert refused.status_code == 400 and "kpt1." not in refused.get_data(as_text=True)
    forged = client.post("/agent/ticket", headers={"X-CSRFToken": "bukan-token"})
    assert forged.status_code == 400


# --- pairing commands -------------------------------------------------------------------------------------

def test_the_pubkey_command_prints_the_line_that_verifies_the_command_s_tickets(app, make_user):
    user = make_user(Role.OPERATOR, username="operator.loket")
    runner = app.test_cli_runner()
    line = runner.invoke(args=["agent", "pubkey"]).output.strip()
    assert re.fullmatch(r"ed25519:[A-Za-z0-9_-]{43}", line)
    result = runner.invoke(args=["agent", "ticket", "--user", "operator.loket", "--origin", "http://127.0.0.1:5000",
                                 "--methods", "printer.print,printer.status"])
    assert result.exit_code == 0, result.output
    ticket = result.output.strip()
    prefix, body, signature = ticket.split(".")
    Ed25519PublicKey.from_public_bytes(unb64(line[len("ed25519:"):])).verify(unb64(signature), f"{prefix}.{body}".encode())
    payload = json.loads(unb64(body))
    assert (payload["sub"], payload["origin"], payload["methods"]) == (
        user.username, "http://127.0.0.1:5000", ["printer.print", "printer.status"])
    default = runner.invoke(args=["agent", "ticket", "--user", "operator.loket", "--origin", "http://127.0.0.1:5000"])
    assert json.loads(unb64(default.output.strip().split(".")[1]))["methods"] == list(tickets.PICKUP_METHODS)


def test_the_ticket_command_refuses_unknown_users_methods_and_origins(app, make_user):
    make_user(Role.VIEWER, username="peninjau")
    runner = app.test_cli_runner()
    base = ["agent", "ticket", "--origin", "http://127.0.0.1:5000"]
    assert runner.invoke(args=[*base, "--user", "tidak.ada"]).exit_code == 1
    assert runner.invoke(args=[*base, "--user", "peninjau"]).exit_code == 1       # no devices: say which
    assert runner.invoke(args=[*base, "--user", "peninjau", "--methods", "*"]).exit_code == 2
    assert runner.invoke(args=["agent", "ticket", "--user", "peninjau", "--origin", "null",
                               "--methods", "printer.print"]).exit_code == 2


# --- the header, the devices page, the CSP ----------------------------------------------------------------

def test_the_header_carries_the_agent_for_roles_with_devices_only(client, login_as, make_user, login):
    login_as(Role.OPERATOR)
    page = client.get("/").get_data(as_text=True)
    assert 'id="agent-status"' in page and 'data-agent-url="ws://127.0.0.1:8765/v1"' in page
    assert "js/agent.js" in page and "Agen perangkat tidak terhubung" in page
    client.post_form("/keluar", token_from="/")
    login(make_user(Role.VIEWER))
    page = client.get("/").get_data(as_text=True)
    assert "agent-status" not in page and "agent.js" not in page


def test_the_devices_page_is_for_roles_with_devices(client, login_as, make_user, login):
    login_as(Role.OPERATOR)
    page = client.get("/perangkat")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "data-agent-devices" in text and "pindai QR" in text and "ambil foto" not in text
    client.post_form("/keluar", token_from="/")
    login(make_user(Role.VIEWER))
    assert client.get("/perangkat").status_code == 403


def test_the_csp_lets_the_page_reach_the_configured_agent_and_show_camera_previews(app, client):
    app.config["AGENT_URL"] = "ws://127.0.0.1:9876"
    csp = client.get("/masuk").headers["Content-Security-Policy"]
    assert "connect-src 'self' ws://127.0.0.1:9876;" in csp
    assert re.search(r"img-src [^;]*blob:", csp)


# --- "Baca KTP-el" ----------------------------------------------------------------------------------------

@pytest.fixture
def officer_with_application(app, on_the_bus):
    officer = office_user(Role.PETUGAS)
    trip = field_trip(members=[officer])
    application = draft_application(visit_on(trip), "KIA", "5_17", actor=officer)
    db.session.commit()
    return officer, application


def post_card(client, application, **fields):
    data = {"reader": "Gemalto PC Twin Reader 00 00", "atr": ATR, "uid": "04A2 2BF2 8C5E80", **fields}
    return client.htmx("POST", f"/pelayanan/{application.id}/ktp-el", data=data)


def test_a_card_read_is_noted_on_the_application_through_the_change_door(client, login, officer_with_application):
    officer, application = officer_with_application
    login(officer)
    page = client.get(f"/pelayanan/{application.id}").get_data(as_text=True)
    assert 'data-agent-action="card"' in page and "Belum ada KTP-el" in page
    with Door() as door:
        resp = post_card(client, application)
    assert resp.status_code == 200
    assert 'data-testid="card-reading"' in resp.get_data(as_text=True)
    reading = CardReading.query.one()
    assert (reading.application_id, reading.reader, reading.atr, reading.uid, reading.actor_name) == (
        application.id, "Gemalto PC Twin Reader 00 00", ATR_HEX, "04A22BF28C5E80", officer.username)
    assert reading.at is not None and reading.node == "OFFICE"
    [event] = door.of("card_reading", "insert")
    assert event.sync and event.values["atr"] == ATR_HEX
    page = client.get(f"/pelayanan/{application.id}").get_data(as_text=True)
    assert ATR_HEX in page and "Gemalto PC Twin Reader" in page


@pytest.mark.parametrize("fields, message", [
    ({"atr": ""}, "Wajib diisi"),
    ({"atr": "3B8G"}, "Bukan data kartu yang sah"),
    ({"atr": "3B8"}, "Bukan data kartu yang sah"),
    ({"uid": "ZZ"}, "Bukan data kartu yang sah"),
    ({"reader": ""}, "Wajib diisi"),
    ({"reader": "x" * 121}, "Terlalu panjang"),
])
def test_a_bad_card_answer_is_refused_with_the_reason_and_nothing_saved(client, login, officer_with_application,
                                                                       fields, message):
    officer, application = officer_with_application
    login(officer)
    resp = post_card(client, application, **fields)
    assert resp.status_code == 422 and message in resp.get_data(as_text=True)
    assert CardReading.query.count() == 0


def test_without_htmx_the_form_still_works_and_a_refusal_gets_its_own_page(client, login, officer_with_application):
    officer, application = officer_with_application
    login(officer)
    url = f"/pelayanan/{application.id}/ktp-el"
    token_from = f"/pelayanan/{application.id}"
    refused = client.post_form(url, {"reader": "ACS ACR1252 00", "atr": "bukan-hex"}, token_from=token_from)
    assert refused.status_code == 422 and "ATR kartu: Bukan data kartu yang sah" in refused.get_data(as_text=True)
    saved = client.post_form(url, {"reader": "ACS ACR1252 00", "atr": ATR}, token_from=token_from)
    assert saved.status_code == 303 and saved.headers["Location"].endswith(f"/pelayanan/{application.id}")
    assert CardReading.query.one().uid is None


def test_a_card_is_noted_only_while_the_application_is_taken(client, login, officer_with_application):
    officer, application = officer_with_application
    receipt_for(db.session.get(Visit, application.visit_id), [application], actor=officer)
    db.session.commit()
    assert application.status == RECEIPTED
    login(officer)
    resp = post_card(client, application)
    assert resp.status_code == 422 and "tidak dapat diubah" in resp.get_data(as_text=True)
    assert CardReading.query.count() == 0


def test_another_team_s_application_is_not_found_and_the_desk_cannot_read_cards(client, login, login_as,
                                                                             officer_with_application, app):
    _officer, application = officer_with_application
    login(office_user(Role.PETUGAS))                         # not on this trip's team
    db.session.commit()
    assert post_card(client, application).status_code == 404
    client.post_form("/keluar", token_from="/")
    app.config["AGENT_DESK"] = "pickup"
    login_as(Role.OPERATOR)                                  # the pick-up desk has no card reader
    assert post_card(client, application).status_code == 403


# --- "Cetak tanda terima" and "Pindai QR" -----------------------------------------------------------------

def test_the_receipt_page_hands_the_printer_the_structured_receipt_with_the_nik_masked(client, login_as):
    operator = login_as(Role.OPERATOR)
    trip = field_trip(members=[operator])
    receipt = receipt_for(visit_on(trip, nik="6306104101900001"), actor=operator)
    db.session.commit()
    page = client.get(f"/pelayanan/tanda-terima/{receipt.id}").get_data(as_text=True)
    found = re.search(r"data-receipt='([^']*)'", page)
    assert found, "the print button carries the receipt"
    printed = json.loads(found.group(1).replace("&#34;", '"').replace("&amp;", "&"))
    assert printed["number"] == receipt.number and printed["check_code"] == receipt.check_code
    assert printed["qr"] == f"KPTT:{receipt.number}:{receipt.check_code}"
    assert printed["nik_masked"] == "6306••••••••0001" and "6306104101900001" not in page.split("data-receipt")[1][:2000]
    assert printed["services"] == [service_label("KTP_EL", "baru")]
    assert printed["date"].endswith(" WITA") and printed["copy"] is None
    assert set(printed) == {"title", "office", "number", "check_code", "date", "name", "nik_masked", "services",
                            "ready_date", "collect_at", "qr", "lines", "copy"}


def test_the_pick_up_desk_offers_scanning_the_qr_beside_the_typed_or_wedge_scanned_number(client, login_as):
    login_as(Role.OPERATOR)
    page = client.get("/dokumen/pengambilan").get_data(as_text=True)
    assert 'data-agent-action="scan-qr"' in page and 'data-target="q"' in page
    assert 'name="q"' in page                               # the keyboard-wedge field stays as it was


# --- a card read on the bus reaches the office ------------------------------------------------------------

def test_a_card_read_on_the_bus_is_pushed_to_the_office_with_its_application(office, node, bus):
    with in_node(node):
        _visit_id, application_id = walk_in(node, bus)
        officer = db.session.get(User, bus.officer_id)
        reading = services.record_card_reading(db.session.get(Application, application_id), reader="ACS ACR1252 00",
                                               atr=ATR, uid="04A22BF28C5E80", actor=officer)
        db.session.commit()
        reading_id, username = reading.id, officer.username
        [entry] = db.session.execute(select(OutboxEntry).where(OutboxEntry.table_name == "card_reading")).scalars()
        assert entry.trip_id == bus.trip_id                                  # scoped through its application
        assert sync_services.run_once().ok
    db.session.remove()
    arrived = db.session.get(CardReading, reading_id)
    assert (arrived.application_id, arrived.atr, arrived.node, arrived.actor_name) == (
        application_id, ATR_HEX, "BUS-01", username)
