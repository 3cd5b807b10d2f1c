"""A register export much smaller than the register in use (fewer rows than the setting
`register_shrink_percent`, or whole villages missing) does not replace it silently: the job
stages it, the import waits "perlu_konfirmasi" with what would disappear, and the operator
replaces the register ("Ganti register") or drops the file ("Batalkan"). The janitor drops a
staged import nobody answered within a day; the CLI refuses such a file without --allow-shrink."""
from __future__ import annotations

import re
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from webapp.auth.roles import Role
from webapp.core.audit import AuditEntry
from webapp.core.changes import StatusHistory
from webapp.core.db import utcnow
from webapp.extensions import db
from webapp.jobs.models import JobRun
from webapp.jobs.worker import Janitor
from webapp.quality import importer, services
from webapp.quality.models import Person, RegisterImport
from webapp.settings import services as settings
from webapp.synthetic import generate_register, write_siak_csv
from webapp.wilayah.services import get_region


@pytest.fixture(autouse=True)
def small_villages(app):
    """The synthetic register spreads 400 residents over ~70 villages: a village counts as
    vanished from 3 residents up here (the office's default, 50, suits real villages)."""
    app.config["QUALITY_IMPORT_SHRINK_MIN_VILLAGE_ROWS"] = 3


@pytest.fixture(scope="module")
def full_register():
    return generate_register(400, seed=17).records


def without_villages(records, share: float):
    """The export minus its biggest villages, until at least `share` of the rows are gone."""
    counts = Counter(r.desa_code for r in records)
    gone, removed = [], 0
    for code, n in counts.most_common():
        if removed >= share * len(records):
            break
        gone.append(code)
        removed += n
    return [r for r in records if r.desa_code not in gone], {code: counts[code] for code in gone}


@pytest.fixture
def register_in_use(app, full_register, tmp_path):
    path = tmp_path / "register-lengkap.csv"
    write_siak_csv(full_register, path)
    assert importer.import_file(path, scan=False).status == "selesai"
    return services.current_snapshot_id()


@pytest.fixture
def partial_export(full_register, tmp_path):
    """An export with ~20 % of the rows missing: whole villages cut off."""
    records, gone = without_villages(full_register, 0.2)
    path = tmp_path / "ekspor-sebagian.csv"
    write_siak_csv(records, path)
    return path, len(records), gone


def rows_of(snapshot_id) -> int:
    return db.session.execute(select(func.count()).select_from(Person)
                              .where(Person.snapshot_id == snapshot_id)).scalar_one()


def upload(client, path: Path) -> uuid.UUID:
    token = client.csrf_token("/kualitas/impor")
    with open(path, "rb") as fh:
        resp = client.post("/kualitas/impor", data={"csrf_token": token, "file": (fh, path.name)},
                           content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return uuid.UUID(resp.headers["Location"].rstrip("/").split("/")[-1])


def fresh(import_id) -> RegisterImport:
    return db.session.get(RegisterImport, import_id, populate_existing=True)


def staged(client, login_as, path) -> uuid.UUID:
    login_as(Role.OPERATOR)
    import_id = upload(client, path)
    assert fresh(import_id).status == "perlu_konfirmasi"
    return import_id


def test_a_partial_export_waits_for_confirmation_naming_the_villages_that_would_vanish(
        app, client, login_as, full_register, register_in_use, partial_export):
    path, new_rows, gone = partial_export
    login_as(Role.OPERATOR)
    import_id = upload(client, path)

    item = fresh(import_id)
    assert item.status == "perlu_konfirmasi" and item.staged_at is not None
    assert item.shrink["rows_now"] == len(full_register) and item.shrink["rows_new"] == new_rows
    assert {v["code"]: v["rows"] for v in item.shrink["villages"]} == gone
    # the register in use is untouched; the file is staged in full; the upload is not kept
    assert services.current_snapshot_id() == register_in_use and rows_of(register_in_use) == len(full_register)
    assert rows_of(import_id) == new_rows
    assert not list((Path(app.config["UPLOAD_FOLDER"]) / "register-imports").glob("*"))

    page = client.get(f"/kualitas/impor/{import_id}").get_data(as_text=True)
    assert "Perlu konfirmasi" in page and 'hx-trigger="every 1s"' not in page
    assert f'data-testid="rows-now">{len(full_register)}<' in page
    assert f'data-testid="rows-new">{new_rows} ' in page
    for code, rows in gone.items():
        assert re.search(re.escape(get_region(code).name) + r"</td><td[^>]*>" + str(rows) + "<", page), code
    assert "Ganti register" in page and "Batalkan" in page
    polled = client.htmx("GET", f"/kualitas/impor/{import_id}").get_data(as_text=True)   # the polling page's fragment
    assert "<h1>" not in polled and 'data-testid="vanished-villages"' in polled and "Ganti register" in polled


def test_ganti_register_replaces_it_through_a_job_and_is_recorded(
        app, client, login_as, register_in_use, partial_export):
    path, new_rows, _gone = partial_export
    import_id = staged(client, login_as, path)

    resp = client.post_form(f"/kualitas/impor/{import_id}/ganti", token_from=f"/kualitas/impor/{import_id}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/kualitas/impor/{import_id}")

    item = fresh(import_id)
    assert item.status == "selesai", item.error_summary
    assert services.current_snapshot_id() == import_id and rows_of(import_id) == new_rows
    assert services.register_state().persons == new_rows
    assert rows_of(register_in_use) == 0                                   # the old snapshot purged
    assert item.cases_opened is not None                                   # and the register scanned
    run = JobRun.query.filter_by(name=importer.SWAP_JOB, subject_id=import_id).one()
    assert run.status == "selesai" and run.actor_name.startswith("operator")
    confirmed = StatusHistory.query.filter_by(entity_id=import_id, from_status="perlu_konfirmasi").one()
    assert confirmed.to_status == "antri" and confirmed.actor_name.startswith("operator")
    assert "atas konfirmasi" in confirmed.note
    audited = AuditEntry.query.filter(AuditEntry.entity_id == str(import_id),
                                      AuditEntry.summary.startswith("Perlu konfirmasi → Antri")).one()
    assert audited.actor_name == confirmed.actor_name
    assert "Selesai" in client.get(f"/kualitas/impor/{import_id}").get_data(as_text=True)


def test_batalkan_drops_the_staged_file_and_leaves_the_register_unchanged(
        app, client, login_as, full_register, register_in_use, partial_export):
    path, _rows, _gone = partial_export
    import_id = staged(client, login_as, path)

    resp = client.post_form(f"/kualitas/impor/{import_id}/batalkan", token_from=f"/kualitas/impor/{import_id}")
    assert resp.status_code == 302

    item = fresh(import_id)
    assert item.status == "dibatalkan" and item.swapped_at is None
    assert services.current_snapshot_id() == register_in_use and rows_of(register_in_use) == len(full_register)
    assert rows_of(import_id) == 0                                         # the staged rows dropped
    assert Person.query.count() == len(full_register)
    cancelled = StatusHistory.query.filter_by(entity_id=import_id, to_status="dibatalkan").one()
    assert cancelled.actor_name.startswith("operator")
    page = client.get(f"/kualitas/impor/{import_id}").get_data(as_text=True)
    assert "Dibatalkan" in page and "Ganti register" not in page
    # and asking again changes nothing
    again = client.post_form(f"/kualitas/impor/{import_id}/ganti", token_from=f"/kualitas/impor/{import_id}",
                             follow_redirects=True)
    assert "tidak menunggu konfirmasi" in again.get_data(as_text=True)
    assert services.current_snapshot_id() == register_in_use


def test_a_missing_village_asks_even_when_the_rows_barely_shrink(app, client, login_as, full_register,
                                                                 register_in_use, tmp_path):
    records, gone = without_villages(full_register, 0.01)            # one village: a few % of the rows
    assert len(records) > 0.9 * len(full_register) and len(gone) == 1
    path = tmp_path / "tanpa-satu-desa.csv"
    write_siak_csv(records, path)
    import_id = staged(client, login_as, path)
    shrink = importer.Shrink.from_dict(fresh(import_id).shrink)
    assert not shrink.too_few_rows
    assert [v["code"] for v in shrink.villages] == list(gone)
    assert services.current_snapshot_id() == register_in_use


def test_the_threshold_is_the_offices_setting(app, client, login_as, make_user, full_register,
                                             register_in_use, tmp_path):
    records = full_register[:int(len(full_register) * 0.85)]        # 85 % of the rows
    app.config["QUALITY_IMPORT_SHRINK_MIN_VILLAGE_ROWS"] = 10_000   # the rows alone decide, in this test
    path = tmp_path / "ekspor-85.csv"
    write_siak_csv(records, path)

    import_id = staged(client, login_as, path)                      # the default asks below 90 %
    assert importer.Shrink.from_dict(fresh(import_id).shrink).too_few_rows
    client.post_form(f"/kualitas/impor/{import_id}/batalkan", token_from=f"/kualitas/impor/{import_id}")

    settings.set_value("register_shrink_percent", "80", make_user(Role.ADMIN))
    db.session.commit()
    again = upload(client, path)
    assert fresh(again).status == "selesai"
    assert services.current_snapshot_id() == again and rows_of(again) == len(records)


def test_a_new_upload_waits_while_an_import_awaits_confirmation(app, client, login_as, register_in_use,
                                                                partial_export):
    path, _rows, _gone = partial_export
    import_id = staged(client, login_as, path)
    page = client.get("/kualitas/impor").get_data(as_text=True)
    assert 'data-testid="import-awaiting"' in page and f"/kualitas/impor/{import_id}" in page
    token = client.csrf_token("/kualitas/impor")
    with open(path, "rb") as fh:
        resp = client.post("/kualitas/impor", data={"csrf_token": token, "file": (fh, "lagi.csv")},
                           content_type="multipart/form-data")
    assert resp.status_code == 422
    assert "menunggu konfirmasi: ganti register atau batalkan dulu" in resp.get_data(as_text=True)
    assert RegisterImport.query.count() == 2                       # the register's and the staged one


def test_confirming_after_another_import_replaced_the_register_is_refused(
        app, client, login_as, full_register, register_in_use, partial_export, tmp_path):
    path, _rows, _gone = partial_export
    import_id = staged(client, login_as, path)
    other = tmp_path / "impor-lain.csv"
    write_siak_csv(full_register, other)
    newer = importer.import_file(other, scan=False)                # e.g. from the command line
    assert newer.status == "selesai" and rows_of(import_id) > 0   # the staged rows were kept

    resp = client.post_form(f"/kualitas/impor/{import_id}/ganti", token_from=f"/kualitas/impor/{import_id}",
                            follow_redirects=True)
    assert "Register sudah diganti oleh impor lain" in resp.get_data(as_text=True)
    assert services.current_snapshot_id() == newer.import_id
    assert fresh(import_id).status == "perlu_konfirmasi"           # still there to cancel


def test_the_janitor_drops_a_staged_import_nobody_answered_within_a_day(app, client, login_as, full_register,
                                                                       register_in_use, partial_export):
    path, _rows, _gone = partial_export
    import_id = staged(client, login_as, path)
    Janitor(app).sweep()
    assert fresh(import_id).status == "perlu_konfirmasi"           # a fresh one waits

    fresh(import_id).staged_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    Janitor(app).sweep()
    item = fresh(import_id)
    assert item.status == "dibatalkan" and "24 jam" in item.error_summary
    assert rows_of(import_id) == 0
    assert services.current_snapshot_id() == register_in_use and rows_of(register_in_use) == len(full_register)


def test_the_cli_refuses_a_shrinking_file_unless_allowed(app, full_register, register_in_use, partial_export):
    path, new_rows, gone = partial_export
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["quality", "import", str(path)])
    assert refused.exit_code == 1
    assert f"{len(full_register)} baris sekarang, {new_rows} baris di berkas" in refused.output
    for code, rows in gone.items():
        assert f"Desa hilang: {get_region(code).name}" in refused.output and f"({rows} baris sekarang)" in refused.output
    assert "--allow-shrink" in refused.output
    db.session.expire_all()
    assert services.current_snapshot_id() == register_in_use and rows_of(register_in_use) == len(full_register)
    assert Person.query.count() == len(full_register)              # nothing staged left behind
    assert RegisterImport.query.filter_by(status="dibatalkan").count() == 1

    allowed = runner.invoke(args=["quality", "import", "--allow-shrink", "--no-scan", str(path)])
    assert allowed.exit_code == 0, allowed.output
    assert "Register diganti" in allowed.output
    db.session.expire_all()
    assert rows_of(services.current_snapshot_id()) == new_rows
