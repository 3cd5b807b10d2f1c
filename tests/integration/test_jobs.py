"""The job queue's rules, in one process: a job is sent when its transaction commits (dropped on
rollback), runs as a worker would run it, records its outcome, and the janitor fails the runs
whose process went quiet or whose message is lost — for a register import: the import failed,
its upload deleted, the register unchanged."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import g, has_request_context

from webapp import jobs
from webapp.auth.roles import Role
from webapp.core.db import utcnow
from webapp.core.uow import unit_of_work
from webapp.extensions import db
from webapp.jobs.models import JobRun
from webapp.jobs.queue import build_huey, describe_storage, queue_for
from webapp.quality import importer
from webapp.quality.models import QualityCase, RegisterImport

SEEN: list[dict] = []


@jobs.job("test.note")
def note_job(text: str) -> str:
    SEEN.append({"text": text, "request": has_request_context(), "g": dict(vars(g))})
    if text == "boom":
        raise RuntimeError("boom")
    return text.upper()


@pytest.fixture
def queued(app):
    """A queue that only holds messages (no worker): what the web process sees."""
    app.config["JOBS_IMMEDIATE"] = False
    app.config["JOBS_URL"] = "memory://"
    return queue_for(app)


def run_of(run_id) -> JobRun:
    return db.session.get(JobRun, run_id, populate_existing=True)


def test_a_job_is_sent_when_its_transaction_commits_and_dropped_on_rollback(app, queued):
    kept = note_job.enqueue(text="disimpan")
    assert queued.queued_ids() == set()                  # not before the commit
    db.session.commit()
    assert queued.queued_ids() == {str(kept.id)}

    dropped = note_job.enqueue(text="dibatalkan")
    dropped_id = dropped.id
    db.session.rollback()
    assert queued.queued_ids() == {str(kept.id)}
    assert db.session.get(JobRun, dropped_id) is None
    assert run_of(kept.id).status == "antri"


def test_in_tests_a_job_runs_on_commit_as_a_worker_would(app):
    SEEN.clear()
    g.marker = "test"
    with unit_of_work():
        run = note_job.enqueue(text="halo")
    assert SEEN == [{"text": "halo", "request": False, "g": {}}]   # no request, a fresh app context
    run = run_of(run.id)
    assert run.status == "selesai" and run.attempts == 1 and run.worker == jobs.process_identity()
    assert run.started_at and run.finished_at and run.error is None


def test_a_job_that_raises_is_failed_with_a_message(app):
    with unit_of_work():
        run = note_job.enqueue(text="boom")
    run = run_of(run.id)
    assert run.status == "gagal"
    assert run.error == "Pekerjaan gagal karena kesalahan sistem. (RuntimeError)"


def test_run_here_runs_in_this_process_and_raises(app):
    assert note_job.run_here(text="cli") == "CLI"
    with pytest.raises(RuntimeError):
        note_job.run_here(text="boom")
    assert sorted(r.status for r in JobRun.query.all()) == ["gagal", "selesai"]


def started_elsewhere(job, *, heartbeat_age: timedelta, **params) -> JobRun:
    """A run claimed by a process on another machine, last heard from `heartbeat_age` ago."""
    run = job.enqueue(**params)
    beat = utcnow() - heartbeat_age
    run.status, run.worker, run.started_at, run.heartbeat_at = "berjalan", "kantor-2|pid:[1]|4242", beat, beat
    db.session.commit()
    return run


def test_the_janitor_fails_quiet_runs_and_lost_messages_only(app, queued):
    quiet = started_elsewhere(note_job, heartbeat_age=timedelta(minutes=2), text="diam")
    alive = started_elsewhere(note_job, heartbeat_age=timedelta(seconds=5), text="hidup")
    waiting = note_job.enqueue(text="menunggu")          # on the queue, no worker yet
    lost = note_job.enqueue(text="hilang")
    db.session.commit()
    long_ago = utcnow() - timedelta(minutes=5)
    run_of(waiting.id).queued_at = long_ago
    run_of(lost.id).queued_at = long_ago
    db.session.commit()
    queued.huey.flush()                                  # every message gone ...
    queued.send("test.note", waiting.id)                 # ... but the waiting one's

    with unit_of_work():
        stopped = jobs.reap_abandoned()
    assert set(stopped) == {quiet.id, lost.id}
    assert run_of(quiet.id).status == "gagal"
    assert run_of(quiet.id).error == "Proses latar dihentikan sebelum pekerjaan selesai."
    assert run_of(lost.id).error == "Pekerjaan tidak pernah dijalankan: pesannya hilang dari antrean."
    assert run_of(alive.id).status == "berjalan" and run_of(waiting.id).status == "antri"


def test_a_dead_process_on_this_machine_is_seen_at_once(app):
    import subprocess
    import sys
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    host, namespace, _pid = jobs.process_identity().split("|")
    assert jobs.process_gone(f"{host}|{namespace}|{child.pid}")
    assert not jobs.process_gone(jobs.process_identity())
    assert not jobs.process_gone(f"kantor-2|{namespace}|{child.pid}")   # another machine: unsure


def queued_import(app, tmp_path, filename="ekspor.csv"):
    folder = tmp_path / "files" / "register-imports"
    folder.mkdir(parents=True, exist_ok=True)
    item = importer.queue_import(filename=filename, kind="csv", size=10, actor=None)
    path = folder / f"{item.id}.csv"
    path.write_text("NIK\n", encoding="utf-8")
    return item, path


def test_an_import_whose_worker_went_quiet_is_failed_when_its_page_loads(app, client, login_as, tmp_path):
    item, path = queued_import(app, tmp_path)
    item.status = "berjalan"
    run = started_elsewhere(importer.import_register_job, heartbeat_age=timedelta(minutes=1),
                            subject_id=item.id, import_id=str(item.id), path=str(path))
    login_as(Role.OPERATOR)
    page = client.get(f"/kualitas/impor/{item.id}").get_data(as_text=True)
    assert "Impor terhenti (proses latar dihentikan). Register tidak berubah; unggah ulang." in page
    assert db.session.get(RegisterImport, item.id, populate_existing=True).status == "gagal"
    assert run_of(run.id).status == "gagal"
    assert not path.exists()


def test_an_import_cut_short_after_the_swap_is_finished_with_a_note(app, tmp_path):
    item, path = queued_import(app, tmp_path)
    item.status, item.swapped_at = "berjalan", utcnow()
    run = started_elsewhere(importer.import_register_job, heartbeat_age=timedelta(minutes=1),
                            subject_id=item.id, import_id=str(item.id), path=str(path))
    with unit_of_work():
        jobs.reap_abandoned()
    item = db.session.get(RegisterImport, item.id, populate_existing=True)
    assert item.status == "selesai" and "pemindaian terhenti" in item.error_summary
    assert run_of(run.id).status == "gagal"


def test_an_import_without_a_job_is_failed_once_quiet(app, tmp_path):
    item, _path = queued_import(app, tmp_path)
    db.session.commit()
    assert importer.running_import().id == item.id       # just queued: it waits
    item.updated_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    assert importer.running_import() is None
    assert db.session.get(RegisterImport, item.id).status == "gagal"


def test_a_rescan_is_a_job(app, client, login_as, tmp_path):
    from webapp.synthetic import generate_register, write_siak_csv
    path = tmp_path / "a.csv"
    write_siak_csv(generate_register(120, seed=2).records, path)
    importer.import_file(path, scan=False)
    login_as(Role.KABID_DAFDUK)
    resp = client.post_form("/kualitas/pindai", token_from="/kualitas/kasus")
    assert resp.status_code == 302
    run = JobRun.query.filter_by(name=importer.SCAN_JOB).one()
    assert run.status == "selesai" and run.actor_name.startswith("kabid")
    assert QualityCase.query.count() > 0                   # the scan opened cases


@pytest.mark.parametrize("config, kind, described", [
    ({"JOBS_URL": "sqlite:///{tmp}/q.sqlite"}, "SqliteHuey", "SQLite {tmp}/q.sqlite"),
    ({"JOBS_URL": "redis://:rahasia@127.0.0.1:6379/0"}, "RedisHuey", "Redis"),
    ({"JOBS_URL": "memory://"}, "MemoryHuey", "memori"),
    ({"JOBS_IMMEDIATE": True, "JOBS_URL": "redis://x"}, "MemoryHuey", "langsung (JOBS_IMMEDIATE)"),
])
def test_the_storage_comes_from_the_config(tmp_path, config, kind, described):
    config = {k: v.format(tmp=tmp_path) if isinstance(v, str) else v for k, v in config.items()}
    huey = build_huey(config)
    assert type(huey).__name__ == kind
    assert describe_storage(config) == described.format(tmp=tmp_path)
    assert "rahasia" not in describe_storage(config)


def test_the_default_queue_is_a_file_in_the_instance_folder_or_redis(monkeypatch, tmp_path):
    from webapp.config import Config
    monkeypatch.delenv("JOBS_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert Config(tmp_path).JOBS_URL == f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    assert Config(tmp_path).JOBS_URL == "redis://127.0.0.1:6379/0"
