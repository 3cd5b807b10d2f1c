"""Office: apply the entries a node pushed, each exactly once, and keep what cannot be applied as a
conflict for a person to decide. Nothing is silently dropped or overwritten.

For each entry, in the order sent (see docs/sync-protocol.md):
- its content hash is computed here (table, key, operation, values), never taken from the node;
- an entry already decided as a conflict answers "duplicate" (the node may stop sending it), one
  still open answers "conflict" again (no second conflict row);
- an entry applied before answers "duplicate" with the same hash, "conflict" (hash_mismatch)
  with another: same key, different content;
- its table must sync, and its row's trip (from the values and, for a row the office has, from
  the office's row too) must be checked out to the node ("not_checked_out");
- an insert of a row the office already has with other values is "office_changed"; so is an
  update whose `before` (what the node's columns held before it) differs from the office's current
  value of a column the update writes, unless the office already holds the incoming value;
- otherwise the row is written through the ORM and the change door (record_change, no audit entry
  per row: the push has one) inside a savepoint, with its AppliedEntry, all in the request's
  transaction. A row whose parent comes later in the batch (or whose write fails a constraint) is
  retried after the others; what still fails is a conflict ("invalid" / "not_checked_out"),
  marked as waiting: when the node sends the entry again (it re-sends refused entries once a
  pass) it is tried again, and if it applies now its conflict closes itself
  (`diterapkan_ulang`), e.g. a row whose parent arrived in the next batch.
The change events of applied rows carry `applying_from()` = the node: they never travel back.
A status history row from the node keeps the `at` it came with; the push's measured clock offset is
kept beside it (`clock_offset_s`, a column the receiving side keeps for itself), so the SOP figures
read it on the office's clock (webapp.core.changes.StatusHistory.corrected_at).
"""
from __future__ import annotations

import hashlib
import json
import math
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from webapp.core.changes import audit, json_safe, record_change
from webapp.core.db import utcnow
from webapp.core.errors import DomainError
from webapp.core.validation import clean_text
from webapp.extensions import db
from webapp.sync import nodes
from webapp.sync.models import (CONFLICT_DECIDED, CONFLICT_OPEN, AppliedEntry, FieldNode, SyncConflict)
from webapp.sync.origin import applying
from webapp.sync.rows import DbLookup, column_value, entity_tables, key_values, model_of, table_syncs
from webapp.sync.scope import as_uuid, resolve

APPLIED, DUPLICATE, CONFLICT = "applied", "duplicate", "conflict"
HASH_MISMATCH, OFFICE_CHANGED, NOT_CHECKED_OUT, INVALID = "hash_mismatch", "office_changed", "not_checked_out", "invalid"
REASON_LABELS = {
    HASH_MISMATCH: _l("Kunci sama, isi berbeda"),
    OFFICE_CHANGED: _l("Baris sudah diubah di kantor"),
    NOT_CHECKED_OUT: _l("Perjalanan tidak sedang dibawa node ini"),
    INVALID: _l("Entri tidak dapat diterapkan"),
}
TAKE_BUS, KEEP_OFFICE = "terima_bus", "pertahankan_kantor"
DECISION_LABELS = {TAKE_BUS: _l("Terima versi bus"), KEEP_OFFICE: _l("Pertahankan versi kantor")}
# Not a person's choice: a conflict of an entry that was waiting (its parent had not arrived, a
# constraint failed) closes itself when the node sends the entry again and it applies.
APPLIED_ON_RESEND = "diterapkan_ulang"
DECISION_DISPLAY = {**DECISION_LABELS, APPLIED_ON_RESEND: _l("Diterapkan otomatis saat dikirim ulang")}
OPERATIONS = frozenset({"insert", "update", "delete"})
OP_WORDS = {"insert": "create", "update": "update", "delete": "delete"}
MAX_NOTE = 1000


def content_hash(table: str, key: str, operation: str, values: dict) -> str:
    """The same digest as webapp.core.changes.ChangeEvent.content_hash."""
    body = json.dumps([table, key, operation, values], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Entry:
    id: uuid.UUID
    table: str
    key: str
    operation: str
    values: dict
    changed: tuple[str, ...]
    hash: str
    at: datetime | None
    raw: dict
    before: dict = field(default_factory=dict)     # an update's columns as the node had them before

    def stored(self, clock_offset_s: float | None = None) -> dict:
        """The entry as a conflict keeps it (with the hash computed here, and the clock offset of
        the push that brought it, for a decision to take the bus version later)."""
        found = {**self.raw, "hash": self.hash}
        if clock_offset_s is not None:
            found["clock_offset_s"] = clock_offset_s
        return found


@dataclass(frozen=True)
class EntryResult:
    id: str | None
    status: str
    reason: str | None = None

    def to_dict(self) -> dict:
        found = {"id": self.id, "status": self.status}
        if self.reason:
            found["reason"] = self.reason
        return found


@dataclass
class PushOutcome:
    results: list[EntryResult] = field(default_factory=list)
    files: int = 0                  # stored files (their bytes uploaded before the push) applied
    file_bytes: int = 0

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def has_conflicts(self) -> bool:
        return self.count(CONFLICT) > 0


class Refused(Exception):
    """The entry is a conflict: `reason`, a short `detail`, and the office's row if any."""

    def __init__(self, reason: str, detail: str = "", existing: dict | None = None) -> None:
        super().__init__(detail or reason)
        self.reason, self.detail, self.existing = reason, detail, existing


class Later(Refused):
    """Not (yet) applicable: tried again after the rest of the batch, then a conflict."""


# --- reading an entry ------------------------------------------------------------------------------

def _parse_time(value: Any) -> datetime | None:
    try:
        found = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return found if found is None or found.tzinfo else None


def parse_entry(raw: Any) -> Entry:
    if not isinstance(raw, dict):
        raise Refused(INVALID, "entry is not an object")
    entry_id = as_uuid(raw.get("id"))
    table, key, operation, values = raw.get("table"), raw.get("key"), raw.get("operation"), raw.get("values")
    if entry_id is None or not isinstance(table, str) or not isinstance(key, str) or operation not in OPERATIONS \
            or not isinstance(values, dict):
        raise Refused(INVALID, "id, table, key, operation and values are required")
    changed = raw.get("changed") or ()
    if not isinstance(changed, (list, tuple)) or not all(isinstance(c, str) for c in changed):
        raise Refused(INVALID, "changed must be a list of column names")
    before = raw.get("before") or {}          # absent in entries written before it existed
    if not isinstance(before, dict):
        raise Refused(INVALID, "before must be an object of column values")
    found = content_hash(table, key, operation, values)
    claimed = raw.get("hash")
    entry = Entry(entry_id, table, key, operation, values, tuple(changed), found, _parse_time(raw.get("at")), raw,
                  before)
    if claimed is not None and claimed != found:
        raise Refused(INVALID, "hash does not match the content")
    return entry


# --- rows -----------------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def columns_of(cls) -> dict[str, Any]:
    """column name → (attribute name, Column) of the model's own table."""
    mapper = inspect(cls)
    table = mapper.local_table
    return {prop.columns[0].name: (prop.key, prop.columns[0]) for prop in mapper.column_attrs
            if prop.columns[0].table is table}


def kept_columns(cls) -> frozenset:
    """Columns the receiving side keeps for itself (the model's `__sync_kept__`): never written
    from, nor compared with, an entry — e.g. status history's clock offset, set on arrival."""
    return getattr(cls, "__sync_kept__", frozenset())


def _bookkeeping(cls) -> frozenset:
    """Columns every write changes by itself (`updated_at`): not a person's change to compare."""
    return frozenset(name for name, (_attr, column) in columns_of(cls).items() if column.onupdate is not None)


def row_as_json(obj) -> dict:
    cls = type(obj)
    return {name: json_safe(getattr(obj, attr)) for name, (attr, _c) in columns_of(cls).items()}


def _normalised(cls, values: dict) -> dict:
    """Incoming values as the office would write them back out (same formats for comparing)."""
    columns = columns_of(cls)
    return {name: json_safe(column_value(columns[name][1], value)) for name, value in values.items() if name in columns}


def find_row(cls, key: str):
    try:
        parts = key_values(cls.__table__, key)
    except (ValueError, TypeError):
        raise Refused(INVALID, "key does not match the table's primary key") from None
    return db.session.get(cls, parts[0] if len(parts) == 1 else tuple(parts))


def set_columns(obj, values: dict, names) -> None:
    columns = columns_of(type(obj))
    kept = kept_columns(type(obj))
    for name in names:
        if name in columns and name in values and name not in kept:
            attr, column = columns[name]
            try:
                setattr(obj, attr, column_value(column, values[name]))
            except (ValueError, TypeError) as error:
                raise Refused(INVALID, f"{name}: {type(error).__name__}") from None


def _check_table(entry: Entry):
    cls = model_of(entry.table)
    if cls is None or not table_syncs(entry.table):
        raise Refused(INVALID, f"table {entry.table} does not sync")
    if entry.table == "status_history":
        entity_table = entity_tables().get(str(entry.values.get("entity_type") or ""))
        if entity_table is None or not table_syncs(entity_table):
            raise Refused(INVALID, "status history of an entity that does not sync")
    return cls


def _check_scope(entry: Entry, existing: dict | None, checked_out: set) -> None:
    lookup = DbLookup()
    incoming = resolve(entry.table, entry.values, lookup)
    if not incoming.resolved:
        raise Later(NOT_CHECKED_OUT, "the row's trip cannot be found (its parent row is missing)")
    if not incoming.allowed(checked_out):
        raise Refused(NOT_CHECKED_OUT, "trip not checked out to this node")
    if existing is not None:
        current = resolve(entry.table, existing, lookup)
        if current.resolved and not current.allowed(checked_out):
            raise Refused(NOT_CHECKED_OUT, "the office's row belongs to a trip not checked out to this node",
                          existing)


def _write(entry: Entry, cls, obj, *, force: bool = False):
    """Insert, update or delete the row by its key (force: a person decided for the bus version).
    Returns the row written with the entry's values (None: deleted, or already exactly so)."""
    columns = columns_of(cls)
    if entry.operation == "delete":
        if obj is not None:
            record_change(obj, OP_WORDS["delete"], actor=None, audit=False)
            db.session.delete(obj)
        return None
    if obj is None:
        if entry.operation == "update" and not force:
            raise Later(INVALID, "update of a row the office does not have")
        obj = cls()
        set_columns(obj, entry.values, columns)
        db.session.add(obj)
        record_change(obj, OP_WORDS["insert"], actor=None, audit=False)
        return obj
    if entry.operation == "insert" and not force:
        existing = row_as_json(obj)
        kept = kept_columns(cls)
        incoming = _normalised(cls, {k: v for k, v in entry.values.items() if k not in kept})
        if any(existing.get(name) != value for name, value in incoming.items()):
            raise Refused(OFFICE_CHANGED, "the office has this row with other values", existing)
        return None                             # the office has exactly this row already
    names = [c for c in entry.changed if c in columns] if entry.operation == "update" and entry.changed \
        and not force else list(columns)
    primary = {c.name for c in cls.__table__.primary_key.columns}
    names = [n for n in names if n not in primary]
    if entry.operation == "update" and not force:
        _check_unchanged_at_office(cls, obj, entry, names)
    set_columns(obj, entry.values, names)
    record_change(obj, OP_WORDS["update"], actor=None, audit=False)
    return obj


def _check_unchanged_at_office(cls, obj, entry: Entry, names: list[str]) -> None:
    """An update says what its columns held on the node before it (`before`). A column the office
    changed meanwhile (its value is neither that nor the incoming one) is a conflict
    "office_changed": the bus's update is not written over it. Columns missing from `before`
    (an entry from before it existed, a column set on an expired row) are not compared."""
    if not entry.before:
        return
    columns = columns_of(cls)
    skip = kept_columns(cls) | _bookkeeping(cls)
    clashing = []
    for name in names:
        if name not in entry.before or name in skip:
            continue
        attr, column = columns[name]
        try:
            was, coming = column_value(column, entry.before[name]), column_value(column, entry.values.get(name))
        except (ValueError, TypeError) as error:
            raise Refused(INVALID, f"{name}: {type(error).__name__}") from None
        current = getattr(obj, attr)
        if current != was and current != coming:
            clashing.append(name)
    if clashing:
        raise Refused(OFFICE_CHANGED, "the office changed " + ", ".join(clashing) + " meanwhile", row_as_json(obj))


def stamp_clock_offset(obj, clock_offset_s: float | None) -> None:
    """A row from a node keeps the clock offset measured at the sync that brought it (status
    history: the SOP clocks read its time on the office's clock)."""
    if "clock_offset_s" in kept_columns(type(obj)):
        obj.clock_offset_s = clock_offset_s


def _flush() -> None:
    try:
        db.session.flush()
    except IntegrityError as error:
        raise Later(INVALID, _db_message(error)) from None
    except DBAPIError as error:
        if error.connection_invalidated:
            raise
        raise Later(INVALID, _db_message(error)) from None


def _db_message(error: DBAPIError) -> str:
    """The database's first line (names the constraint, not the values: PostgreSQL's DETAIL,
    which quotes them, is on a later line)."""
    text = str(getattr(error, "orig", error) or error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:200]


def _apply_one(node: FieldNode, entry: Entry, checked_out: set, clock_offset_s: float | None) -> None:
    cls = _check_table(entry)
    obj = find_row(cls, entry.key)
    existing = row_as_json(obj) if obj is not None else None
    _check_scope(entry, existing, checked_out)
    written = _write(entry, cls, obj)
    if written is not None:
        stamp_clock_offset(written, clock_offset_s)
    _flush()
    if written is not None:
        _raise_node_counters(node.code, written)
    db.session.add(AppliedEntry(entry_id=entry.id, node_code=node.code, table_name=entry.table,
                                row_key=entry.key[:120], content_hash=entry.hash, node_at=entry.at))
    _flush()


def _raise_node_counters(node_code: str, obj) -> None:
    """A number the node handed out (its receipt KP-BUS01-000123, a case, a trip's queue number)
    raises the office's counter of that node, so a laptop that replaces it (whose check-out
    package carries these counters) goes on from there instead of numbering again from 1."""
    from webapp.core.counters import raise_to
    from webapp.field.models import Visit
    from webapp.sync.checkout import NODE_NUMBERS
    tag = node_code.replace("-", "")
    for prefix, name, model, column in NODE_NUMBERS:
        if isinstance(obj, model):
            head, _sep, tail = str(getattr(obj, column.key) or "").rpartition("-")
            if head == f"{prefix}-{tag}" and tail.isdigit():
                raise_to(name, int(tail), node_code)
    if isinstance(obj, Visit) and obj.queue_number and obj.trip_id is not None:
        raise_to(f"q:{obj.trip_id.hex}", obj.queue_number, node_code)


# --- conflicts ----------------------------------------------------------------------------------

def record_conflict(node_code: str, entry: Entry | None, raw: Any, refused: Refused, *,
                    clock_offset_s: float | None = None) -> SyncConflict:
    stored = entry.stored(clock_offset_s) if entry is not None else (
        raw if isinstance(raw, dict) else {"value": json_safe(raw)})
    existing = {"detail": refused.detail, "row": refused.existing}
    if isinstance(refused, Later):
        existing["retry"] = True           # tried again when the node sends the entry again
    conflict = SyncConflict(
        node_code=node_code, entry_id=entry.id if entry else (as_uuid(stored.get("id")) or uuid.uuid4()),
        table_name=(entry.table if entry else str(stored.get("table") or "?"))[:60],
        row_key=(entry.key if entry else str(stored.get("key") or "?"))[:120],
        reason=refused.reason, incoming=stored, existing=existing, status=CONFLICT_OPEN)
    db.session.add(conflict)
    record_change(conflict, "sync_conflict", actor=None,
                  summary=f"{node_code}: {conflict.table_name} {conflict.row_key[:40]} — {refused.reason}")
    return conflict


def _known(conflicts: dict, entry: Entry) -> SyncConflict | None:
    for conflict in conflicts.get(entry.id, ()):
        if (conflict.incoming or {}).get("hash") == entry.hash:
            return conflict
    return None


def _waiting(conflict: SyncConflict) -> bool:
    """An open conflict of an entry that may apply when sent again: its parent row had not
    arrived (a batch boundary fell between them) or a constraint failed."""
    return conflict.status == CONFLICT_OPEN and bool((conflict.existing or {}).get("retry"))


def _close_applied(conflict: SyncConflict) -> None:
    conflict.status, conflict.decision = CONFLICT_DECIDED, APPLIED_ON_RESEND
    conflict.decided_by, conflict.decided_at = "sistem", utcnow()
    conflict.note = "Dikirim ulang oleh node dan kali ini dapat diterapkan (barisan induknya sudah tiba)."
    record_change(conflict, "decide", actor=None,
                  summary=f"{conflict.node_code}: {conflict.table_name} {conflict.row_key[:40]} — diterapkan saat dikirim ulang")


# --- the push ---------------------------------------------------------------------------------------

def _classify(raw_entries: list, applied: dict, conflicts: dict, results: list, node: FieldNode) -> list:
    """First look: what is settled already (duplicates, known conflicts, unreadable entries).
    Returns [(index, Entry, the open waiting conflict or None)] still to apply."""
    todo, seen = [], {}
    for index, raw in enumerate(raw_entries):
        try:
            entry = parse_entry(raw)
        except Refused as refused:
            conflict = record_conflict(node.code, None, raw, refused)
            results[index] = EntryResult(str(conflict.entry_id), CONFLICT, refused.reason)
            continue
        known = _known(conflicts, entry)
        done = applied.get(entry.id)
        if known is not None and done is None and entry.id not in seen and _waiting(known):
            seen[entry.id] = entry.hash
            todo.append((index, entry, known))
        elif known is not None:
            results[index] = EntryResult(str(entry.id), DUPLICATE if known.status == CONFLICT_DECIDED else CONFLICT,
                                         "conflict_decided" if known.status == CONFLICT_DECIDED else known.reason)
        elif done is not None or entry.id in seen:
            same = (done.content_hash if done is not None else seen[entry.id]) == entry.hash
            if same:
                results[index] = EntryResult(str(entry.id), DUPLICATE)
            else:
                record_conflict(node.code, entry, raw, Refused(
                    HASH_MISMATCH, "an entry with this id was applied with other content",
                    {"applied_hash": done.content_hash if done is not None else seen[entry.id]}))
                results[index] = EntryResult(str(entry.id), CONFLICT, HASH_MISMATCH)
        else:
            seen[entry.id] = entry.hash
            todo.append((index, entry, None))
    return todo


def _file_size(entry: Entry) -> int:
    try:
        return max(0, int(entry.values.get("size") or 0))
    except (TypeError, ValueError):
        return 0


def apply_push(node: FieldNode, raw_entries: list, *, clock_offset_s: float | None = None) -> PushOutcome:
    """Apply a push's entries (in the caller's transaction; the caller commits, also on 409).
    `clock_offset_s`: the offset measured at this sync, kept with the status history it brings."""
    results: list[EntryResult | None] = [None] * len(raw_entries)
    ids = [i for i in (as_uuid(r.get("id")) if isinstance(r, dict) else None for r in raw_entries) if i]
    applied = {a.entry_id: a for a in db.session.execute(
        select(AppliedEntry).where(AppliedEntry.entry_id.in_(ids))).scalars()} if ids else {}
    conflicts: dict = {}
    if ids:
        for conflict in db.session.execute(select(SyncConflict).where(SyncConflict.entry_id.in_(ids))).scalars():
            conflicts.setdefault(conflict.entry_id, []).append(conflict)
    todo = _classify(raw_entries, applied, conflicts, results, node)
    checked_out = nodes.checked_out_trips(node.code)
    outcome = PushOutcome()
    with applying(node.code):
        while todo:
            later = []
            for index, entry, known in todo:
                try:
                    with db.session.begin_nested():
                        _apply_one(node, entry, checked_out, clock_offset_s)
                except Later as waiting:
                    later.append((index, entry, known, waiting))
                    continue
                except Refused as refused:
                    if known is None:
                        record_conflict(node.code, entry, entry.raw, refused, clock_offset_s=clock_offset_s)
                    results[index] = EntryResult(str(entry.id), CONFLICT, refused.reason)
                    continue
                if known is not None:
                    _close_applied(known)
                results[index] = EntryResult(str(entry.id), APPLIED)
                if entry.table == "stored_file" and entry.operation == "insert":
                    outcome.files += 1
                    outcome.file_bytes += _file_size(entry)
            if len(later) == len(todo):          # no progress: what is left is a conflict
                for index, entry, known, waiting in later:
                    if known is None:
                        record_conflict(node.code, entry, entry.raw, waiting, clock_offset_s=clock_offset_s)
                    results[index] = EntryResult(str(entry.id), CONFLICT, waiting.reason)
                break
            todo = [(index, entry, known) for index, entry, known, _w in later]
    outcome.results = [r for r in results if r is not None]
    return outcome


def audit_push(node: FieldNode, outcome: PushOutcome, *, backlog: int | None, clock_offset_s: float | None) -> None:
    summary = (f"{node.code}: {len(outcome.results)} entri — {outcome.count(APPLIED)} diterapkan, "
               f"{outcome.count(DUPLICATE)} duplikat, {outcome.count(CONFLICT)} konflik")
    if outcome.files:      # their bytes came by /media before the push: the files of this batch
        summary += f"; {outcome.files} berkas ({_size_words(outcome.file_bytes)})"
    if backlog is not None:
        summary += f"; antrean node {backlog}"
    if clock_offset_s is not None:
        summary += f"; selisih jam {clock_offset_s:+.0f} dtk"
    audit("sync_push", entity_type="sync_node", entity_id=node.id, summary=summary)


def _size_words(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{max(1, round(size / 1000))} KB"


def measured_offset(value: Any) -> float | None:
    """A clock offset as a node sent it: a finite number of seconds, else None."""
    try:
        found = float(value)
    except (TypeError, ValueError):
        return None
    return found if math.isfinite(found) else None


# --- deciding a conflict -----------------------------------------------------------------------------

def list_conflicts(status: str | None = CONFLICT_OPEN, limit: int = 200) -> list[SyncConflict]:
    stmt = select(SyncConflict).order_by(SyncConflict.created_at.desc()).limit(limit)
    if status:
        stmt = stmt.where(SyncConflict.status == status)
    return list(db.session.execute(stmt).scalars())


def get_conflict(conflict_id) -> SyncConflict | None:
    key = as_uuid(conflict_id)
    return db.session.get(SyncConflict, key) if key else None


def decide_conflict(conflict: SyncConflict, decision: str, note: str | None, *, actor) -> SyncConflict:
    """A person settles a conflict: take the bus version (applied now, over the office's row) or
    keep the office's. A note is required; the decision is audited. The node's next push of the
    entry answers "duplicate", so it stops sending it."""
    if decision not in DECISION_LABELS:
        raise DomainError(_l("Pilih keputusan."), field="decision")
    note = clean_text(note, "note", required=True, limit=MAX_NOTE)
    if conflict.status != CONFLICT_OPEN:
        raise DomainError(_l("Konflik ini sudah diputuskan."))
    conflict.status, conflict.decision, conflict.note = CONFLICT_DECIDED, decision, note
    conflict.decided_by, conflict.decided_at = getattr(actor, "username", "system"), utcnow()
    db.session.flush()          # the transaction's first write comes before the savepoint (SQLite)
    if decision == TAKE_BUS:
        _take_bus_version(conflict)
    # Either way the node's copy is made the office's row: after taking the bus version too, since
    # the node may have pulled the office's values of the row meanwhile.
    _send_office_version(conflict)
    record_change(conflict, "decide", actor=actor,
                  summary=f"{conflict.node_code}: {conflict.table_name} — {DECISION_LABELS[decision]}: {note[:200]}")
    db.session.flush()
    return conflict


def _send_office_version(conflict: SyncConflict) -> None:
    """The node's copy of the row comes right with its next pull (when its trip is checked out)."""
    from webapp.sync import feed
    cls = model_of(conflict.table_name)
    try:
        obj = find_row(cls, conflict.row_key) if cls is not None else None
    except Refused:
        obj = None
    if obj is not None:
        feed.feed_row(obj, conflict.node_code)


def _take_bus_version(conflict: SyncConflict) -> None:
    try:
        entry = parse_entry(conflict.incoming)
        cls = _check_table(entry)
    except Refused as refused:
        raise DomainError(_l("Versi bus tidak dapat diterapkan: %(d)s", d=refused.detail)) from None
    offset = measured_offset((conflict.incoming or {}).get("clock_offset_s"))
    if offset is None:
        known = nodes.get_by_code(conflict.node_code)
        offset = known.clock_offset_s if known is not None else None
    try:
        with applying(conflict.node_code), db.session.begin_nested():
            written = _write(entry, cls, find_row(cls, entry.key), force=True)
            if written is not None:
                stamp_clock_offset(written, offset)
            _flush()
    except Refused as refused:
        raise DomainError(_l("Versi bus tidak dapat diterapkan: %(d)s", d=refused.detail)) from None
    done = db.session.get(AppliedEntry, entry.id)
    if done is None:
        db.session.add(AppliedEntry(entry_id=entry.id, node_code=conflict.node_code, table_name=entry.table,
                                    row_key=entry.key[:120], content_hash=entry.hash, node_at=entry.at))
    else:
        done.content_hash = entry.hash
