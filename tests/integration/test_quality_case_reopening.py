"""A resolved case stays closed on the next scans while its register records are unchanged, and
the scan reopens it (no second case) when they have changed since; a case the centre refused is
taken up again by hand, with a reason, through the change door."""
from __future__ import annotations

import dataclasses
from datetime import date

from webapp.core.timefmt import wita_today
import pytest

from webapp.auth.roles import Role
from webapp.core.audit import AuditEntry
from webapp.core.changes import history_of
from webapp.core.errors import DomainError
from webapp.extensions import db
from webapp.quality import importer, services
from webapp.quality.models import QualityCase
from webapp.synthetic import generate_register, write_siak_csv

ONE_RECORD_RULES = ("nik.invalid", "name.digits", "name.placeholder", "name.abbreviation", "name.punctuation",
                    "nik.sex_mismatch", "nik.birth_date_mismatch", "mother_name.missing")


@pytest.fixture(scope="module")
def register():
    return generate_register(300, seed=21)


def import_records(records, path):
    write_siak_csv(records, path)
    outcome = importer.import_file(path)
    assert outcome.status == "selesai"
    return outcome


@pytest.fixture
def imported(app, register, tmp_path):
    return import_records(register.records, tmp_path / "siak-1.csv")


def one_record_case() -> QualityCase:
    return (QualityCase.query.filter(QualityCase.kind == "anomali", QualityCase.status == "terbuka",
                                     QualityCase.rule_code.in_(ONE_RECORD_RULES))
            .order_by(QualityCase.number).first())


def cases_for(finding_key: str) -> int:
    return QualityCase.query.filter_by(finding_key=finding_key).count()


def export_with_new_address(register, case: QualityCase):
    """The next SIAK export: the case's resident has moved house; the problem is still there."""
    person = services.persons_by_keys(case.person_keys)[case.person_keys[0]]
    moved = [dataclasses.replace(r, address="JL. PASAR BARU RT 003")
             if (r.nik, r.name, r.birth_date) == (person.nik, person.name, person.birth_date) else r
             for r in register.records]
    assert moved != list(register.records)
    return moved


def test_a_resolved_case_stays_closed_while_its_record_is_unchanged(app, make_user, register, imported, tmp_path):
    operator = make_user(Role.OPERATOR)
    case = one_record_case()
    services.resolve_case(case, note="Sudah dicek: data di SIAK memang begitu", actor=operator)
    db.session.commit()
    assert case.record_fingerprint

    assert services.scan_register(operator).cases_opened == 0                  # the same register
    again = import_records(register.records, tmp_path / "siak-2.csv")           # the same export, re-imported
    assert again.cases_opened == 0

    db.session.refresh(case)
    assert case.status == "selesai"
    assert cases_for(case.finding_key) == 1


def test_the_scan_reopens_a_resolved_case_when_its_record_changed(app, make_user, register, imported, tmp_path):
    operator = make_user(Role.OPERATOR)
    case = one_record_case()
    services.resolve_case(case, note="Dibetulkan di SIAK", actor=operator)
    db.session.commit()

    result = import_records(export_with_new_address(register, case), tmp_path / "siak-2.csv")

    db.session.refresh(case)
    assert case.status == "terbuka" and case.closed_at is None
    assert cases_for(case.finding_key) == 1                                     # reopened, not doubled
    assert result.cases_opened == 0
    last = history_of(case)[-1]
    assert (last.from_status, last.to_status) == ("selesai", "terbuka")
    assert "rekaman register berubah" in last.note
    assert AuditEntry.query.filter_by(action="status", entity_type="quality_case", entity_id=str(case.id)).count() == 3


def test_a_case_resolved_before_fingerprints_takes_todays_register_as_its_baseline(app, make_user, imported):
    operator = make_user(Role.OPERATOR)
    case = one_record_case()
    services.resolve_case(case, note="Diselesaikan sebelum pembaruan", actor=operator)
    case.record_fingerprint = None
    db.session.commit()

    assert services.scan_register(operator).cases_opened == 0
    db.session.commit()

    db.session.refresh(case)
    assert case.status == "selesai" and case.record_fingerprint == services.case_fingerprint(case)


def rejected_case(actor) -> QualityCase:
    case = one_record_case()
    services.submit_case(case, reference_number="VER/DUKCAPIL/2026/11/0201", reference_date=wita_today(), actor=actor)
    services.reject_case(case, reason="Pusat: data sudah sesuai dokumen", actor=actor)
    db.session.commit()
    return case


def test_kabid_reopens_a_rejected_case_with_a_reason(client, login, make_user, imported):
    kabid = make_user(Role.KABID_DAFDUK)
    case = rejected_case(kabid)
    login(kabid)
    url = f"/kualitas/kasus/{case.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Buka kembali kasus" in page

    refused = client.post_form(url + "/buka-kembali", {"buka-note": " "}, token_from=url)
    assert refused.status_code == 422                           # the form again, asking for the reason
    assert "Tuliskan alasan membuka kembali kasus ini." in refused.get_data(as_text=True)
    db.session.refresh(case)
    assert case.status == "ditolak"

    reason = "Warga membawa akta kelahiran asli; diajukan ulang ke pusat"
    resp = client.post_form(url + "/buka-kembali", {"buka-note": reason}, token_from=url)
    assert resp.status_code == 302
    db.session.refresh(case)
    assert case.status == "terbuka" and case.closed_at is None and case.resolution_note is None
    last = history_of(case)[-1]
    assert (last.from_status, last.to_status, last.note) == ("ditolak", "terbuka", reason)
    entry = (AuditEntry.query.filter_by(action="status", entity_type="quality_case", entity_id=str(case.id))
             .order_by(AuditEntry.at.desc()).first())
    assert entry.actor_name == kabid.username and reason in entry.summary
    assert "Ajukan ke pusat" in client.get(url).get_data(as_text=True)         # it can go to the centre again


def test_only_a_rejected_case_is_reopened_by_hand_and_only_by_managers(client, login, make_user, imported):
    operator = make_user(Role.OPERATOR)
    with pytest.raises(DomainError):
        services.reopen_case(one_record_case(), reason="masih terbuka", actor=operator)
    db.session.rollback()

    case = rejected_case(operator)
    login(make_user(Role.PETUGAS))
    url = f"/kualitas/kasus/{case.id}"
    assert "Buka kembali kasus" not in client.get(url).get_data(as_text=True)
    assert client.post_form(url + "/buka-kembali", {"buka-note": "coba"}, token_from=url).status_code == 403
