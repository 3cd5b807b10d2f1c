"""Field node: the HTTP client of the office's /sync/v1/ API and one sync pass.

A pass (`run_pass`): hello (is the office there? the clock offset) → push the outbox in batches
(before each batch, the bytes of the stored files in it, resumable) → pull the office's changes by
cursor → the NodeLink's state (online, last success, last error). Every
call has a short timeout (SYNC_TIMEOUT_SECONDS, at most 5 s by default): with the office down a
pass ends within seconds, and the web process pressing "Sinkronkan sekarang" never hangs. Once
hello answered, the worker's pushes and media parts wait longer for their answer
(SYNC_TRANSFER_TIMEOUT_SECONDS, 60 s): a busy office may take more than 5 s to apply 200 entries,
and a push given up on is applied all the same and then sent whole again (the button keeps the
short timeout for every call).

The transport is a callable `(method, url, headers=, body=, timeout=) -> Response`: urllib in
production (`UrllibTransport`), an app's test client in tests and the demo (`FlaskTransport`);
`app.extensions["kp_sync_transport"]` overrides it for an app. `run_pass` commits (one unit of
work per step, so a batch the office applied is marked sent at once): call it from the CLI, a job
or `services.run_once` (its own app context), never inside a request's unit of work.
"""
from __future__ import annotations

import gzip
import http.client
import json
import logging
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import urlsplit

from flask import current_app

from webapp.core.changes import audit
from webapp.core.db import utcnow
from webapp.core.uow import unit_of_work
from webapp.extensions import db
from webapp.sync import media, outbox, pull, tokens
from webapp.sync.models import NodeLink, OutboxEntry

log = logging.getLogger("webapp.sync")

API = "/sync/v1"
DEFAULT_TIMEOUT = 5.0
DEFAULT_TRANSFER_TIMEOUT = 60.0      # a push or a media part, once the office answered hello
DEFAULT_BATCH = 200
BATCH_MAX_BYTES = 1_800_000          # under the office's 2 MB per push (before compression)
GZIP_OVER_BYTES = 1024
USER_AGENT = "ketupat-pecel-node/1"


# --- transport ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    headers: dict = field(default_factory=dict)

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8")) if self.body else None
        except (UnicodeDecodeError, ValueError):
            return None


class OfficeUnreachable(Exception):
    """No answer from the office (refused, timed out, no route, name unknown): the node is offline."""


class OfficeRefused(Exception):
    """The office answered, but not with what the node asked (401, 5xx, an unreadable answer)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


Transport = Callable[..., Response]


class UrllibTransport:
    """HTTP(S) with the standard library (the office sits behind HTTPS; its certificate is checked)."""

    def __call__(self, method: str, url: str, *, headers: dict, body: bytes | None, timeout: float) -> Response:
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        # http.client.HTTPException: the answer broke off (IncompleteRead when the office's process
        # died in the middle of its body, BadStatusLine…) — no OSError, but the same dead link.
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                return Response(answer.status, answer.read(), dict(answer.headers))
        except urllib.error.HTTPError as error:
            try:
                with error:
                    return Response(error.code, error.read() or b"", dict(error.headers or {}))
            except (OSError, http.client.HTTPException) as broken:
                raise OfficeUnreachable(f"kantor tidak terjangkau: {type(broken).__name__}") from None
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, OSError,
                http.client.HTTPException) as error:
            reason = getattr(error, "reason", error)
            raise OfficeUnreachable(f"kantor tidak terjangkau: {reason}") from None


class FlaskTransport:
    """The calls go to an app in this process (tests, the demo): its test client, no sockets."""

    def __init__(self, app) -> None:
        self.app = app

    def __call__(self, method: str, url: str, *, headers: dict, body: bytes | None, timeout: float) -> Response:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        answer = self.app.test_client().open(path, method=method, headers=headers, data=body)
        return Response(answer.status_code, answer.get_data(), dict(answer.headers))


def default_transport() -> Transport:
    return current_app.extensions.get("kp_sync_transport") or UrllibTransport()


# --- the client ----------------------------------------------------------------------------------------

def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).isoformat()


@dataclass(frozen=True)
class Hello:
    node: str
    office_time: datetime
    clock_offset_s: float          # office clock − node clock
    round_trip_s: float


class SyncClient:
    def __init__(self, office_url: str, token: str, node_code: str, *, transport: Transport | None = None,
                 timeout: float = DEFAULT_TIMEOUT, clock: Callable[[], float] = time.time,
                 transfer_timeout: float | None = None) -> None:
        self.base = office_url.rstrip("/")
        self.token, self.node_code = token, node_code
        self.transport = transport or UrllibTransport()
        self.timeout = timeout
        self.transfer_timeout = max(timeout, transfer_timeout or timeout)   # pushes and media parts
        self.clock = clock             # the node's wall clock (a test sets it days off)
        self.bytes_sent = 0

    def call(self, method: str, path: str, payload: Any = None, *, body: bytes | None = None,
             headers: dict | None = None, timeout: float | None = None) -> Response:
        sent = dict(headers or {})
        if payload is not None:
            body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
            sent["Content-Type"] = "application/json"
            if len(body) > GZIP_OVER_BYTES:
                body = gzip.compress(body, compresslevel=6)
                sent["Content-Encoding"] = "gzip"
        sent.update({"Authorization": f"Bearer {self.token}", "Accept": "application/json", "User-Agent": USER_AGENT})
        self.bytes_sent += len(body or b"")
        return self.transport(method, self.base + API + path, headers=sent, body=body, timeout=timeout or self.timeout)

    def hello(self, *, backlog: int | None = None) -> Hello:
        started = self.clock()
        answer = self.call("POST", "/hello", {"node": self.node_code, "node_time": _iso(started), "backlog": backlog})
        ended = self.clock()
        data = _expect(answer, 200)
        try:
            office_time = datetime.fromisoformat(data["office_time"])
        except (KeyError, TypeError, ValueError):
            raise OfficeRefused("jawaban hello kantor tidak terbaca", answer.status) from None
        if str(data.get("node", "")).upper() != self.node_code.upper():
            raise OfficeRefused(f"token ini milik node {data.get('node')}, bukan {self.node_code}", answer.status)
        offset = office_time.timestamp() - (started + ended) / 2
        return Hello(str(data["node"]), office_time, round(offset, 3), round(ended - started, 3))

    def push(self, entries: list[dict], *, backlog: int, clock_offset_s: float | None) -> Response:
        payload = {"node": self.node_code, "entries": entries, "backlog": backlog,
                   "node_time": _iso(self.clock()), "clock_offset_s": clock_offset_s}
        return self.call("POST", "/push", payload, timeout=self.transfer_timeout)


REFUSAL_WORDS = {401: "token ditolak kantor (401): pasangkan ulang node ini",
                 403: "kantor menolak node ini (403)", 413: "kiriman terlalu besar (413)"}


def _expect(answer: Response, *statuses: int) -> dict:
    data = answer.json()
    if answer.status not in statuses or not isinstance(data, dict):
        message = REFUSAL_WORDS.get(answer.status) or f"kantor menjawab {answer.status}"
        raise OfficeRefused(message, answer.status)
    return data


# --- one pass ---------------------------------------------------------------------------------------------

@dataclass
class PassResult:
    ok: bool = False
    online: bool = False
    pushed: int = 0                 # entries the office applied or already had
    pulled: int = 0                 # office changes applied here
    media_bytes: int = 0            # file bytes sent
    conflicts: int = 0              # entries the office refused (kept, shown, sent again later)
    clock_offset_s: float | None = None
    error: str | None = None
    skipped: bool = False           # another pass was running
    bytes_sent: int = 0

    def to_dict(self) -> dict:
        return {"ok": self.ok, "online": self.online, "pushed": self.pushed, "pulled": self.pulled,
                "media_bytes": self.media_bytes, "conflicts": self.conflicts,
                "clock_offset_s": self.clock_offset_s, "error": self.error, "skipped": self.skipped}


@dataclass
class Pass:
    """What the steps of a pass share."""
    client: SyncClient
    link: NodeLink
    hello: Hello
    result: PassResult
    batch_size: int = DEFAULT_BATCH
    deadline: float | None = None    # time.monotonic() after which no further batch starts
    refused_now: set = field(default_factory=set)   # entry ids the office refused in this pass

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() > self.deadline


def link() -> NodeLink | None:
    return db.session.get(NodeLink, 1)


def client_for(node_link: NodeLink, *, transport: Transport | None = None, timeout: float | None = None,
               clock: Callable[[], float] = time.time, transfer_timeout: float | None = None) -> SyncClient:
    token = tokens.load_token()
    if not token:
        raise OfficeRefused("token node tidak ada (instance/sync-token): pasangkan ulang node ini")
    return SyncClient(node_link.office_url, token, node_link.node_code, transport=transport or default_transport(),
                      timeout=timeout or float(current_app.config.get("SYNC_TIMEOUT_SECONDS", DEFAULT_TIMEOUT)),
                      clock=clock, transfer_timeout=transfer_timeout)


def run_pass(*, transport: Transport | None = None, timeout: float | None = None, budget_s: float | None = None,
             batch_size: int | None = None, clock: Callable[[], float] = time.time) -> PassResult:
    """One sync pass (commits; see the module docstring). Never raises for the office being down."""
    result = PassResult()
    node_link = link()
    if node_link is None:
        result.error = "node belum dipasangkan dengan kantor (flask field pair)"
        return result
    with unit_of_work():
        node_link.last_attempt_at = utcnow()
    client = None
    try:
        # A pass with a time budget (the button) keeps the short timeout for its pushes too.
        transfer = None if budget_s else float(current_app.config.get("SYNC_TRANSFER_TIMEOUT_SECONDS",
                                                                       DEFAULT_TRANSFER_TIMEOUT))
        client = client_for(node_link, transport=transport, timeout=timeout, clock=clock, transfer_timeout=transfer)
        hello = client.hello(backlog=outbox.pending_count())
        result.online, result.clock_offset_s = True, hello.clock_offset_s
        state = Pass(client, node_link, hello, result, batch_size or int(
            current_app.config.get("SYNC_BATCH_SIZE", DEFAULT_BATCH)),
            time.monotonic() + budget_s if budget_s else None)
        for step in PASS_STEPS:
            step(state)
            if state.out_of_time():
                break
        result.ok = True
    except OfficeUnreachable as error:
        result.error = str(error)
    except OfficeRefused as error:
        result.online = error.status is not None
        result.error = str(error)
    finally:
        result.bytes_sent = client.bytes_sent if client is not None else 0
    _record(node_link, result)
    return result


def _record(node_link: NodeLink, result: PassResult) -> None:
    with unit_of_work():
        node_link.online = result.online
        now = utcnow()
        if result.clock_offset_s is not None:
            node_link.clock_offset_s = result.clock_offset_s
        if result.ok:
            node_link.last_success_at = now
        error = result.error or (f"{result.conflicts} entri ditolak kantor (konflik): menunggu keputusan di kantor"
                                 if result.conflicts else None)
        node_link.last_error = error
        if error:
            node_link.last_error_at = now
        if result.pushed or result.pulled or result.conflicts or result.media_bytes:
            _audit_pass(node_link, result)


def _audit_pass(node_link: NodeLink, result: PassResult) -> None:
    """The node's own log: one entry per pass that moved something (an idle or offline pass, every
    30 s, writes none)."""
    parts = [f"ke kantor {result.pushed} entri diterima"]
    if result.conflicts:
        parts.append(f"{result.conflicts} ditolak (konflik)")
    if result.media_bytes:
        parts.append(f"berkas {result.media_bytes} bita")
    parts.append(f"dari kantor {result.pulled} entri")
    if result.clock_offset_s is not None:
        parts.append(f"selisih jam {result.clock_offset_s:+.0f} dtk")
    if result.error:
        parts.append(f"berhenti: {result.error[:200]}")
    audit("sync_pass", entity_type="sync_link", entity_id=node_link.id,
          summary=f"{node_link.node_code} ↔ {node_link.office_url}: " + "; ".join(parts))


# --- the steps --------------------------------------------------------------------------------------------

def upload_file(state: Pass, sha256: str, size: int, mime_type: str) -> None:
    """Send a stored file's bytes the office lacks, from where it stopped (a cut upload resumes;
    finished parts are never sent again)."""
    path = media.local_path(sha256)
    if path is None:
        log.warning("sync: the bytes of %s… are not on this node; the row is sent without them", sha256[:12])
        return
    found = _expect(state.client.call("GET", f"/media/{sha256}"), 200)
    received, complete = int(found.get("received") or 0), bool(found.get("complete"))
    with open(path, "rb") as handle:
        while not complete:
            # Until the office says complete: it may hold every byte yet not have finished the file
            # (its process died between the last part and the move into the store). An empty part
            # at the end lets it check the sha256 and finish; the row is pushed only after that.
            handle.seek(received)
            part = handle.read(media.PART_BYTES)
            if not part and received < size:
                raise OfficeRefused(f"berkas {sha256[:12]}… di node lebih pendek dari ukurannya")
            answer = state.client.call("PUT", f"/media/{sha256}?offset={received}", body=part, headers={
                "Content-Type": "application/octet-stream", "X-Media-Size": str(size), "X-Media-Type": mime_type},
                timeout=state.client.transfer_timeout)
            if answer.status == 403:       # no trip checked out: the push of the row says so (a conflict)
                return
            data = answer.json() if answer.status == 409 else _expect(answer, 200)
            if not isinstance(data, dict) or "received" not in data:
                raise OfficeRefused(f"kantor menjawab {answer.status} untuk berkas {sha256[:12]}…", answer.status)
            if answer.status == 200:
                state.result.media_bytes += len(part)
            if answer.status == 200 and not part and not data.get("complete"):
                raise OfficeRefused(f"kantor tidak menyelesaikan berkas {sha256[:12]}…", answer.status)
            received, complete = int(data["received"]), bool(data.get("complete"))


def upload_media(state: Pass, entries: list[OutboxEntry]) -> None:
    """Before a batch is pushed: the bytes of the stored files it carries (so a stored_file row
    never arrives without its bytes; a cut leaves the batch unsent and the next pass resumes)."""
    for entry in entries:
        values = (entry.payload or {}).get("values") or {}
        if entry.table_name == "stored_file" and entry.operation != "delete" and values.get("sha256"):
            upload_file(state, str(values["sha256"]), int(values.get("size") or 0),
                        str(values.get("mime_type") or "application/octet-stream"))


def _fit(entries: list[OutboxEntry], limit_bytes: int) -> tuple[list[OutboxEntry], list[dict]]:
    """The leading entries whose JSON fits in one push (at least one)."""
    chosen, wire, size = [], [], 0
    for entry in entries:
        item = outbox.wire_entry(entry)
        length = len(json.dumps(item, separators=(",", ":"), ensure_ascii=False).encode("utf-8")) + 1
        if chosen and size + length > limit_bytes:
            break
        chosen.append(entry)
        wire.append(item)
        size += length
    return chosen, wire


def _send(state: Pass, batch: list[OutboxEntry]) -> list[OutboxEntry]:
    """Push one batch and note the office's answer per entry. Returns the entries sent."""
    chosen, wire = _fit(batch, BATCH_MAX_BYTES)
    upload_media(state, chosen)
    answer = state.client.push(wire, backlog=outbox.pending_count(), clock_offset_s=state.hello.clock_offset_s)
    if answer.status == 413:
        if len(chosen) > 1:
            state.batch_size = max(1, len(chosen) // 2)
            return []
        data = {"results": [{"id": str(chosen[0].entry_id), "status": "conflict", "reason": "too_large"}]}
    else:
        data = _expect(answer, 200, 409)
    by_id = {str(r.get("id")): r for r in data.get("results") or [] if isinstance(r, dict)}
    now = utcnow()
    with unit_of_work():
        for entry in chosen:
            found = by_id.get(str(entry.entry_id)) or {}
            entry.attempts = (entry.attempts or 0) + 1
            if found.get("status") in ("applied", "duplicate"):
                entry.sent_at, entry.last_error = now, None
                state.result.pushed += 1
            else:
                entry.last_error = str(found.get("reason") or "tanpa jawaban untuk entri ini")[:500]
                state.result.conflicts += 1
                state.refused_now.add(entry.seq)
    return chosen


def push_outbox(state: Pass) -> None:
    """Oldest first, in batches; then the entries refused before (one batch a pass)."""
    after = 0
    while not state.out_of_time():
        batch = outbox.next_batch(state.batch_size, after_seq=after)
        if not batch:
            break
        sent = _send(state, batch)
        if sent:
            after = sent[-1].seq
    refused = [e for e in outbox.next_batch(state.batch_size, refused=True) if e.seq not in state.refused_now]
    if refused and not state.out_of_time():
        _send(state, refused)


def pull_changes(state: Pass) -> None:
    """The office's changes for this node's trips, page by page from NodeLink.pull_cursor; each page
    applied with its cursor in one transaction (webapp.sync.pull)."""
    while not state.out_of_time():
        cursor = int(state.link.pull_cursor or 0)
        data = _expect(state.client.call("GET", f"/pull?cursor={cursor}&limit={state.batch_size}"), 200)
        entries = data.get("entries") or []
        if not entries:
            return
        with unit_of_work():
            state.link.last_attempt_at = utcnow()          # the first write: savepoints nest (SQLite)
            db.session.flush()
            outcome = pull.apply_pulled(entries, cursor)
            state.link.pull_cursor = outcome.cursor
        state.result.pulled += outcome.applied
        if outcome.error:
            raise OfficeRefused(outcome.error, 200)
        if not data.get("more"):
            return


PASS_STEPS: list[Callable[[Pass], None]] = [push_outbox, pull_changes]   # media: before each batch
