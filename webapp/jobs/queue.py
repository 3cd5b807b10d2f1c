"""The Huey queue of one app, built from its config, and the "send when the transaction commits" rule.

Storage (`JOBS_URL`):
    sqlite:////abs/path/jobs.sqlite   SqliteHuey — the default (instance/jobs.sqlite): the embedded
                                      default and the field node
    redis://host:6379/0               RedisHuey — the default when REDIS_URL is set (the office)
    memory://                         MemoryHuey — one process only (a consumer in the same process)
`JOBS_IMMEDIATE = True` (tests) runs each job in the process that asked for it, right after the
asking transaction commits, in a fresh context (no request, its own app context and session),
exactly as a worker would run it.

A job asked for inside a transaction is sent to the queue only when that transaction commits,
and dropped when it rolls back: a worker never picks up a job whose rows it cannot see yet, and
a refused form never leaves a job behind.
"""
from __future__ import annotations

import contextvars
import logging
import threading
import uuid
from pathlib import Path
from typing import Any, Callable

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger("webapp.jobs")

QUEUE_NAME = "ketupat-pecel"
_PENDING = "kp_jobs_after_commit"
_EXTENSION = "kp_jobs"
_LOCK = threading.RLock()


def build_huey(config: dict) -> Huey:
    """A Huey instance for this config (results are not stored: a job's state is its JobRun)."""
    if config.get("JOBS_IMMEDIATE"):
        return MemoryHuey(QUEUE_NAME, immediate=True, results=False)
    url = (config.get("JOBS_URL") or "").strip()
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(QUEUE_NAME, url=url, results=False)
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(QUEUE_NAME, filename=str(path), results=False)
    if url in ("", "memory://"):
        return MemoryHuey(QUEUE_NAME, results=False)
    raise ValueError(f"JOBS_URL must start with sqlite:///, redis:// or memory:// (got {url.split(':', 1)[0]}:…)")


def describe_storage(config: dict) -> str:
    """Where the queue lives, for people (never the Redis URL: it may carry a password)."""
    if config.get("JOBS_IMMEDIATE"):
        return "langsung (JOBS_IMMEDIATE)"
    url = (config.get("JOBS_URL") or "").strip()
    if url.startswith(("redis://", "rediss://", "unix://")):
        return "Redis"
    if url.startswith("sqlite:///"):
        return f"SQLite {url[len('sqlite:///'):]}"
    return "memori"


class JobQueue:
    """The app's Huey instance (built on first use) and its tasks, one per registered job."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._huey: Huey | None = None
        self._tasks: dict[str, Any] = {}

    @property
    def huey(self) -> Huey:
        if self._huey is None:
            with _LOCK:
                if self._huey is None:
                    self._huey = build_huey(self.app.config)
        return self._huey

    def task(self, name: str):
        """The Huey task for a registered job (registered on this app's Huey on first use)."""
        task = self._tasks.get(name)
        if task is None:
            from webapp.jobs.runs import execute_queued, registered_job

            registered_job(name)  # raises KeyError for an unknown job
            app = self.app

            def run_job(run_id: str) -> None:
                execute_queued(app, name, run_id)

            run_job.__name__ = run_job.__qualname__ = name
            run_job.__module__ = "webapp.jobs"
            with _LOCK:
                task = self._tasks.get(name)
                if task is None:
                    task = self.huey.task(name=name, retries=0)(run_job)
                    self._tasks[name] = task
        return task

    def register_all(self) -> None:
        """Register every job (the worker lists them all before it takes the first message)."""
        from webapp.jobs.runs import job_names
        for name in job_names():
            self.task(name)

    def send(self, name: str, run_id: uuid.UUID | str) -> None:
        """Put one message on the queue now; its id is the run's id."""
        task = self.task(name).s(str(run_id), id=str(run_id))
        if self.huey.immediate:
            # Run as a worker would: no request, no outer app context, a session of its own.
            contextvars.Context().run(self.huey.enqueue, task)
        else:
            self.huey.enqueue(task)

    def queued_ids(self) -> set[str]:
        """Ids of the messages still waiting (queued or scheduled), i.e. not taken by a worker."""
        huey = self.huey
        return {str(t.id) for t in huey.pending()} | {str(t.id) for t in huey.scheduled()}


def queue_for(app: Flask | None = None) -> JobQueue:
    app = app or current_app._get_current_object()
    queue = app.extensions.get(_EXTENSION)
    if queue is None:
        with _LOCK:
            queue = app.extensions.setdefault(_EXTENSION, JobQueue(app))
    return queue


def send_on_commit(session: Session, name: str, run_id: uuid.UUID) -> None:
    """Send the message when `session`'s transaction commits (dropped on rollback)."""
    app = current_app._get_current_object()
    session.info.setdefault(_PENDING, []).append((app, name, run_id))


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    pending: list[tuple[Flask, str, uuid.UUID]] = session.info.pop(_PENDING, None) or []
    for app, name, run_id in pending:
        try:
            queue_for(app).send(name, run_id)
        except Exception:  # the run stays "antri" outside the queue: the janitor fails it as lost
            log.exception("job %s (run %s) could not be put on the queue", name, run_id)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction) -> None:
    if not previous_transaction.nested:
        session.info.pop(_PENDING, None)


def on_queue_signal(queue: JobQueue, signal_name: str, handler: Callable) -> None:
    queue.huey.signal(signal_name)(handler)
