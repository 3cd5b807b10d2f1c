"""Pre-trip check: ok / warning / blocked per resident against the register and the cases."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from flask import render_template_string

from webapp.auth.roles import Role
from webapp.extensions import db
from webapp.quality import importer, services
from webapp.quality.models import QualityCase
from webapp.quality.precheck import ResidentInput, check_residents, open_precheck_cases
from webapp.synthetic import generate_register, write_siak_csv


@pytest.fixture(scope="module")
def register():
    return generate_register(300, seed=31)


@pytest.fixture
def imported(app, register, tmp_path):
    path = tmp_path / "siak.csv"
    write_siak_csv(register.records, path)
    assert importer.import_file(path).status == "selesai"


def as_input(key, record, **changes) -> ResidentInput:
    resident = ResidentInput(key=key, name=record.name, nik=record.nik, no_kk=record.no_kk, sex=record.sex,
                             birth_date=record.birth_date)
    return replace(resident, **changes)


def clean_record(register):
    flagged = set(register.anomalies) | {r for pair in register.duplicate_pairs for r in pair}
    flagged |= {r for pair in register.truth.hard_negatives for r in pair}
    for record in register.records:
        if record.ref in flagged or not record.nik:
            continue
        keys = [services.person_key(record.nik, record.name, record.birth_date)]
        if not services.active_cases_for_keys(keys):
            return record
    raise AssertionError("no clean record")


def test_levels(imported, register):
    clean = clean_record(register)
    case = QualityCase.query.filter_by(severity="error", kind="anomali").order_by(QualityCase.number).first()
    troubled = services.persons_by_keys([case.person_keys[0]])[case.person_keys[0]]
    residents = [
        as_input("ok", clean),
        as_input("bad-nik", clean, nik="1234"),
        as_input("unknown", clean, nik="6306104107900001", name="Galuh Sari", sex="P",
                 birth_date=date(1990, 7, 1)),
        as_input("renamed", clean, name=clean.name + " Hidayat"),
        as_input("case", clean, nik=troubled.nik, name=troubled.name, birth_date=troubled.birth_date,
                 sex=troubled.sex),
    ]
    checks = check_residents(residents, today=register.as_of)
    assert checks["ok"].level == "ok" and checks["ok"].reasons == []
    assert checks["bad-nik"].level == "blocked" and checks["bad-nik"].reasons[0].startswith("NIK tidak sah")
    assert checks["unknown"].level == "warning" and "NIK tidak ditemukan di database" in checks["unknown"].reasons
    assert checks["renamed"].level == "warning" and any("Nama berbeda" in r for r in checks["renamed"].reasons)
    if troubled.nik and len(troubled.nik) == 16 and checks["case"].nik_valid:
        assert checks["case"].level == "blocked"
        assert any(f"menunggu verifikasi pusat ({case.number})" in r for r in checks["case"].reasons)
        assert case.id in checks["case"].case_ids


def test_flag_lifts_when_the_case_closes(imported, register, make_user):
    actor = make_user(Role.OPERATOR)
    clean = clean_record(register)
    key = services.person_key(clean.nik, clean.name, clean.birth_date)
    case = services.open_case(actor=actor, summary="Foto KTP tidak cocok", person_keys=[key])
    db.session.commit()
    check = check_residents([as_input(1, clean)], today=register.as_of)[1]
    assert check.level == "blocked" and case.number in check.reasons[0]
    services.resolve_case(case, note="Sudah dicek, benar", actor=actor)
    db.session.commit()
    assert check_residents([as_input(1, clean)], today=register.as_of)[1].level == "ok"


def test_likely_duplicate_in_register_is_a_warning(imported, register):
    (a, b), variant = next(iter(register.duplicate_pairs.items()))
    source = register.records[min(a, b) - 1]
    other = register.records[max(a, b) - 1]
    probe = as_input("x", other, nik="6306104107900001" if other.sex == "P" else "6306100107900001")
    checks = check_residents([probe], today=register.as_of)
    assert checks["x"].level in ("warning", "blocked")
    assert any("data ganda" in r for r in checks["x"].reasons) or source.nik == probe.nik


def test_open_precheck_cases_once(imported, register, make_user):
    actor = make_user(Role.KABID_DAFDUK)
    clean = clean_record(register)
    residents = [as_input("a", clean, nik="9999"), as_input("b", clean)]
    opened = open_precheck_cases("REQ-OFFICE-000001", residents, actor=actor)
    db.session.commit()
    assert len(opened) == 1
    case = opened[0]
    assert case.opened_by == "pra-perjalanan" and case.request_id == "REQ-OFFICE-000001"
    assert case.rule_code == "nik.invalid" and case.status == "terbuka"
    assert open_precheck_cases("REQ-OFFICE-000001", residents, actor=actor) == []
    # the blocked resident is now covered by the case
    check = check_residents([residents[0]])["a"]
    assert check.level == "blocked"


def test_without_register_everything_is_a_warning_at_most(app):
    checks = check_residents([ResidentInput(key=1, name="Utuh", nik="6306100107900001", sex="L",
                                            birth_date=date(1990, 7, 1))])
    assert checks[1].level == "warning"


def test_flag_badge_macro(app):
    checks = check_residents([ResidentInput(key=1, name="Utuh", nik="12", sex="L")])
    html = render_template_string('{% from "quality/_flags.html" import flag_badge %}{{ flag_badge(c) }}'
                                  '{{ flag_badge(none) }}', c=checks[1])
    assert 'data-flag="blocked"' in html and "NIK tidak sah" in html and "Tidak dapat diselesaikan" in html


def test_a_worker_builds_the_duplicate_index_before_the_first_check_needs_it(app, imported):
    """gunicorn.conf.py's post_worker_init runs this in a thread as each worker starts."""
    services._INDEX_CACHE.clear()
    db.session.commit()
    assert services.warm_duplicate_index(app) is True
    snapshot_id = services.current_snapshot_id()
    cached = services._INDEX_CACHE.get(services._index_key(snapshot_id))
    assert cached is not None and services.duplicate_index() is cached        # no second build


def test_warming_without_a_register_is_a_no_op(app):
    services._INDEX_CACHE.clear()
    assert services.warm_duplicate_index(app) is False and services._INDEX_CACHE == {}
