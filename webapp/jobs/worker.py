"""The worker process: a Huey consumer (threads) with the app, plus the janitor thread.

`flask --app webapp jobs worker` (Procfile `worker:`, started by scripts/run beside the web).
Signals: SIGINT (Ctrl+C) waits for the running job to finish; SIGTERM stops at once, and the
runs it was working on are failed right away (their records put right by the job's
`on_stopped`), as a killed worker's are by the janitor of the next process that looks.
"""
from __future__ import annotations

import logging
import threading
import uuid
from typing import Callable

from flask import Flask
from huey import signals as huey_signals

from webapp.core.uow import unit_of_work
from webapp.extensions import db
from webapp.jobs.queue import queue_for
from webapp.jobs.runs import reap_abandoned, run_housekeeping, stop_run

log = logging.getLogger("webapp.jobs")

DEFAULT_JANITOR_SECONDS = 15


class Janitor:
    """Runs `reap_abandoned` and the registered chores (`runs.housekeeping`) at start and then
    every JOBS_JANITOR_SECONDS, in its own thread, so a long job in the worker threads never
    delays it."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.every = float(app.config.get("JOBS_JANITOR_SECONDS", DEFAULT_JANITOR_SECONDS))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="job-janitor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def sweep(self) -> list:
        with self.app.app_context():
            try:
                with unit_of_work():
                    stopped = reap_abandoned()
                run_housekeeping()
                return stopped
            finally:
                db.session.remove()

    def _loop(self) -> None:
        while True:
            try:
                self.sweep()
            except Exception:
                log.exception("job janitor failed")
            if self._stop.wait(self.every):
                return


def run_worker(app: Flask, *, workers: int = 1, verbose: bool = False,
               echo: Callable[[str], None] = print) -> None:
    queue = queue_for(app)
    huey = queue.huey
    if huey.immediate:
        raise RuntimeError("JOBS_IMMEDIATE is set: jobs run where they are asked for; no worker needed")
    queue.register_all()
    logging.getLogger("huey").setLevel(logging.INFO if verbose else logging.WARNING)
    if not logging.getLogger("huey").handlers and verbose:
        logging.getLogger("huey").addHandler(logging.StreamHandler())

    @huey.signal(huey_signals.SIGNAL_INTERRUPTED)
    def _interrupted(signal, task, *args, **kwargs) -> None:
        """SIGTERM: the consumer stops without waiting; fail the runs in flight now."""
        run_id = task.args[0] if task.args else None
        if run_id is None:
            return
        with app.app_context():
            try:
                with unit_of_work():
                    stop_run(uuid.UUID(str(run_id)), "interrupted")
            except Exception:
                log.exception("could not mark interrupted job run %s", run_id)
            finally:
                db.session.remove()

    consumer = huey.create_consumer(workers=max(1, workers), worker_type="thread", periodic=False,
                                    check_worker_health=True, initial_delay=0.1, backoff=1.15,
                                    max_delay=2.0)
    janitor = Janitor(app)
    janitor.start()
    echo(echo_line(app, workers))
    try:
        consumer.run()
    finally:
        janitor.stop()


def echo_line(app: Flask, workers: int) -> str:
    from flask_babel import gettext as _

    from webapp.jobs.queue import describe_storage
    with app.app_context():
        return _("Proses latar siap: antrean %(q)s, %(n)s pekerja. Hentikan dengan Ctrl+C.",
                 q=describe_storage(app.config), n=workers)
