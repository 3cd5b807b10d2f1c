"""The office refuses to start several web workers without REDIS_URL (each would keep its own
in-memory login rate-limit counters); one worker, the field node, or Redis are fine."""
from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from webapp.config import unshared_state_problem

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("role, workers, redis_url, refused", [
    ("office", 3, "", True),
    ("office", 2, "  ", True),
    ("office", 1, "", False),
    ("office", 3, "redis://127.0.0.1:6379/0", False),
    ("field", 3, "", False),
])
def test_which_process_models_are_refused(role, workers, redis_url, refused):
    problem = unshared_state_problem(role, workers, redis_url)
    assert (problem is not None) == refused
    if refused:
        assert "REDIS_URL" in problem and f"{workers} web workers" in problem


def test_the_gunicorn_hook_refuses_before_the_server_starts(monkeypatch):
    hooks = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    server = SimpleNamespace(cfg=SimpleNamespace(workers=3))
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("ROLE", "office")
    with pytest.raises(RuntimeError, match="needs REDIS_URL"):
        hooks["on_starting"](server)
    monkeypatch.setenv("ROLE", "field")
    hooks["on_starting"](server)                 # the field node: exempt
    monkeypatch.setenv("ROLE", "office")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    hooks["on_starting"](server)                 # shared counters: fine


def test_gunicorn_itself_refuses_the_office_with_several_workers_and_no_redis(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "WEB_CONCURRENCY")}
    env.update(ROLE="office", SECRET_KEY="x", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite'}")
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--workers", "3",
         "--bind", "127.0.0.1:0", "webapp:create_app()"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "ROLE=office with 3 web workers needs REDIS_URL" in result.stderr
