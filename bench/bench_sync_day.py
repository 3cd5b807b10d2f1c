"""Benchmark: a full bus day synced to the office — bytes on the link, time, and what a cut costs.

    .venv/bin/python bench/bench_sync_day.py                          # 300 applications, 3 photos of 200 KB each
    .venv/bin/python bench/bench_sync_day.py --applications 20 --photo-kb 50    # a quick look
    .venv/bin/python bench/bench_sync_day.py --sqlite                 # office on SQLite even when PostgreSQL answers

Two real processes (tests/support/procs.py): the office (gunicorn; PostgreSQL database
`bench_busday` when 127.0.0.1:5432 answers, else SQLite) and a field node (SQLite) with the demo
trip checked out. The node's office URL is a TcpProxy (tests/support/tcpproxy.py) that counts the
bytes crossing it and notes each connection (urllib opens one per request: method, path, bytes up
and down, whether the cut hit it).

1. With the link cut, `flask demo field-day` fills the node (N intakes with photos and receipts).
2. **Payload** = the bytes that must reach the office, counted on the node before syncing:
   - files: the size of each distinct file (sha256) of the pending `stored_file` entries, and
   - entries: each pending outbox entry as the node puts it into a push — `outbox.wire_entry()`
     serialised like `client._fit` does (compact JSON, UTF-8), uncompressed, without the push's
     envelope.
   Both processes are stopped and their state copied (the office's database and files, the
   node's work folder): the second run starts from exactly the same state.
3. **Run 1 (no cut):** `flask sync run --once` until `flask sync status` says pending 0.
   Bytes sent = every byte the node sent up through the proxy (HTTP headers, hello, media status
   GETs, pushes, pulls — everything); ratio = bytes sent / payload (target ≤ 1.05). Time = wall
   time of the passes (each a new `flask` process, whose start is measured apart) and the link
   time (per pass, first request opened → last closed).
4. **Run 2 (the same day, a cut in the middle):** both sides put back to the copied state;
   `proxy.cut_after(payload × 0.5)` cuts the link at half the payload (in a media upload, as
   media are ~95% of it); the office's state at the cut is read (files complete, bytes received,
   entries applied), the link restored, and passes run until pending 0. **Re-sent** = bytes up of
   run 2 − bytes up of run 1: everything the cut cost on the link (the request cut in flight,
   the resuming pass's hello and status checks, anything sent twice). Broken down: the bytes of
   the request cut in flight, file bytes sent twice (byte ranges of the PUTs that overlap), the
   extra requests of the resume. Target: only the unfinished part, i.e. no finished file part
   and no applied entry sent again.

Both runs end by checking the office: every entry applied, every file complete, no conflict,
the N applications there. Exit 0 only when all of that holds, the ratio is met and only the
unfinished part was re-sent; 1 otherwise (each problem is printed in the summary).
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import shutil
import socket
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.procs import NodeProcess, OfficeProcess, ProcError  # noqa: E402
from tests.support.tcpproxy import TcpProxy  # noqa: E402

TARGET_RATIO = 1.05
PG_URL = "postgresql://postgres@127.0.0.1:5432/bench_busday"
SNAPSHOT_DB = "bench_busday_snap"
MEDIA_PATH = re.compile(r"^/sync/v1/media/([0-9a-f]{64})(?:\?offset=(\d+))?$")
FILL_TIMEOUT = 3 * 3600.0
PASS_TIMEOUT = 1800.0


# ---------------------------------------------------------------- the link, request by request

@dataclass
class Request:
    """One connection through the proxy (urllib sends `Connection: close`: one request each)."""
    opened: float
    closed: float | None = None
    head: bytes = b""                 # the request's first bytes, until the end of its headers
    header_bytes: int | None = None
    up: int = 0
    down: int = 0
    down_head: bytes = b""
    down_body: bytearray = field(default_factory=bytearray)   # kept for pushes only
    up_body: bytearray = field(default_factory=bytearray)     # kept for pushes only
    cut: bool = False                 # the cut hit this connection

    @property
    def method(self) -> str:
        return self.head.split(b" ", 1)[0].decode("ascii", "replace") if self.head else "?"

    @property
    def path(self) -> str:
        parts = self.head.split(b" ", 2)
        return parts[1].decode("ascii", "replace") if len(parts) > 1 else "?"

    @property
    def status(self) -> int | None:
        parts = self.down_head.split(b" ", 2)
        return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None

    @property
    def kind(self) -> str:
        path = self.path.split("?", 1)[0]
        if path.startswith("/sync/v1/media/"):
            return f"{self.method} media"
        return f"{self.method} {path.removeprefix('/sync/v1/')}"

    @property
    def body_up(self) -> int:
        return self.up - (self.header_bytes or self.up)

    def media_range(self) -> tuple[str, int, int] | None:
        """(sha256, first byte, bytes of the file that crossed) for a PUT of a media part."""
        found = MEDIA_PATH.match(self.path)
        if self.method != "PUT" or not found or self.header_bytes is None:
            return None
        return found.group(1), int(found.group(2) or 0), self.body_up

    def push_answer(self) -> dict | None:
        if self.kind != "POST push" or not self.down_body:
            return None
        head, _sep, body = bytes(self.down_body).partition(b"\r\n\r\n")
        if b"transfer-encoding: chunked" in head.lower():
            body = _unchunk(body)
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None

    def push_ids(self) -> list[str]:
        """The entry ids of a push that went up whole (gzip JSON body)."""
        if self.kind != "POST push" or self.cut:
            return []
        _head, _sep, body = bytes(self.up_body).partition(b"\r\n\r\n")
        try:
            if body[:2] == b"\x1f\x8b":
                body = gzip.decompress(body)
            data = json.loads(body.decode("utf-8"))
        except (OSError, EOFError, UnicodeDecodeError, ValueError):
            return []
        return [str(e.get("id")) for e in data.get("entries") or []]


def _unchunk(body: bytes) -> bytes:
    out, rest = bytearray(), body
    while rest:
        size_line, _sep, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out += rest[:size]
        rest = rest[size + 2:]
    return bytes(out)


class CountingProxy(TcpProxy):
    """The TcpProxy, noting each connection as a Request as well (its hooks; same cut and
    counting rules)."""

    def __init__(self, upstream_port: int) -> None:
        super().__init__(upstream_port)
        self.requests: list[Request] = []
        self._by_client: dict[socket.socket, Request] = {}

    def note_for(self, client: socket.socket) -> Request:
        with self._lock:
            found = self._by_client.get(client)
            if found is None:
                found = self._by_client[client] = Request(opened=time.monotonic())
                self.requests.append(found)
            return found

    def take_requests(self) -> list[Request]:
        with self._lock:
            taken, self.requests = self.requests, []
            self._by_client = {k: v for k, v in self._by_client.items() if v.closed is None}
        return taken

    def on_open(self, client: socket.socket) -> None:
        self.note_for(client)

    def on_data(self, client: socket.socket, data: bytes, up: bool) -> None:
        _note(self.note_for(client), data, up)

    def on_cut(self, client: socket.socket) -> None:
        self.note_for(client).cut = True

    def on_closed(self, client: socket.socket) -> None:
        self.note_for(client).closed = time.monotonic()


def _note(note: Request, data: bytes, up: bool) -> None:
    if up:
        if note.header_bytes is None:           # `head` holds every byte so far until the headers end
            note.head += data
            end = note.head.find(b"\r\n\r\n")
            if end >= 0:
                note.header_bytes = end + 4
                note.head = note.head[:end]
        note.up += len(data)
        if note.head.startswith(b"POST /sync/v1/push"):
            note.up_body += data
    else:
        if len(note.down_head) < 200:
            note.down_head += data[:200]
        note.down += len(data)
        if note.head.startswith(b"POST /sync/v1/push"):
            note.down_body += data


# ---------------------------------------------------------------- the two sides

def office_db_url(force_sqlite: bool, work: Path) -> str:
    if not force_sqlite:
        try:
            with socket.create_connection(("127.0.0.1", 5432), timeout=1):
                return PG_URL
        except OSError:
            pass
    return f"sqlite:///{work / 'office-db' / 'office.sqlite'}"


def admin_sql(statements: list[str]) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres", poolclass=NullPool,
                           isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


class Snapshot:
    """The state of both sides at one moment (both stopped): the office's database and the
    sub-folders of its work folder (files, instance), the node's work folder (logs excepted)."""

    def __init__(self, work: Path, office: OfficeProcess, node: NodeProcess) -> None:
        self.dir, self.office, self.node = work / "snapshot", office, node

    def _copy_tree(self, source: Path, target: Path, *, dirs_only: bool) -> None:
        target.mkdir(parents=True, exist_ok=True)
        for item in source.iterdir():
            if item.suffix == ".log" or (dirs_only and not item.is_dir()):
                continue
            if item.is_dir():
                shutil.copytree(item, target / item.name, symlinks=True)
            else:
                shutil.copy2(item, target / item.name)

    def _clear(self, folder: Path, *, dirs_only: bool) -> None:
        for item in folder.iterdir():
            if item.suffix == ".log" or (dirs_only and not item.is_dir()):
                continue
            shutil.rmtree(item) if item.is_dir() else item.unlink()

    def take(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
        self._copy_tree(self.office.workdir, self.dir / "office", dirs_only=True)
        self._copy_tree(self.node.workdir, self.dir / "node", dirs_only=False)
        if self.office.db_url.startswith("postgresql"):
            admin_sql([f'DROP DATABASE IF EXISTS "{SNAPSHOT_DB}" WITH (FORCE)',
                       f'CREATE DATABASE "{SNAPSHOT_DB}" TEMPLATE "bench_busday"'])
        else:
            db = Path(self.office.db_url.split(":///", 1)[1])
            self._copy_tree(db.parent, self.dir / "office-db", dirs_only=False)

    def restore(self) -> None:
        self._clear(self.office.workdir, dirs_only=True)
        self._copy_tree(self.dir / "office", self.office.workdir, dirs_only=True)
        self._clear(self.node.workdir, dirs_only=False)
        self._copy_tree(self.dir / "node", self.node.workdir, dirs_only=False)
        if self.office.db_url.startswith("postgresql"):
            admin_sql(['DROP DATABASE IF EXISTS "bench_busday" WITH (FORCE)',
                       f'CREATE DATABASE "bench_busday" TEMPLATE "{SNAPSHOT_DB}"'])
        else:
            db = Path(self.office.db_url.split(":///", 1)[1])
            self._clear(db.parent, dirs_only=False)
            self._copy_tree(self.dir / "office-db", db.parent, dirs_only=False)

    def drop(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.office.db_url.startswith("postgresql"):
            admin_sql([f'DROP DATABASE IF EXISTS "{SNAPSHOT_DB}" WITH (FORCE)'])


# ---------------------------------------------------------------- payload and office state

@dataclass
class Payload:
    entries: int
    entry_bytes: int                   # compact JSON of each wire entry, summed
    files: int
    file_bytes: int
    by_table: Counter
    shas: dict                         # sha256 → size

    @property
    def total(self) -> int:
        return self.entry_bytes + self.file_bytes


def measure_payload(node: NodeProcess) -> Payload:
    rows = node.sql("SELECT table_name, operation, payload, content_hash FROM sync_outbox "
                    "WHERE sent_at IS NULL ORDER BY seq")
    entry_bytes, shas, by_table = 0, {}, Counter()
    for table, operation, payload, content_hash in rows:
        payload = json.loads(payload) if isinstance(payload, str) else payload
        wire = {**payload, "hash": content_hash}                 # webapp.sync.outbox.wire_entry
        entry_bytes += len(json.dumps(wire, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
        by_table[table] += 1
        values = payload.get("values") or {}
        if table == "stored_file" and operation != "delete" and values.get("sha256"):
            sha = str(values["sha256"])
            on_disk = node.files / sha[:2] / sha
            if not on_disk.exists():
                raise SystemExit(f"the node lacks the bytes of {sha}")
            shas[sha] = on_disk.stat().st_size
    return Payload(len(rows), entry_bytes, len(shas), sum(shas.values()), by_table, shas)


@dataclass
class OfficeState:
    applied: int
    media_complete: int
    media_complete_bytes: int
    media_received: int                # bytes of the day's files the office has (complete or partial)
    conflicts: int
    applications: int


def office_state(office: OfficeProcess, trip_number: str, payload: Payload) -> OfficeState:
    applied = office.sql("SELECT count(*) FROM sync_applied WHERE node_code = 'BUS-01'")[0][0]
    media = {sha: (received, done) for sha, received, done in office.sql(
        "SELECT sha256, received, completed_at IS NOT NULL FROM sync_media")}
    day = [(sha, size, *media.get(sha, (0, False))) for sha, size in payload.shas.items()]
    conflicts = office.sql("SELECT count(*) FROM sync_conflict")[0][0]
    applications = office.sql("SELECT count(*) FROM application a JOIN trip t ON t.id = a.trip_id "
                              "WHERE t.number = :number", {"number": trip_number})[0][0]
    return OfficeState(int(applied), sum(1 for *_x, done in day if done),
                       sum(size for _sha, size, _r, done in day if done),
                       sum(size if done else received for _sha, size, received, done in day),
                       int(conflicts), int(applications))


# ---------------------------------------------------------------- a sync run

def fill_node(node: NodeProcess, args) -> str:
    """`flask demo field-day` on the node (with the link cut); its summary line."""
    argv = ["demo", "field-day", "--applications", str(args.applications), "--photos", str(args.photos),
            "--photo-kb", str(args.photo_kb), "--seed", str(args.seed)]
    done = node.flask(*argv, timeout=FILL_TIMEOUT)
    if done.returncode != 0:
        raise ProcError(f"flask {' '.join(argv)} exited {done.returncode}\n{done.stdout}\n{done.stderr}")
    return (done.stdout.strip().splitlines() or [""])[-1]


@dataclass
class RunResult:
    passes: int = 0
    failed_passes: int = 0
    wall_s: float = 0.0                # the `flask sync run --once` processes, start to exit
    link_s: float = 0.0                # per pass: first request opened → last closed, summed
    requests: list[Request] = field(default_factory=list)
    bytes_up: int = 0
    bytes_down: int = 0
    refused: int = 0                   # entries the office answered with a conflict, left unsent


def pending(node: NodeProcess) -> tuple[int, int]:
    """(pending, refused): what `flask sync status --json` calls pending (unsent outbox rows, the
    refused ones included), and the refused ones, read directly."""
    row = node.sql("SELECT count(*), coalesce(sum(CASE WHEN last_error IS NOT NULL THEN 1 ELSE 0 END), 0) "
                   "FROM sync_outbox WHERE sent_at IS NULL")[0]
    return int(row[0]), int(row[1])


def sync_until_done(node: NodeProcess, proxy: CountingProxy, run: RunResult, *, max_passes: int,
                    stop_after_failure: bool = False, echo=print) -> RunResult:
    """`flask sync run --once` until pending is 0, or only entries the office refused are left (they
    wait for a person at the office), or with stop_after_failure until a pass fails."""
    for _n in range(max_passes):
        started = time.monotonic()
        done = node.sync_once(timeout=PASS_TIMEOUT)
        run.wall_s += time.monotonic() - started
        run.passes += 1
        taken = proxy.take_requests()
        if taken:
            run.link_s += max(r.closed or r.opened for r in taken) - min(r.opened for r in taken)
            run.requests += taken
        last = (done.stdout.strip().splitlines() or [""])[-1]
        echo(f"  pass {run.passes}: exit {done.returncode}, {time.monotonic() - started:.1f} s, "
             f"{len(taken)} requests: {last[:160]}")
        if done.returncode != 0:
            run.failed_passes += 1
            if stop_after_failure:
                break
        left, run.refused = pending(node)
        if left == 0 or (done.returncode == 0 and left == run.refused):
            break
    run.bytes_up, run.bytes_down = proxy.bytes_up, proxy.bytes_down
    return run


def request_table(requests: list[Request]) -> dict[str, tuple]:
    """kind → (count, bytes up, header bytes up, seconds in all, slowest seconds)."""
    table: dict[str, list] = defaultdict(lambda: [0, 0, 0, 0.0, 0.0])
    for r in requests:
        row = table[r.kind]
        row[0] += 1
        row[1] += r.up
        row[2] += r.header_bytes if r.header_bytes is not None else r.up
        took = (r.closed or r.opened) - r.opened
        row[3] += took
        row[4] = max(row[4], took)
    return {k: tuple(v) for k, v in sorted(table.items())}


def media_sent_twice(requests: list[Request]) -> int:
    """File bytes that crossed the link more than once (overlapping ranges of the PUTs of a file)."""
    ranges: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for r in requests:
        found = r.media_range()
        if found and found[2] > 0:
            sha, first, length = found
            ranges[sha].append((first, first + length))
    twice = 0
    for spans in ranges.values():
        total = sum(b - a for a, b in spans)
        union, end = 0, -1
        for a, b in sorted(spans):
            if b <= end:
                continue
            union += b - max(a, end) if a < end else b - a
            end = b
        twice += total - union
    return twice


def entries_pushed_twice(requests: list[Request], refused: set[str]) -> tuple[int, int, int]:
    """(entries that went up whole in more than one push, of them entries the office had refused
    (a conflict: sent again once per pass by design), duplicates the office answered)."""
    seen = Counter(i.replace("-", "").lower() for r in requests for i in r.push_ids())
    duplicates = 0
    for r in requests:
        answer = r.push_answer()
        if isinstance(answer, dict):
            duplicates += int(answer.get("duplicates") or 0)
    again = {i: n - 1 for i, n in seen.items() if n > 1}
    return sum(again.values()), sum(n for i, n in again.items() if i in refused), duplicates


def refused_ids(node: NodeProcess) -> set[str]:
    rows = node.sql("SELECT entry_id FROM sync_outbox WHERE sent_at IS NULL AND last_error IS NOT NULL")
    return {str(r[0]).replace("-", "").lower() for r in rows}


# ---------------------------------------------------------------- main

def fmt(n: float) -> str:
    return f"{n:,.0f}"


def machine_line() -> str:
    load = os.getloadavg()
    return (f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, "
            f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


def check_office(office: OfficeProcess, trip: str, payload: Payload, before: OfficeState, n_apps: int,
                 label: str) -> list[str]:
    after = office_state(office, trip, payload)
    problems = []
    conflicts = office.sql("SELECT reason, table_name, existing FROM sync_conflict ORDER BY created_at")
    for reason, table, detail in conflicts:
        detail = json.loads(detail) if isinstance(detail, str) else (detail or {})
        print(f"  {label}: conflict {reason} on {table}: {str(detail.get('detail', ''))[:160]}")
    if after.applied - before.applied != payload.entries:
        problems.append(f"{label}: {after.applied - before.applied} of {payload.entries} entries applied")
    if after.media_complete != payload.files or after.media_complete_bytes != payload.file_bytes:
        problems.append(f"{label}: {after.media_complete} of {payload.files} files complete at the office")
    if after.conflicts:
        problems.append(f"{label}: {after.conflicts} conflicts at the office")
    if after.applications - before.applications != n_apps:
        problems.append(f"{label}: {after.applications - before.applications} of {n_apps} applications arrived")
    for sha in payload.shas:
        if not (office.files / sha[:2] / sha).exists():
            problems.append(f"{label}: file {sha[:12]}… missing from the office's store")
            break
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=300)
    parser.add_argument("--photos", type=int, default=3, help="photos per application")
    parser.add_argument("--photo-kb", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cut-at", type=float, default=0.5, help="the cut, as a fraction of the payload")
    parser.add_argument("--no-cut", action="store_true", help="run 1 only")
    parser.add_argument("--sqlite", action="store_true", help="office on SQLite even when PostgreSQL answers")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the work folder here")
    parser.add_argument("--max-passes", type=int, default=60)
    args = parser.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-busday-"))
    for old in ("office", "node", "office-db", "snapshot"):      # a kept work folder: start afresh
        shutil.rmtree(work / old, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    (work / "office-db").mkdir(exist_ok=True)
    db_url = office_db_url(args.sqlite, work)
    print(f"machine: {machine_line()}")
    print(f"work folder: {work}")
    print(f"office database: {'PostgreSQL bench_busday' if db_url.startswith('postgresql') else 'SQLite'}")

    office = OfficeProcess(db_url, work / "office")
    node = NodeProcess(work / "node")
    proxy: CountingProxy | None = None
    snapshot = Snapshot(work, office, node)
    problems: list[str] = []
    try:
        t = time.monotonic()
        office.prepare()
        office.start()
        proxy = CountingProxy(office.port).start()
        trip = office.trip_on_bus()
        node.prepare(proxy.url, office.token(), trip)
        print(f"setup (office db upgrade + demo load, node pair + checkout of {trip}): {time.monotonic() - t:.1f} s")

        proxy.cut()                                    # the bus is in the field: no link
        t = time.monotonic()
        summary = fill_node(node, args)
        fill_s = time.monotonic() - t
        print(f"field day: {summary}")
        print(f"fill_time: {fill_s:.1f} s")
        if node.integrity_check() != "ok":
            problems.append("node: integrity_check after the fill is not ok")

        payload = measure_payload(node)
        print(f"payload_entries: {payload.entries} entries "
              f"({', '.join(f'{k} {v}' for k, v in payload.by_table.most_common())})")
        print(f"payload_entry_json: {payload.entry_bytes} B (compact JSON of each wire entry, uncompressed)")
        print(f"payload_files: {payload.files} files, {payload.file_bytes} B")
        print(f"payload: {payload.total} B")

        office.stop()
        t = time.monotonic()
        snapshot.take()
        print(f"snapshot of both sides: {time.monotonic() - t:.1f} s")
        office.start()
        before = office_state(office, trip, payload)
        t = time.monotonic()
        node.status()
        cli_s = time.monotonic() - t

        # ---- run 1: the whole day, no cut
        print("run 1: sync, no cut")
        proxy.restore()
        proxy.reset_counters()
        proxy.take_requests()
        run1 = sync_until_done(node, proxy, RunResult(), max_passes=args.max_passes)
        state = node.status()
        print(f"node status after run 1: {json.dumps(state, ensure_ascii=False)}")
        problems += check_office(office, trip, payload, before, args.applications, "run 1")
        ratio = run1.bytes_up / payload.total
        print(f"refused_by_office: {run1.refused} entries (conflicts, waiting for a person)")
        print(f"bytes_sent: {run1.bytes_up} B")
        print(f"bytes_received: {run1.bytes_down} B")
        print(f"ratio: {ratio:.4f} (target ≤ {TARGET_RATIO})")
        print(f"sync_wall_time: {run1.wall_s:.1f} s ({run1.passes} pass(es), each a `flask sync run --once` "
              f"process; {run1.failed_passes} failed)")
        print(f"sync_link_time: {run1.link_s:.1f} s (per pass, first request opened → last closed)")
        print(f"cli_start_time: {cli_s:.1f} s (`flask sync status --json`, the start of a flask process here)")
        print(f"throughput: {payload.total / max(run1.link_s, 1e-6) / 1e6:.2f} MB/s of payload over the link time")
        table1 = request_table(run1.requests)
        for kind, (count, up, head, took, slowest) in table1.items():
            print(f"requests_run1[{kind}]: {count} requests, {up} B up, {head} B of them headers, "
                  f"{took:.1f} s in all, slowest {slowest:.2f} s")
        overhead = sum(row[2] for row in table1.values())
        print(f"http_headers_up: {overhead} B ({overhead / payload.total * 100:.2f}% of the payload)")

        # ---- run 2: the same day from the same state, a cut in the middle
        if not args.no_cut:
            print(f"run 2: the same day again from the copied state, cut at {args.cut_at:.0%} of the payload")
            office.stop()
            t = time.monotonic()
            snapshot.restore()
            office.start()
            print(f"restore of both sides: {time.monotonic() - t:.1f} s")
            before2 = office_state(office, trip, payload)
            proxy.restore()
            proxy.reset_counters()
            proxy.take_requests()
            cut_bytes = int(payload.total * args.cut_at)
            proxy.cut_after(cut_bytes)
            run2 = sync_until_done(node, proxy, RunResult(), max_passes=args.max_passes, stop_after_failure=True)
            if proxy.is_up:
                problems.append("run 2: the sync ended before the cut (payload smaller than expected?)")
            up_at_cut = proxy.bytes_up
            at_cut = office_state(office, trip, payload)
            cut_requests = [r for r in run2.requests if r.cut]
            in_flight = cut_requests[0] if cut_requests else None
            applied_at_cut = at_cut.applied - before2.applied
            needed_files = payload.file_bytes - at_cut.media_received
            print(f"cut_at: {up_at_cut} B up ({up_at_cut / payload.total:.1%} of the payload)")
            kept = 0
            if in_flight is not None:
                found = in_flight.media_range()
                if found:
                    rows = office.sql("SELECT received FROM sync_media WHERE sha256 = :sha", {"sha": found[0]})
                    kept = int(rows[0][0]) - found[1] if rows else 0
                what = (f"PUT of file {found[0][:12]}… from byte {found[1]}: {found[2]} of "
                        f"{payload.shas.get(found[0], 0)} B of the file had crossed, the office kept {kept} B "
                        f"(its partial file)" if found else f"{in_flight.kind}: {in_flight.up} B had crossed")
                print(f"cut_in_flight: {what}")
            print(f"office_at_cut: {at_cut.media_complete} of {payload.files} files complete, "
                  f"{at_cut.media_received} B of file bytes received, "
                  f"{applied_at_cut} of {payload.entries} entries applied")
            print(f"still_needed_at_cut: {needed_files} B of files + the JSON of "
                  f"{payload.entries - applied_at_cut} entries")
            time.sleep(1.0)                            # the link is down for a moment
            proxy.restore()
            sync_until_done(node, proxy, run2, max_passes=args.max_passes)
            problems += check_office(office, trip, payload, before2, args.applications, "run 2")
            after_cut = run2.bytes_up - up_at_cut
            resent = run2.bytes_up - run1.bytes_up
            twice = media_sent_twice(run2.requests)
            refused = refused_ids(node)
            pushed_twice, refused_again, duplicates = entries_pushed_twice(run2.requests, refused)
            pushed_twice1, refused_again1, dup1 = entries_pushed_twice(run1.requests, refused)
            lost = sum(r.up for r in run2.requests if r.cut)
            table2 = request_table(run2.requests)
            extra = {k: (table2.get(k, (0, 0))[0] - table1.get(k, (0, 0))[0],
                         table2.get(k, (0, 0))[1] - table1.get(k, (0, 0))[1])
                     for k in sorted(set(table1) | set(table2))}
            print(f"bytes_sent_with_cut: {run2.bytes_up} B ({run2.passes} passes, {run2.failed_passes} cut)")
            print(f"bytes_up_after_cut: {after_cut} B")
            print(f"resent: {resent} B (bytes up of run 2 − run 1, the same day from the same state)")
            print(f"resent_cut_request: {lost} B up in the request the cut hit (headers included), "
                  f"{kept} B of them file bytes the office kept")
            print(f"resent_file_bytes_twice: {twice} B (file bytes that crossed more than once)")
            print(f"resent_entries_twice: {pushed_twice} entries pushed whole twice (run 1: {pushed_twice1}), "
                  f"{refused_again} of them refused by the office (conflicts are sent again once per pass); "
                  f"the office answered {duplicates} duplicates (run 1: {dup1})")
            for kind, (count, up) in extra.items():
                if count or up:
                    print(f"resume_extra[{kind}]: {count:+d} requests, {up:+d} B up")
            unfinished = (in_flight.media_range()[2] if in_flight and in_flight.media_range() else
                          (in_flight.body_up if in_flight else 0))
            only_unfinished = twice <= unfinished and duplicates == 0 and pushed_twice == refused_again
            print(f"sync_wall_time_with_cut: {run2.wall_s:.1f} s ({run2.passes} passes), link {run2.link_s:.1f} s")
            print(f"only_unfinished_part_resent: {'yes' if only_unfinished else 'no'} "
                  f"(file bytes sent twice {twice} B ≤ the part in flight {unfinished} B; entries the office "
                  f"already had pushed again: {duplicates})")
            if not only_unfinished:
                problems.append("run 2: finished parts or applied entries were sent again")
        if node.integrity_check() != "ok":
            problems.append("node: integrity_check at the end is not ok")

        print("summary:")
        print(f"  {args.applications} applications, {payload.files} files of "
              f"{payload.file_bytes / payload.files / 1000:.0f} kB on average, {payload.entries} entries; "
              f"payload {payload.total / 1e6:.2f} MB")
        print(f"  bytes sent {run1.bytes_up / 1e6:.2f} MB = {ratio:.4f} × payload "
              f"({'met' if ratio <= TARGET_RATIO else 'MISSED'}: target ≤ {TARGET_RATIO})")
        print(f"  sync over loopback: {run1.wall_s:.1f} s wall ({run1.passes} pass(es)), link {run1.link_s:.1f} s")
        if not args.no_cut:
            print(f"  cut at {up_at_cut / 1e6:.2f} MB: re-sent {resent / 1000:.1f} kB in all "
                  f"({lost / 1000:.1f} kB in the request cut, {kept / 1000:.1f} kB of it kept by the office; "
                  f"{twice / 1000:.1f} kB of file bytes twice, "
                  f"{pushed_twice} entries twice, {refused_again} of them refused ones) — "
                  f"{'only the unfinished part' if only_unfinished else 'MORE than the unfinished part'}")
        incomplete = [p for p in problems if "sent again" not in p]
        print(f"  office complete after each run: {'yes' if not incomplete else 'NO'}")
        for problem in problems:
            print(f"  problem: {problem}")
        ok = not problems and ratio <= TARGET_RATIO
        return 0 if ok else 1
    except ProcError as error:
        print(f"error: {error}")
        print(office.logs(40))
        print(node.logs(40))
        return 2
    finally:
        node.close()
        office.close()
        if proxy is not None:
            proxy.stop()
        try:
            snapshot.drop()
        except Exception as error:          # the snapshot database may already be gone
            print(f"(snapshot not dropped: {error})")
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
