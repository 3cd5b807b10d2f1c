"""Trip check-out and check-in between two apps in one process: an office (ROLE=office, SQLite
file A) and a bus laptop (ROLE=field, NODE_ID=BUS-01, SQLite file B). The node reaches the office
through the office's test client (webapp.sync.client.FlaskTransport), so the endpoints, the token
check and the package travel as in production, without sockets."""
from __future__ import annotations

import shutil
import uuid
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD, Client, build_schema
from tests.integration.intake_factories import register_family
from tests.integration.trip_factories import disposed_request, equipment, office_user, stock
from webapp import create_app
from webapp.auth import services as auth_services
from webapp.auth.models import User
from webapp.auth.roles import Role
from webapp.core.db import utcnow
from webapp.core.timefmt import wita_today
from webapp.extensions import db
from webapp.field import services as field_services
from webapp.field.models import Visit
from webapp.files.models import StoredFile
from webapp.intake import services as intake
from webapp.intake.models import Application, ApplicationFile
from webapp.inventory import services as inventory
from webapp.inventory.models import EquipmentItem, StockMovement
from webapp.layanan.catalog import EQUIPMENT_KINDS
from webapp.quality import precheck
from webapp.quality import services as quality
from webapp.quality.models import Person, QualityCase
from webapp.sync import checkout, nodes
from webapp.sync import services as sync_services
from webapp.sync.client import FlaskTransport
from webapp.sync.models import CHECKED_IN, CHECKED_OUT, OutboxEntry, TripCheckout
from webapp.trips import services as trips
from webapp.trips.models import Trip
from webapp.trips.services import MemberChoice, TripPlan

OFFICE_URL = "http://kantor.test"
OUTSIDER_NIK = "6306014101800009"        # a register record of another village: not in the slice


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory):
    """An SQLite file with the schema and regions (the session's own when it is SQLite)."""
    folder = tmp_path_factory.mktemp("checkout-template")
    template = folder / "template.sqlite"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{template}", "UPLOAD_FOLDER": str(folder / "files"),
                      "SERVER_NAME": None})
    build_schema(app)
    with app.app_context():
        db.engine.dispose()
    return template


@pytest.fixture
def office_and_node(sqlite_template, tmp_path):
    made = []
    for name, role, node_id in (("office", "office", "OFFICE"), ("node", "field", "BUS-01")):
        target = tmp_path / f"{name}.sqlite"
        shutil.copyfile(sqlite_template, target)
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{target}", "ROLE": role, "NODE_ID": node_id,
                          "UPLOAD_FOLDER": str(tmp_path / f"{name}-files"), "SERVER_NAME": None,
                          "SYNC_TOKEN_FILE": str(tmp_path / f"{name}-sync-token"),
                          "SYNC_LOCK_FILE": str(tmp_path / f"{name}-sync.lock")})
        app.test_client_class = Client
        made.append(app)
    office, node = made
    node.extensions["kp_sync_transport"] = FlaskTransport(office)
    yield office, node
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@contextmanager
def on(app):
    """Work in one app's context; what it wrote is committed when the block ends."""
    with app.app_context():
        yield
        db.session.commit()


def login(client, username, password=PASSWORD):
    return client.post_form("/masuk", {"username": username, "password": password})


# ---------------------------------------------------------------- the office's trip

def office_trip(*, departed: bool = False) -> dict:
    """At the office: a register with a family of the trip's village and one record elsewhere, a
    disposed request with three residents, a trip for BUS-01 with its operator, a laptop and 10
    KTP blanks, an open case on a resident, an application already taken for it; committed."""
    from webapp.requirements.services import get_template, seed_templates
    if get_template("KIA", "5_17") is None:
        seed_templates()
    family = register_family()
    snapshot = quality.current_snapshot_id()
    db.session.add(Person(snapshot_id=snapshot, row_no=99, person_key=quality.person_key(OUTSIDER_NIK, "RUSDI", None),
                          nik=OUTSIDER_NIK, no_kk="6306010101100009", name="RUSDI", sex="L",
                          birth_date=date(1980, 1, 1), desa_code="63.06.01.2001"))
    operator = office_user(Role.OPERATOR, full_name="Operator Bus Satu")
    bystander = office_user(Role.ADMIN, full_name="Admin Kantor")
    kabid = office_user(Role.KABID_DAFDUK)
    request = disposed_request(requested_date=wita_today() + timedelta(days=2))
    laptop = equipment("laptop")
    stock("BLANGKO_KTP", 20)
    trip = trips.schedule_trip(TripPlan(
        start_date=wita_today(), end_date=wita_today(), node_code="BUS-01", request_ids=[request.id],
        members=[MemberChoice(operator.id, "operator")], equipment_ids=[laptop.id], stock={"BLANGKO_KTP": 10},
        accepted_missing=frozenset(EQUIPMENT_KINDS)), actor=kabid)
    if departed:
        trips.record_departure(trip, actor=kabid)
    case = quality.open_case(actor=kabid, summary="NIK ganda menunggu pusat", severity="error",
                             person_keys=[family["SITI AMINAH"].person_key])
    db.session.commit()
    return {"trip_id": trip.id, "number": trip.number, "operator": operator.username, "operator_id": operator.id,
            "bystander": bystander.username, "kabid": kabid.username, "kabid_id": kabid.id,
            "kadis_id": request.submitted_by_id, "laptop_id": laptop.id, "case_number": case.number,
            "resident_ids": [r.id for r in request.residents]}


def pair_node(office, node) -> None:
    with on(office):
        _node, token = nodes.add_node("BUS-01", name="Laptop Bus 01")
    with on(node):
        sync_services.pair(OFFICE_URL, token)


def office_application(trip_id) -> uuid.UUID:
    """An application the office already holds for the trip (taken before it left)."""
    visit = Visit(trip_id=trip_id, walk_in=True, desa_code="63.06.10.2009", name="Aluh Masitah",
                  nik="6306104101900001", sex="P", birth_date=date(1990, 1, 1), queue_number=1, status="dipanggil")
    db.session.add(visit)
    db.session.flush()
    application = Application(visit_id=visit.id, trip_id=trip_id, service_code="KIA", subtype_code="5_17",
                              subject_name="Aluh Masitah", status="draf")
    db.session.add(application)
    db.session.commit()
    return application.id


# ---------------------------------------------------------------- check-out

def test_package_built_at_the_office_loads_on_the_node_without_outbox_rows(office_and_node):
    office, node = office_and_node
    with on(office):
        data = office_trip()
        trip = db.session.get(Trip, data["trip_id"])
        package = checkout.build_package(trip, "BUS-01")
        office_checkout = checkout.active_checkout(trip.id)
        assert (office_checkout.status, office_checkout.node_code) == (CHECKED_OUT, "BUS-01")
        assert (office_checkout.package_hash, office_checkout.package_size) == (package["hash"], package["size"])
        assert checkout.package_digest(package) == (package["hash"], package["size"])
        office_checkout_id = office_checkout.id

    tables = dict((name, rows) for name, rows in package["tables"])
    users = {row["id"]: row for row in tables["users"]}
    team = users[str(data["operator_id"])]
    assert team["password_hash"].startswith("$argon2") and team["active"] and "placeholder" not in team
    placeholder = users[str(data["kadis_id"])]             # the request's registrar: named by a foreign key
    assert placeholder["placeholder"] and placeholder["password_hash"] is None and placeholder["username"] is None
    assert data["bystander"] not in {row["username"] for row in tables["users"]}
    assert {p["desa_code"] for p in tables["person"]} == {"63.06.10.2009"}
    assert OUTSIDER_NIK not in {p["nik"] for p in tables["person"]}
    assert [row["number"] for row in tables["quality_case"]] == [data["case_number"]]
    assert tables["requirement_template"] and tables["requirement_item"]
    assert [(m["stock_code"], m["kind"], m["quantity"]) for m in tables["stock_movement"]] == \
        [("BLANGKO_KTP", "issue", 10)]
    assert [row["id"] for row in tables["equipment_item"]] == [str(data["laptop_id"])]
    assert any(r["code"] == "63.06.10.2009" for r in tables["region"])
    assert set(package["precheck"]) == {str(i) for i in data["resident_ids"]}

    with on(node):
        from webapp.requirements.models import RequirementTemplate
        from webapp.requirements.services import seed_templates
        seed_templates()                 # the laptop's own copy (setup): the office's replaces it
        db.session.commit()
        result = checkout.load_package(package)
        assert result.trip.number == data["number"]
        assert {str(t.id) for t in db.session.execute(select(RequirementTemplate)).scalars()} == \
            {row["id"] for row in tables["requirement_template"]}
        assert db.session.scalar(select(func.count()).select_from(OutboxEntry)) == 0
        local = checkout.active_checkout(data["trip_id"])
        assert (local.id, local.package_hash) == (office_checkout_id, package["hash"])
        assert db.session.scalar(select(func.count()).select_from(Person)) == 3
        assert quality.register_state().persons == 3
        stand_in = db.session.get(User, data["kadis_id"])
        assert not stand_in.active and stand_in.password_hash == checkout.PLACEHOLDER_PASSWORD
        assert inventory.trip_stock(data["trip_id"])["BLANGKO_KTP"].outstanding == 10
        with pytest.raises(checkout.DomainError, match="sudah di laptop ini"):
            checkout.load_package(package)


def test_checkout_through_the_endpoint_then_the_bus_works_offline(office_and_node):
    office, node = office_and_node
    with on(office):
        data = office_trip()
    pair_node(office, node)

    with on(node):
        result = checkout.request_checkout(data["number"].lower())
        assert result.counts["person"] == 3 and result.flags["blocked"] >= 1

    node.extensions.pop("kp_sync_transport")        # from here on the office is out of reach
    node.extensions["kp_sync_transport"] = _unreachable
    with on(node):
        client = node.test_client()
        # A team member logs in on the bus with the password the office gave them.
        assert login(client, data["operator"]).status_code == 302
        trip = db.session.get(Trip, data["trip_id"])
        residents = [res for req in trips.requests_of(trip) for res in req.residents]
        flags = {str(rid): check.level for rid, check in precheck.check_rows(residents).items()}
        assert flags == _office_flags(office, data)          # the same flags as at the office, offline
        page = client.get(f"/perjalanan/{trip.id}")
        assert page.status_code == 200
        assert "di bus BUS-01" in page.get_data(as_text=True)
        operator = db.session.get(User, data["operator_id"])
        trips.record_departure(trip, actor=operator)
        trips.record_arrival(trip, actor=operator)
        db.session.commit()
        day = client.get(f"/lapangan/{trip.id}").get_data(as_text=True)
        assert "Aluh Masitah" in day and "Utuh Basrun" in day
        visit = db.session.execute(select(Visit).where(Visit.trip_id == trip.id,
                                                       Visit.name == "Aluh Masitah")).scalar_one()
        field_services.check_in(visit, operator)
        assert visit.flag_level == "blocked" and any(data["case_number"] in r for r in visit.flag_reasons)
        # A walk-in is checked against the register slice the package brought.
        known = field_services.check_walk_in(trip, field_services.WalkInInput(
            name="Ahmad Fauzi", nik="6306100101880002", sex="L", birth_date=date(1988, 1, 1),
            desa_code="63.06.10.2009"))
        assert known.flag is not None and known.flag.person_key is not None
        elsewhere = field_services.check_walk_in(trip, field_services.WalkInInput(
            name="Rusdi", nik=OUTSIDER_NIK, sex="L", birth_date=date(1980, 1, 1), desa_code="63.06.10.2009"))
        assert elsewhere.flag.person_key is None      # that village's records stayed at the office
        assert db.session.scalar(select(func.count()).select_from(OutboxEntry)) > 0   # the bus's own work waits


def _unreachable(method, url, **_kwargs):
    from webapp.sync.client import OfficeUnreachable
    raise OfficeUnreachable("kantor tidak terjangkau (uji)")


def _office_flags(office, data) -> dict:
    with office.app_context():
        trip = db.session.get(Trip, data["trip_id"])
        residents = [res for req in trips.requests_of(trip) for res in req.residents]
        return {str(rid): check.level for rid, check in precheck.check_rows(residents).items()}


def test_only_a_scheduled_or_departed_trip_of_this_bus_is_checked_out_and_only_to_one_node(office_and_node):
    office, node = office_and_node
    with on(office):
        data = office_trip()
        trip = db.session.get(Trip, data["trip_id"])
        with pytest.raises(checkout.DomainError, match="memakai BUS-01, bukan BUS-02"):
            checkout.build_package(trip, "BUS-02")
        first = checkout.build_package(trip, "BUS-01")
        again = checkout.build_package(trip, "BUS-01")          # the node lost the first answer
        assert again["checkout"]["id"] == first["checkout"]["id"]
        trip.node_code = "BUS-02"                                  # (as if re-planned behind its back)
        with pytest.raises(checkout.DomainError, match="sudah di bus BUS-01"):
            checkout.build_package(trip, "BUS-02")
        db.session.rollback()
        finished = db.session.get(Trip, data["trip_id"])
        finished.status = "selesai"
        with pytest.raises(checkout.DomainError, match="dijadwalkan atau sudah berangkat"):
            checkout.build_package(finished, "BUS-01")
        db.session.rollback()
    pair_node(office, node)
    with on(node):
        with pytest.raises(checkout.DomainError, match="tidak ditemukan"):
            checkout.request_checkout("TRP-TIDAK-ADA")


def test_endpoint_refuses_a_wrong_token_and_a_field_node_refuses_the_office_endpoint(office_and_node):
    office, node = office_and_node
    with on(office):
        data = office_trip()
        answer = office.test_client().post("/sync/v1/checkout", json={"trip_number": data["number"]},
                                           headers={"Authorization": "Bearer kp1_" + "x" * 43})
        assert answer.status_code == 401 and answer.get_json()["error"] == "unauthorized"
        assert checkout.active_checkout(data["trip_id"]) is None
    with on(node):
        answer = node.test_client().post("/sync/v1/checkout", json={"trip_number": data["number"]})
        assert answer.status_code == 409 and "hanya di kantor" in answer.get_json()["message"]


# ---------------------------------------------------------------- the office while the trip is on the bus

def test_office_refuses_edits_of_a_checked_out_trip_with_a_message(office_and_node):
    office, node = office_and_node
    with on(office):
        data = office_trip(departed=True)
        application_id = office_application(data["trip_id"])
        trip = db.session.get(Trip, data["trip_id"])
        package = checkout.build_package(trip, "BUS-01")
    assert "application" in dict((n, r) for n, r in package["tables"]) and dict(
        (n, r) for n, r in package["tables"])["application"][0]["id"] == str(application_id)
    with on(office):
        kabid = db.session.get(User, data["kabid_id"])
        application = db.session.get(Application, application_id)
        trip = db.session.get(Trip, data["trip_id"])
        for attempt in (lambda: intake.postpone_application(application, reason="Kurang KK", actor=kabid),
                        lambda: intake.open_quality_case(application, summary="Data beda", actor=kabid),
                        lambda: trips.record_arrival(trip, kabid),
                        lambda: field_services.add_walk_in(trip, field_services.WalkInInput(name="X"), kabid)):
            with pytest.raises(checkout.TripCheckedOut, match="sedang di bus BUS-01"):
                attempt()
        from webapp.documents import queue
        with pytest.raises(checkout.TripCheckedOut, match="sedang di bus BUS-01"):
            queue.take(application, kabid)
        assert field_services.ensure_roster(trip, kabid) == 0       # the bus keeps the roster
        assert not trips.can_depart(trip, kabid)
        db.session.rollback()
        client = office.test_client()
        assert login(client, data["kabid"]).status_code == 302
        page = client.get(f"/perjalanan/{data['trip_id']}").get_data(as_text=True)
        assert 'data-testid="on-bus"' in page and "di bus BUS-01" in page
        answer = client.post_form(f"/pelayanan/{application_id}/tunda", {"tunda-reason": "Kurang KK"},
                                  token_from=f"/perjalanan/{data['trip_id']}", follow_redirects=True)
        assert answer.status_code < 500
        assert "sedang di bus BUS-01" in answer.get_data(as_text=True)
        assert db.session.get(Application, application_id).status == "draf"


# ---------------------------------------------------------------- which side serves which page

def test_field_node_refuses_office_only_work_with_a_clear_page(office_and_node):
    office, node = office_and_node
    with on(office):
        data = office_trip()
        package = checkout.build_package(db.session.get(Trip, data["trip_id"]), "BUS-01")
    with on(node):
        checkout.load_package(package)
        auth_services.create_user(username="admin.bus", full_name="Admin Laptop", role=Role.ADMIN.value,
                                  password=PASSWORD, must_change_password=False)
        db.session.commit()
        client = node.test_client()
        assert login(client, data["operator"]).status_code == 302
        for path, work in (("/dokumen/antrean", "antrean operator"), ("/dokumen/pengambilan", "pengambilan dokumen"),
                           ("/permohonan/baru", "surat permohonan")):
            answer = client.get(path)
            assert answer.status_code == 409, path
            text = answer.get_data(as_text=True)
            assert "Halaman ini hanya di kantor" in text and work in text, path
        fragment = client.get("/dokumen/antrean", headers={"HX-Request": "true"})
        assert fragment.status_code == 409 and "hanya di kantor" in fragment.get_data(as_text=True)
        home = client.get("/").get_data(as_text=True)
        assert "/dokumen/pengambilan" not in home and "/dokumen/antrean" not in home
        assert "/sinkron/perjalanan" in home
        client.post_form("/keluar", {}, token_from="/")
        assert login(client, "admin.bus").status_code == 302
        for path in ("/admin/pengguna", "/kualitas/impor", "/inventaris/stok/terima", "/admin/node-lapangan"):
            answer = client.get(path)
            assert answer.status_code == 409 and "Halaman ini hanya di kantor" in answer.get_data(as_text=True), path
        assert "/admin/pengguna" not in client.get("/").get_data(as_text=True)
    with on(office):
        client = office.test_client()
        assert login(client, data["bystander"]).status_code == 302
        answer = client.get("/sinkron/perjalanan")
        assert answer.status_code == 409 and "hanya di laptop bus" in answer.get_data(as_text=True)
        assert "/sinkron/perjalanan" not in client.get("/").get_data(as_text=True)


# ---------------------------------------------------------------- check-in

def _use_blanks_on_the_bus(node, data, used: int) -> None:
    with on(node):
        operator = db.session.get(User, data["operator_id"])
        inventory.record_use("BLANGKO_KTP", used, trip_id=data["trip_id"], actor=operator, reason="KTP-el dicetak")


def _checkin_input(data, returned, note=None, condition="rusak_ringan"):
    return checkout.CheckinInput(returned={"BLANGKO_KTP": returned}, notes={"BLANGKO_KTP": note} if note else {},
                                 equipment={str(data["laptop_id"]): condition})


def test_checkin_refuses_an_unexplained_difference_then_releases_the_trip_and_cleans_up(office_and_node):
    office, node = office_and_node
    with on(office):
        data = office_trip()
        balance_before = inventory.balance("BLANGKO_KTP")
    pair_node(office, node)
    with on(node):
        checkout.request_checkout(data["number"])
    _use_blanks_on_the_bus(node, data, 2)

    with on(node):
        trip = db.session.get(Trip, data["trip_id"])
        with pytest.raises(checkout.DomainError, match="belum terkirim"):
            checkout.request_checkin(trip, _checkin_input(data, 8))
    with node.app_context():
        assert sync_services.run_once().ok
    with on(node):
        assert checkout.pending_for_trip(data["trip_id"]) == 0
        trip = db.session.get(Trip, data["trip_id"])
        with pytest.raises(checkout.CheckinRefused) as refused:
            checkout.request_checkin(trip, _checkin_input(data, 7))
        assert "Selisih 1" in refused.value.errors["note_BLANGKO_KTP"]
        with pytest.raises(checkout.CheckinRefused) as too_many:
            checkout.request_checkin(trip, _checkin_input(data, 9))
        assert "Lebih banyak" in too_many.value.errors["returned_BLANGKO_KTP"]
        db.session.rollback()
        client = node.test_client()
        assert login(client, data["operator"]).status_code == 302
        form = {"returned_BLANGKO_KTP": "7", f"equipment_{data['laptop_id']}": "rusak_ringan"}
        answer = client.post_form(f"/sinkron/perjalanan/{trip.id}/check-in", form,
                                  token_from=f"/sinkron/perjalanan/{trip.id}/check-in")
        page = answer.get_data(as_text=True)
        assert answer.status_code == 422 and 'id="note_BLANGKO_KTP-error"' in page and "Selisih 1" in page
        assert 'value="7"' in page                               # what was typed stays
    with on(office):
        assert checkout.active_checkout(data["trip_id"]).status == CHECKED_OUT

    with on(node):
        client = node.test_client()
        assert login(client, data["operator"]).status_code == 302
        form = {"returned_BLANGKO_KTP": "7", "note_BLANGKO_KTP": "1 keping tertinggal di kantor desa",
                f"equipment_{data['laptop_id']}": "rusak_ringan", "note": "Pulang sore"}
        answer = client.post_form(f"/sinkron/perjalanan/{data['trip_id']}/check-in", form,
                                  token_from=f"/sinkron/perjalanan/{data['trip_id']}/check-in")
        assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
        local = checkout.latest_checkout(data["trip_id"])
        assert local.status == CHECKED_IN and local.reconciliation["stock"]["BLANGKO_KTP"]["difference"] == 1
        assert db.session.scalar(select(func.count()).select_from(Person)) == 0     # the slice is gone
    with on(office):
        released = checkout.latest_checkout(data["trip_id"])
        assert released.status == CHECKED_IN and checkout.active_checkout(data["trip_id"]) is None
        line = released.reconciliation["stock"]["BLANGKO_KTP"]
        assert (line["issued"], line["used"], line["returned"], line["note"]) == \
            (10, 2, 7, "1 keping tertinggal di kantor desa")
        assert inventory.balance("BLANGKO_KTP") == balance_before + 7
        assert db.session.get(EquipmentItem, data["laptop_id"]).condition == "rusak_ringan"
        from webapp.core.audit import AuditEntry
        entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "checkin")).scalar_one()
        assert entry.actor_name == data["operator"] and "selisih 1" in entry.summary
        checkout.ensure_editable_at_office(data["trip_id"])        # the office edits it again
        assert db.session.scalar(select(func.count()).select_from(StockMovement).where(
            StockMovement.trip_id == data["trip_id"], StockMovement.kind == "use")) == 1
    with on(node):
        # The answer was lost and the node asks again: the office answers the same.
        status, answer = checkout._ask_office("/checkin", {"trip_number": data["number"]}, timeout=5,
                                              transport=None)
        assert status == 200 and answer["status"] == CHECKED_IN


def test_cleanup_deletes_the_slice_and_only_the_files_already_pushed(office_and_node):
    office, node = office_and_node
    with on(office):
        data = office_trip()
        first = checkout.build_package(db.session.get(Trip, data["trip_id"]), "BUS-01")
    with on(node):
        checkout.load_package(first)
        from webapp.files.services import path_of, store_bytes
        visit = Visit(trip_id=data["trip_id"], walk_in=True, desa_code="63.06.10.2009", name="Aluh Masitah",
                      queue_number=1, status="selesai")
        db.session.add(visit)
        db.session.flush()
        stored = {}
        for name, content in (("pushed", b"%PDF-1.4 pushed"), ("waiting", b"%PDF-1.4 waiting")):
            application = Application(visit_id=visit.id, trip_id=data["trip_id"], service_code="KIA",
                                      subtype_code="5_17", subject_name=name, status="tanda_terima")
            db.session.add(application)
            db.session.flush()
            stored[name] = store_bytes(content, mime_type="application/pdf", original_name=f"{name}.pdf")
            db.session.flush()
            db.session.add(ApplicationFile(application_id=application.id, file_id=stored[name].id))
        db.session.flush()
        for entry in db.session.execute(select(OutboxEntry)).scalars():   # pushed (as a sync pass would mark)
            entry.sent_at = utcnow()
        # Only the "waiting" file's row is still in the outbox.
        db.session.add(OutboxEntry(entry_id=uuid.uuid4(), table_name="stored_file", row_key=str(stored["waiting"].id),
                                   operation="insert", payload={}, content_hash="0" * 64, trip_id=None))
        local = checkout.active_checkout(data["trip_id"])
        local.status = CHECKED_IN
        db.session.flush()
        trip = db.session.get(Trip, data["trip_id"])
        assert db.session.scalar(select(func.count()).select_from(Person)) == 3
        result = checkout.cleanup_after_checkin(trip)
        assert (result.persons, result.files) == (3, 1)
        assert db.session.scalar(select(func.count()).select_from(Person)) == 0
        assert db.session.get(StoredFile, stored["pushed"].id) is None
        assert not path_of(stored["pushed"].sha256).exists()
        assert db.session.get(StoredFile, stored["waiting"].id) is not None
        assert path_of(stored["waiting"].sha256).exists()
        assert db.session.scalar(select(func.count()).select_from(QualityCase)) == 1   # records stay


def test_cleanup_keeps_records_another_trip_on_the_laptop_still_uses(office_and_node):
    office, node = office_and_node
    with on(office):
        data = office_trip()
        package = checkout.build_package(db.session.get(Trip, data["trip_id"]), "BUS-01")
    with on(node):
        checkout.load_package(package)
        other = TripCheckout(trip_id=uuid.uuid4(), node_code="BUS-01", status=CHECKED_OUT)
        db.session.add(other)
        db.session.flush()
        # The other trip serves the same village: it is not in this node's trip table, so make one.
        trip = db.session.get(Trip, data["trip_id"])
        clone = Trip(id=other.trip_id, number="TRP-LAIN-1", start_date=trip.start_date, end_date=trip.end_date,
                     bus=trip.bus, node_code="BUS-01", lead_division="dafduk", status="dijadwalkan")
        db.session.add(clone)
        from webapp.trips.models import TripRequest
        db.session.add(TripRequest(trip_id=clone.id, request_id=trip.requests[0].request_id))
        checkout.active_checkout(data["trip_id"]).status = CHECKED_IN
        db.session.flush()
        assert checkout.cleanup_after_checkin(trip).persons == 0
        assert db.session.scalar(select(func.count()).select_from(Person)) == 3


def test_checkout_button_and_cli_on_the_node(office_and_node):
    office, node = office_and_node
    with on(office):
        data = office_trip()
        laptop_number = db.session.get(EquipmentItem, data["laptop_id"]).inventory_number
    pair_node(office, node)
    with on(node):
        auth_services.create_user(username="admin.bus", full_name="Admin Laptop", role=Role.ADMIN.value,
                                  password=PASSWORD, must_change_password=False)
        db.session.commit()
        client = node.test_client()
        assert login(client, "admin.bus").status_code == 302
        answer = client.post_form("/sinkron/perjalanan/check-out", {"trip_number": data["number"]},
                                  token_from="/sinkron/perjalanan")
        assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/perjalanan/{data['trip_id']}")
        listing = client.get("/sinkron/perjalanan").get_data(as_text=True)
        assert data["number"] in listing and 'data-testid="open-checkin"' in listing
        again = client.post_form("/sinkron/perjalanan/check-out", {"trip_number": data["number"]},
                                 token_from="/sinkron/perjalanan")
        assert again.status_code == 422 and "sudah di laptop ini" in again.get_data(as_text=True)
        page = client.get(f"/sinkron/perjalanan/{data['trip_id']}/check-in").get_data(as_text=True)
        assert 'name="returned_BLANGKO_KTP"' in page and f'name="equipment_{data["laptop_id"]}"' in page

    runner = node.test_cli_runner()
    refused = runner.invoke(args=["field", "checkin", data["number"], "--returned", "BLANGKO_KTP=9",
                                  "--equipment", f"{laptop_number}=baik"])
    assert refused.exit_code != 0 and "note_BLANGKO_KTP" in refused.output and "Selisih 1" in refused.output
    done = runner.invoke(args=["field", "checkin", data["number"], "--returned", "BLANGKO_KTP=10",
                               "--equipment", f"{laptop_number}=baik"])
    assert done.exit_code == 0, done.output
    assert "diterima kantor" in done.output and "3 data penduduk" in done.output
    with on(office):
        assert checkout.latest_checkout(data["trip_id"]).status == CHECKED_IN


def test_flask_field_checkout_command(office_and_node):
    office, node = office_and_node
    with on(office):
        data = office_trip()
    pair_node(office, node)
    runner = node.test_cli_runner()
    result = runner.invoke(args=["field", "checkout", data["number"]])
    assert result.exit_code == 0, result.output
    assert f"Perjalanan {data['number']} sudah di laptop ini" in result.output and "3 data penduduk" in result.output
    again = runner.invoke(args=["field", "checkout", data["number"]])
    assert again.exit_code != 0 and "sudah di laptop ini" in again.output
    on_office = office.test_cli_runner().invoke(args=["field", "checkout", data["number"]])
    assert on_office.exit_code != 0 and "ROLE=field" in on_office.output
