"""Register import: upload → background import → register swapped → scan → cases; failures
change nothing; records, cases and decisions carry over to the next import."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from webapp.auth.roles import Role
from webapp import jobs
from webapp.extensions import db
from webapp.jobs.models import JobRun
from webapp.quality import importer, services
from webapp.quality.models import (
    Person,
    QualityCase,
    RegisterImport,
    RegisterRowError,
)
from webapp.quality.siak import read_siak
from webapp.synthetic import generate_register, siak_header, write_siak_csv, write_siak_xlsx

BAD_ROWS = [
    "6306105005900001,6306100101100001,UTUH,X,LOKSADO,31-02-1990,KAWIN,ANAK,IBU,AYAH,JL,1,1,63.06.10.2009",
    "6306105005900002,6306100101100001,GALUH,P,LOKSADO,01-01-1990,KAWIN,ANAK,IBU,AYAH,JL,1,1,99.99.99.9999",
]


@pytest.fixture(scope="module")
def register():
    return generate_register(300, seed=11)


@pytest.fixture
def register_csv(register, tmp_path):
    path = tmp_path / "siak.csv"
    write_siak_csv(register.records, path)
    with open(path, "a", encoding="utf-8") as fh:
        for row in BAD_ROWS:
            fh.write(row + "\r\n")
    return path


def current_count() -> int:
    return db.session.execute(select(func.count()).select_from(Person)
                              .where(Person.snapshot_id == services.current_snapshot_id())).scalar_one()


def test_upload_runs_as_a_job_and_opens_cases(client, login_as, register, register_csv):
    """The upload queues a job (tests run jobs in-process when the request commits, as a worker
    would: JOBS_IMMEDIATE); tests/integration/test_job_worker.py runs a real worker."""
    login_as(Role.OPERATOR)
    token = client.csrf_token("/kualitas/impor")
    with open(register_csv, "rb") as fh:
        resp = client.post("/kualitas/impor", data={"csrf_token": token, "file": (fh, "ekspor-siak.csv")},
                           content_type="multipart/form-data")
    assert resp.status_code == 302
    import_id = resp.headers["Location"].rstrip("/").split("/")[-1]
    db.session.expire_all()
    item = db.session.get(RegisterImport, __import__("uuid").UUID(import_id))
    assert item.status == "selesai", item.error_summary
    run = JobRun.query.filter_by(subject_id=item.id).one()       # the job that ran it
    assert run.name == importer.IMPORT_JOB and run.status == "selesai"
    assert run.actor_name.startswith("operator") and jobs.active_run(importer.IMPORT_JOB) is None
    assert item.rows_read == len(register.records) and item.rows_rejected == 2
    assert current_count() == len(register.records)
    errors = RegisterRowError.query.filter_by(import_id=item.id).all()
    assert {e.column for e in errors} >= {"TGL_LHR", "KODE_DESA"}
    assert all("6306105005900001" not in (e.value_preview or "") for e in errors)
    kinds = dict(db.session.execute(select(QualityCase.kind, func.count()).group_by(QualityCase.kind)).all())
    assert kinds.get("anomali", 0) > 0 and kinds.get("ganda", 0) > 0
    assert item.cases_opened == sum(kinds.values())
    page = client.get(f"/kualitas/impor/{import_id}").get_data(as_text=True)
    assert "Selesai" in page and "Baris yang ditolak" in page
    assert 'hx-trigger="every 1s"' not in page  # polling stops once done
    # the uploaded export (personal data) is not kept
    assert not list((__import__("pathlib").Path(client.application.config["UPLOAD_FOLDER"]) / "register-imports").glob("*"))


def test_progress_fragment_polls_while_running(client, login_as):
    login_as(Role.KABID_DAFDUK)
    item = importer.queue_import(filename="besar.csv", kind="csv", size=10, actor=None)
    resp = client.htmx("GET", f"/kualitas/impor/{item.id}")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<h1>" not in body
    assert 'hx-trigger="every 1s"' in body and "Antri" in body


def test_file_level_error_changes_nothing(app, register_csv, tmp_path):
    first = importer.import_file(register_csv, scan=False)
    assert first.status == "selesai"
    snapshot, count = services.current_snapshot_id(), current_count()
    broken = tmp_path / "tanpa-kolom.csv"
    broken.write_text("NIK,NAMA_LGKP\n6306105005900001,UTUH\n", encoding="utf-8")
    outcome = importer.import_file(broken, scan=False)
    assert outcome.status == "gagal"
    assert "kolom" in outcome.error.lower()
    assert services.current_snapshot_id() == snapshot and current_count() == count
    assert Person.query.count() == count  # no staging rows left behind


def test_exception_mid_import_changes_nothing(app, register_csv):
    importer.import_file(register_csv, scan=False)
    snapshot, count = services.current_snapshot_id(), current_count()

    def bad_reader(path, filename=None):
        reader = read_siak(path, filename=filename)

        def rows():
            for i, row in enumerate(reader):
                if i == 150:
                    raise RuntimeError("disk hilang")
                yield row
        return rows()

    app.config["QUALITY_IMPORT_BATCH"] = 50  # some batches are committed before the failure
    item = importer.queue_import(filename="rusak.csv", kind="csv", size=1, actor=None)
    outcome = importer.run_import(item.id, register_csv, reader_factory=bad_reader)
    assert outcome.status == "gagal" and "Register tidak berubah" in outcome.error
    assert services.current_snapshot_id() == snapshot and current_count() == count
    assert Person.query.count() == count


def test_mostly_unreadable_file_is_refused(app, register_csv, tmp_path):
    importer.import_file(register_csv, scan=False)
    snapshot = services.current_snapshot_id()
    junk = tmp_path / "junk.csv"
    lines = [",".join(siak_header())]
    lines += [f"63061{i:011d},x,NAMA {i},X,?,99-99-9999,?,?,,,,,,99.99.99.9999" for i in range(200)]
    lines += BAD_ROWS
    junk.write_text("\n".join(lines) + "\n", encoding="utf-8")
    outcome = importer.import_file(junk, scan=False)
    assert outcome.status == "gagal" and outcome.rows_rejected == 202
    assert services.current_snapshot_id() == snapshot
    assert RegisterRowError.query.filter_by(import_id=outcome.import_id).count() > 0


@pytest.mark.parametrize("name, content, message", [
    ("foto.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "bukan ekspor data"),
    ("ekspor.pdf", b"%PDF-1.4 ...", "Jenis berkas tidak didukung"),
    ("kosong.csv", b"", "Berkas kosong"),
    ("lama.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "XLS lama"),
    ("data.xlsx", b"NIK,NAMA_LGKP\n1,2\n", "tidak sesuai dengan ekstensinya"),
])
def test_bad_upload_is_refused_with_a_clear_message(client, login_as, name, content, message):
    login_as(Role.ADMIN)
    token = client.csrf_token("/kualitas/impor")
    resp = client.post("/kualitas/impor", data={"csrf_token": token, "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")
    assert resp.status_code == 422
    assert message in resp.get_data(as_text=True)
    assert RegisterImport.query.count() == 0


def test_upload_without_csrf_token_is_refused(client, login_as):
    login_as(Role.ADMIN)
    resp = client.post("/kualitas/impor", data={"file": (io.BytesIO(b"NIK\n"), "a.csv")},
                       content_type="multipart/form-data")
    assert resp.status_code == 400 and RegisterImport.query.count() == 0


def test_upload_over_the_limit_is_refused(client, login_as, app):
    app.config["QUALITY_IMPORT_MAX_BYTES"] = 1024
    login_as(Role.ADMIN)
    token = client.csrf_token("/kualitas/impor")
    resp = client.post("/kualitas/impor", data={"csrf_token": token, "file": (io.BytesIO(b"x" * 5000), "a.csv")},
                       content_type="multipart/form-data")
    assert resp.status_code in (413, 422)
    assert "terlalu besar" in resp.get_data(as_text=True)
    assert RegisterImport.query.count() == 0


def test_wrong_encoding_fails_the_import_without_touching_the_register(app, register_csv, tmp_path):
    importer.import_file(register_csv, scan=False)
    snapshot = services.current_snapshot_id()
    garbage = tmp_path / "acak.csv"
    garbage.write_bytes(bytes(range(1, 256)) * 400)
    outcome = importer.import_file(garbage, scan=False)
    assert outcome.status == "gagal" and outcome.error
    assert services.current_snapshot_id() == snapshot


def test_reimport_carries_over_records_cases_and_decisions(app, make_user, register, tmp_path):
    actor = make_user(Role.KABID_DAFDUK)
    first_file = tmp_path / "a.csv"
    write_siak_csv(register.records, first_file)
    first = importer.import_file(first_file, actor=actor)
    assert first.status == "selesai" and first.cases_opened > 0
    cases_before = QualityCase.query.count()
    duplicate = QualityCase.query.filter_by(kind="ganda").order_by(QualityCase.number).first()
    services.decide_duplicate(duplicate, decision="bukan_ganda", reason="Dua orang berbeda, dicek di lapangan",
                              actor=actor)
    db.session.commit()
    old_keys = set(duplicate.person_keys)
    # The next export as XLSX, with an address changed: the person key does not depend on it.
    changed = list(register.records)
    changed[0].address = "JL. BARU NO. 1"
    second_file = tmp_path / "b.xlsx"
    write_siak_xlsx(changed, second_file)
    second = importer.import_file(second_file, actor=actor)
    assert second.status == "selesai"
    assert second.cases_opened == 0            # nothing raised twice, the decided pair included
    assert QualityCase.query.count() == cases_before
    assert set(services.persons_by_keys(list(old_keys))) == old_keys  # same keys in the new snapshot
    assert Person.query.count() == len(register.records)  # the old snapshot was purged
    db.session.refresh(duplicate)
    assert duplicate.status == "selesai"
    # and a re-scan does not raise it either
    assert services.scan_register(actor).cases_opened == 0


def test_cli_import_prints_progress(app, register_csv):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["quality", "import", str(register_csv)])
    assert result.exit_code == 0, result.output
    assert "Register diganti" in result.output and "kasus baru" in result.output
    assert re.search(r"ditolak 2", result.output)


def test_the_app_stays_usable_while_an_import_runs(app, client, login_as, register_csv, make_user):
    """An import paused half-way (batches written, the swap not yet made) holds no lock: office
    pages load and other writes commit meanwhile; the import then finishes normally."""
    import threading

    halfway, go_on = threading.Event(), threading.Event()

    def slow_reader(path, filename=None):
        reader = read_siak(path, filename=filename)

        def rows():
            for i, row in enumerate(reader):
                if i == 120:
                    halfway.set()
                    go_on.wait(timeout=30)
                yield row
        return rows()

    app.config["QUALITY_IMPORT_BATCH"] = 50
    item = importer.queue_import(filename="lambat.csv", kind="csv", size=1, actor=None)
    db.session.commit()
    outcome = {}

    def run():
        with app.app_context():
            outcome["result"] = importer.run_import(item.id, register_csv, reader_factory=slow_reader, scan=False)
            db.session.remove()

    worker = threading.Thread(target=run)
    worker.start()
    try:
        assert halfway.wait(timeout=30)
        login_as(Role.ADMIN)                                   # a write (audit row) commits
        assert client.get("/kualitas/impor").status_code == 200
        assert client.get("/admin/pengguna").status_code == 200
        other = make_user(Role.VIEWER, username="masuk.saat.impor")
        assert other.id is not None
    finally:
        go_on.set()
        worker.join(timeout=60)
    assert outcome["result"].status == "selesai"
