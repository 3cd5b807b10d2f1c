"""Jobs: registered functions that run in an app context inside a unit of work, tracked by a
JobRun row with a heartbeat, and the janitor that fails the runs whose process died.

    @job("register_scan", on_stopped=...)
    def scan_register_job(actor_id: str | None = None) -> None: ...

    run = scan_register_job.enqueue(actor=current_user, actor_id=...)   # in a request: sent on commit
    scan_register_job.run_here(...)                                      # inline, in this process (CLI)

Lifecycle of a run: "antri" (row written by the asking transaction; message sent when it
commits) → "berjalan" (claimed by one process: `worker`, `started_at`, `heartbeat_at`) →
"selesai" or "gagal". While it works, a thread of the running process writes `heartbeat_at`
every JOBS_HEARTBEAT_SECONDS. The janitor (`reap_abandoned`) fails:
- a run "berjalan" whose heartbeat is older than JOBS_STALE_SECONDS, or whose process is known
  to be gone (same host and PID namespace, PID no longer alive) — cause "abandoned";
- a run "antri" older than JOBS_STALE_SECONDS whose message is no longer on the queue (taken by
  a worker that died before claiming it, or never sent) — cause "lost".
Each job's `on_stopped(run, cause)` then puts its own records right (the register import marks
the import failed and deletes the upload). No run is retried automatically
(docs/decisions/0007-job-queue.md).
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable

from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from webapp.core.db import new_uuid, utcnow
from webapp.core.uow import unit_of_work
from webapp.extensions import db
from webapp.jobs.models import ACTIVE_STATUSES, JobRun
from webapp.jobs.queue import queue_for, send_on_commit

log = logging.getLogger("webapp.jobs")

DEFAULT_HEARTBEAT_SECONDS = 10
DEFAULT_STALE_SECONDS = 45
CAUSES = ("abandoned", "lost", "interrupted", "error")


@dataclass
class Job:
    name: str
    fn: Callable[..., Any]
    on_stopped: Callable[[JobRun, str], None] | None = None

    def enqueue(self, *, subject_id: uuid.UUID | None = None, actor=None, **params) -> JobRun:
        """Add an "antri" run to the current session; its message goes to the queue when the
        session commits (the request's unit of work, or the caller's `unit_of_work()`)."""
        run = _new_run(self.name, subject_id, actor, params)
        db.session.add(run)
        send_on_commit(db.session(), self.name, run.id)
        return run

    def run_here(self, *, subject_id: uuid.UUID | None = None, actor=None,
                 extra: dict[str, Any] | None = None, **params) -> Any:
        """Run the job now in this process (a CLI command, the demo loader), tracked, beating
        and cleaned up exactly like a queued run. Commits what the caller's session holds first.
        `extra` are keyword arguments that are not stored (callbacks). Raises what the job raises."""
        run = _new_run(self.name, subject_id, actor, params)
        with unit_of_work():
            db.session.add(run)
        return _execute(self, run.id, extra or {}, raise_errors=True)

    def __call__(self, *args, **kwargs):
        return self.fn(*args, **kwargs)


_JOBS: dict[str, Job] = {}


def job(name: str, *, on_stopped: Callable[[JobRun, str], None] | None = None):
    """Register a job function under `name` (its parameters must be JSON values)."""
    def decorator(fn: Callable[..., Any]) -> Job:
        if name in _JOBS and _JOBS[name].fn is not fn:
            raise ValueError(f"job {name!r} is already registered")
        registered = Job(name, fn, on_stopped)
        _JOBS[name] = registered
        return registered
    return decorator


def registered_job(name: str) -> Job:
    return _JOBS[name]


def job_names() -> list[str]:
    return sorted(_JOBS)


def _new_run(name: str, subject_id, actor, params: dict) -> JobRun:
    actor_name = getattr(actor, "username", None) if getattr(actor, "is_authenticated", False) else None
    return JobRun(id=new_uuid(), name=name, status="antri", subject_id=subject_id, params=dict(params),
                  actor_name=actor_name or "system", queued_at=utcnow(), attempts=0)


# --- running one ------------------------------------------------------------------------------------


def execute_queued(app: Flask, name: str, run_id: str) -> None:
    """What a worker runs for one message: its own app context and session."""
    with app.app_context():
        try:
            _execute(registered_job(name), uuid.UUID(run_id), {}, raise_errors=False)
        finally:
            db.session.remove()


def _execute(job_: Job, run_id: uuid.UUID, extra: dict, *, raise_errors: bool) -> Any:
    run = _claim(run_id)
    if run is None:
        log.warning("job %s (run %s) is no longer queued; not run", job_.name, run_id)
        return None
    params = dict(run.params or {})
    beat = Heartbeat(current_app._get_current_object(), run_id)
    beat.start()
    try:
        with unit_of_work():
            result = job_.fn(**params, **extra)
    except BaseException as exc:
        beat.stop()
        log.exception("job %s (run %s) failed", job_.name, run_id)
        with unit_of_work():
            stop_run(run_id, "error", detail=type(exc).__name__)
        if raise_errors or not isinstance(exc, Exception):
            raise
        return None
    beat.stop()
    with unit_of_work():
        db.session.execute(update(JobRun).where(JobRun.id == run_id, JobRun.status == "berjalan")
                           .values(status="selesai", finished_at=utcnow()))
    return result


def _claim(run_id: uuid.UUID) -> JobRun | None:
    """"antri" → "berjalan" for this process; None when the run is not queued any more."""
    with unit_of_work():
        now = utcnow()
        claimed = db.session.execute(
            update(JobRun).where(JobRun.id == run_id, JobRun.status == "antri")
            .values(status="berjalan", started_at=now, heartbeat_at=now, worker=process_identity(),
                    attempts=JobRun.attempts + 1)
            .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        return None
    return db.session.get(JobRun, run_id)


def heartbeat_seconds(app: Flask | None = None) -> float:
    return float((app or current_app).config.get("JOBS_HEARTBEAT_SECONDS", DEFAULT_HEARTBEAT_SECONDS))


def stale_after(app: Flask | None = None) -> timedelta:
    return timedelta(seconds=float((app or current_app).config.get("JOBS_STALE_SECONDS", DEFAULT_STALE_SECONDS)))


class Heartbeat:
    """A thread of the running process that writes the run's heartbeat every few seconds, so a
    long step (a batch, the duplicate index) never looks like a dead process."""

    def __init__(self, app: Flask, run_id: uuid.UUID) -> None:
        self.app, self.run_id = app, run_id
        self.every = heartbeat_seconds(app)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"job-heartbeat-{run_id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def _beat(self) -> None:
        while not self._stop.wait(self.every):
            try:
                with self.app.app_context():
                    try:
                        with unit_of_work():
                            db.session.execute(update(JobRun).where(JobRun.id == self.run_id,
                                                                    JobRun.status == "berjalan")
                                               .values(heartbeat_at=utcnow())
                                               .execution_options(synchronize_session=False))
                    finally:
                        db.session.remove()
            except Exception:
                log.warning("heartbeat of job run %s not written", self.run_id, exc_info=True)


# --- stopping, the janitor ----------------------------------------------------------------------


def stop_message(cause: str) -> str:
    if cause == "lost":
        return _("Pekerjaan tidak pernah dijalankan: pesannya hilang dari antrean.")
    if cause == "error":
        return _("Pekerjaan gagal karena kesalahan sistem.")
    return _("Proses latar dihentikan sebelum pekerjaan selesai.")


def stop_run(run_id: uuid.UUID, cause: str, *, detail: str | None = None, heartbeat_seen=...) -> bool:
    """Fail an active run (in the caller's transaction) and let its job put its records right.
    False when the run was no longer active (finished, or stopped by someone else), or when
    `heartbeat_seen` is given and the heartbeat moved meanwhile (the process is alive)."""
    condition = [JobRun.id == run_id, JobRun.status.in_(ACTIVE_STATUSES)]
    if heartbeat_seen is not ...:
        condition.append(JobRun.heartbeat_at.is_(None) if heartbeat_seen is None
                         else JobRun.heartbeat_at == heartbeat_seen)
    message = stop_message(cause) + (f" ({detail})" if detail else "")
    stopped = db.session.execute(update(JobRun).where(*condition)
                                 .values(status="gagal", error=message[:2000], finished_at=utcnow())
                                 .execution_options(synchronize_session=False)).rowcount
    if stopped != 1:
        return False
    run = db.session.get(JobRun, run_id)
    db.session.refresh(run)
    log.warning("job %s (run %s) stopped: %s", run.name, run_id, cause)
    job_ = _JOBS.get(run.name)
    if job_ is not None and job_.on_stopped is not None:
        job_.on_stopped(run, cause)
    return True


def reap_abandoned(now=None) -> list[uuid.UUID]:
    """Fail the runs whose process is gone (see the module doc); returns their ids. Writes in the
    caller's transaction: the worker's janitor wraps it in a unit of work, a page load in its
    request."""
    now = now or utcnow()
    runs = db.session.execute(select(JobRun).where(JobRun.status.in_(ACTIVE_STATUSES))).scalars().all()
    if not runs:
        return []
    stale = stale_after()
    queued: set[str] | None = None
    stopped = []
    for run in runs:
        if run.status == "berjalan":
            quiet = run.heartbeat_at is None or now - run.heartbeat_at > stale
            if quiet or process_gone(run.worker):
                if stop_run(run.id, "abandoned", heartbeat_seen=run.heartbeat_at):
                    stopped.append(run.id)
        elif run.queued_at is not None and now - run.queued_at > stale:
            if queued is None:
                queued = queue_for().queued_ids()
            if str(run.id) not in queued and stop_run(run.id, "lost", heartbeat_seen=None):
                stopped.append(run.id)
    return stopped


def reap_quietly() -> list[uuid.UUID]:
    """`reap_abandoned` for a page load: a janitor problem is logged, never shown as a 500."""
    try:
        return reap_abandoned()
    except Exception:
        log.exception("job janitor failed")
        db.session.rollback()
        return []


_HOUSEKEEPING: list[Callable[[], Any]] = []


def housekeeping(fn: Callable[[], Any]) -> Callable[[], Any]:
    """Register a chore the worker's janitor runs at every sweep, after the reaping (e.g. the
    register import drops the staged files nobody confirmed). Each runs in its own unit of work;
    one that raises is logged and does not stop the others. Keep them cheap when idle."""
    if fn not in _HOUSEKEEPING:
        _HOUSEKEEPING.append(fn)
    return fn


def run_housekeeping() -> None:
    for chore in list(_HOUSEKEEPING):
        try:
            with unit_of_work():
                chore()
        except Exception:
            log.exception("janitor chore %s failed", getattr(chore, "__name__", chore))


def active_run(name: str, subject_id: uuid.UUID | None = None) -> JobRun | None:
    query = select(JobRun).where(JobRun.name == name, JobRun.status.in_(ACTIVE_STATUSES))
    if subject_id is not None:
        query = query.where(JobRun.subject_id == subject_id)
    return db.session.execute(query.order_by(JobRun.created_at.desc()).limit(1)).scalar()


# --- which process ------------------------------------------------------------------------------


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""


def process_identity() -> str:
    """host|PID namespace|PID of this process: enough to tell, on the same machine and in the
    same container, whether the process that claimed a run still exists."""
    return f"{socket.gethostname()}|{_pid_namespace()}|{os.getpid()}"[:200]


def process_gone(worker: str | None) -> bool:
    """True only when `worker` names a process this process can see and it no longer runs
    (a zombie counts as gone); False when unsure (another host or container)."""
    if not worker:
        return False
    host, _sep, rest = worker.partition("|")
    namespace, _sep, pid_text = rest.rpartition("|")
    if host != socket.gethostname() or not namespace or namespace != _pid_namespace():
        return False
    try:
        pid = int(pid_text)
    except ValueError:
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[-1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return False
