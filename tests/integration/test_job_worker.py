"""A real worker process takes the register import from the queue; killed with SIGKILL in the
middle of it, the import is failed cleanly (register unchanged, upload deleted) as soon as the
import page looks, and the next worker imports the same export to the end.

The worker is a subprocess on a temporary SqliteHuey file and the test's own database. The test
waits on what the database says (polling, generous deadlines), never on durations."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from webapp.auth.roles import Role
from webapp.extensions import db
from webapp.jobs.models import JobRun
from webapp.quality import importer, services
from webapp.quality.models import Person, RegisterImport
from webapp.synthetic import generate_register, write_siak_csv

ROOT = Path(__file__).resolve().parents[2]
BATCH = 100
DEADLINE = 180  # seconds; a guard against a hang, not a measure


@pytest.fixture
def queued_app(app, tmp_path):
    """The test app with a real queue (a SqliteHuey file) instead of in-process jobs."""
    app.config["JOBS_IMMEDIATE"] = False
    app.config["JOBS_URL"] = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    return app


def worker_env(app) -> dict:
    env = dict(os.environ)
    env.update(DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], JOBS_URL=app.config["JOBS_URL"],
               UPLOAD_FOLDER=app.config["UPLOAD_FOLDER"],   # the shared storage the web wrote the upload to
               SECRET_KEY="test-secret-key", ROLE="office", NODE_ID="OFFICE", FLASK_APP="webapp",
               QUALITY_IMPORT_BATCH=str(BATCH), GATE_AFTER_ROWS=str(BATCH * 2 + 50),
               PYTHONUNBUFFERED="1")
    env.pop("REDIS_URL", None)
    return env


def start(command: list[str], app, log: Path, env: dict | None = None) -> subprocess.Popen:
    out = open(log, "wb")
    return subprocess.Popen(command, cwd=ROOT, env={**worker_env(app), **(env or {})}, stdout=out,
                            stderr=subprocess.STDOUT)


def wait_until(check, what: str, worker: subprocess.Popen | None = None, log: Path | None = None):
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        db.session.rollback()  # a fresh snapshot of what the worker wrote
        value = check()
        if value:
            return value
        if worker is not None and worker.poll() is not None:
            pytest.fail(f"the worker exited ({worker.returncode}) before {what}:\n{log.read_text()}")
        time.sleep(0.2)
    pytest.fail(f"gave up waiting for {what}" + (f":\n{log.read_text()}" if log else ""))


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def upload(client, path: Path) -> uuid.UUID:
    token = client.csrf_token("/kualitas/impor")
    with open(path, "rb") as fh:
        resp = client.post("/kualitas/impor", data={"csrf_token": token, "file": (fh, "ekspor-siak.csv")},
                           content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return uuid.UUID(resp.headers["Location"].rstrip("/").split("/")[-1])


def register_count() -> int:
    return db.session.execute(select(func.count()).select_from(Person)
                              .where(Person.snapshot_id == services.current_snapshot_id())).scalar_one()


def fresh_import(import_id) -> RegisterImport:
    return db.session.get(RegisterImport, import_id, populate_existing=True)


def test_a_killed_worker_leaves_the_register_unchanged_and_the_next_worker_imports(
        queued_app, client, login_as, tmp_path):
    app = queued_app
    first, second = tmp_path / "awal.csv", tmp_path / "baru.csv"
    write_siak_csv(generate_register(150, seed=5).records, first)
    new_register = generate_register(600, seed=6).records
    write_siak_csv(new_register, second)
    assert importer.import_file(first, scan=False).status == "selesai"   # the register in use
    snapshot, count = services.current_snapshot_id(), register_count()
    uploads = Path(app.config["UPLOAD_FOLDER"]) / "register-imports"

    login_as(Role.OPERATOR)
    import_id = upload(client, second)
    assert fresh_import(import_id).status == "antri"            # queued, not run by the web
    assert len(list(uploads.glob("*"))) == 1

    gated_log = tmp_path / "gated-worker.log"
    gated = start([sys.executable, str(ROOT / "tests/integration/gated_worker.py")], app, gated_log)
    try:
        wait_until(lambda: fresh_import(import_id).status == "berjalan" and fresh_import(import_id).rows_read >= BATCH,
                   "the first batch", gated, gated_log)
        gated.send_signal(signal.SIGKILL)
        gated.wait()
    finally:
        if gated.poll() is None:
            gated.kill()
            gated.wait()
    assert services.current_snapshot_id() == snapshot

    # The import page runs the janitor: the worker's process is gone, so the import is failed.
    def failed_on_the_page():
        page = client.get(f"/kualitas/impor/{import_id}").get_data(as_text=True)
        return "proses latar dihentikan" in page and fresh_import(import_id).status == "gagal"
    wait_until(failed_on_the_page, "the janitor to fail the import")
    item = fresh_import(import_id)
    assert item.error_summary == ("Impor terhenti (proses latar dihentikan). Register tidak berubah; "
                                  "unggah ulang.")
    run = JobRun.query.filter_by(subject_id=import_id).one()
    assert run.status == "gagal" and run.attempts == 1
    assert services.current_snapshot_id() == snapshot and register_count() == count
    assert not list(uploads.glob("*"))                           # the upload is deleted
    page = client.get(f"/kualitas/impor/{import_id}").get_data(as_text=True)
    assert 'hx-trigger="every 1s"' not in page                   # the page stops polling

    # A worker started again (the real command) takes the next upload of the same export.
    worker_log = tmp_path / "worker.log"
    worker = start([sys.executable, "-m", "flask", "jobs", "worker"], app, worker_log)
    try:
        retry_id = upload(client, second)
        wait_until(lambda: fresh_import(retry_id).status in ("selesai", "gagal"), "the second import",
                   worker, worker_log)
        item = fresh_import(retry_id)
        assert item.status == "selesai", item.error_summary
        assert services.current_snapshot_id() == retry_id and register_count() == len(new_register)
        assert Person.query.count() == len(new_register)         # old and half-written rows purged
        assert not list(uploads.glob("*"))
    finally:
        stop(worker)
    assert worker.returncode == 0, worker_log.read_text()
    assert "Proses latar siap" in worker_log.read_text()


def test_a_stopped_worker_fails_its_running_import_itself(queued_app, client, login_as, tmp_path):
    """SIGTERM (the Procfile runner, scripts/run ending): the worker stops at once and fails the
    import it was working on before it exits — nobody has to look at the page."""
    app = queued_app
    export = tmp_path / "baru.csv"
    write_siak_csv(generate_register(600, seed=7).records, export)
    uploads = Path(app.config["UPLOAD_FOLDER"]) / "register-imports"
    login_as(Role.OPERATOR)
    import_id = upload(client, export)

    log = tmp_path / "gated-worker.log"
    worker = start([sys.executable, str(ROOT / "tests/integration/gated_worker.py")], app, log)
    try:
        wait_until(lambda: fresh_import(import_id).rows_read >= BATCH, "the first batch", worker, log)
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=DEADLINE)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, log.read_text()
    db.session.rollback()
    item = fresh_import(import_id)
    assert item.status == "gagal" and "proses latar dihentikan" in item.error_summary
    assert JobRun.query.filter_by(subject_id=import_id).one().status == "gagal"
    assert services.current_snapshot_id() is None                # nothing was swapped in
    assert not list(uploads.glob("*"))


def test_a_worker_on_another_host_finds_the_upload_where_its_shared_storage_is_mounted(
        queued_app, client, login_as, tmp_path):
    """Scale-out: the web host and the worker host mount the shared UPLOAD_FOLDER at different
    paths. The job carries the upload's path relative to UPLOAD_FOLDER, so the worker reads it
    under its own mount (an absolute path of the web host would not exist there)."""
    app = queued_app
    export = tmp_path / "baru.csv"
    records = generate_register(300, seed=8).records
    write_siak_csv(records, export)
    login_as(Role.OPERATOR)
    import_id = upload(client, export)
    run = JobRun.query.filter_by(subject_id=import_id).one()
    assert run.params["path"] == f"register-imports/{import_id}.csv"

    # The storage as the worker host sees it: the same files under another path; the web host's
    # path is gone on that host.
    web_mount = Path(app.config["UPLOAD_FOLDER"])
    worker_mount = tmp_path / "mnt" / "ketupat-files"
    worker_mount.parent.mkdir()
    web_mount.rename(worker_mount)
    log = tmp_path / "worker.log"
    worker = start([sys.executable, "-m", "flask", "jobs", "worker"], app, log,
                   env={"UPLOAD_FOLDER": str(worker_mount)})
    try:
        wait_until(lambda: fresh_import(import_id).status in ("selesai", "gagal"), "the import", worker, log)
    finally:
        stop(worker)
    item = fresh_import(import_id)
    assert item.status == "selesai", item.error_summary
    assert item.rows_read == len(records) and register_count() == len(records)
    assert not list((worker_mount / "register-imports").glob("*"))      # removed from the shared storage
