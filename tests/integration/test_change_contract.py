"""The change door's contract, held against the real flows driven through the pages.

While a flow runs, `Door` watches two things independently: every row the ORM really writes
(mapper events after INSERT/UPDATE/DELETE, an UPDATE counting only when a column's value
changed) and every `entity_changed` event. It fails when a row of a syncable table was written
without its event, when an event names a row that was not written, when an event is not
JSON-safe or misses columns, and when a flow writes a syncable table behind the ORM's back (a
Core INSERT/UPDATE/DELETE, which no event would announce). The outbox will be fed by these
events alone, so what this test lets through is what the sync would lose.
"""
from __future__ import annotations

import io
import json
import threading
import uuid
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Uuid, event, inspect
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.sql.dml import UpdateBase

from tests.integration.test_requests_residents import NIK_17, NIK_MOTHER, row_data
from tests.integration.test_requests_workflow import (HEADER, PDF, SERVICE_DAY, letter_form,  # noqa: F401
                                                    make_request)
from tests.integration.test_trips_scheduling import DAY0, form_data
from tests.integration.trip_factories import disposed_request, equipment, office_user, stock
from webapp.auth.models import User
from webapp.auth.roles import Role
from webapp.core.audit import AuditEntry
from webapp.core.changes import SYNC_WITH_ENTITY, ChangeEvent, entity_changed, json_safe, record_change
from webapp.core.timefmt import wita_today
from webapp.extensions import db
from webapp.inventory.models import EquipmentItem
from webapp.quality import importer
from webapp.quality.models import QualityCase
from webapp.requests.models import RequestResident, VillageRequest
from webapp.requirements.models import RequirementItem
from webapp.requirements.services import get_template, seed_templates
from webapp.synthetic import generate_register, write_siak_csv
from webapp.trips.models import Trip


def model_classes():
    return [mapper.class_ for mapper in db.Model.registry.mappers]


def sync_of_tables() -> dict[str, object]:
    return {cls.__table__.name: cls.__dict__.get("__sync__") for cls in model_classes()}


def key_of(mapper, obj) -> str:
    return "/".join(str(part) for part in mapper.primary_key_from_instance(obj))


def hx_post(client, path, data=None):
    return client.open(path, method="POST", data=data,
                       headers={"HX-Request": "true", "X-CSRFToken": client.csrf_token("/")})


class Door:
    """Records what a flow writes and what the change door announces; checks on leaving."""

    def __init__(self):
        self.sync = sync_of_tables()
        self.written: Counter = Counter()            # (table, key, operation)
        self.events: list[ChangeEvent] = []
        self.behind_the_orm: list[str] = []
        self._flushing = threading.local()
        self._listeners = [
            (Mapper, "after_insert", self._inserted), (Mapper, "after_update", self._updated),
            (Mapper, "after_delete", self._deleted), (Session, "before_flush", self._flush_starts),
            (Session, "after_flush", self._flush_ends), (Session, "after_soft_rollback", self._rolled_back),
        ]

    # -- watching
    def _row(self, mapper, target, operation):
        self.written[(mapper.local_table.name, key_of(mapper, target), operation)] += 1

    def _inserted(self, mapper, connection, target):
        self._row(mapper, target, "insert")

    def _updated(self, mapper, connection, target):
        state = inspect(target)
        if any(state.attrs[prop.key].history.has_changes() for prop in mapper.column_attrs):
            self._row(mapper, target, "update")

    def _deleted(self, mapper, connection, target):
        self._row(mapper, target, "delete")

    def _flush_starts(self, session, flush_context, instances):
        self._flushing.on = True

    def _flush_ends(self, session, flush_context):
        self._flushing.on = False

    def _rolled_back(self, session, previous_transaction):
        self._flushing.on = False

    def _executing(self, conn, statement, multiparams, params, execution_options):
        if isinstance(statement, UpdateBase) and not getattr(self._flushing, "on", False):
            table = getattr(statement.table, "name", None)
            if self.sync.get(table) not in (False, None):
                self.behind_the_orm.append(f"{type(statement).__name__} {table}")

    def _announced(self, sender, *, event: ChangeEvent, session, **_):
        self.events.append(event)

    def __enter__(self):
        for target, name, fn in self._listeners:
            event.listen(target, name, fn)
        self._engine = db.engine
        event.listen(self._engine, "before_execute", self._executing)
        entity_changed.connect(self._announced, weak=False)
        return self

    def __exit__(self, exc_type, exc, tb):
        entity_changed.disconnect(self._announced)
        event.remove(self._engine, "before_execute", self._executing)
        for target, name, fn in self._listeners:
            event.remove(target, name, fn)
        if exc_type is None:
            self.check()
        return False

    # -- the contract
    def check(self) -> None:
        announced = Counter((e.table, e.key, e.operation) for e in self.events)
        silent = sorted(w for w in self.written if self.sync[w[0]] is not False and w not in announced)
        assert not silent, f"rows of syncable tables written without their change event: {silent[:10]}"
        phantom = sorted(announced - self.written)
        assert not phantom, f"change events without a row written (or more events than writes): {phantom[:10]}"
        assert not self.behind_the_orm, f"syncable tables written behind the ORM: {self.behind_the_orm}"
        columns = {cls.__table__.name: cls.__table__ for cls in model_classes()}
        for e in self.events:
            json.dumps(e.to_dict())                                   # JSON-safe as it stands
            table = columns[e.table]
            uuid.UUID(e.id)
            if e.operation == "insert":
                assert set(e.values) == {c.name for c in table.columns}, e.table
                missing = [c.name for c in table.columns if not c.nullable and e.values[c.name] is None]
                assert not missing, f"{e.table} insert event lacks {missing} (defaults set at flush)"
                assert e.key == "/".join(str(e.values[c.name]) for c in table.primary_key.columns)
            elif e.operation == "update":
                assert e.changed and set(e.changed) <= set(e.values), e.table
            declared = self.sync[e.table]
            if declared != SYNC_WITH_ENTITY:                         # history rows follow their entity
                assert e.sync is declared, f"{e.table}: event says sync={e.sync}, the model {declared}"

    # -- reading what was announced
    def ops(self, table: str) -> Counter:
        return Counter(e.operation for e in self.events if e.table == table)

    def of(self, table: str, operation: str | None = None) -> list[ChangeEvent]:
        return [e for e in self.events if e.table == table and operation in (None, e.operation)]


@pytest.fixture
def door(app):
    return Door()


# --- declarations --------------------------------------------------------------------------------

def test_every_model_declares_whether_it_syncs(app):
    undeclared = [cls.__name__ for cls in model_classes() if "__sync__" not in cls.__dict__]
    assert not undeclared, f"declare __sync__ = True | False (with the reason) on {undeclared}"
    flags = {cls.__name__: cls.__dict__["__sync__"] for cls in model_classes()}
    assert all(flag in (True, False, SYNC_WITH_ENTITY) for flag in flags.values()), flags
    # A row that travels needs a key its node made itself: a UUID in its primary key.
    for cls in model_classes():
        if flags[cls.__name__] is not False:
            assert any(isinstance(c.type, Uuid) for c in cls.__table__.primary_key.columns), cls.__name__


def test_values_are_made_json_safe_and_bytes_are_refused():
    key = uuid.uuid4()
    at = datetime(2026, 3, 9, 8, 30, tzinfo=timezone(timedelta(hours=8)))
    assert json_safe({"id": key, "at": at, "day": date(2026, 3, 9), "fee": Decimal("12.50"), "keys": ("a", 1)}) == {
        "id": str(key), "at": "2026-03-09T00:30:00+00:00", "day": "2026-03-09", "fee": "12.50", "keys": ["a", 1]}
    with pytest.raises(TypeError):
        json_safe(b"%PDF")
    with pytest.raises(TypeError):
        json_safe(datetime(2026, 3, 9, 8, 30))     # naive: which clock?


def test_a_row_flushed_before_it_is_recorded_is_still_announced_and_a_no_op_is_not(app, door):
    item = EquipmentItem(inventory_number="KP/LT/2026/900", kind="laptop", name="Laptop uji")
    record_change(item, "create", actor=None)
    db.session.add(item)
    db.session.commit()
    with door:
        item.name = "Laptop uji (baterai baru)"
        db.session.flush()                                  # the service flushed first ...
        record_change(item, "update", actor=None)           # ... and recorded afterwards
        record_change(item, "update", actor=None)           # nothing more written: no second event
        db.session.commit()
    assert [(e.operation, e.changed) for e in door.of("equipment_item")] == [("update", ("name",))]


def test_an_outbox_listener_writes_in_the_same_transaction(client, login_as):
    """What the sync issue will do: one row per syncable event, added by a listener."""
    def outbox(sender, *, event: ChangeEvent, session, **_):
        if event.sync:
            session.add(AuditEntry(action="outbox", entity_type=event.table, entity_id=event.key,
                                   summary=event.content_hash))

    entity_changed.connect(outbox, weak=False)
    try:
        login_as(Role.ADMIN)
        refused = client.post_form("/inventaris/stok/terima", {"stock_code": "BLANGKO_KIA", "quantity": "0",
                                   "reason": "BA No. 9"}, token_from="/inventaris/stok/terima")
        assert refused.status_code in (200, 422) and AuditEntry.query.filter_by(action="outbox").count() == 0
        resp = client.post_form("/inventaris/stok/terima", {"stock_code": "BLANGKO_KIA", "quantity": "200",
                                "reason": "Distribusi blangko KIA"}, token_from="/inventaris/stok/terima")
        assert resp.status_code == 302
    finally:
        entity_changed.disconnect(outbox)
    rows = AuditEntry.query.filter_by(action="outbox").all()
    assert [r.entity_type for r in rows] == ["stock_movement"]      # the balance row does not sync


# --- the flows --------------------------------------------------------------------------------------

def test_letter_and_inline_resident_rows(client, login_as, door):
    login_as(Role.OPERATOR)
    with door:
        resp = client.post_form("/permohonan/baru", {**letter_form(), "letter_file": (io.BytesIO(PDF), "surat.pdf")},
                                token_from="/permohonan/baru", content_type="multipart/form-data")
        assert resp.status_code == 302
        req = VillageRequest.query.one()
        resp = client.post_form(f"/permohonan/{req.id}/ubah", letter_form(location="Balai Desa Loksado Hulu"),
                                token_from=f"/permohonan/{req.id}/ubah")
        assert resp.status_code == 302
        assert hx_post(client, f"/permohonan/{req.id}/warga", row_data()).status_code == 200
        resident = RequestResident.query.one()
        hx_post(client, f"/permohonan/{req.id}/warga/{resident.id}",
                row_data(name="Rabiatul", services=["KK:perubahan"]))       # one service dropped, one added
        assert hx_post(client, f"/permohonan/{req.id}/warga/{resident.id}/hapus").status_code == 200
    assert door.ops("village_request") == {"insert": 1, "update": 1}
    assert door.ops("stored_file") == {"insert": 1}
    assert door.ops("status_history") == {"insert": 1}
    assert door.ops("request_resident") == {"insert": 1, "update": 1, "delete": 1}
    assert door.ops("requested_service") == {"insert": 2, "delete": 2}
    created = door.of("village_request", "insert")[0]
    assert created.op == "create+status" and created.values["created_at"] and created.values["status"] == "baru"
    assert created.sync and created.actor_name.startswith("operator")


def test_resident_list_import_sends_one_event_per_row_and_one_audit_entry(client, login_as, make_request, door):
    req = make_request(residents=[])
    login_as(Role.OPERATOR)
    born = date(wita_today().year - 17, 1, 15)
    csv = (HEADER + f'Anang Basri;{NIK_17};;L;{born:%d-%m-%Y};"KTP_EL:baru, PEREKAMAN";\n'
                  + f"Galuh Norhayati;{NIK_MOTHER};;P;02-07-1988;KK:tambah_anggota;\n"
                  + "Aluh;;;P;03-02-2024;AKTA_LAHIR:baru, KIA:bawah_5;belum punya NIK\n")
    with door:
        resp = client.post_form(f"/permohonan/{req.id}/warga/impor",
                                {"resident_file": (io.BytesIO(csv.encode()), "daftar.csv")},
                                token_from=f"/permohonan/{req.id}", content_type="multipart/form-data")
        assert resp.status_code == 302
    assert door.ops("request_resident") == {"insert": 3}
    assert door.ops("requested_service") == {"insert": 5}
    assert {e.op for e in door.of("request_resident")} == {"import"}
    assert AuditEntry.query.filter_by(action="import", entity_id=str(req.id)).count() == 1
    assert AuditEntry.query.filter_by(entity_type="request_resident").count() == 0


def test_disposition_return_resubmit_and_cancel(client, login, make_user, make_request, door):
    kades = make_user(Role.KEPALA_DESA)
    disposed, returned, cancelled = make_request(), make_request(actor=kades), make_request()
    kadis = make_user(Role.KEPALA_DINAS)
    with door:
        login(kadis)
        resp = client.post_form(f"/permohonan/{disposed.id}/disposisi", {
            "lead_division": "capil", "support_division": "dafduk", "instruction": "Jadwalkan minggu depan.",
            "due_date": (SERVICE_DAY - timedelta(days=3)).isoformat()},
            token_from=f"/permohonan/{disposed.id}/disposisi")
        assert resp.status_code == 302
        client.post_form(f"/permohonan/{returned.id}/kembalikan", {"reason": "Tanggal lahir anak belum benar."},
                         token_from=f"/permohonan/{returned.id}/disposisi")
        client.post_form(f"/permohonan/{cancelled.id}/batalkan", {"reason": "Desa membatalkan lewat telepon."},
                         token_from=f"/permohonan/{cancelled.id}")
        client.post_form("/keluar", token_from="/")
        login(kades)
        client.post_form(f"/permohonan/{returned.id}/kirim-ulang", token_from=f"/permohonan/{returned.id}")
    statuses = {(e.values["entity_id"], e.values["to_status"]) for e in door.of("status_history")}
    assert statuses == {(str(disposed.id), "didisposisi"), (str(returned.id), "dikembalikan"),
                        (str(returned.id), "baru"), (str(cancelled.id), "dibatalkan")}
    assert door.ops("request_disposition") == {"insert": 1}
    assert door.ops("village_request") == {"update": 4}


def test_trip_scheduling_edit_departure_and_cancel(client, login, door):
    kabid = office_user(Role.KABID_DAFDUK)
    rahmat, fitri = office_user(Role.PETUGAS), office_user(Role.OPERATOR)
    laptop, kit = equipment("laptop"), equipment("perekaman_kit")
    stock("BLANGKO_KTP", 50)
    today_req, later_req = disposed_request(), disposed_request(desa_code="63.06.10.2010")
    db.session.commit()
    with door:
        login(kabid)
        resp = client.post_form("/perjalanan/baru", form_data(
            requests=[today_req], members=[(rahmat, "perekaman")], start=wita_today(), end=wita_today()),
            token_from="/perjalanan/baru")
        assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
        resp = client.post_form("/perjalanan/baru", form_data(
            requests=[later_req], members=[(rahmat, "perekaman"), (fitri, "operator")], equipment_ids=[laptop],
            start=DAY0, end=DAY0, stock_qty={"BLANGKO_KTP": 4}), token_from="/perjalanan/baru")
        assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
        today_trip = Trip.query.filter_by(start_date=wita_today()).one()
        later_trip = Trip.query.filter_by(start_date=DAY0).one()
        url = f"/perjalanan/{later_trip.id}"
        resp = client.post_form(f"{url}/ubah", form_data(
            requests=[], members=[(rahmat, "koordinator")], equipment_ids=[kit], start=DAY0 + timedelta(days=1),
            end=DAY0 + timedelta(days=2), stock_qty={"BLANGKO_KTP": 2}), token_from=f"{url}/ubah")
        assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
        assert client.post_form(f"{url}/batal", {"reason": "Bus rusak."}, token_from=url).status_code == 302
        resp = client.post_form(f"/perjalanan/{today_trip.id}/berangkat", token_from=f"/perjalanan/{today_trip.id}")
        assert resp.status_code == 302
    assert door.ops("trip") == {"insert": 2, "update": 3}
    assert door.ops("trip_request") == {"insert": 2}
    assert door.ops("trip_member") == {"insert": 3, "update": 1, "delete": 1}
    assert door.ops("trip_equipment") == {"insert": 2, "delete": 1}
    assert door.ops("stock_movement") == {"insert": 3}        # issue 4, return 2, return 2 on cancel
    assert not door.of("stock_balance")                       # derived, written behind the ORM, not synced


def test_quality_cases_open_submit_resolve_reject_and_decide(client, login_as, door, tmp_path):
    register = generate_register(300, seed=21)
    path = tmp_path / "siak.csv"
    write_siak_csv(register.records, path)
    assert importer.import_file(path).status == "selesai"
    req = disposed_request()
    def open_cases(kind):
        return QualityCase.query.filter_by(kind=kind, status="terbuka").order_by(QualityCase.number).limit(2).all()
    anomalies, duplicates = open_cases("anomali"), open_cases("ganda")
    person = register.records[3]
    with door:
        login_as(Role.KABID_DAFDUK)
        resp = client.post_form("/kualitas/kasus/baru", {"name": person.name, "nik": person.nik, "kind": "anomali",
                                                         "summary": "Nama di KTP berbeda dengan KK"},
                                token_from="/kualitas/kasus/baru")
        assert resp.status_code == 302
        for case in anomalies:
            url = f"/kualitas/kasus/{case.id}"
            client.post_form(url + "/ajukan", {"ajukan-reference_number": "VER/DUKCAPIL/2026/11/0143",
                                               "ajukan-reference_date": wita_today().isoformat()}, token_from=url)
        first, second = anomalies
        client.post_form(f"/kualitas/kasus/{first.id}/selesai", {"selesai-note": "Diverifikasi pusat"},
                         token_from=f"/kualitas/kasus/{first.id}")
        client.post_form(f"/kualitas/kasus/{second.id}/tolak", {"tolak-note": "Pusat menolak: data benar"},
                         token_from=f"/kualitas/kasus/{second.id}")
        same, different = duplicates
        client.post_form(f"/kualitas/kasus/{different.id}/putuskan",
                         {"decision": "bukan_ganda", "reason": "Kembar, dicek dengan akta kelahiran"},
                         token_from=f"/kualitas/kasus/{different.id}/tinjau")
        client.post_form(f"/kualitas/kasus/{same.id}/putuskan",
                         {"decision": "ganda", "reason": "Orang yang sama", "kept_person_key": same.person_keys[0]},
                         token_from=f"/kualitas/kasus/{same.id}/tinjau")
        resp = client.post_form(f"/permohonan/{req.id}/cek-kualitas", token_from=f"/permohonan/{req.id}")
        assert resp.status_code == 302
    opened = door.ops("quality_case")["insert"]
    assert opened >= 2                                       # by hand + the pre-trip check
    assert door.ops("quality_case_person")["insert"] >= opened
    assert door.ops("quality_case")["update"] >= 6
    assert door.ops("duplicate_decision")["insert"] >= 2
    assert {e.values["to_status"] for e in door.of("status_history")} >= {"terbuka", "diajukan", "selesai", "ditolak"}


def test_register_import_and_scan(client, login_as, door, tmp_path):
    register = generate_register(300, seed=11)
    path = tmp_path / "siak.csv"
    write_siak_csv(register.records, path)
    login_as(Role.OPERATOR)
    with door:
        token = client.csrf_token("/kualitas/impor")
        with open(path, "rb") as fh:
            resp = client.post("/kualitas/impor", data={"csrf_token": token, "file": (fh, "ekspor-siak.csv")},
                               content_type="multipart/form-data")
        assert resp.status_code == 302           # the job runs when the request commits (JOBS_IMMEDIATE)
        assert client.post_form("/kualitas/pindai", token_from="/kualitas/kasus").status_code == 302
    cases = door.ops("quality_case")["insert"]
    assert cases > 0 and door.ops("quality_case_person")["insert"] >= cases
    history = door.of("status_history", "insert")
    imports = [e for e in history if e.values["entity_type"] == "register_import"]
    assert [e.values["to_status"] for e in imports] == ["antri", "berjalan", "selesai"]
    assert not any(e.sync for e in imports) and all(e.sync for e in history if e not in imports)
    assert not door.of("person")                              # the register itself is reference data


def test_settings_and_requirement_templates(client, login_as, door):
    seed_templates()
    db.session.commit()
    template = get_template("KTP_EL", "rusak")
    first, second = sorted(template.items, key=lambda i: i.position)
    login_as(Role.ADMIN)
    with door:
        hx_post(client, "/admin/pengaturan/kk_max_members", {"value": "15"})
        hx_post(client, "/admin/pengaturan/kk_max_members", {"value": "16"})
        url = f"/admin/syarat/{template.id}"
        client.post_form(url, {"title": "KTP-el rusak (ganti)", "legal_basis": "Perpres 96/2018", "notes": "",
                               "active": "y"}, token_from=url)
        hx_post(client, f"{url}/butir", {"new-text": "Surat keterangan dari desa", "new-kind": "document"})
        hx_post(client, f"/admin/syarat/butir/{second.id}/geser/up")
        hx_post(client, f"/admin/syarat/butir/{first.id}/hapus")
    assert door.ops("app_setting") == {"insert": 1, "update": 1}
    assert not any(e.sync for e in door.of("app_setting"))
    assert door.ops("requirement_template") == {"update": 1}
    assert door.ops("requirement_item")["insert"] == 1 and door.ops("requirement_item")["delete"] == 1
    assert RequirementItem.query.filter_by(text="Surat keterangan dari desa").count() == 1


def test_inventory_equipment_and_stock(client, login_as, door):
    login_as(Role.ADMIN)
    equipment_form = {"inventory_number": "KP/LT/2026/010", "kind": "laptop", "name": "Lenovo ThinkPad E14",
                      "serial_number": "PF3XK9Z1", "condition": "baik", "in_service": "y", "notes": ""}
    with door:
        new = "/inventaris/peralatan/baru"
        assert client.post_form(new, equipment_form, token_from=new).status_code == 302
        item = EquipmentItem.query.one()
        url = f"/inventaris/peralatan/{item.id}"
        client.post_form(url, {**equipment_form, "condition": "rusak_ringan"}, token_from=url)
        client.post_form(url, {**equipment_form, "condition": "rusak_ringan"}, token_from=url)   # nothing changes
        client.post_form(f"{url}/status-pakai", {"note": "Dikirim ke servis"}, token_from=url)
        client.post_form("/inventaris/stok/terima", {"stock_code": "KERTAS_STRUK", "quantity": "10",
                         "reason": "Distribusi"}, token_from="/inventaris/stok/terima")
        client.post_form("/inventaris/stok/koreksi", {"stock_code": "KERTAS_STRUK", "quantity": "-3",
                         "reason": "Stock opname: basah kena hujan"}, token_from="/inventaris/stok/koreksi")
    assert door.ops("equipment_item") == {"insert": 1, "update": 2}
    assert door.ops("stock_movement") == {"insert": 2}
    assert [e.values["balance_delta"] for e in door.of("stock_movement")] == [10, -3]


def test_user_admin(client, login_as, make_user, door):
    target = make_user(Role.OPERATOR)
    login_as(Role.ADMIN)
    with door:
        client.post_form("/admin/pengguna/baru", {"username": "petugas.baru", "full_name": "Utuh Saleh",
                                                  "role": "petugas", "password": "sandi-awal-yang-kuat"},
                         token_from="/admin/pengguna/baru")
        created = User.query.filter_by(username="petugas.baru").one()
        client.post_form(f"/admin/pengguna/{created.id}",
                         {"username": "petugas.baru", "full_name": "Utuh Saleh, S.E.", "role": "petugas"},
                         token_from=f"/admin/pengguna/{created.id}")
        client.post_form(f"/admin/pengguna/{target.id}/status", token_from="/")
        client.post_form(f"/admin/pengguna/{target.id}/reset-sandi", token_from="/")
    assert door.ops("users") == {"insert": 1, "update": 3}
    assert not any(e.sync for e in door.of("users"))
