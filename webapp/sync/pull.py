"""Field node: apply what the office fed to this node (GET /sync/v1/pull), in order.

The office is the authority for what it sends: a pulled insert or update is written over the
node's row (an update only in the columns it changed, so the node's own unsent changes to other
columns stay), a delete deletes. Applied inside `origin.applying("OFFICE")`: no outbox rows, so
nothing is echoed back. Each entry in a savepoint; the first one that cannot be written stops the
pull there (the cursor stays before it, the error is shown) — nothing is skipped silently."""
from __future__ import annotations

from dataclasses import dataclass

from webapp.core.changes import record_change
from webapp.extensions import db
from webapp.sync.apply import OP_WORDS, Refused, _flush, columns_of, find_row, parse_entry, set_columns
from webapp.sync.origin import applying
from webapp.sync.rows import model_of, table_syncs

OFFICE = "OFFICE"


@dataclass
class PullOutcome:
    applied: int = 0
    cursor: int = 0                  # the last entry applied
    error: str | None = None         # why the pull stopped before the page's end


def _write(entry, cls) -> None:
    obj = find_row(cls, entry.key)
    columns = columns_of(cls)
    if entry.operation == "delete":
        if obj is not None:
            record_change(obj, OP_WORDS["delete"], actor=None, audit=False)
            db.session.delete(obj)
        return
    primary = {c.name for c in cls.__table__.primary_key.columns}
    if obj is None:
        obj = cls()
        set_columns(obj, entry.values, columns)
        db.session.add(obj)
        record_change(obj, OP_WORDS["insert"], actor=None, audit=False)
        return
    names = entry.changed if entry.operation == "update" and entry.changed else list(columns)
    set_columns(obj, entry.values, [n for n in names if n not in primary])
    record_change(obj, OP_WORDS["update"], actor=None, audit=False)


def apply_pulled(entries: list[dict], cursor: int) -> PullOutcome:
    """Apply a page of pulled entries (in the caller's transaction, which must have written first:
    SQLite savepoints nest in a begun transaction; the caller commits the rows with the cursor)."""
    outcome = PullOutcome(cursor=cursor)
    with applying(OFFICE):
        for raw in entries:
            seq = int(raw.get("seq") or 0) if isinstance(raw, dict) else 0
            try:
                entry = parse_entry({k: v for k, v in raw.items() if k != "seq"})
                cls = model_of(entry.table)
                if cls is None or not table_syncs(entry.table):
                    raise Refused("invalid", f"table {entry.table} does not sync")
                with db.session.begin_nested():
                    _write(entry, cls)
                    _flush()
            except Refused as refused:
                outcome.error = (f"entri tarikan #{seq} ({raw.get('table') if isinstance(raw, dict) else '?'}) "
                                 f"tidak dapat diterapkan: {refused.detail or refused.reason}")
                break
            outcome.applied += 1
            outcome.cursor = max(outcome.cursor, seq)
    return outcome
