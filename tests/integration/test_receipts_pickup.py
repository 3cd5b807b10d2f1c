"""Receipts (print, copy, cancel), the public status page and the pick-up desk (single and
village hand-over), through the pages as the staff and the public use them."""
from __future__ import annotations

import re
from datetime import date

import pytest

from webapp.auth.roles import Role
from webapp.core.audit import AuditEntry
from webapp.core.changes import change_status, history_of
from webapp.documents.models import Handover
from webapp.extensions import db
from webapp.intake import receipts
from webapp.intake.models import (COLLECTED, DRAFT, PROCESSING, READY, RECEIPT_ACTIVE, RECEIPT_CANCELLED,
                                  RECEIPT_CLOSED, RECEIPTED, REJECTED, Application, Receipt)

from tests.integration.receipt_factories import (LOKSADO, advance, draft_application, field_trip, ready_receipt,
                                                 receipt_for, visit_on)
from tests.integration.trip_factories import office_user

OTHER_DESA = "63.06.10.2010"


def _text(resp) -> str:
    return resp.get_data(as_text=True)


def _receipt(receipt_id) -> Receipt:
    db.session.expire_all()
    return db.session.get(Receipt, receipt_id)


@pytest.fixture
def on_site(app, make_user):
    """A petugas on the trip's team, a resident's visit and a receipt for one KTP-el (kantor)."""
    officer = make_user(Role.PETUGAS)
    trip = field_trip(members=[officer])
    visit = visit_on(trip)
    receipt = receipt_for(visit, actor=officer)
    db.session.commit()
    return officer, visit, receipt


# ---------------------------------------------------------------- the receipt page

def test_receipt_page_shows_number_date_code_masked_nik_files_and_qr(client, login, on_site):
    officer, _visit, receipt = on_site
    login(officer)
    resp = client.get(f"/pelayanan/tanda-terima/{receipt.id}")
    page = _text(resp)
    assert resp.status_code == 200
    assert receipt.number in page and receipt.check_code in page
    assert "6306••••••••0001" in page and "6306104101900001" not in page
    assert "Kartu Keluarga (asli)" in page and "diganti SPTJM" in page
    assert "Surat keterangan pindah" not in page                 # missing lines were not received
    assert "1 pindaian/foto terlampir" in page
    assert '<svg' in page and 'class="receipt-qr"' in page       # segno, inline: no external request
    assert "http://" not in page.split('<article class="receipt')[1].split("</article>")[0]
    assert "Kantor Disdukcapil HSS" in page
    assert 'data-testid="letterhead"' in page
    assert "SALINAN" not in page.split('<article class="receipt')[1]
    assert AuditEntry.query.filter_by(action="view", entity_type="receipt").count() == 1


def test_receipt_prints_a6_or_a4(client, login, on_site):
    officer, _visit, receipt = on_site
    login(officer)
    assert 'receipt-a6' in _text(client.get(f"/pelayanan/tanda-terima/{receipt.id}"))
    assert 'receipt-a4' in _text(client.get(f"/pelayanan/tanda-terima/{receipt.id}?ukuran=a4"))
    assert 'receipt-a6' in _text(client.get(f"/pelayanan/tanda-terima/{receipt.id}?ukuran=zz"))


def test_reprint_is_counted_marked_as_copy_and_audited(client, login, on_site):
    officer, _visit, receipt = on_site
    login(officer)
    token = client.csrf_token("/")
    for n in (1, 2):
        resp = client.post(f"/pelayanan/tanda-terima/{receipt.id}/cetak-ulang", data={"csrf_token": token})
        assert resp.status_code == 303
        assert _receipt(receipt.id).print_count == n
    page = _text(client.get(f"/pelayanan/tanda-terima/{receipt.id}"))
    assert "SALINAN ke-2" in page
    assert AuditEntry.query.filter_by(action="reprint", entity_type="receipt").count() == 2


def test_cancel_needs_a_reason_and_keeps_what_was_typed(client, login, on_site):
    officer, _visit, receipt = on_site
    login(officer)
    resp = client.post_form(f"/pelayanan/tanda-terima/{receipt.id}/batal", {"reason": "   "}, token_from="/")
    assert resp.status_code == 422
    assert "Tuliskan alasan pembatalan" in _text(resp)
    assert _receipt(receipt.id).status == RECEIPT_ACTIVE


def test_cancel_returns_the_applications_to_draft_for_a_new_receipt(client, login, on_site):
    officer, visit, receipt = on_site
    login(officer)
    resp = client.post_form(f"/pelayanan/tanda-terima/{receipt.id}/batal",
                            {"reason": "Salah pilih tempat pengambilan"}, token_from="/")
    assert resp.status_code == 303
    cancelled = _receipt(receipt.id)
    assert cancelled.status == RECEIPT_CANCELLED and cancelled.cancelled_reason == "Salah pilih tempat pengambilan"
    application = Application.query.filter_by(visit_id=visit.id).one()
    assert application.status == DRAFT and application.receipt_id is None
    assert [h.to_status for h in history_of(application)][-1] == DRAFT
    page = _text(client.get(f"/pelayanan/tanda-terima/{receipt.id}"))
    assert "DIBATALKAN" in page and "Salah pilih tempat pengambilan" in page
    assert "Kartu Keluarga (asli)" in page                       # what it was issued for, still shown
    assert f"/pelayanan/{application.id}" in page                # where to issue the new one
    # a new receipt can be issued for the same application
    again = receipt_for(visit, [application], collect_at="desa", actor=officer)
    assert again.number != receipt.number


def test_cancel_calls_a_finished_visit_again(client, login, on_site):
    from webapp.field.models import CALLED, DONE, VISIT_WORKFLOW
    officer, visit, receipt = on_site
    change_status(visit, DONE, actor=officer, workflow=VISIT_WORKFLOW)
    db.session.commit()
    login(officer)
    resp = client.post_form(f"/pelayanan/tanda-terima/{receipt.id}/batal", {"reason": "Keliru"}, token_from="/")
    assert resp.status_code == 303
    db.session.expire_all()
    assert db.session.get(type(visit), visit.id).status == CALLED


def test_cancel_is_refused_once_the_files_reached_the_office(client, login, on_site):
    officer, visit, receipt = on_site
    advance(Application.query.filter_by(visit_id=visit.id).one(), "di_kantor")
    db.session.commit()
    login(officer)
    resp = client.post_form(f"/pelayanan/tanda-terima/{receipt.id}/batal", {"reason": "Keliru"}, token_from="/")
    assert resp.status_code == 422
    assert "sudah diterima kantor" in _text(resp)
    assert _receipt(receipt.id).status == RECEIPT_ACTIVE


def test_a_petugas_not_on_the_trip_gets_404(client, login_as, on_site):
    _officer, _visit, receipt = on_site
    login_as(Role.PETUGAS)
    assert client.get(f"/pelayanan/tanda-terima/{receipt.id}").status_code == 404
    token = client.csrf_token("/")
    assert client.post(f"/pelayanan/tanda-terima/{receipt.id}/cetak-ulang",
                       data={"csrf_token": token}).status_code == 404


def test_office_staff_read_and_reprint_every_receipt_admin_does_not_cancel(client, login_as, on_site):
    _officer, _visit, receipt = on_site
    login_as(Role.ADMIN)
    assert client.get(f"/pelayanan/tanda-terima/{receipt.id}").status_code == 200
    token = client.csrf_token("/")
    assert client.post(f"/pelayanan/tanda-terima/{receipt.id}/cetak-ulang", data={"csrf_token": token}).status_code == 303
    assert client.get(f"/pelayanan/tanda-terima/{receipt.id}/batal").status_code == 403


def test_kepala_desa_reads_only_receipts_of_their_village(client, login_as, on_site):
    _officer, _visit, receipt = on_site
    login_as(Role.KEPALA_DESA, desa_code=OTHER_DESA)
    assert client.get(f"/pelayanan/tanda-terima/{receipt.id}").status_code == 404
    client.post_form("/keluar", token_from="/")
    login_as(Role.KEPALA_DESA, desa_code=LOKSADO)
    page = client.get(f"/pelayanan/tanda-terima/{receipt.id}")
    assert page.status_code == 200 and "Cetak ulang" not in _text(page)
    token = client.csrf_token("/")
    assert client.post(f"/pelayanan/tanda-terima/{receipt.id}/cetak-ulang", data={"csrf_token": token}).status_code == 403


# ---------------------------------------------------------------- the public status page

def _status(client, number, code="", *, qr=None):
    data = {"nomor": qr if qr is not None else number, "kode_cek": code}
    return client.post_form("/status", data, token_from="/status")


def _answer(resp) -> str:
    return re.search(r'<div id="status-result".*?</div>', _text(resp), re.S).group(0)


def _public_state(client, receipt) -> str:
    resp = _status(client, receipt.number, receipt.check_code)
    assert resp.status_code == 200, _text(resp)[:400]
    return re.search(r'data-state="([a-z_]+)"', _text(resp)).group(1)


def test_anonymous_status_check_with_csrf_shows_only_the_status(client, on_site):
    _officer, _visit, receipt = on_site
    resp = _status(client, receipt.number.lower(), receipt.check_code.lower())
    page = _text(resp)
    assert resp.status_code == 200
    assert "Diterima" in page and "Kantor Disdukcapil HSS" in page
    assert "Aluh" not in page and "6306" not in page.replace(receipt.number, "")
    assert receipt.check_code not in page                        # never echoed back


def test_status_without_csrf_token_is_refused(client, on_site):
    _officer, _visit, receipt = on_site
    resp = client.post("/status", data={"nomor": receipt.number, "kode_cek": receipt.check_code})
    assert resp.status_code == 400


def test_status_from_the_qr_text(client, on_site):
    _officer, _visit, receipt = on_site
    resp = _status(client, None, "", qr=receipts.qr_payload(receipt))
    assert resp.status_code == 200 and 'data-state="diterima"' in _text(resp)


def test_every_wrong_input_gets_the_same_answer(client, on_site):
    _officer, _visit, receipt = on_site
    wrong = [
        _status(client, "KP-OFFICE-999999", receipt.check_code),                    # unknown number
        _status(client, receipt.number, "ZZZZZZ"),                                   # wrong check code
        _status(client, "'; drop table receipt; --", "??"),                          # malformed
        _status(client, None, "", qr=f"KPTT:{receipt.number}:ZZZZZZ"),               # tampered QR
        _status(client, None, "", qr="KPTT:rusak"),                                  # broken QR
        _status(client, "", ""),                                                     # nothing typed
    ]
    answers = {_answer(resp) for resp in wrong}
    assert {resp.status_code for resp in wrong} == {422}
    assert len(answers) == 1
    assert "Nomor atau kode cek tidak cocok" in answers.pop()


def test_public_status_follows_the_applications(client, make_user):
    operator = make_user(Role.OPERATOR)
    trip = field_trip()
    visit = visit_on(trip, actor=operator)
    first, second = draft_application(visit, actor=operator), draft_application(visit, "KK", "perubahan", actor=operator)
    receipt = receipt_for(visit, [first, second], actor=operator)
    db.session.commit()
    assert _public_state(client, receipt) == "diterima"
    advance(first, "di_kantor", actor=operator)
    db.session.commit()
    assert _public_state(client, receipt) == "diterima"          # the least advanced counts
    advance(second, "di_kantor", actor=operator)
    db.session.commit()
    assert _public_state(client, receipt) == "diproses"
    advance(first, READY, actor=operator)
    db.session.commit()
    page = _text(_status(client, receipt.number, receipt.check_code))
    assert 'data-state="diproses"' in page and "sebagian siap diambil" in page
    advance(second, READY, actor=operator)
    db.session.commit()
    assert _public_state(client, receipt) == "siap_diambil"
    advance(first, COLLECTED, actor=operator)
    advance(second, COLLECTED, actor=operator)
    db.session.commit()
    assert _public_state(client, receipt) == "sudah_diambil"


def test_public_status_of_rejected_and_cancelled_receipts(client, make_user):
    operator = make_user(Role.OPERATOR)
    visit = visit_on(field_trip(), actor=operator)
    rejected = receipt_for(visit, actor=operator)
    advance(rejected.applications[0], REJECTED, actor=operator)
    other = visit_on(field_trip(), name="Utuh Basrun", actor=operator)
    cancelled = receipt_for(other, actor=operator)
    receipts.cancel_receipt(cancelled, "Keliru", actor=operator)
    db.session.commit()
    page = _text(_status(client, rejected.number, rejected.check_code))
    assert 'data-state="tindak_lanjut"' in page and "hubungi kantor" in page
    page = _text(_status(client, cancelled.number, cancelled.check_code))
    assert 'data-state="tidak_berlaku"' in page


def test_status_page_is_rate_limited_per_address(app, client, on_site):
    _officer, _visit, receipt = on_site
    app.config["PUBLIC_STATUS_RATE_LIMIT"] = "3 per minute"
    codes = [_status(client, receipt.number, "ZZZZZZ").status_code for _ in range(4)]
    assert codes == [422, 422, 422, 429]
    resp = _status(client, receipt.number, receipt.check_code)
    assert resp.status_code == 429
    assert "Terlalu banyak pemeriksaan" in _text(resp)
    assert client.get("/status").status_code == 200              # reading the form is not counted


# ---------------------------------------------------------------- the pick-up desk

def _hand_over(client, receipt, data: dict):
    return client.post_form(f"/dokumen/pengambilan/tanda-terima/{receipt.id}/serahkan", data, token_from="/")


def test_desk_finds_a_receipt_by_typed_number_or_scanned_qr(client, login_as):
    receipt = ready_receipt()
    login_as(Role.OPERATOR)
    for typed in (f"  {receipt.number.lower()} ", receipts.qr_payload(receipt)):
        resp = client.post_form("/dokumen/pengambilan/cari", {"q": typed}, token_from="/dokumen/pengambilan")
        assert resp.status_code == 303
        assert resp.headers["Location"].endswith(f"/dokumen/pengambilan/tanda-terima/{receipt.id}")


def test_desk_refuses_a_tampered_qr_and_an_unknown_number(client, login_as):
    receipt = ready_receipt()
    login_as(Role.OPERATOR)
    resp = client.post_form("/dokumen/pengambilan/cari", {"q": f"KPTT:{receipt.number}:ZZZZZZ"},
                            token_from="/dokumen/pengambilan")
    assert resp.status_code == 422 and "QR tidak sah" in _text(resp)
    assert f"KPTT:{receipt.number}:ZZZZZZ" in _text(resp)         # kept as typed
    resp = client.post_form("/dokumen/pengambilan/cari", {"q": "KP-OFFICE-777777"}, token_from="/dokumen/pengambilan")
    assert resp.status_code == 422 and "tidak ditemukan" in _text(resp)


def test_lost_receipt_found_by_name_birth_date_and_desa_and_audited(client, login_as):
    receipt = ready_receipt(name="Muhammad Ridwan", birth_date=date(1985, 3, 4))
    ready_receipt(name="Muhammad Ridwan", birth_date=date(1985, 3, 5))          # another birth date
    login_as(Role.OPERATOR)
    resp = client.post_form("/dokumen/pengambilan/cari-hilang",
                            {"lost-name": "muhamad  ridwan", "lost-birth_date": "1985-03-04", "lost-desa_code": LOKSADO},
                            token_from="/dokumen/pengambilan")
    page = _text(resp)
    assert resp.status_code == 200
    assert page.count("/dokumen/pengambilan/tanda-terima/") == 1 and receipt.number in page
    assert AuditEntry.query.filter_by(action="search", entity_type="receipt").count() == 1
    resp = client.post_form("/dokumen/pengambilan/cari-hilang", {"lost-name": "Ridwan", "lost-desa_code": ""},
                            token_from="/dokumen/pengambilan")
    assert resp.status_code == 422
    assert "Isi tanggal lahir" in _text(resp) and "Pilih desa" in _text(resp)
    assert 'value="Ridwan"' in _text(resp)


def test_hand_over_to_the_resident_closes_the_receipt(client, login_as):
    receipt = ready_receipt(services=(("KTP_EL", "baru"), ("KK", "perubahan")))
    login_as(Role.OPERATOR)
    ids = [str(a.id) for a in receipt.applications]
    resp = client.get(f"/dokumen/pengambilan/tanda-terima/{receipt.id}")
    assert resp.status_code == 200 and "6306••••••••0001" in _text(resp)
    resp = _hand_over(client, receipt, {"applications": ids, "receiver_kind": "sendiri",
                                        "receiver_name": "Aluh Masitah", "receiver_nik": ""})
    assert resp.status_code == 303
    handover = Handover.query.one()
    assert handover.number.startswith("ST-OFFICE-") and handover.document_count == 2
    closed = _receipt(receipt.id)
    assert closed.status == RECEIPT_CLOSED and closed.closed_at is not None
    assert {a.status for a in closed.applications} == {COLLECTED}
    assert {a.handover_id for a in closed.applications} == {handover.id}
    assert _public_state(client, closed) == "sudah_diambil"


def test_partial_hand_over_to_family_keeps_the_receipt_open(client, login_as):
    receipt = ready_receipt(services=(("KTP_EL", "baru"), ("KK", "perubahan")), ready=1)
    login_as(Role.OPERATOR)
    ready = [a for a in receipt.applications if a.status == READY]
    resp = _hand_over(client, receipt, {"applications": [str(ready[0].id)], "receiver_kind": "keluarga",
                                        "receiver_name": "Utuh Basrun", "receiver_relation": "suami_istri",
                                        "receiver_nik": "6306100505850002"})
    assert resp.status_code == 303
    handover = Handover.query.one()
    assert handover.receiver_relation == "suami_istri" and handover.receiver_id_number == "6306100505850002"
    assert _receipt(receipt.id).status == RECEIPT_ACTIVE
    assert "6306100505850002" not in " ".join(e.summary for e in AuditEntry.query.all())


def test_hand_over_refuses_bad_input_and_applies_nothing(client, login_as):
    receipt = ready_receipt(services=(("KTP_EL", "baru"), ("KK", "perubahan")), ready=1)
    login_as(Role.OPERATOR)
    not_ready = next(a for a in receipt.applications if a.status == PROCESSING)
    ready = next(a for a in receipt.applications if a.status == READY)
    cases = [
        ({"receiver_kind": "sendiri", "receiver_name": "Aluh"}, "Pilih dokumen yang diserahkan"),
        ({"applications": [str(ready.id)], "receiver_kind": "sendiri", "receiver_name": " "}, "Isi nama penerima"),
        ({"applications": [str(ready.id), str(not_ready.id)], "receiver_kind": "sendiri", "receiver_name": "Aluh"},
         "belum siap diambil"),
        ({"applications": [str(ready.id)], "receiver_kind": "keluarga", "receiver_name": "Utuh"},
         "Pilih hubungan keluarga"),
        ({"applications": [str(ready.id)], "receiver_kind": "sendiri", "receiver_name": "Aluh", "receiver_nik": "123"},
         "16 digit"),
    ]
    for data, message in cases:
        resp = _hand_over(client, receipt, data)
        assert resp.status_code == 422, data
        assert message in _text(resp), (message, _text(resp)[-3000:])
    resp = _hand_over(client, receipt, {"applications": [str(ready.id)], "receiver_kind": "keluarga",
                                        "receiver_name": "Utuh Basrun"})
    assert 'value="Utuh Basrun"' in _text(resp)
    assert Handover.query.count() == 0
    assert db.session.get(Application, ready.id).status == READY


def test_village_official_takes_the_ready_documents_of_the_whole_village(client, login_as):
    first = ready_receipt(name="Aluh Masitah", collect_at="desa")
    second = ready_receipt(name="Utuh Basrun", birth_date=date(1980, 2, 2), collect_at="kantor")
    elsewhere = ready_receipt(name="Galuh Rahmah", desa_code=OTHER_DESA, collect_at="desa")
    login_as(Role.KABID_DAFDUK)
    page = _text(client.get(f"/dokumen/pengambilan/desa/{LOKSADO}"))
    assert first.number in page and second.number in page and elsewhere.number not in page
    ids = [str(a.id) for r in (first, second) for a in r.applications]
    resp = client.post_form(f"/dokumen/pengambilan/desa/{LOKSADO}/serahkan",
                            {"applications": ids, "receiver_name": "Anang Sarkani", "receiver_position": "Sekretaris Desa"},
                            token_from="/")
    assert resp.status_code == 303
    handover = Handover.query.one()
    assert handover.receiver_kind == "aparat_desa" and handover.desa_code == LOKSADO and handover.document_count == 2
    sheet = _text(client.get(resp.headers["Location"]))
    assert "BERITA ACARA SERAH TERIMA DOKUMEN" in sheet and "Sekretaris Desa" in sheet
    assert first.number in sheet and second.number in sheet and 'data-testid="letterhead"' in sheet
    assert _receipt(first.id).status == RECEIPT_CLOSED and _receipt(second.id).status == RECEIPT_CLOSED
    assert _receipt(elsewhere.id).status == RECEIPT_ACTIVE


def test_bulk_hand_over_refuses_missing_name_or_another_villages_document(client, login_as):
    mine = ready_receipt()
    elsewhere = ready_receipt(name="Galuh Rahmah", desa_code=OTHER_DESA)
    login_as(Role.OPERATOR)
    url = f"/dokumen/pengambilan/desa/{LOKSADO}/serahkan"
    resp = client.post_form(url, {"applications": [str(mine.applications[0].id)], "receiver_name": "",
                                  "receiver_position": "Kaur Umum"}, token_from="/")
    assert resp.status_code == 422 and "Isi nama penerima" in _text(resp) and 'value="Kaur Umum"' in _text(resp)
    resp = client.post_form(url, {"applications": [str(elsewhere.applications[0].id)], "receiver_name": "Anang",
                                  "receiver_position": "Sekdes"}, token_from="/")
    assert resp.status_code == 422 and "bukan dokumen siap diambil desa ini" in _text(resp)
    resp = client.post_form(url, {"receiver_name": "Anang", "receiver_position": "Sekdes"}, token_from="/")
    assert resp.status_code == 422 and "Pilih dokumen" in _text(resp)
    assert Handover.query.count() == 0


def test_kepala_desa_sees_only_what_is_ready_for_their_village(client, login_as):
    mine = ready_receipt()
    elsewhere = ready_receipt(name="Galuh Rahmah", desa_code=OTHER_DESA)
    login_as(Role.KEPALA_DESA, desa_code=LOKSADO)
    resp = client.get("/dokumen/pengambilan")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/dokumen/pengambilan/desa/{LOKSADO}")
    page = _text(client.get(f"/dokumen/pengambilan/desa/{LOKSADO}"))
    assert mine.number in page and elsewhere.number not in page
    assert 'name="applications"' not in page and "Serahkan dokumen terpilih" not in page
    assert client.get(f"/dokumen/pengambilan/desa/{OTHER_DESA}").status_code == 404
    assert client.get(f"/dokumen/pengambilan/tanda-terima/{mine.id}").status_code == 403
    resp = client.post_form(f"/dokumen/pengambilan/desa/{LOKSADO}/serahkan",
                            {"applications": [str(mine.applications[0].id)], "receiver_name": "Saya"}, token_from="/")
    assert resp.status_code == 403


@pytest.mark.parametrize("role", [Role.PETUGAS, Role.VIEWER, Role.KEPALA_DINAS])
def test_the_desk_is_for_office_staff(client, login_as, role):
    receipt = ready_receipt()
    login_as(role)
    assert client.get("/dokumen/pengambilan").status_code == 403
    assert client.get(f"/dokumen/pengambilan/tanda-terima/{receipt.id}").status_code == 403


def test_desk_lists_villages_with_ready_documents(client, login_as):
    ready_receipt()
    login_as(Role.OPERATOR)
    page = _text(client.get("/dokumen/pengambilan"))
    assert "Loksado" in page and f"/dokumen/pengambilan/desa/{LOKSADO}" in page
    assert "Pengambilan Dokumen" in page                      # the menu item


def test_cancelled_receipt_cannot_be_handed_over(client, login_as):
    operator = office_user(Role.OPERATOR)
    visit = visit_on(field_trip(), actor=operator)
    receipt = receipt_for(visit, actor=operator)
    receipts.cancel_receipt(receipt, "Keliru", actor=operator)
    db.session.commit()
    login_as(Role.OPERATOR)
    resp = _hand_over(client, receipt, {"applications": [], "receiver_kind": "sendiri", "receiver_name": "Aluh"})
    assert resp.status_code == 422 and "Dibatalkan" in _text(resp)


def test_receipted_status_is_still_received(on_site):
    _officer, _visit, receipt = on_site
    assert {a.status for a in receipt.applications} == {RECEIPTED}


def test_lost_receipt_search_by_htmx_answers_only_its_part(client, login_as):
    receipt = ready_receipt(name="Siti Aminah", birth_date=date(1975, 7, 7))
    login_as(Role.OPERATOR)
    resp = client.htmx("POST", "/dokumen/pengambilan/cari-hilang",
                       data={"lost-name": "SITI AMINAH", "lost-birth_date": "1975-07-07", "lost-desa_code": LOKSADO})
    page = _text(resp)
    assert resp.status_code == 200 and receipt.number in page
    assert "<html" not in page and 'data-testid="lost-search"' in page
