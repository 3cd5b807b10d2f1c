"""Real processes for tests and benches: an office (gunicorn on PostgreSQL or SQLite) and a field
node (gunicorn + `flask sync run` on SQLite), each with its own instance folder, started in their
own process group, logging to files in their work folder, all killed at exit.

    office = OfficeProcess("postgresql://postgres@127.0.0.1:5432/test_x", workdir / "office")
    office.prepare()                      # fresh database (PostgreSQL: dropped and created), upgrade, demo
    office.start()                        # gunicorn on office.port; returns once it answers
    proxy = TcpProxy(office.port).start()
    node = NodeProcess(workdir / "node")
    node.prepare(proxy.url, office.token(), office.trip_on_bus())
    node.start_web(); node.start_sync_worker(interval=1.0)
    node.status()                          # {"node", "online", "pending", "last_success", "last_error"}
    office.sql("SELECT count(*) FROM application")

Each process gets INSTANCE_PATH=<workdir>/instance (secret key, jobs queue, the node's token,
the demo token file), UPLOAD_FOLDER=<workdir>/files and a fixed SECRET_KEY, so logins survive a
restart. Needs PYTHONPATH=<repo> when run from bench/ (the tests have it already). Commands run
with the Python that runs this module (the project's virtualenv)."""
from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Sequence

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
NODE_ID = "BUS-01"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0
FLASK_TIMEOUT = 300.0

_live: set[subprocess.Popen] = set()
_live_lock = threading.Lock()


class ProcError(RuntimeError):
    """A command failed or a process would not start; the message carries the log's tail."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _track(proc: subprocess.Popen) -> subprocess.Popen:
    with _live_lock:
        _live.add(proc)
    return proc


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)          # the process leads its own group (start_new_session)
    except (ProcessLookupError, PermissionError):
        pass


def end(proc: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int | None:
    """Signal the process's group and wait (SIGKILL when it does not end in time); its exit code."""
    if proc is None:
        return None
    if proc.poll() is None:
        _signal_group(proc, sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait(timeout=timeout)
    _signal_group(proc, signal.SIGKILL)   # a child left behind in the group (a gunicorn worker)
    with _live_lock:
        _live.discard(proc)
    return proc.returncode


_end = end      # the first version's name (bench/sync_faults.py uses it)


@atexit.register
def kill_all() -> None:
    """Every process this module started, killed (atexit; also safe to call from a fixture)."""
    with _live_lock:
        procs = list(_live)
    for proc in procs:
        end(proc, signal.SIGKILL, timeout=5)


def tail(path: Path, lines: int = 60) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return f"({path}: no log)"
    return "\n".join(text.splitlines()[-lines:])


def _gunicorn_has_control_socket() -> bool:
    try:
        from gunicorn.config import Config as GunicornConfig
    except ImportError:
        return False
    return "control_socket_disable" in GunicornConfig().settings


def _sqlalchemy_url(url: str) -> str:
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def run_sql(url: str, query: str, params: dict | None = None) -> list[tuple]:
    """One statement on a short-lived engine; the rows as tuples ([] for a statement without rows)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(_sqlalchemy_url(url), poolclass=NullPool)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(query), params or {})
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()


class _AppProcess:
    """What the office and the node share: the environment, the CLI, web processes, logs."""

    role = "office"

    def __init__(self, workdir, *, db_url: str, node_id: str, port: int | None = None,
                 extra_env: dict | None = None):
        self.workdir = Path(workdir).resolve()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.instance = self.workdir / "instance"
        self.files = self.workdir / "files"
        self.db_url = db_url
        self.node_id = node_id
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "FLASK_APP": "webapp", "ROLE": self.role, "NODE_ID": node_id, "DATABASE_URL": db_url,
            "INSTANCE_PATH": str(self.instance), "UPLOAD_FOLDER": str(self.files),
            "SECRET_KEY": f"procs-{self.role}-{node_id}-secret", "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1", "WEB_CONCURRENCY": "1",
        }
        for name in ("JOBS_URL", "REDIS_URL", "PYTEST_XDIST_WORKER", "FLASK_DEBUG"):
            self.env.pop(name, None)
        self.env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
        self.env.update(extra_env or {})
        self._web: subprocess.Popen | None = None
        self._web_starts = 0

    # --- logs -------------------------------------------------------------------------------------
    def log_path(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def logs(self, lines: int = 60) -> str:
        """The tail of every log in the work folder (print it when a test fails)."""
        parts = []
        for path in sorted(self.workdir.glob("*.log")):
            parts.append(f"----- {path} -----\n{tail(path, lines)}")
        return "\n".join(parts)

    def _popen(self, args: Sequence[str], log: str) -> subprocess.Popen:
        handle = open(self.log_path(log), "ab")
        handle.write(f"\n===== {time.strftime('%H:%M:%S')} {' '.join(args)}\n".encode())
        handle.flush()
        try:
            proc = subprocess.Popen(list(args), cwd=REPO, env=self.env, stdin=subprocess.DEVNULL, stdout=handle,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        finally:
            handle.close()
        return _track(proc)

    # --- the CLI ------------------------------------------------------------------------------------
    def spawn(self, *args: str, log: str = "cli") -> subprocess.Popen:
        """`flask ARGS` started, not waited for (its own process group, output to <log>.log): for a
        command to kill in the middle (`end(proc, signal.SIGKILL)`)."""
        return self._popen([PYTHON, "-m", "flask", *args], log)

    def flask(self, *args: str, input: str | None = None, timeout: float = FLASK_TIMEOUT,
              check: bool = False, env: dict | None = None) -> subprocess.CompletedProcess:
        """`flask ARGS` in this process's environment (output captured, and appended to flask.log).
        check=True raises ProcError with the output when it exits non-zero."""
        argv = [PYTHON, "-m", "flask", *args]
        started = time.monotonic()
        proc = subprocess.Popen(argv, cwd=REPO, env={**self.env, **(env or {})}, text=True,
                                stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        _track(proc)
        try:
            out, err = proc.communicate(input=input, timeout=timeout)
        except subprocess.TimeoutExpired:
            end(proc, signal.SIGKILL, timeout=5)
            out, err = proc.communicate()
            self._note_cli(args, None, out, err, time.monotonic() - started)
            raise ProcError(f"flask {' '.join(args)}: no answer after {timeout:.0f} s\n{out}\n{err}") from None
        finally:
            with _live_lock:
                _live.discard(proc)
        self._note_cli(args, proc.returncode, out, err, time.monotonic() - started)
        done = subprocess.CompletedProcess(argv, proc.returncode, out, err)
        if check and done.returncode != 0:
            raise ProcError(f"flask {' '.join(args)} exited {done.returncode}\n--- stdout\n{out}\n--- stderr\n{err}")
        return done

    def _note_cli(self, args, code, out, err, seconds) -> None:
        with open(self.log_path("flask"), "a", encoding="utf-8") as handle:
            handle.write(f"\n===== {time.strftime('%H:%M:%S')} flask {' '.join(args)} -> {code} ({seconds:.1f} s)\n")
            handle.write(out or "")
            handle.write(err or "")

    def sql(self, query: str, params: dict | None = None) -> list[tuple]:
        return run_sql(self.db_url, query, params)

    # --- the web process -------------------------------------------------------------------------------
    def _gunicorn_args(self) -> list[str]:
        args = [PYTHON, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{self.port}",
                "--workers", "1", "--threads", "4", "--graceful-timeout", "3", "--timeout", "120"]
        if _gunicorn_has_control_socket():
            # Gunicorn 24+ opens one control socket per user (~/.gunicorn/gunicorn.ctl): the office
            # and the node would take it from each other.
            args.append("--no-control-socket")
        return [*args, "webapp:create_app()"]

    def _start_web(self, timeout: float = START_TIMEOUT) -> None:
        if self._web is not None and self._web.poll() is None:
            return
        self._web_starts += 1
        self._web = self._popen(self._gunicorn_args(), "web")
        self.wait_ready(timeout)

    def answers(self, timeout: float = 2.0) -> bool:
        """True when the web process answers HTTP: GET /masuk 200, or the sync hello's 401."""
        for path, good in (("/masuk", (200,)), ("/sync/v1/hello", (401, 405))):
            try:
                with urllib.request.urlopen(self.url + path, timeout=timeout) as answer:
                    if answer.status in good:
                        return True
            except urllib.error.HTTPError as error:
                if error.code in good:
                    return True
            except (OSError, ValueError):
                pass
        return False

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._web is None or self._web.poll() is not None:
                code = None if self._web is None else self._web.returncode
                raise ProcError(f"{self.role} web process exited ({code}) before answering\n"
                                f"{tail(self.log_path('web'))}")
            if self.answers(timeout=1.0):
                return
            time.sleep(0.1)
        raise ProcError(f"{self.role} web process did not answer on {self.url} within {timeout:.0f} s\n"
                        f"{tail(self.log_path('web'))}")

    @property
    def web_alive(self) -> bool:
        return self._web is not None and self._web.poll() is None

    def _kill_web(self, sig: int = signal.SIGKILL) -> int | None:
        proc, self._web = self._web, None
        return end(proc, sig)

    def close(self) -> None:
        self._kill_web(signal.SIGTERM)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class OfficeProcess(_AppProcess):
    """The office: ROLE=office on db_url (PostgreSQL or sqlite:///…), gunicorn on a fixed port."""

    role = "office"

    def __init__(self, db_url: str, workdir, port: int | None = None, *, extra_env: dict | None = None):
        super().__init__(workdir, db_url=db_url, node_id="OFFICE", port=port, extra_env=extra_env)
        self._token: str | None = None

    @property
    def demo_token_file(self) -> Path:
        return self.instance / "demo-bus-token"

    def _fresh_database(self) -> None:
        url = _sqlalchemy_url(self.db_url)
        if url.startswith("sqlite"):
            path = Path(url.split(":///", 1)[1])
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            return
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url
        from sqlalchemy.pool import NullPool

        target = make_url(url)
        admin = create_engine(target.set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
        finally:
            admin.dispose()

    def prepare(self, *, fresh: bool = True) -> None:
        """A fresh database (dropped and made again), `flask db upgrade`, `flask demo load`, and the
        demo node's token (the demo's token file, or `flask nodes add BUS-01`)."""
        self._token = None
        if fresh:
            self._fresh_database()
        self.flask("db", "upgrade", check=True)
        self.flask("demo", "load", check=True)
        self.token()

    def token(self) -> str:
        """The demo bus's token: <instance>/demo-bus-token (written by `flask demo load`), else one
        made with `flask nodes add BUS-01` and kept in <workdir>/bus-token."""
        if self._token:
            return self._token
        for path in (self.demo_token_file, self.workdir / "bus-token"):
            if path.exists() and path.read_text().strip():
                self._token = path.read_text().strip()
                return self._token
        done = self.flask("nodes", "add", NODE_ID, check=True)
        found = [line.strip() for line in done.stdout.splitlines() if line.strip().startswith("kp1_")]
        if not found:
            raise ProcError(f"no token in the output of flask nodes add:\n{done.stdout}")
        self._token = found[0]
        path = self.workdir / "bus-token"
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
            handle.write(self._token + "\n")
        return self._token

    def trip_on_bus(self, node_code: str = NODE_ID) -> str:
        """The trip to check out to the bus: the one already checked out to it (the demo's), else
        the demo's trip on site (departed or arrived) that uses that bus."""
        rows = self.sql("SELECT t.number FROM trip_checkout c JOIN trip t ON t.id = c.trip_id "
                        "WHERE c.node_code = :node AND c.status = 'di_bus' ORDER BY t.number", {"node": node_code})
        if not rows:
            rows = self.sql("SELECT number FROM trip WHERE node_code = :node AND status IN ('berangkat', 'tiba') "
                            "ORDER BY start_date DESC, number DESC", {"node": node_code})
        if not rows:
            raise ProcError(f"no trip for {node_code} in the office's database")
        return rows[0][0]

    def start(self, timeout: float = START_TIMEOUT) -> "OfficeProcess":
        self._start_web(timeout)
        return self

    def kill(self, sig: int = signal.SIGKILL) -> int | None:
        return self._kill_web(sig)

    def stop(self) -> int | None:
        return self._kill_web(signal.SIGTERM)

    def restart(self, timeout: float = START_TIMEOUT) -> "OfficeProcess":
        self.stop()
        return self.start(timeout)

    @property
    def alive(self) -> bool:
        return self.web_alive

    @property
    def pid(self) -> int | None:
        return self._web.pid if self.web_alive else None


class NodeProcess(_AppProcess):
    """A field node: ROLE=field on <workdir>/node.sqlite; web (gunicorn) and sync worker apart."""

    role = "field"

    def __init__(self, workdir, node_id: str = NODE_ID, port: int | None = None, *, extra_env: dict | None = None):
        workdir = Path(workdir).resolve()
        self.db_path = workdir / "node.sqlite"
        super().__init__(workdir, db_url=f"sqlite:///{self.db_path}", node_id=node_id, port=port,
                         extra_env={"SYNC_TOKEN_FILE": str(workdir / "instance" / "sync-token"), **(extra_env or {})})
        self._worker: subprocess.Popen | None = None

    def prepare(self, office_url: str, token: str, trip_number: str | None = None, *, fresh: bool = True) -> None:
        """A fresh SQLite file, `flask db upgrade`, `flask field pair`, and `flask field checkout TRIP`."""
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(str(self.db_path) + suffix).unlink(missing_ok=True)
        self.flask("db", "upgrade", check=True)
        self.flask("field", "pair", "--office", office_url, "--token", "-", input=token + "\n", check=True)
        if trip_number:
            self.flask("field", "checkout", trip_number, check=True)

    # web
    def start_web(self, timeout: float = START_TIMEOUT) -> "NodeProcess":
        self._start_web(timeout)
        return self

    def kill_web(self, sig: int = signal.SIGKILL) -> int | None:
        return self._kill_web(sig)

    def stop_web(self) -> int | None:
        return self._kill_web(signal.SIGTERM)

    # the sync worker
    def start_sync_worker(self, interval: float = 1.0) -> subprocess.Popen:
        if self._worker is not None and self._worker.poll() is None:
            return self._worker
        self._worker = self._popen([PYTHON, "-m", "flask", "sync", "run", "--interval", str(interval)], "sync")
        return self._worker

    def kill_sync_worker(self, sig: int = signal.SIGKILL) -> int | None:
        proc, self._worker = self._worker, None
        return end(proc, sig)

    def stop_sync_worker(self) -> int | None:
        return self.kill_sync_worker(signal.SIGTERM)

    @property
    def worker_alive(self) -> bool:
        return self._worker is not None and self._worker.poll() is None

    def sync_once(self, timeout: float = FLASK_TIMEOUT) -> subprocess.CompletedProcess:
        """`flask sync run --once` (exit 0 when the pass succeeded, 1 when it failed)."""
        return self.flask("sync", "run", "--once", timeout=timeout)

    def status(self) -> dict:
        """`flask sync status --json`, parsed."""
        done = self.flask("sync", "status", "--json", check=True, timeout=60)
        return json.loads(done.stdout.strip().splitlines()[-1])

    def integrity_check(self) -> str:
        """PRAGMA integrity_check on the node's SQLite file ("ok" when sound), with its own connection."""
        import sqlite3

        conn = sqlite3.connect(self.db_path, timeout=30)
        try:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
        finally:
            conn.close()
        return "\n".join(str(row[0]) for row in rows)

    def close(self) -> None:
        self.kill_sync_worker(signal.SIGTERM)
        super().close()
