"""Fault bench of the sync: the bus loses nothing, duplicates nothing, corrupts nothing — while its
sync worker and the office are SIGKILLed at seeded random moments, the link is cut (dead, hanging,
or in the middle of an upload) and the node is killed in the middle of writing intakes.

    .venv/bin/python bench/sync_faults.py --trials 10 --seed 1            # CI (scripts/test)
    .venv/bin/python bench/sync_faults.py --trials 100 --seed 7           # docs/performance.md
    .venv/bin/python bench/sync_faults.py --trials 3 --seed 2 --sqlite    # office on SQLite

Last line, exactly: `N trials: lost L, duplicated D, integrity failures I`; the exit code is 0 only
when all three are 0.

Setup (once): the office (tests/support/procs.py: gunicorn; its database recreated: `--db-url` as
given, else database `bench_faults` on DATABASE_URL's PostgreSQL server or on 127.0.0.1:5432 when
it answers, else SQLite) with `flask demo load` (the demo bus BUS-01 and its trip checked out); a field node (SQLite) paired with
the office through a TcpProxy (tests/support/tcpproxy.py) and the trip checked out
(`flask field checkout`). The node's rows right after the check-out are the baseline.

Each trial, from `random.Random(f"{seed}:{trial}")`, over a window of a few seconds counted from
the writer's first commit (so the faults meet the writes and the pushes of what was written):
- the writer, `flask demo field-day --applications K --seed X` (one commit per intake, 3 photos
  of 100 KB each), is started and, in most trials, SIGKILLed at a random moment of the window if
  it is still writing then ("node killed during a write"); `PRAGMA integrity_check` right after;
- the sync worker (`flask sync run --interval 0.5`) runs, and is SIGKILLed once or twice and started
  again (integrity_check after each kill);
- the office's gunicorn is SIGKILLed and started again (most trials);
- a kill of the worker or the office fires at a random time, or once a random number of bytes
  (1–120 kB) more went up the link: in the middle of an upload or a push;
- the link is cut once or twice: `down` (connections reset, new ones refused), `hang` (accepted,
  never answered: the node's calls time out) or `bytes` (cut once N more bytes went up), each
  restored after a moment; in half the trials the bus starts out of reach, so a backlog builds
  up and then flows into the faults.
Then the faults stop: the writer finishes (if it was not killed), the worker is SIGKILLed, the link
restored, the office up, and `flask sync run --once` runs until nothing is pending (at most
DRAIN_PASSES passes). Then everything so far is verified (cumulatively: a problem is counted once,
in the trial where it first shows):

- **lost**: a row of a syncing table on the node (its primary key; every column but the ones each
  side keeps for itself) that the office lacks or holds with other values (a lost insert or
  update); a stored file whose bytes the office lacks; an outbox entry the node marked sent that
  the office never recorded (`sync_applied`); an entry still pending after the drain.
- **duplicated**: an office row of the trip (visit, application, receipt, stock movement, their
  checklist lines, files, corrections, stored files and status history) that the node does not
  have; the same application (visit, service, subject), receipt number or queue number more often
  at the office than on the node; a stored file's sha256 twice.
- **integrity failures**: `PRAGMA integrity_check` not "ok" on the node after any kill (and on an
  SQLite office after its kill); on the node, an outbox entry whose row is missing (and was not
  deleted) or a row written since the check-out without an outbox entry; at the office, a file
  whose bytes do not hash to its sha256, a `sync_applied` entry whose row is missing or that the
  node never wrote; a writer that failed by itself (not killed).

One line per trial (the faults, what was written, the drain, the trial's counts), then the total.
Processes' logs are in the work folder (`--workdir`, else a temporary one, removed on success
unless `--keep`).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import platform
import random
import shutil
import signal
import socket
import sqlite3
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support import procs  # noqa: E402
from tests.support.procs import NodeProcess, OfficeProcess, ProcError  # noqa: E402
from tests.support.tcpproxy import TcpProxy  # noqa: E402

PG_URL = "postgresql://postgres@127.0.0.1:5432/bench_faults"
DRAIN_PASSES = 5
ARMED_WAIT = 10.0               # a kill waiting for N more bytes on the link fires anyway this long after the window
WRITER_TIMEOUT = 300.0          # a writer that was not killed must end by itself
# Columns each side writes for itself (never compared): its own write time; what the receiving
# side keeps (the models' __sync_kept__) is added from the models.
OWN_COLUMNS = frozenset({"updated_at"})


def log(text: str) -> None:
    print(text, flush=True)


# ---------------------------------------------------------------- the schema, from the models

class Schema:
    """The syncing tables (webapp.sync.rows.table_syncs) with their primary keys and the columns
    compared, read from the models (an app made once in this process, never connected)."""

    def __init__(self, instance: Path):
        os.environ.setdefault("INSTANCE_PATH", str(instance))
        from webapp import create_app
        from webapp.extensions import db
        from webapp.sync.rows import model_of, table_syncs
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SERVER_NAME": None})
        self.tables = {}
        for table in db.metadata.sorted_tables:
            if not table_syncs(table.name):
                continue
            cls = model_of(table.name)
            kept = set(getattr(cls, "__sync_kept__", ())) | OWN_COLUMNS
            self.tables[table.name] = (table, [c.name for c in table.primary_key.columns],
                                       [c.name for c in table.columns if c.name not in kept])

    def rows(self, conn, name: str) -> dict[str, dict]:
        """key (as the change events write it: "a/b" for a composite key) → compared column values."""
        from sqlalchemy import select
        table, keys, columns = self.tables[name]
        found = {}
        for row in conn.execute(select(table)):
            values = row._mapping
            found["/".join(_text(values[k]) for k in keys)] = {c: _plain(values[c]) for c in columns}
        return found


def _plain(value):
    """A column value comparable across SQLite and PostgreSQL (what a change event would send)."""
    from webapp.core.changes import json_safe
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return json_safe(value)


def _text(value) -> str:
    value = _plain(value)
    return "" if value is None else str(value)


def engine_for(url: str):
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool
    return create_engine(procs._sqlalchemy_url(url), poolclass=NullPool)


def integrity(path: Path) -> str:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return "\n".join(str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall())
    finally:
        conn.close()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------- the verification

@dataclass
class Findings:
    lost: set = field(default_factory=set)
    duplicated: set = field(default_factory=set)
    integrity: set = field(default_factory=set)

    def merge(self, other: "Findings") -> "Findings":
        """Add `other`; return what was new."""
        new = Findings(other.lost - self.lost, other.duplicated - self.duplicated, other.integrity - self.integrity)
        self.lost |= other.lost
        self.duplicated |= other.duplicated
        self.integrity |= other.integrity
        return new

    def counts(self) -> tuple[int, int, int]:
        return len(self.lost), len(self.duplicated), len(self.integrity)

    def examples(self, limit: int = 6) -> list[str]:
        out = []
        for kind, found in (("lost", self.lost), ("duplicated", self.duplicated), ("integrity", self.integrity)):
            out.extend(f"{kind}: {item}" for item in sorted(found)[:limit])
        return out


TRIP_TABLES = ("visit", "application", "receipt", "stock_movement")
APPLICATION_PARTS = ("application_requirement", "application_file", "data_correction")


class Verifier:
    def __init__(self, schema: Schema, node: NodeProcess, office: OfficeProcess, trip_id: str):
        import uuid
        self.schema, self.node, self.office = schema, node, office
        self.trip_uuid = uuid.UUID(str(trip_id))
        self.baseline: dict[str, set[str]] = {}
        self._hashed: dict[str, tuple[int, int]] = {}       # office files whose sha256 was right: (size, mtime)

    def take_baseline(self) -> None:
        engine = engine_for(self.node.db_url)
        try:
            with engine.connect() as conn:
                self.baseline = {name: set(self.schema.rows(conn, name)) for name in self.schema.tables}
        finally:
            engine.dispose()

    def read(self, url: str) -> dict[str, dict[str, dict]]:
        engine = engine_for(url)
        try:
            with engine.connect() as conn:
                return {name: self.schema.rows(conn, name) for name in self.schema.tables}
        finally:
            engine.dispose()

    def verify(self) -> tuple[Findings, dict]:
        from sqlalchemy import select
        found = Findings()
        node_rows = self.read(self.node.db_url)
        office_rows = self.read(self.office.db_url)

        # lost: every node row at the office, with the same values
        for name, rows in node_rows.items():
            there = office_rows[name]
            for key, values in rows.items():
                if key not in there:
                    found.lost.add(f"{name} {key} missing at the office")
                elif there[key] != values:
                    diff = sorted(c for c in values if there[key].get(c) != values[c])
                    found.lost.add(f"{name} {key} differs at the office ({', '.join(diff)[:80]})")

        # the node's outbox
        conn = sqlite3.connect(f"file:{self.node.db_path}?mode=ro", uri=True, timeout=30)
        try:
            outbox = conn.execute("SELECT seq, entry_id, table_name, row_key, operation, sent_at, last_error "
                                  "FROM sync_outbox ORDER BY seq").fetchall()
        finally:
            conn.close()
        entry_ids = {_uuid_text(e[1]) for e in outbox}
        latest: dict[tuple[str, str], str] = {}
        logged: set[tuple[str, str]] = set()
        for _seq, entry_id, table, key, operation, sent_at, last_error in outbox:
            latest[(table, key)] = operation
            logged.add((table, key))
            if sent_at is None:
                found.lost.add(f"entry {_uuid_text(entry_id)} ({table} {operation}) still pending after the drain"
                               + (f": {last_error[:80]}" if last_error else ""))
        for (table, key), operation in latest.items():
            if operation != "delete" and table in node_rows and key not in node_rows[table]:
                found.integrity.add(f"node outbox {table} {key} {operation}: the row is not on the node")
        for name, rows in node_rows.items():
            for key in rows.keys() - self.baseline.get(name, set()):
                if (name, key) not in logged:
                    found.integrity.add(f"node row {name} {key} written without an outbox entry")

        # the office's idempotency ledger against the node's outbox
        applied = self.office.sql("SELECT entry_id, table_name, row_key FROM sync_applied WHERE node_code = 'BUS-01'")
        applied_ids = {_uuid_text(a[0]) for a in applied}
        for _seq, entry_id, table, key, operation, sent_at, _error in outbox:
            if sent_at is not None and _uuid_text(entry_id) not in applied_ids:
                found.lost.add(f"entry {_uuid_text(entry_id)} ({table} {operation}) marked sent, not applied")
        for entry_id, table, key in applied:
            if _uuid_text(entry_id) not in entry_ids:
                found.integrity.add(f"sync_applied {_uuid_text(entry_id)} ({table}) never written by the node")
            elif table in office_rows and key not in office_rows[table] and latest.get((table, key)) != "delete":
                found.integrity.add(f"sync_applied {_uuid_text(entry_id)}: {table} {key} not at the office")

        # files: the node's stored files have their bytes at the office, hashing right
        for key, values in node_rows.get("stored_file", {}).items():
            sha = values.get("sha256")
            if not sha:
                continue
            problem = self._office_file(sha, node_has=self._node_has(sha))
            if problem == "missing":
                found.lost.add(f"file {sha[:16]}… ({key}) missing at the office")
            elif problem:
                found.integrity.add(f"file {sha[:16]}… at the office: {problem}")
        files, application, stored = self._t("application_file"), self._t("application"), self._t("stored_file")
        engine = engine_for(self.office.db_url)
        try:
            with engine.connect() as conn:
                office_files = list(conn.execute(select(stored.c.sha256).distinct()
                                                 .join(files, files.c.file_id == stored.c.id)
                                                 .join(application, application.c.id == files.c.application_id)
                                                 .where(application.c.trip_id == self.trip_uuid)))
        finally:
            engine.dispose()
        for (sha,) in office_files:
            problem = self._office_file(sha, node_has=True)
            if problem and problem != "missing":
                found.integrity.add(f"file {sha[:16]}… at the office: {problem}")
            elif problem:
                found.lost.add(f"file {sha[:16]}… of an application_file missing at the office")

        # duplicated: the trip's office rows the node does not have; natural keys more often
        engine = engine_for(self.office.db_url)
        try:
            with engine.connect() as conn:
                for name, stmt in self._trip_scope().items():
                    keys = {_text(r[0]) for r in conn.execute(stmt)}
                    for key in keys - node_rows.get(name, {}).keys():
                        found.duplicated.add(f"{name} {key} at the office, not on the node")
                office_counts = self._natural(conn)
        finally:
            engine.dispose()
        engine = engine_for(self.node.db_url)
        try:
            with engine.connect() as conn:
                node_counts = self._natural(conn)
        finally:
            engine.dispose()
        for label, counts in office_counts.items():
            for natural, count in counts.items():
                mine = node_counts[label].get(natural, 0)
                if label == "stored file sha256" and not mine:
                    continue                                       # a file of another trip
                if count > mine:
                    found.duplicated.add(f"{label} {'/'.join(natural)[:80]} ×{count} at the office "
                                         f"(×{mine} on the node)")

        stats = {"applications": len([k for k in node_rows.get("application", {})
                                      if k not in self.baseline.get("application", set())]),
                 "entries": len(outbox), "files": len(node_rows.get("stored_file", {}))}
        return found, stats

    def _t(self, name: str):
        return self.schema.tables[name][0]

    def _trip_scope(self) -> dict:
        """Selects of the keys of the trip's rows (office side), by table."""
        from sqlalchemy import select, union
        trip = self.trip_uuid
        apps = select(self._t("application").c.id).where(self._t("application").c.trip_id == trip)
        found = {name: select(self._t(name).c.id).where(self._t(name).c.trip_id == trip) for name in TRIP_TABLES}
        for name in APPLICATION_PARTS:
            found[name] = select(self._t(name).c.id).where(self._t(name).c.application_id.in_(apps))
        found["stored_file"] = select(self._t("application_file").c.file_id).where(
            self._t("application_file").c.application_id.in_(apps))
        entities = union(*(select(self._t(name).c.id).where(self._t(name).c.trip_id == trip)
                           for name in ("visit", "application", "receipt")))
        history = self._t("status_history")
        found["status_history"] = select(history.c.id).where(history.c.entity_id.in_(entities))
        return found

    def _natural(self, conn) -> dict[str, dict[tuple, int]]:
        """Natural keys of the trip's rows and how often each is there."""
        from sqlalchemy import func, select
        trip = self.trip_uuid
        application, receipt, visit = self._t("application"), self._t("receipt"), self._t("visit")
        stored = self._t("stored_file")
        keyed = {
            "application": ([application.c.visit_id, application.c.service_code, application.c.subtype_code,
                             application.c.subject_name], application.c.trip_id == trip),
            "receipt number": ([receipt.c.number], receipt.c.trip_id == trip),
            "visit queue number": ([visit.c.queue_number], visit.c.trip_id == trip),
            "stored file sha256": ([stored.c.sha256], None),
        }
        found = {}
        for label, (columns, where) in keyed.items():
            stmt = select(*columns, func.count()).group_by(*columns)
            if where is not None:
                stmt = stmt.where(where)
            found[label] = {tuple(_text(v) for v in row[:-1]): row[-1] for row in conn.execute(stmt)
                            if row[0] is not None}
        return found

    def _node_has(self, sha: str) -> bool:
        return (self.node.files / sha[:2] / sha).exists()

    def _office_file(self, sha: str, *, node_has: bool) -> str | None:
        path = self.office.files / sha[:2] / sha
        try:
            stat = path.stat()
        except FileNotFoundError:
            return "missing" if node_has else None       # bytes the node never had (a package's file)
        mark = (stat.st_size, stat.st_mtime_ns)
        if self._hashed.get(sha) == mark:
            return None
        actual = sha256_of(path)
        if actual != sha:
            return f"its bytes hash to {actual[:16]}…"
        self._hashed[sha] = mark
        return None


def _uuid_text(value) -> str:
    """A UUID as SQLite (32 hex digits) or PostgreSQL (uuid) gives it, as str(uuid.UUID)."""
    import uuid
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return str(uuid.UUID(bytes=bytes(value)))
    return str(uuid.UUID(str(value)))


# ---------------------------------------------------------------- the processes' logs

class LogWatch:
    """Tracebacks that appeared in the processes' logs since the last look (shown with the
    trial: a crash that loses nothing is still worth a look; a writer killed mid-write prints
    none, SIGKILL leaves no trace)."""

    def __init__(self, paths: list[Path]):
        self.offsets = {path: 0 for path in paths}

    def skip(self) -> None:
        for path in self.offsets:
            self.offsets[path] = path.stat().st_size if path.exists() else 0

    def read(self) -> tuple[list[str], int]:
        """(tracebacks, sync passes that failed) since the last look."""
        found, failed = [], 0
        for path, offset in self.offsets.items():
            if not path.exists():
                continue
            with open(path, "rb") as handle:
                handle.seek(offset)
                text = handle.read().decode("utf-8", "replace")
                self.offsets[path] = handle.tell()
            lines = text.splitlines()
            if path.name == "sync.log":
                failed += sum(1 for line in lines if " gagal: " in line)
            for index, line in enumerate(lines):
                if line.startswith("Traceback (most recent call last)"):
                    last = next((l for l in lines[index + 1:] if l and not l.startswith((" ", "\t"))), "?")
                    found.append(f"{path.parent.name}/{path.name}: {last[:140]}")
        return found, failed


# ---------------------------------------------------------------- the faults

@dataclass
class Trial:
    number: int
    rng: random.Random
    window: float
    events: list[str] = field(default_factory=list)
    integrity: set = field(default_factory=set)
    writer_failed: str | None = None
    drain_passes: int = 0


class Bench:
    def __init__(self, args):
        self.args = args
        self.workdir = Path(args.workdir).resolve() if args.workdir else Path(tempfile.mkdtemp(prefix="sync-faults-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.office: OfficeProcess | None = None
        self.node: NodeProcess | None = None
        self.proxy: TcpProxy | None = None
        self.verifier: Verifier | None = None
        self.total = Findings()
        self.writer_seed = args.seed * 100_000
        self.kills = 0
        self.failed_passes = 0
        self.fired: Counter = Counter()

    # --- setup ---------------------------------------------------------------------------------
    def office_url(self) -> tuple[str, str]:
        if self.args.sqlite:
            return f"sqlite:///{self.workdir / 'office' / 'office.sqlite'}", "SQLite"
        if self.args.db_url:                                       # as given (a PostgreSQL one is recreated)
            return self.args.db_url, "SQLite" if self.args.db_url.startswith("sqlite") else "PostgreSQL"
        url = os.environ.get("DATABASE_URL", "")
        if url.startswith(("postgres://", "postgresql")):              # that server, database bench_faults
            from sqlalchemy.engine import make_url
            server = make_url(procs._sqlalchemy_url(url)).set(database=PG_URL.rsplit("/", 1)[1])
            return server.render_as_string(hide_password=False), "PostgreSQL"
        try:
            socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
            return PG_URL, "PostgreSQL"
        except OSError:
            return f"sqlite:///{self.workdir / 'office' / 'office.sqlite'}", "SQLite"

    def setup(self) -> None:
        started = time.monotonic()
        url, kind = self.office_url()
        self.office = OfficeProcess(url, self.workdir / "office")
        self.office.prepare()
        self.office.start()
        self.proxy = TcpProxy(self.office.port).start()
        self.node = NodeProcess(self.workdir / "node")
        trip_number = self.office.trip_on_bus()
        self.node.prepare(self.proxy.url, self.office.token(), trip_number)
        trip_id = self.office.sql("SELECT id FROM trip WHERE number = :n", {"n": trip_number})[0][0]
        self.schema = Schema(self.workdir / "bench-instance")
        self.verifier = Verifier(self.schema, self.node, self.office, str(trip_id))
        self.verifier.take_baseline()
        self.check_node("after check-out", set(), kill=False)
        self.logs = LogWatch([self.node.log_path(name) for name in ("sync", "flask", "writer")]
                             + [self.office.log_path("web")])
        self.logs.skip()
        log(f"setup: office on {kind} ({self.office.url}), node {self.node.db_path.name} via proxy {self.proxy.url}, "
            f"trip {trip_number} checked out; {time.monotonic() - started:.0f} s; work folder {self.workdir}")

    # --- pieces --------------------------------------------------------------------------------
    def outbox_top(self) -> int:
        conn = sqlite3.connect(f"file:{self.node.db_path}?mode=ro", uri=True, timeout=30)
        try:
            return int(conn.execute("SELECT coalesce(max(seq), 0) FROM sync_outbox").fetchone()[0])
        finally:
            conn.close()

    def pending(self) -> int:
        conn = sqlite3.connect(f"file:{self.node.db_path}?mode=ro", uri=True, timeout=30)
        try:
            return int(conn.execute("SELECT count(*) FROM sync_outbox WHERE sent_at IS NULL").fetchone()[0])
        finally:
            conn.close()

    def check_node(self, when: str, into: set, *, kill: bool = True) -> None:
        self.kills += kill
        found = integrity(self.node.db_path)
        if found != "ok":
            into.add(f"node integrity_check {when} (#{self.kills}): {found[:120]}")

    def check_office_db(self, when: str, into: set) -> None:
        if self.office.db_url.startswith("sqlite"):
            path = Path(self.office.db_url.split(":///", 1)[1])
            found = integrity(path)
            if found != "ok":
                into.add(f"office integrity_check {when} (#{self.kills}): {found[:120]}")

    def start_writer(self, applications: int, seed: int):
        return self.node.spawn("demo", "field-day", "--applications", str(applications), "--seed", str(seed),
                               "--photos", str(self.args.photos), "--photo-kb", str(self.args.photo_kb), log="writer")

    # --- one trial -------------------------------------------------------------------------------
    def plan(self, trial: Trial) -> list[tuple[float, str, dict]]:
        """The trial's faults, in seconds after the writer's first commit (so they meet the writes
        and the pushes of what was written). A kill of the worker or the office fires at its time,
        or (`bytes`) once that many more bytes went up the link after it: in the middle of an
        upload or a push. What was killed comes back `down` seconds later."""
        rng, window = trial.rng, trial.window

        def at_bytes() -> int | None:
            return rng.randint(1_000, 120_000) if rng.random() < 0.6 else None

        plan = [(rng.uniform(0.0, window), "writer_kill", {})] if rng.random() < 0.7 else []
        if rng.random() < 0.5:             # the bus out of reach first: a backlog, then it flows
            plan += [(0.0, "cut", {"mode": "down"}), (rng.uniform(1.0, window), "restore", {})]
        for _ in range(1 if rng.random() < 0.7 else 2):
            plan.append((rng.uniform(0.0, window), "worker_kill", {"bytes": at_bytes(), "down": rng.uniform(0.2, 1.5)}))
        if rng.random() < 0.75:
            plan.append((rng.uniform(0.0, window), "office_kill", {"bytes": at_bytes(), "down": rng.uniform(0.0, 2.0)}))
        for _ in range(rng.randint(1, 2)):
            at = rng.uniform(0.0, window)
            mode = rng.choice(("down", "hang", "bytes", "bytes"))
            plan.append((at, "cut", {"mode": mode, "bytes": rng.randint(2_000, 200_000)}))
            plan.append((at + rng.uniform(0.5, 3.0), "restore", {}))
        return sorted(plan, key=lambda item: item[0])

    def run_trial(self, trial: Trial) -> None:
        rng = trial.rng
        applications = rng.randint(1, self.args.applications)
        plan = self.plan(trial)
        self.writer_seed += 1
        top = self.outbox_top()
        writer = self.start_writer(applications, self.writer_seed)
        self.node.start_sync_worker(interval=0.5)
        started = time.monotonic()
        base = None                                  # when the writer's first commit showed
        armed: list[tuple[int, str, dict]] = []      # kills waiting for the link's byte count
        office_thread: threading.Thread | None = None
        office_errors: list[str] = []
        cuts = []

        def office_start():
            try:
                self.office.start()
            except ProcError as error:
                office_errors.append(str(error).splitlines()[0])

        def fire(action: str, extra: dict, now: float, how: str) -> None:
            nonlocal office_thread
            if action == "worker_kill" and self.node.worker_alive:
                self.node.kill_sync_worker(signal.SIGKILL)
                trial.events.append(f"worker killed{how}")
                self.check_node("after killing the sync worker", trial.integrity)
                insert(now + extra["down"], "worker_start", {})
            elif action == "office_kill" and office_thread is None and self.office.alive:
                self.office.kill(signal.SIGKILL)
                trial.events.append(f"office killed{how}")
                self.check_office_db("after killing the office", trial.integrity)
                insert(now + extra["down"], "office_start", {})

        def insert(at: float, action: str, extra: dict) -> None:
            plan.append((at, action, extra))
            plan.sort(key=lambda item: item[0])

        while plan or armed:
            if base is None:
                if self.outbox_top() > top or writer.poll() is not None:
                    base = time.monotonic()
                    trial.events.append(f"writes from +{base - started:.1f}s")
                elif time.monotonic() - started > WRITER_TIMEOUT:
                    base = time.monotonic()
                else:
                    time.sleep(0.05)
                    continue
            now = time.monotonic() - base
            idle = bool(armed) and writer.poll() is not None and self.pending() == 0   # no more bytes to come
            for item in list(armed):
                target, action, extra = item
                reached = self.proxy.bytes_up >= target
                if reached or idle or now > trial.window + ARMED_WAIT:
                    armed.remove(item)
                    fire(action, extra, now, f"@{now:.1f}s " + (f"after {extra['bytes'] // 1000} kB" if reached
                                                                 else f"({extra['bytes'] // 1000} kB never came)"))
            while plan and plan[0][0] <= now:
                _at, action, extra = plan.pop(0)
                if action == "writer_kill":
                    if writer.poll() is None:
                        procs.end(writer, signal.SIGKILL)
                        trial.events.append(f"writer killed@{now:.1f}s")
                        self.check_node("after killing the writer", trial.integrity)
                elif action in ("worker_kill", "office_kill"):
                    if extra.get("bytes"):
                        armed.append((self.proxy.bytes_up + extra["bytes"], action, extra))
                    else:
                        fire(action, extra, now, f"@{now:.1f}s")
                elif action == "worker_start":
                    self.node.start_sync_worker(interval=0.5)
                elif action == "office_start" and office_thread is None and not self.office.alive:
                    office_thread = threading.Thread(target=office_start, daemon=True)
                    office_thread.start()
                elif action == "cut":
                    if extra["mode"] == "bytes":
                        self.proxy.cut_after(extra["bytes"])
                        cuts.append(f"link cut after {extra['bytes'] // 1000} kB@{now:.1f}s")
                    else:
                        self.proxy.cut(extra["mode"])
                        cuts.append(f"link {extra['mode']}@{now:.1f}s")
                elif action == "restore":
                    self.proxy.cut_after(1 << 60)                  # a cut-after not reached is off
                    self.proxy.restore()
            if office_thread is not None and not office_thread.is_alive():
                office_thread = None
            time.sleep(0.05)
        trial.events.extend(cuts)

        # the faults stop: the writer ends by itself, the worker goes, the link and the office come back
        try:
            writer.wait(timeout=WRITER_TIMEOUT)
        except Exception:
            procs.end(writer, signal.SIGKILL)
            trial.writer_failed = f"writer did not end within {WRITER_TIMEOUT:.0f} s"
        if writer.returncode not in (0, -signal.SIGKILL) and trial.writer_failed is None:
            trial.writer_failed = f"writer exited {writer.returncode}: {procs.tail(self.node.log_path('writer'), 3)}"
        if self.node.worker_alive:
            self.node.kill_sync_worker(signal.SIGKILL)
            self.check_node("after killing the sync worker", trial.integrity)
        self.proxy.cut_after(1 << 60)
        self.proxy.restore()
        if office_thread is not None:
            office_thread.join()
        if not self.office.alive:
            self.office.start()
        if office_errors:
            trial.events.append(f"office start failed once: {office_errors[0][:80]}")
        for attempt in range(1, DRAIN_PASSES + 1):
            done = self.node.sync_once(timeout=600)
            trial.drain_passes = attempt
            if done.returncode == 0 and self.pending() == 0:
                break

    def run(self) -> int:
        self.setup()
        trials = self.args.trials
        started = time.monotonic()
        for number in range(1, trials + 1):
            trial = Trial(number, random.Random(f"{self.args.seed}:{number}"), self.args.window)
            t = time.monotonic()
            try:
                self.run_trial(trial)
                found, stats = self.verifier.verify()
            except Exception as error:        # the bench itself failed: counted, shown, and the run goes on
                traceback.print_exc()
                found, stats = Findings(), {}
                found.integrity.add(f"trial {number}: bench error {type(error).__name__}: {str(error)[:120]}")
            found.integrity |= trial.integrity
            if trial.writer_failed:
                found.integrity.add(f"trial {number}: {trial.writer_failed[:200]}")
            for event in trial.events:
                kind = event.split("@", 1)[0].split(" after ", 1)[0].strip()
                if not kind.startswith("writes from"):
                    self.fired[kind] += 1
            new = self.total.merge(found)
            lost, duplicated, broken = new.counts()
            tracebacks, failed = self.logs.read()
            self.failed_passes += failed
            log(f"trial {number}/{trials}: {', '.join(trial.events) or 'no fault fired'}; "
                f"{failed} worker pass(es) broken off; {stats.get('applications', '?')} applications, "
                f"{stats.get('entries', '?')} entries so far; drained in {trial.drain_passes} pass(es); "
                f"{time.monotonic() - t:.0f} s; lost {lost}, duplicated {duplicated}, integrity failures {broken}")
            for line in new.examples():
                log(f"    {line}")
            for line in tracebacks[:5]:
                log(f"    traceback in {line}")
        lost, duplicated, broken = self.total.counts()
        ok = not (lost or duplicated or broken)
        log("faults fired: " + ", ".join(f"{kind} {n}" for kind, n in sorted(self.fired.items())))
        log(f"faults bench: {trials} trials in {time.monotonic() - started:.0f} s on {platform.node()} "
            f"({os.cpu_count()} CPUs); {self.kills} integrity checks after kills, {self.failed_passes} worker passes "
            f"broken off by the faults; logs in {self.workdir}"
            + ("" if self.args.workdir or self.args.keep or not ok else " (removed)"))
        log(f"{trials} trials: lost {lost}, duplicated {duplicated}, integrity failures {broken}")
        return 0 if ok else 1

    def close(self, ok: bool) -> None:
        if self.node is not None:
            self.node.close()
        if self.office is not None:
            self.office.close()
        if self.proxy is not None:
            self.proxy.stop()
        procs.kill_all()
        if ok and not self.args.keep and not self.args.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db-url", default=None, help="the office's database (default: DATABASE_URL, else "
                        f"{PG_URL} when 127.0.0.1:5432 answers, else SQLite); a PostgreSQL database is recreated")
    parser.add_argument("--sqlite", action="store_true", help="office on SQLite even when PostgreSQL answers")
    parser.add_argument("--window", type=float, default=6.0, help="seconds of faults per trial")
    parser.add_argument("--applications", type=int, default=3, help="at most this many intakes per trial")
    parser.add_argument("--photos", type=int, default=3, help="photos per intake")
    parser.add_argument("--photo-kb", type=int, default=100, help="size of each photo")
    parser.add_argument("--workdir", default=None, help="work folder (kept); default a temporary one")
    parser.add_argument("--keep", action="store_true", help="keep the temporary work folder")
    args = parser.parse_args(argv)
    bench = Bench(args)
    code = 2
    try:
        code = bench.run()
    except ProcError as error:
        log(f"setup failed: {error}")
        for process in (bench.office, bench.node):
            if process is not None:
                log(process.logs(30))
        code = 2
    finally:
        bench.close(code == 0)
    return code


if __name__ == "__main__":
    sys.exit(main())
