"""Gunicorn settings for the web process (Procfile `web:`, scripts/run): read automatically from
the working folder, and named with -c in both.

The office refuses to start with several web workers and no REDIS_URL: each worker would keep
its own in-memory login rate-limit counters (webapp.config.unshared_state_problem). The field
node (ROLE=field) runs one worker and is exempt.
"""
import os

from webapp.config import unshared_state_problem


def on_starting(server):
    problem = unshared_state_problem(os.environ.get("ROLE", "office"), int(server.cfg.workers),
                                     os.environ.get("REDIS_URL", ""))
    if problem:
        raise RuntimeError(problem)   # gunicorn prints "Error: …" and exits 1 before binding


def post_worker_init(worker):
    """Each worker builds the register's duplicate index in the background as it starts, so the
    first check-in after a restart does not wait for it (WARM_DUPLICATE_INDEX=0 turns it off)."""
    if os.environ.get("WARM_DUPLICATE_INDEX", "1") == "0" or getattr(worker, "wsgi", None) is None:
        return
    import threading

    from webapp.quality.services import warm_duplicate_index
    threading.Thread(target=warm_duplicate_index, args=(worker.wsgi,), name="warm-duplicate-index",
                     daemon=True).start()
