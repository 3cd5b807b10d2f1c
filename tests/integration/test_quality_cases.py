"""Cases: list, page, transitions through change_status, duplicate review, NIK reveal, roles."""
from __future__ import annotations

from datetime import date, timedelta

from webapp.core.timefmt import wita_today
import pytest

from webapp.core.audit import AuditEntry
from webapp.auth.roles import Role
from webapp.core.changes import StatusHistory
from webapp.core.errors import DomainError, TransitionError
from webapp.extensions import db
from webapp.quality import importer, services
from webapp.quality.models import DuplicateDecision, QualityCase
from webapp.synthetic import generate_register, write_siak_csv


@pytest.fixture(scope="module")
def register():
    return generate_register(300, seed=21)


@pytest.fixture
def imported(app, register, tmp_path):
    path = tmp_path / "siak.csv"
    write_siak_csv(register.records, path)
    outcome = importer.import_file(path)
    assert outcome.status == "selesai"
    return outcome


def anomaly_case() -> QualityCase:
    return QualityCase.query.filter_by(kind="anomali", status="terbuka").order_by(QualityCase.number).first()


def duplicate_case() -> QualityCase:
    return QualityCase.query.filter_by(kind="ganda", status="terbuka").order_by(QualityCase.number).first()


def test_case_list_filters_and_masks_nik(client, login_as, imported):
    login_as(Role.VIEWER)
    case = anomaly_case()
    page = client.get("/kualitas/kasus").get_data(as_text=True)
    assert case.number in page and "Kualitas Data" in page
    if case.subject_nik and len(case.subject_nik) == 16:
        assert case.subject_nik not in page
    only_dupes = client.htmx("GET", "/kualitas/kasus?jenis=ganda").get_data(as_text=True)
    assert duplicate_case().number in only_dupes and case.number not in only_dupes
    found = client.get("/kualitas/kasus", query_string={"q": case.subject_name}).get_data(as_text=True)
    assert case.number in found
    assert "Tidak ada kasus" in client.get("/kualitas/kasus?umur=30").get_data(as_text=True)
    assert client.get("/kualitas/kasus?status=xx&umur=abc&hal=-4").status_code == 200


def test_case_page_is_audited_and_shows_history(client, login_as, imported):
    login_as(Role.PETUGAS)
    case = anomaly_case()
    page = client.get(f"/kualitas/kasus/{case.id}").get_data(as_text=True)
    assert case.number in page and "Riwayat" in page and "Terbuka" in page
    assert AuditEntry.query.filter_by(action="view", entity_type="quality_case", entity_id=str(case.id)).count() == 1
    assert "Ajukan ke pusat" not in page  # petugas reads, does not manage


def test_submit_requires_reference_then_resolve(client, login_as, imported):
    login_as(Role.KABID_DAFDUK)
    case = anomaly_case()
    url = f"/kualitas/kasus/{case.id}"
    resp = client.post_form(url + "/ajukan", {"ajukan-reference_number": "", "ajukan-reference_date": ""},
                            token_from=url)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Isi nomor surat/rujukan" in page and "Isi tanggal pengajuan" in page
    db.session.refresh(case)
    assert case.status == "terbuka"
    future = (wita_today() + timedelta(days=10)).isoformat()
    resp = client.post_form(url + "/ajukan", {"ajukan-reference_number": "VER/1", "ajukan-reference_date": future},
                            token_from=url)
    assert "masa depan" in resp.get_data(as_text=True) and 'value="VER/1"' in resp.get_data(as_text=True)
    resp = client.post_form(url + "/ajukan", {"ajukan-reference_number": "VER/DUKCAPIL/2026/11/0143",
                                              "ajukan-reference_date": wita_today().isoformat()}, token_from=url)
    assert resp.status_code == 302
    db.session.refresh(case)
    assert case.status == "diajukan" and case.reference_number == "VER/DUKCAPIL/2026/11/0143"
    resp = client.post_form(url + "/selesai", {"selesai-note": "Diverifikasi pusat, NIK dibetulkan"}, token_from=url)
    assert resp.status_code == 302
    db.session.refresh(case)
    assert case.status == "selesai" and case.closed_at is not None
    history = StatusHistory.query.filter_by(entity_type="quality_case", entity_id=case.id).all()
    assert [h.to_status for h in sorted(history, key=lambda h: h.at)] == ["terbuka", "diajukan", "selesai"]


def test_reject_needs_reason_and_invalid_transitions_are_refused(app, make_user, imported):
    actor = make_user(Role.OPERATOR)
    case = anomaly_case()
    with pytest.raises(TransitionError):
        services.reject_case(case, reason="tidak", actor=actor)  # terbuka → ditolak is not a transition
    db.session.rollback()
    case = anomaly_case()
    services.submit_case(case, reference_number="VER/2", reference_date=wita_today(), actor=actor)
    db.session.commit()
    with pytest.raises(DomainError):
        services.reject_case(case, reason=" ", actor=actor)
    db.session.rollback()
    services.reject_case(case, reason="Pusat: data sudah benar", actor=actor)
    db.session.commit()
    assert case.status == "ditolak"
    with pytest.raises(TransitionError):
        services.resolve_case(case, note="lagi", actor=actor)
    db.session.rollback()
    viewer = make_user(Role.VIEWER)
    other = anomaly_case()
    with pytest.raises(TransitionError):
        services.resolve_case(other, note="oleh viewer", actor=viewer)
    db.session.rollback()


def test_rejected_case_is_not_raised_again(app, make_user, imported):
    actor = make_user(Role.OPERATOR)
    case = anomaly_case()
    services.submit_case(case, reference_number="VER/3", reference_date=wita_today(), actor=actor)
    services.reject_case(case, reason="Pusat menolak: data benar", actor=actor)
    db.session.commit()
    assert services.scan_register(actor).cases_opened == 0


def test_duplicate_review_decision_is_audited_and_remembered(client, login_as, imported):
    user = login_as(Role.OPERATOR)
    case = duplicate_case()
    url = f"/kualitas/kasus/{case.id}/tinjau"
    page = client.get(url).get_data(as_text=True)
    assert "Tinjau data ganda" in page and "Nama ibu" in page and "Tanggal lahir" in page
    resp = client.post_form(f"/kualitas/kasus/{case.id}/putuskan", {"decision": "bukan_ganda", "reason": ""},
                            token_from=url)
    assert resp.status_code == 422 and "Tuliskan alasan" in resp.get_data(as_text=True)
    resp = client.post_form(f"/kualitas/kasus/{case.id}/putuskan", {"decision": "ganda", "reason": "Orang sama"},
                            token_from=url)
    assert "Pilih rekaman yang dipertahankan" in resp.get_data(as_text=True)
    assert DuplicateDecision.query.count() == 0
    resp = client.post_form(f"/kualitas/kasus/{case.id}/putuskan",
                            {"decision": "bukan_ganda", "reason": "Kembar, dicek dengan akta kelahiran"},
                            token_from=url)
    assert resp.status_code == 302
    db.session.refresh(case)
    assert case.status == "selesai" and "Bukan data ganda" in case.resolution_note
    decision = DuplicateDecision.query.one()
    assert decision.pair_key == services.pair_key(*case.person_keys[:2]) and decision.actor_name == user.username
    assert AuditEntry.query.filter_by(entity_type="duplicate_decision", action="create").count() == 1
    assert services.scan_register(user).cases_opened == 0


def test_duplicate_decision_ganda_waits_for_the_submission_to_the_centre(app, make_user, imported):
    actor = make_user(Role.KABID_CAPIL)
    case = duplicate_case()
    kept = case.person_keys[0]
    services.decide_duplicate(case, decision="ganda", kept_person_key=kept, reason="Orang yang sama", actor=actor)
    db.session.commit()
    assert case.status == "diputuskan" and case.active and "dipertahankan" in case.resolution_note
    history = StatusHistory.query.filter_by(entity_type="quality_case", entity_id=case.id).order_by(StatusHistory.at)
    assert [h.to_status for h in history][-1] == "diputuskan"
    assert DuplicateDecision.query.filter_by(kept_person_key=kept).count() >= 1
    with pytest.raises(DomainError):
        services.decide_duplicate(case, decision="bukan_ganda", reason="berubah pikiran", actor=actor)
    db.session.rollback()
    services.submit_case(case, reference_number="VER/DUKCAPIL/2026/11/0150", reference_date=wita_today(),
                         actor=actor)
    db.session.commit()
    assert case.status == "diajukan"


def test_reveal_nik_is_audited_and_not_in_url(client, login_as, imported):
    login_as(Role.OPERATOR)
    case = anomaly_case()
    key = case.person_keys[0]
    person = services.persons_by_keys([key])[key]
    token = {"X-CSRFToken": client.csrf_token("/")}
    resp = client.htmx("POST", f"/kualitas/kasus/{case.id}/nik", data={"person_key": key}, headers=token, csrf=False)
    assert resp.status_code == 200 and (person.nik or "") in resp.get_data(as_text=True)
    entry = AuditEntry.query.filter_by(action="view_nik").one()
    assert (person.nik or "xxxxxxxxxxxxxxxx") not in entry.summary or len(person.nik or "") != 16
    assert client.htmx("POST", f"/kualitas/kasus/{case.id}/nik", data={"person_key": "nope"},
                       headers=token, csrf=False).status_code == 404


def test_petugas_opens_a_case_by_hand(client, login_as, imported, register):
    login_as(Role.PETUGAS)
    resp = client.post_form("/kualitas/kasus/baru", {"name": "", "nik": "123", "kind": "anomali", "summary": "x"},
                            token_from="/kualitas/kasus/baru")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Isi nama penduduk" in page and "16" in page
    person = register.records[3]
    resp = client.post_form("/kualitas/kasus/baru", {"name": person.name, "nik": person.nik, "kind": "anomali",
                                                     "summary": "Nama di KTP berbeda dengan KK"},
                            token_from="/kualitas/kasus/baru")
    assert resp.status_code == 302
    case = QualityCase.query.filter_by(opened_by="petugas").one()
    assert case.person_keys[0] == services.person_key(person.nik, person.name, person.birth_date)
    assert case.status == "terbuka" and case.desa_code == person.desa_code


@pytest.mark.parametrize("role, status", [(Role.VIEWER, 403), (Role.PETUGAS, 403), (Role.KEPALA_DESA, 403)])
def test_only_managers_change_cases(client, login_as, imported, role, status):
    login_as(role)
    case = anomaly_case()
    resp = client.post_form(f"/kualitas/kasus/{case.id}/selesai", {"selesai-note": "beres"}, token_from="/")
    assert resp.status_code == status
    db.session.refresh(case)
    assert case.status == "terbuka"


def test_kepala_desa_cannot_read_cases_and_unknown_ids_are_404(client, login_as, make_user, imported):
    login_as(Role.KEPALA_DESA)
    assert client.get("/kualitas/kasus").status_code == 403
    from tests.conftest import PASSWORD
    viewer = make_user(Role.VIEWER)
    client.post_form("/keluar", token_from="/")
    client.post_form("/masuk", {"username": viewer.username, "password": PASSWORD})
    assert client.get("/kualitas/kasus/00000000-0000-0000-0000-000000000000").status_code == 404
    assert client.get("/kualitas/impor").status_code == 403
