"""Bad input on every POST of the field service (issue 8): empty forms, huge strings, NUL
characters, unknown, malformed and other trips' ids, wrong file types, as an authorised user.

Each answer is never a 500: a 4xx, a redirect to a page with an error message, or the form again
with its Indonesian message; and nothing is applied: every workflow table is the same before and
after (the audit log, which records views and searches, and the history of SIAK files, which keeps
refused files on purpose, are left out). A request without the CSRF token is refused too."""
from __future__ import annotations

import io
import re
import uuid
import zipfile
from datetime import date

import pytest
from sqlalchemy import select

from tests.integration.intake_factories import trip_on_site
from tests.integration.receipt_factories import (LOKSADO, advance, draft_application, field_trip, ready_receipt,
                                                 receipt_for, visit_on)
from tests.integration.trip_factories import PASSWORD, office_user
from webapp.auth.roles import Role
from webapp.core.timefmt import wita_today
from webapp.extensions import db
from webapp.field import services as field_services
from webapp.intake.models import ISSUED, PRESENT, PROCESSING

HUGE = "x" * 100_000
NUL = "Aluh\x00Masitah"
NOT_UUID = "not-a-uuid"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
PDF = b"%PDF-1.4\n" + b"0" * 200
EXE = b"MZ\x90\x00" + b"\x00" * 200
TODAY = wita_today().isoformat()

WATCHED = ("trip", "trip_member", "visit", "application", "application_requirement", "application_file",
           "data_correction", "receipt", "handover", "stock_balance", "stock_movement", "status_history",
           "quality_case", "stored_file", "node_counter")
ERROR_MARKERS = ('class="field-error"', 'class="form-errors"', "flash-error", "notice-error", 'role="alert"')
ENGLISH = re.compile(r"Not a valid|This field is required|Field must be|Invalid (choice|value)|CSRF token")


def snapshot() -> dict:
    db.session.expire_all()
    return {name: sorted(map(repr, db.session.execute(select(db.metadata.tables[name])).all()))
            for name in WATCHED}


def _changed(before: dict, after: dict) -> list[str]:
    return [name for name in WATCHED if before[name] != after[name]]


class Poster:
    """Posts as the signed-in user (CSRF token of the session) and checks every answer."""

    def __init__(self, client):
        self.client = client
        self.token = client.csrf_token("/")

    def post(self, path, data=None, *, htmx=False, csrf=True, **kwargs):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.token)
        headers = {"HX-Request": "true"} if htmx else {}
        return self.client.post(path, data=data, headers=headers, **kwargs)

    def refused(self, path, data=None, **kwargs):
        """Refused with a message (or a 4xx), and nothing written."""
        before = snapshot()
        resp = self.post(path, data, **kwargs)
        body = resp.get_data(as_text=True)
        where = f"POST {path} " + repr({k: (v[:40] if isinstance(v, str) else "…") for k, v in (data or {}).items()})
        assert resp.status_code < 500, where
        assert _changed(before, snapshot()) == [], where
        if resp.status_code in (302, 303):       # (the page it leads to may write: the roster on a trip day)
            body = self.client.get(resp.location).get_data(as_text=True)
            assert "flash-error" in body, f"{where}: redirected without an error message"
        elif resp.status_code == 200 or resp.status_code == 422:
            assert any(marker in body for marker in ERROR_MARKERS), f"{where}: {resp.status_code} without a message"
        else:
            assert 400 <= resp.status_code < 500, f"{where}: {resp.status_code}"
        assert not ENGLISH.search(body), f"{where}: {ENGLISH.search(body).group(0)}"
        return resp, body

    def answered(self, path, data=None, **kwargs):
        """A check-as-you-type endpoint: answers (< 500) and writes nothing."""
        before = snapshot()
        resp = self.post(path, data, **kwargs)
        assert resp.status_code < 500, path
        assert _changed(before, snapshot()) == [], path
        return resp

    def accepted(self, path, data=None, **kwargs):
        """The control: the same endpoint with right input does apply (so the refusals above were
        the input's, not a closed trip or a missing right)."""
        before = snapshot()
        resp = self.post(path, data, **kwargs)
        assert resp.status_code in (200, 302, 303), (path, resp.status_code)
        assert _changed(before, snapshot()) != [], path
        return resp

    def without_token(self, path, data=None, **kwargs):
        before = snapshot()
        resp = self.post(path, data, csrf=False, **kwargs)
        assert resp.status_code == 400, path
        assert _changed(before, snapshot()) == [], path


def sign_in(client, user) -> Poster:
    client.post_form("/masuk", {"username": user.username, "password": PASSWORD})
    return Poster(client)


def called_walk_in(trip, officer, name, nik, sex, born):
    """A resident at the desk through the trip day's own services (queue number from the trip's counter)."""
    visit = field_services.add_walk_in(trip, field_services.WalkInInput(
        name=name, nik=nik, sex=sex, birth_date=born, desa_code=LOKSADO), officer)
    return field_services.call_visit(visit, officer)


@pytest.fixture
def world(app):
    """A trip on site (SIAK online) with its officer, a resident at the desk with an incomplete
    and a complete application, a receipted resident; another trip with its own officer,
    resident, application and receipt; office applications at each step; a ready receipt."""
    officer = office_user(Role.PETUGAS, full_name="Rahmat Hidayat")
    stranger = office_user(Role.PETUGAS, full_name="Petugas Lain")
    operator = office_user(Role.OPERATOR)
    trip = trip_on_site(team=[officer])
    visit = called_walk_in(trip, officer, "Aluh Masitah", "6306104101900001", "P", date(1990, 1, 1))
    incomplete = draft_application(visit, actor=officer)
    complete = draft_application(visit, "KK", "perubahan", actor=officer)
    complete.lines[2].state = PRESENT
    receipted_visit = called_walk_in(trip, officer, "Utuh Basrun", "6306100505050002", "L", date(2005, 5, 5))
    own_receipt = receipt_for(receipted_visit, actor=officer)

    other_trip = field_trip(members=[stranger])
    other_visit = visit_on(other_trip, name="Warga Perjalanan Lain", actor=stranger)
    other_application = draft_application(other_visit, actor=stranger)
    other_receipt = receipt_for(visit_on(other_trip, name="Penerima Lain", actor=stranger), actor=stranger)

    office_trip = field_trip()
    at_office = receipt_for(visit_on(office_trip, name="Di Kantor", actor=operator), actor=operator)
    processing = receipt_for(visit_on(office_trip, name="Sedang Diproses", actor=operator), actor=operator)
    issued = receipt_for(visit_on(office_trip, name="Sudah Terbit", actor=operator), actor=operator)
    advance(at_office.applications[0], "di_kantor", actor=operator)
    advance(processing.applications[0], PROCESSING, actor=operator)
    advance(issued.applications[0], ISSUED, actor=operator)
    issued.applications[0].document_number = "6306-KTP-000777"
    db.session.commit()
    ready = ready_receipt(services=(("KTP_EL", "baru"), ("KK", "perubahan")), ready=1, actor=operator)
    elsewhere = ready_receipt(name="Warga Desa Lain", desa_code="63.06.01.2001", actor=operator)
    return dict(officer=officer, stranger=stranger, operator=operator, trip=trip, visit=visit,
                incomplete=incomplete, complete=complete, own_receipt=own_receipt, other_trip=other_trip,
                other_visit=other_visit, other_application=other_application, other_receipt=other_receipt,
                at_office=at_office.applications[0], processing=processing.applications[0],
                issued=issued.applications[0], ready=ready, elsewhere=elsewhere)


# ---------------------------------------------------------------- the trip day

def test_trip_day_posts_refuse_garbage(client, world):
    w = world
    as_officer = sign_in(client, w["officer"])
    trip, other, visit, stranger_visit = w["trip"].id, w["other_trip"].id, w["visit"].id, w["other_visit"].id

    for action in ("tiba", "siak", "tutup", "blangko", "warga-baru", "warga-baru/cek"):
        as_officer.refused(f"/lapangan/{other}/{action}", {"online": "1"})          # not their trip
        as_officer.refused(f"/lapangan/{uuid.uuid4()}/{action}")
        as_officer.refused(f"/lapangan/{NOT_UUID}/{action}")
        as_officer.without_token(f"/lapangan/{trip}/{action}")
    as_officer.refused(f"/lapangan/{trip}/tiba")                                      # arrived already
    for online in ("", HUGE, NUL, "2"):
        as_officer.refused(f"/lapangan/{trip}/siak", {"online": online})

    walk_ins = [
        {},
        {"name": HUGE, "nik": HUGE, "no_kk": HUGE, "sex": "X", "birth_date": "2026-02-31", "desa_code": HUGE,
         "phone": HUGE},
        {"name": NUL, "nik": "6306\x00100707800011", "sex": "L", "birth_date": "1980-07-07\x00"},
        {"name": "Idar Bahtiar", "sex": "L", "birth_date": "1980-07-07", "desa_code": "99.99.99.9999"},
        {"name": "Idar Bahtiar", "sex": "L", "birth_date": "9999-12-31", "desa_code": LOKSADO},
        {"name": "Idar Bahtiar", "nik": "12345", "sex": "L", "birth_date": "1980-07-07", "desa_code": LOKSADO},
        {"name": "Idar Bahtiar", "nik": "6306100707800011", "no_kk": "abc", "sex": "L", "birth_date": "1980-07-07",
         "desa_code": LOKSADO},
    ]
    for data in walk_ins:
        as_officer.refused(f"/lapangan/{trip}/warga-baru", data)
        as_officer.answered(f"/lapangan/{trip}/warga-baru/cek", data, htmx=True)

    for action in ("hadir", "panggil"):                                               # she is at the desk already
        as_officer.refused(f"/lapangan/kunjungan/{visit}/{action}")
        as_officer.refused(f"/lapangan/kunjungan/{visit}/{action}", htmx=True)
    for action in ("hadir", "panggil", "tidak-hadir", "antre-lagi", "pulangkan"):
        as_officer.refused(f"/lapangan/kunjungan/{stranger_visit}/{action}", {"reason": "KK tidak dibawa"})
        as_officer.refused(f"/lapangan/kunjungan/{uuid.uuid4()}/{action}")
        as_officer.refused(f"/lapangan/kunjungan/{NOT_UUID}/{action}")
        as_officer.without_token(f"/lapangan/kunjungan/{visit}/{action}", {"reason": "KK tidak dibawa"})
    for reason in ("", HUGE, "\x00\x00", "   "):
        as_officer.refused(f"/lapangan/kunjungan/{visit}/pulangkan", {"reason": reason})

    for data in ({}, {"stock_code": "XYZ", "quantity": "1"}, {"stock_code": HUGE, "quantity": HUGE},
                 *({"stock_code": "BLANGKO_KIA", "quantity": q} for q in
                   ("abc", "-3", "0", "1e3", "3.5", "99999999999999999999999", "1000", "\x00", HUGE))):
        as_officer.refused(f"/lapangan/{trip}/blangko", data)

    as_officer.accepted(f"/lapangan/{trip}/siak", {"online": "0"})
    as_officer.accepted(f"/lapangan/{trip}/warga-baru", {"name": "Idar Bahtiar", "nik": "6306100707800011", "sex": "L",
                                                         "birth_date": "1980-07-07", "desa_code": LOKSADO})
    as_officer.accepted(f"/lapangan/kunjungan/{visit}/pulangkan", {"reason": "KK asli tidak dibawa"})


# ---------------------------------------------------------------- intake

def _new_application_payloads():
    base = {"service": "KIA:5_17", "relation": "orang_tua", "subject_name": "Galuh Rahmah", "subject_sex": "P",
            "subject_birth_date": "2019-05-05"}
    return [
        {},
        {"service": "XYZ:abc", "subject_name": "Galuh"},
        {"service": HUGE, "subject_name": HUGE},
        {**base, "subject_name": HUGE},
        {**base, "subject_nik": "123", "subject_birth_date": "2020-02-30"},
        {**base, "subject_no_kk": "63061001\x00"},
        {**base, "relation": "raja"},
        {**base, "subject_birth_date": "9999-12-31"},
        {**base, "service": "KIA:bukan_subjenis"},
        {**base, "service": "AKTA_LAHIR:baru", "subject_birth_date": "9999-12-31", "event_date": "9999-12-31"},
        {**base, "note": HUGE},
        {**base, "subject_address": HUGE, "subject_birth_place": HUGE},
        {**base, "subject_married": "mungkin", "subject_sex": "X", "service": "KTP_EL:baru",
         "subject_birth_date": "2015-01-01"},
    ]


def test_intake_posts_refuse_garbage(client, world):
    w = world
    as_officer = sign_in(client, w["officer"])
    visit, stranger_visit = w["visit"].id, w["other_visit"].id
    incomplete, complete, foreign = w["incomplete"], w["complete"], w["other_application"]

    for data in _new_application_payloads():
        as_officer.refused(f"/pelayanan/kunjungan/{visit}/baru", data)
        as_officer.answered(f"/pelayanan/kunjungan/{visit}/pratinjau", data, htmx=True)
        as_officer.answered(f"/pelayanan/kunjungan/{visit}/cari", {**data, "pick": HUGE}, htmx=True)
    for action in ("baru", "pratinjau", "cari"):
        as_officer.refused(f"/pelayanan/kunjungan/{stranger_visit}/{action}", _new_application_payloads()[4])
        as_officer.refused(f"/pelayanan/kunjungan/{uuid.uuid4()}/{action}")
        as_officer.refused(f"/pelayanan/kunjungan/{NOT_UUID}/{action}")
        as_officer.without_token(f"/pelayanan/kunjungan/{visit}/{action}", _new_application_payloads()[3])

    line = incomplete.lines[2]
    for state in ("", "garbage", HUGE, "\x00"):
        as_officer.refused(f"/pelayanan/{incomplete.id}/syarat/{line.id}", {"state": state}, htmx=True)
        as_officer.refused(f"/pelayanan/{incomplete.id}/syarat/{line.id}", {"state": state})
    for path in (f"/pelayanan/{incomplete.id}/syarat/{foreign.lines[0].id}",      # another application's line
                 f"/pelayanan/{incomplete.id}/syarat/{uuid.uuid4()}",
                 f"/pelayanan/{incomplete.id}/syarat/{NOT_UUID}",
                 f"/pelayanan/{foreign.id}/syarat/{foreign.lines[2].id}"):        # another trip
        as_officer.refused(path, {"state": "ada"}, htmx=True)

    uploads = [
        ({}, None),
        ({"kind": "foto", "line_id": str(line.id)}, ("foto.jpg", PDF)),            # not a photo
        ({"kind": "scan", "line_id": str(line.id)}, ("scan.pdf", EXE)),            # a program
        ({"kind": "scan", "line_id": str(line.id)}, ("kosong.pdf", b"")),
        ({"kind": "scan", "line_id": str(line.id)}, ("teks.pdf", b"hanya teks biasa")),
        ({"kind": "scan", "line_id": NOT_UUID}, ("scan.png", PNG)),               # no such line
        ({"kind": "scan", "line_id": str(uuid.uuid4())}, ("scan.png", PNG)),
        ({"kind": "scan", "line_id": str(foreign.lines[0].id)}, ("scan.png", PNG)),
        ({"kind": HUGE, "line_id": str(line.id)}, ("scan.png", PNG)),
    ]
    for fields, upload in uploads:
        data = dict(fields)
        if upload:
            data["file"] = (io.BytesIO(upload[1]), upload[0])
        as_officer.refused(f"/pelayanan/{incomplete.id}/berkas", data, content_type="multipart/form-data", htmx=True)
    as_officer.refused(f"/pelayanan/{foreign.id}/berkas", {"file": (io.BytesIO(PNG), "a.png")},
                       content_type="multipart/form-data")

    _, body = as_officer.refused(f"/pelayanan/{incomplete.id}/selesai",       # incomplete: says what is missing
                                 {"document_number": "6306-KTP-1", "issued_on": TODAY, "stock_code": "BLANGKO_KTP"})
    assert "Surat keterangan pindah" in body
    for data in ({}, {"document_number": HUGE, "issued_on": TODAY},
                 {"document_number": "6306-KK-1", "issued_on": "2026-99-99"},
                 {"document_number": "6306-KK-1", "issued_on": "9999-12-31", "stock_code": "KERTAS_KK"},
                 {"document_number": "<script>", "issued_on": TODAY, "stock_code": "KERTAS_KK"},
                 {"document_number": "6306-KK-1", "issued_on": TODAY, "stock_code": "XYZ"},
                 {"document_number": "6306-KK-1", "issued_on": TODAY, "stock_code": "BLANGKO_KIA"},
                 *({"document_number": "6306-KK-1", "issued_on": TODAY, "stock_code": "KERTAS_KK", "spoiled": s}
                   for s in ("-1", "abc", "9999", "1.5", "2\x00a"))):
        as_officer.refused(f"/pelayanan/{complete.id}/selesai", data)

    for data in ({}, {"applications": [NOT_UUID], "collect_at": "kantor"},
                 {"applications": [str(uuid.uuid4())], "collect_at": "kantor"},
                 {"applications": [str(foreign.id)], "collect_at": "kantor"},             # another trip's
                 {"applications": [str(w["own_receipt"].applications[0].id)], "collect_at": "kantor"},  # receipted
                 {"applications": [str(complete.id)], "collect_at": "bulan"},
                 {"applications": [str(complete.id)], "collect_at": HUGE},
                 {"applications": [str(complete.id), str(foreign.id)], "collect_at": "kantor"}):
        as_officer.refused(f"/pelayanan/{complete.id}/tanda-terima", data)

    for action, prefix in (("tunda", "tunda-"), ("tolak", "tolak-")):
        for reason in ("", HUGE, "\x00", "   "):
            as_officer.refused(f"/pelayanan/{complete.id}/{action}", {f"{prefix}reason": reason})
    for data in ({}, {"summary": "abc"}, {"summary": HUGE}, {"kind": "garbage", "summary": "Data tidak cocok"},
                 {"kind": HUGE, "summary": "Data tidak cocok dengan register"}):
        as_officer.refused(f"/pelayanan/{complete.id}/kasus", data)

    for action in ("syarat/{line}", "berkas", "selesai", "tanda-terima", "tunda", "tolak", "kasus"):
        as_officer.refused(f"/pelayanan/{foreign.id}/" + action.format(line=foreign.lines[0].id),
                           {"reason": "x", "summary": "Data tidak cocok"})
        as_officer.refused(f"/pelayanan/{uuid.uuid4()}/" + action.format(line=uuid.uuid4()))
        as_officer.refused(f"/pelayanan/{NOT_UUID}/" + action.format(line=NOT_UUID))
        as_officer.without_token(f"/pelayanan/{complete.id}/" + action.format(line=complete.lines[0].id),
                                 {"state": "tidak_ada", "tunda-reason": "Berkas kurang", "tolak-reason": "Tidak berhak",
                                  "summary": "Data tidak cocok dengan register", "collect_at": "kantor",
                                  "applications": [str(complete.id)]})


    as_officer.accepted(f"/pelayanan/{complete.id}/selesai", {"document_number": "6306-KK-1", "issued_on": TODAY,
                                                              "stock_code": "KERTAS_KK", "spoiled": "0"})
    assert db.session.get(type(complete), complete.id).status == "selesai_lapangan"


def test_receipt_posts_refuse_garbage(client, world):
    w = world
    as_officer = sign_in(client, w["officer"])
    own, foreign = w["own_receipt"].id, w["other_receipt"].id
    for action in ("cetak-ulang", "batal"):
        as_officer.refused(f"/pelayanan/tanda-terima/{foreign}/{action}", {"reason": "Salah ketik nama"})
        as_officer.refused(f"/pelayanan/tanda-terima/{uuid.uuid4()}/{action}")
        as_officer.refused(f"/pelayanan/tanda-terima/{NOT_UUID}/{action}")
        as_officer.without_token(f"/pelayanan/tanda-terima/{own}/{action}", {"reason": "Salah ketik nama"})
    for reason in ("", HUGE, "\x00 \x00", "   "):
        as_officer.refused(f"/pelayanan/tanda-terima/{own}/batal", {"reason": reason})
    as_officer.accepted(f"/pelayanan/tanda-terima/{own}/batal", {"reason": "Salah ketik nama"})


# ---------------------------------------------------------------- the office

def test_pickup_desk_posts_refuse_garbage(client, world):
    w = world
    ready, elsewhere = w["ready"], w["elsewhere"]
    as_operator = sign_in(client, w["operator"])
    ready_app, waiting_app = ready.applications[0], ready.applications[1]
    if ready_app.status != "siap_diambil":
        ready_app, waiting_app = waiting_app, ready_app

    for q in ("", HUGE, "\x00", "KPTT:::", f"KPTT:{ready.number}:ZZZZZZ", f"KPTT:{ready.number}",
              "KP-OFFICE-999999", "' OR 1=1 --"):
        as_operator.refused("/dokumen/pengambilan/cari", {"q": q})
    for data in ({}, {"lost-name": HUGE, "lost-birth_date": "2020-13-01", "lost-desa_code": HUGE},
                 {"lost-name": "Aluh", "lost-birth_date": "1990-01-01", "lost-desa_code": "garbage"},
                 {"lost-name": "\x00", "lost-birth_date": "\x00", "lost-desa_code": LOKSADO}):
        as_operator.refused("/dokumen/pengambilan/cari-hilang", data, htmx=True)

    path = f"/dokumen/pengambilan/tanda-terima/{ready.id}/serahkan"
    me = {"receiver_kind": "sendiri", "receiver_name": "Aluh Masitah"}
    for data in ({}, {**me},
                 {**me, "applications": [NOT_UUID]},
                 {**me, "applications": [str(uuid.uuid4())]},
                 {**me, "applications": [str(elsewhere.applications[0].id)]},          # another receipt's
                 {**me, "applications": [str(waiting_app.id)]},                       # not ready yet
                 {**me, "applications": [str(ready_app.id)], "receiver_kind": "raja"},
                 {**me, "applications": [str(ready_app.id)], "receiver_kind": HUGE},
                 {**me, "applications": [str(ready_app.id)], "receiver_name": ""},
                 {**me, "applications": [str(ready_app.id)], "receiver_name": HUGE},
                 {**me, "applications": [str(ready_app.id)], "receiver_name": "\x00"},
                 {**me, "applications": [str(ready_app.id)], "receiver_kind": "keluarga", "receiver_relation": "raja"},
                 {**me, "applications": [str(ready_app.id)], "receiver_kind": "aparat_desa",
                  "receiver_position": HUGE},
                 {**me, "applications": [str(ready_app.id)], "receiver_nik": "123"}):
        as_operator.refused(path, data)
    as_operator.refused(f"/dokumen/pengambilan/tanda-terima/{uuid.uuid4()}/serahkan", me)
    as_operator.refused(f"/dokumen/pengambilan/tanda-terima/{NOT_UUID}/serahkan", me)
    as_operator.without_token(path, {**me, "applications": [str(ready_app.id)]})

    official = {"receiver_name": "Anang Sarkani", "receiver_position": "Kepala Desa"}
    for desa in ("99.99.99.9999", "garbage", "63.06", HUGE[:300]):
        as_operator.refused(f"/dokumen/pengambilan/desa/{desa}/serahkan", official)
    desa_path = f"/dokumen/pengambilan/desa/{LOKSADO}/serahkan"
    for data in ({}, official, {**official, "applications": [NOT_UUID]},
                 {**official, "applications": [str(elsewhere.applications[0].id)]},     # another village's
                 {**official, "applications": [str(waiting_app.id)]},
                 {"applications": [str(ready_app.id)]},
                 {**official, "applications": [str(ready_app.id)], "receiver_name": HUGE},
                 {**official, "applications": [str(ready_app.id)], "receiver_position": ""},
                 {**official, "applications": [str(ready_app.id)], "receiver_nik": "\x00abc"}):
        as_operator.refused(desa_path, data)
    as_operator.without_token(desa_path, {**official, "applications": [str(ready_app.id)]})
    as_operator.accepted(path, {**me, "applications": [str(ready_app.id)]})


def test_operator_queue_posts_refuse_garbage(client, world, make_user):
    w = world
    at_office, processing, issued = w["at_office"], w["processing"], w["issued"]
    as_operator = sign_in(client, w["operator"])

    for data in ({}, {"application_id": [NOT_UUID]}, {"application_id": [str(uuid.uuid4())]},
                 {"application_id": [str(processing.id)]},                            # not waiting to be received
                 {"action": "all", "trip_id": NOT_UUID}, {"action": "all", "trip_id": HUGE},
                 {"action": "all", "trip_id": str(uuid.uuid4())}):
        as_operator.refused("/dokumen/terima", data)
    for data in ({}, {"application_id": [NOT_UUID]}, {"application_id": [str(processing.id)]},
                 {"application_id": [str(issued.id), str(processing.id)]}):          # one of them not issued
        as_operator.refused("/dokumen/antrean/cetak", data)

    as_operator.refused(f"/dokumen/antrean/{issued.id}/ambil")                       # taken long ago
    for number_data in ({}, {"document_number": HUGE, "issued_on": TODAY},
                        {"document_number": "K<1>", "issued_on": TODAY},
                        {"document_number": "6306-1", "issued_on": "9999-12-31"},
                        {"document_number": "6306-1", "issued_on": "2026-02-31"},
                        {"document_number": "\x00", "issued_on": TODAY}):
        as_operator.refused(f"/dokumen/antrean/{processing.id}/nomor", number_data)
    as_operator.refused(f"/dokumen/antrean/{at_office.id}/nomor", {"document_number": "6306-1", "issued_on": TODAY})
    for reason in ("", HUGE, "\x00"):
        as_operator.refused(f"/dokumen/antrean/{processing.id}/tolak", {"reason": reason})
    as_operator.refused(f"/dokumen/antrean/{issued.id}/tolak", {"reason": "Data ganda"})   # issued already
    for print_data in ({"stock_code": "XYZ"}, {"stock_code": HUGE}, {"stock_code": "BLANGKO_KIA"},
                       *({"stock_code": "BLANGKO_KTP", "spoiled": s} for s in ("abc", "-1", "99999", HUGE, "1\x00x"))):
        as_operator.refused(f"/dokumen/antrean/{issued.id}/cetak", print_data)
    _, body = as_operator.refused(f"/dokumen/antrean/{issued.id}/cetak",             # more than the warehouse has
                                  {"stock_code": "BLANGKO_KTP", "spoiled": "20"})
    assert "Blangko KTP-el" in body
    as_operator.refused(f"/dokumen/antrean/{processing.id}/cetak", {"stock_code": "BLANGKO_KTP"})

    for action in ("ambil", "nomor", "tolak", "cetak"):
        as_operator.refused(f"/dokumen/antrean/{uuid.uuid4()}/{action}")
        as_operator.refused(f"/dokumen/antrean/{NOT_UUID}/{action}")
        as_operator.without_token(f"/dokumen/antrean/{processing.id}/{action}", {"reason": "Data ganda"})

    client.post_form("/keluar")
    as_capil = sign_in(client, make_user(Role.KABID_CAPIL))                            # KTP-el is dafduk's
    as_capil.refused(f"/dokumen/antrean/{at_office.id}/ambil")
    as_capil.refused(f"/dokumen/antrean/{processing.id}/nomor", {"document_number": "6306-1", "issued_on": TODAY})
    as_capil.refused("/dokumen/terima", {"application_id": [str(w["own_receipt"].applications[0].id)]})

    client.post_form("/keluar")
    as_operator = sign_in(client, w["operator"])
    as_operator.accepted(f"/dokumen/antrean/{processing.id}/nomor", {"document_number": "6306-1", "issued_on": TODAY})
    as_operator.accepted(f"/dokumen/antrean/{issued.id}/cetak", {"stock_code": "BLANGKO_KTP", "spoiled": "0"})


def _csv(*rows: str) -> bytes:
    return ("ID_PERMOHONAN;NO_DOKUMEN;TGL_TERBIT;ALASAN_TOLAK\r\n" + "".join(r + "\r\n" for r in rows)).encode()


def _xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


def test_siak_result_upload_refuses_garbage(client, world):
    w = world
    processing = str(w["processing"].id)
    as_operator = sign_in(client, w["operator"])
    files = [
        ("hasil.csv", b""), ("hasil.csv", b"\x00" * 500), ("hasil.pdf", PDF), ("hasil.csv", PNG),
        ("hasil.xlsx", _xlsx()), ("hasil.csv", EXE), ("hasil.csv", bytes(range(256)) * 20),
        ("hasil.csv", b"x" * (2 * 1024 * 1024 + 10)),
        ("hasil.csv", _csv()),                                                         # no rows
        ("hasil.csv", _csv(f"{uuid.uuid4()};6306-1;{TODAY};")),                        # unknown application
        ("hasil.csv", _csv(f"{NOT_UUID};6306-1;{TODAY};")),
        ("hasil.csv", _csv(f"{processing};6306-1;{TODAY};", f"{processing};6306-1;{TODAY};")),   # duplicate
        ("hasil.csv", _csv(f"{processing};6306-1;{TODAY};Data ganda")),               # both
        ("hasil.csv", _csv(f"{w['issued'].id};6306-1;{TODAY};")),                     # not "diproses"
        ("hasil.csv", _csv(f"{processing};6306-1;9999-12-31;")),
        ("hasil.csv", _csv(f"{processing};{HUGE[:5000]};{TODAY};")),
        ("hasil.csv", _csv(f'{processing};"6306-1;{TODAY};')),                         # unpaired quote
        ("hasil.json", b'{"hasil": [{"id_permohonan": '),
        ("hasil.json", b'{"hasil": 5}'),
        ("hasil.json", b'[1, 2, 3]'),
        ("../../../etc/passwd.csv", _csv(f"{uuid.uuid4()};6306-1;{TODAY};")),
        (HUGE[:3000] + ".csv", _csv(f"{uuid.uuid4()};6306-1;{TODAY};")),
    ]
    for action in ("check", "apply"):
        as_operator.refused("/dokumen/siak/hasil", {"action": action}, content_type="multipart/form-data")
        for name, content in files:
            as_operator.refused("/dokumen/siak/hasil", {"action": action, "file": (io.BytesIO(content), name)},
                                content_type="multipart/form-data")
    as_operator.without_token("/dokumen/siak/hasil", {"action": "apply", "file": (
        io.BytesIO(_csv(f"{processing};6306-1;{TODAY};")), "hasil.csv")}, content_type="multipart/form-data")
    as_operator.without_token("/dokumen/siak/ekspor", {"format": "csv"})
    as_operator.accepted("/dokumen/siak/hasil", {"action": "apply", "file": (
        io.BytesIO(_csv(f"{processing};6306-1;{TODAY};")), "hasil.csv")}, content_type="multipart/form-data")


def test_public_status_answers_garbage_alike(client, world):
    ready = world["ready"]
    visitor = Poster(client)
    visitor.token = client.csrf_token("/status")
    for data in ({}, {"nomor": HUGE, "kode_cek": HUGE}, {"nomor": "\x00", "kode_cek": "\x00"},
                 {"nomor": ready.number, "kode_cek": "ZZZZZZ"}, {"nomor": f"KPTT:{ready.number}:ZZZZZZ"},
                 {"nomor": "KPTT:" + HUGE}, {"nomor": ready.number, "kode_cek": ready.check_code + "X" * 50}):
        resp, body = visitor.refused("/status", data)
        assert resp.status_code == 422 and "Nomor atau kode cek tidak cocok." in body
        assert "Aluh" not in body
    resp = visitor.post("/status", {"nomor": ready.number, "kode_cek": ready.check_code})
    assert resp.status_code == 200 and 'data-state="' in resp.get_data(as_text=True)
