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
