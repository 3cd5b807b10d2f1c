"""The change door: every workflow state change and every recorded write goes through here.

`change_status()` checks the transition against the entity's workflow, writes the new status,
its history row (with its key, made now) and the audit entry in the caller's transaction.
`record_change()` is the single hook for writes: it writes the audit entry (unless
`audit=False`) and registers the row, and at flush time the door announces each registered row
that was really written on the `entity_changed` signal, which the sync work turns into the
outbox (same transaction).

The `entity_changed` contract (what an outbox listener may rely on):

- One `ChangeEvent` per row written: per row and per flush in which the row was really inserted,
  updated (a column's value changed) or deleted, if a service called `record_change()` for that
  row in the current transaction. A registered row that the flush did not change sends nothing
  (the audit entry still tells what the person did); a registered row changed again by a later
  flush of the same transaction sends again, with the values of that flush.
- Sent from the session's `after_flush` hook, per flush its inserts, then its updates, then its
  deletes, each in the order the rows were registered (so a row updated to point at a row the
  same flush inserted comes after the insert: a receiver can apply them in this order): the
  values are what the flush wrote, column defaults (`created_at`, `node`, keys) included. A row
  a service flushed before calling `record_change()` is announced by that call (or, if it has
  changed again since, by the next flush, as one event).
- `entity_changed.send(row, event=ChangeEvent, session=Session)`. The event is JSON-safe
  (`event.to_dict()`): table, key (the primary key as str; composite keys joined by "/"),
  operation (insert | update | delete), op (the human word(s) of the audit), the columns'
  values by column name (UUID → str, datetime → ISO UTC, date → ISO, Decimal → str; bytes are
  refused: files travel by hash), the changed columns, for an update `before` (the changed
  columns' values before the write, where the row had them loaded — always when the service read
  the row first; a column set on an expired row is missing from it), `sync` (does this table
  sync, see `syncs()`), node, actor and an event id (UUIDv7).
- A listener may `session.add()` rows (an outbox row per event with `event.sync`): they are
  written by the next flush, at the latest by the commit, so in the same transaction; a
  rollback drops both. A listener must not commit or flush, and an exception it raises fails
  the flush, so the write and its outbox row never part.
- Writes the ORM does not see (`session.execute(update(...))`, Core inserts) send nothing:
  they are only allowed on tables that do not sync (tests/integration/test_change_contract.py).

Every model declares `__sync__`: True when a field node may write the table or the office's
rows must flow back to a node row by row; False for reference and office-only tables (they
reach a node in the trip's checkout package, never row by row); `SYNC_WITH_ENTITY` for status
history, whose rows sync when their entity's table does.
"""
from __future__ import annotations

import enum
import hashlib
import json
import uuid
import weakref
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from itertools import count
from typing import Any, Iterable

from blinker import Namespace
from flask import has_request_context, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import Index, String, Text, event, inspect
from sqlalchemy.exc import NoInspectionAvailable
from sqlalchemy.orm import Mapped, Session, mapped_column

from webapp.core.audit import AuditEntry
from webapp.core.db import NodeStamp, UTCDateTime, UUIDKey, current_node, new_uuid, utcnow
from webapp.core.errors import TransitionError
from webapp.extensions import db

signals = Namespace()
entity_changed = signals.signal("entity-changed")

SYNC_WITH_ENTITY = "entity"   # a model's __sync__: its rows sync when their entity's table does


class StatusHistory(UUIDKey, NodeStamp, db.Model):
    """One row per transition; metrics (mutu baku), timelines and audit read from here.

    `at` is the time on the clock of the node that wrote the row, kept as written. A row that
    came from a field node keeps, in `clock_offset_s`, the offset (office clock − node clock,
    seconds) measured at the sync that brought it; every SOP figure reads `corrected_at`, the
    time on the office's clock (docs/decisions/0011-clock-offset.md)."""

    __tablename__ = "status_history"
    __sync__ = SYNC_WITH_ENTITY   # a transition made on the bus is part of its entity's record
    # Columns the receiving side keeps for itself: never taken from (nor compared with) an entry.
    __sync_kept__ = frozenset({"clock_offset_s"})

    entity_type: Mapped[str] = mapped_column(String(40), nullable=False)
    entity_id: Mapped[uuid.UUID] = mapped_column(db.Uuid, nullable=False)
    from_status: Mapped[str | None] = mapped_column(String(40))
    to_status: Mapped[str] = mapped_column(String(40), nullable=False)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(db.Uuid)
    actor_name: Mapped[str] = mapped_column(String(80), nullable=False, default="system")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    # Set by the office when it applies a node's push (that push's measured offset); None for rows
    # written on this side's own clock.
    clock_offset_s: Mapped[float | None] = mapped_column(db.Float)

    __table_args__ = (Index("ix_status_history_entity", "entity_type", "entity_id", "at"),)

    @property
    def corrected_at(self) -> datetime:
        """`at` on the office's clock: as written, plus the offset measured at the sync that brought
        the row from its node."""
        return corrected(self.at, self.clock_offset_s)

    @property
    def clock_correction(self) -> timedelta | None:
        """The correction worth showing beside the time (a minute or more), else None."""
        offset = self.clock_offset_s or 0.0
        return timedelta(seconds=offset) if abs(offset) >= 60 else None


def corrected(moment: datetime | None, clock_offset_s: float | None) -> datetime | None:
    """A node's time on the office's clock (offset = office clock − node clock, in seconds)."""
    if moment is None or not clock_offset_s:
        return moment
    return moment + timedelta(seconds=clock_offset_s)


def event_time(row) -> datetime:
    """The moment of a history row for the SOP clocks: `corrected_at` where the row has it."""
    found = getattr(row, "corrected_at", None)
    return found if found is not None else row.at


@dataclass(frozen=True)
class Workflow:
    """Allowed transitions of one entity type: {from_status: {to_status: roles}}.
    `None` as from_status is creation. An empty role set means any role the route allowed."""

    entity_type: str
    transitions: dict[str | None, dict[str, frozenset[str]]]
    labels: dict[str, Any] = field(default_factory=dict)
    _translated: dict[tuple[str, str | None], str] = field(default_factory=dict, init=False, repr=False,
                                                           compare=False)

    def allowed(self, from_status: str | None, to_status: str) -> frozenset[str] | None:
        return self.transitions.get(from_status, {}).get(to_status)

    def next_statuses(self, from_status: str | None) -> Iterable[str]:
        return self.transitions.get(from_status, {}).keys()

    def label(self, status: str | None) -> str:
        """The status in words, in the current locale (translated once per locale: a scan
        labels thousands of transitions)."""
        key = (str(get_locale()), status)
        found = self._translated.get(key)
        if found is None:
            found = self._translated[key] = str(self.labels.get(status, status or "—"))
        return found


def _actor_fields(actor) -> tuple[uuid.UUID | None, str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, "system"
    return actor.id, actor.username


def _client_ip() -> str | None:
    return request.remote_addr if has_request_context() else None


def audit(action: str, *, actor=None, entity_type: str | None = None, entity_id: Any = None,
          summary: str = "", at: datetime | None = None) -> AuditEntry:
    """Append an audit entry to the current transaction. `summary` must never carry a full
    NIK or KK number: use webapp.identity.nik.mask()."""
    actor_id, actor_name = _actor_fields(actor)
    entry = AuditEntry(
        at=at or utcnow(), actor_id=actor_id, actor_name=actor_name, action=action,
        entity_type=entity_type, entity_id=str(entity_id) if entity_id is not None else None,
        summary=summary, ip=_client_ip(), node=current_node(),
    )
    db.session.add(entry)
    return entry


_write_audit = audit   # record_change() and change_status() take an `audit` flag


def _mapper_of(entity):
    try:
        return inspect(type(entity))
    except NoInspectionAvailable:
        return None


def ensure_id(entity) -> None:
    """Column defaults apply only at flush; the history and audit rows need the key now.
    Rows keyed otherwise (a setting's key, a composite key) keep their own key."""
    mapper = _mapper_of(entity)
    if mapper is not None and "id" not in mapper.column_attrs:
        return
    if getattr(entity, "id", None) is None:
        entity.id = new_uuid()


def entity_type_of(entity) -> str:
    return getattr(entity, "__entity_type__", entity.__tablename__)


# --- which tables sync ------------------------------------------------------------------------

_SYNC_OF_ENTITY_TYPE: dict[str, bool] = {}


def _entity_type_syncs(entity_type: str) -> bool:
    if not _SYNC_OF_ENTITY_TYPE:
        for mapper in db.Model.registry.mappers:
            cls = mapper.class_
            flag = getattr(cls, "__sync__", True)
            if flag != SYNC_WITH_ENTITY:
                _SYNC_OF_ENTITY_TYPE[getattr(cls, "__entity_type__", cls.__tablename__)] = bool(flag)
                _SYNC_OF_ENTITY_TYPE.setdefault(cls.__tablename__, bool(flag))
    return _SYNC_OF_ENTITY_TYPE.get(entity_type, True)


def syncs(row) -> bool:
    """Does this row travel through the outbox? The model's `__sync__`; a status history row
    follows its entity's table. A model without the declaration syncs (the safe side; the
    contract test refuses such a model anyway)."""
    flag = getattr(type(row), "__sync__", True)
    if flag == SYNC_WITH_ENTITY:
        return _entity_type_syncs(row.entity_type)
    return bool(flag)


# --- the change event -------------------------------------------------------------------------

_PLAIN_TYPES = frozenset((type(None), bool, int, float, str))


def json_safe(value: Any) -> Any:
    """A column value as JSON: UUID → str, datetime → ISO UTC, date/time → ISO, Decimal → str.
    Bytes are refused (files are stored by hash; the row carries the hash)."""
    if type(value) in _PLAIN_TYPES:   # most columns; an enum or other subclass takes the long way
        return value
    if isinstance(value, enum.Enum):
        return json_safe(value.value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TypeError("a naive datetime cannot be sent: store times as aware UTC")
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError("bytes are not sent in a change event: store the content by hash")
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    raise TypeError(f"cannot send a {type(value).__name__} in a change event")


@dataclass(frozen=True)
class ChangeEvent:
    """One row written, as the outbox will carry it (see the module docstring)."""

    id: str                       # the event's own key (UUIDv7)
    table: str
    key: str                      # the primary key as str ("a/b" for a composite key)
    operation: str                # insert | update | delete
    op: str                       # the audit's word: create, update, status, import, ... ("+" joins several)
    entity_type: str
    values: dict[str, Any]        # column name → JSON-safe value, as written (last known for a delete)
    changed: tuple[str, ...]      # the columns an update changed (all columns for an insert)
    sync: bool                    # False: the table stays where it is written
    node: str
    actor_id: str | None
    actor_name: str
    at: str                       # ISO UTC
    data: dict[str, Any] = field(default_factory=dict)
    # An update's changed columns as they were before it (JSON-safe), where the row had them loaded.
    before: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "table": self.table, "key": self.key, "operation": self.operation,
                "op": self.op, "entity_type": self.entity_type, "values": self.values,
                "changed": list(self.changed), "before": self.before, "sync": self.sync, "node": self.node,
                "actor_id": self.actor_id, "actor_name": self.actor_name, "at": self.at, "data": self.data}

    @property
    def content_hash(self) -> str:
        """sha256 of what the row became (table, key, operation, values): the same write sent
        twice hashes the same. `before` is not part of it (it tells what the writer had, not what
        the row became)."""
        body = json.dumps([self.table, self.key, self.operation, self.values], sort_keys=True,
                          separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass
class _Registration:
    seq: int
    ops: list[str]          # the op words since the row's last event
    actor: Any
    data: dict
    last_op: str = ""
    # What earlier flushes of this transaction wrote before the row was registered:
    # (operation, changed columns, their values before).
    carried: tuple[str, tuple[str, ...], dict] | None = None

    def op_word(self) -> str:
        return "+".join(self.ops) or self.last_op


_WATCHED = "change_door.watched"       # row → _Registration, for the transaction
_UNCLAIMED = "change_door.unclaimed"   # row → (operation, changed, before): written, not (yet) registered
_SEQ = count()


def _merge(first: tuple[str, tuple[str, ...], dict] | None, then: tuple[str, tuple[str, ...], dict] | None):
    """Two writes of one row in one transaction, as one: insert+update is an insert, anything
    followed by a delete is a delete; an update's `before` is the earliest value of each column."""
    if first is None or then is None:
        return first or then
    if then[0] == "delete":
        return then
    operation = "insert" if first[0] == "insert" else then[0]
    before = {} if operation == "insert" else {**then[2], **first[2]}
    return operation, tuple(dict.fromkeys(first[1] + then[1])), before


def _weak(session: Session, name: str) -> weakref.WeakKeyDictionary:
    found = session.info.get(name)
    if found is None:
        found = session.info[name] = weakref.WeakKeyDictionary()
    return found


def _register(entity, op: str, actor, data: dict | None) -> None:
    session = db.session()
    watched = _weak(session, _WATCHED)
    found = watched.get(entity)
    if found is not None:
        if op not in found.ops:
            found.ops.append(op)
        found.actor = actor if actor is not None else found.actor
        found.data.update(data or {})
        return
    found = watched[entity] = _Registration(next(_SEQ), [op], actor, dict(data or {}))
    unclaimed = session.info.get(_UNCLAIMED)
    written = unclaimed.pop(entity, None) if unclaimed is not None else None
    if written is None:
        return
    # The service flushed the row before it called record_change(): announce what was written.
    state = inspect(entity)
    if state.modified:
        found.carried = written       # and more to write: the next flush sends both as one event
    else:
        _send(session, [(found, entity, state) + written])


def row_key(mapper, obj) -> str:
    """The primary key as str; a composite key's parts joined by "/"."""
    parts = mapper.primary_key_from_instance(obj)
    return "/".join("" if p is None else str(json_safe(p)) for p in parts)


_COLUMNS_OF: dict[Any, tuple[tuple[str, str], ...]] = {}


def _columns(mapper) -> tuple[tuple[str, str], ...]:
    """(attribute, column name) of the mapper's own table, worked out once per mapper: a bulk
    write asks for every row it sends."""
    found = _COLUMNS_OF.get(mapper)
    if found is None:
        table = mapper.local_table
        found = _COLUMNS_OF[mapper] = tuple((prop.key, prop.columns[0].name) for prop in mapper.column_attrs
                                            if prop.columns[0].table is table)
    return found


_NAMES_OF: dict[Any, tuple[str, ...]] = {}


def _column_names(mapper) -> tuple[str, ...]:
    found = _NAMES_OF.get(mapper)
    if found is None:
        found = _NAMES_OF[mapper] = tuple(column for _attr, column in _columns(mapper))
    return found


def _event_for(obj, state, registration: _Registration, operation: str, changed: tuple[str, ...],
               before: dict, node: str) -> ChangeEvent:
    mapper = state.mapper
    values: dict[str, Any] = {}
    written = state.dict
    for attr, column in _columns(mapper):
        if attr in written:
            values[column] = json_safe(written[attr])
        elif operation != "delete":
            values[column] = json_safe(getattr(obj, attr))
    actor_id, actor_name = _actor_fields(registration.actor)
    return ChangeEvent(
        id=str(new_uuid()), table=mapper.local_table.name, key=row_key(mapper, obj), operation=operation,
        op=registration.op_word(), entity_type=entity_type_of(obj), values=values, changed=changed,
        sync=syncs(obj), node=node, actor_id=str(actor_id) if actor_id else None,
        actor_name=actor_name, at=utcnow().isoformat(), data=json_safe(registration.data),
        before=before if operation == "update" else {})


def _changed_columns(state) -> tuple[tuple[str, ...], dict]:
    """The columns this flush changed, and the values they had before where the row had them
    loaded (a column set on an expired row has no recorded previous value)."""
    changed, before = [], {}
    for attr, column in _columns(state.mapper):
        history = state.attrs[attr].history
        if history.added or history.deleted:
            changed.append(column)
            if history.deleted:
                before[column] = json_safe(history.deleted[0])
    return tuple(changed), before


_OPERATION_ORDER = {"insert": 0, "update": 1, "delete": 2}


def _send(session: Session, found: list) -> None:
    # The order a receiver can apply them in: a row updated to point at a row inserted by the same
    # flush (an application's receipt) comes after that insert, a delete after the updates that
    # stopped pointing at the row.
    found.sort(key=lambda item: (_OPERATION_ORDER[item[3]], item[0].seq))
    watched = _weak(session, _WATCHED)
    node = current_node()
    for registration, obj, state, operation, changed, before in found:
        change = _event_for(obj, state, registration, operation, changed, before, node)
        entity_changed.send(obj, event=change, session=session)
        registration.last_op, registration.ops = change.op, []
        if operation == "delete":
            watched.pop(obj, None)


def _after_flush(session: Session, flush_context) -> None:
    """Send one event per registered row this flush really wrote; remember the rows written
    without a registration (yet) in this transaction."""
    watched = session.info.get(_WATCHED) or {}
    unclaimed = _weak(session, _UNCLAIMED)
    found = []
    for state, (is_delete, list_only) in list(flush_context.states.items()):
        obj = state.obj()
        if list_only or obj is None:
            continue
        if is_delete:
            written = "delete", (), {}
        elif state.pending:
            written = "insert", _column_names(state.mapper), {}
        else:
            changed, before = _changed_columns(state)
            written = ("update", changed, before) if changed else None
        registration = watched.get(obj)
        if registration is None:
            if written is not None:
                unclaimed[obj] = _merge(unclaimed.get(obj), written)
            continue
        written, registration.carried = _merge(registration.carried, written), None
        if written is not None:
            found.append((registration, obj, state) + written)
    _send(session, found)


def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_WATCHED, None)
        session.info.pop(_UNCLAIMED, None)


event.listen(Session, "after_flush", _after_flush)
event.listen(Session, "after_transaction_end", _forget)


# --- the door -----------------------------------------------------------------------------------

def record_change(entity, op: str, *, actor, summary: str = "", data: dict | None = None,
                  audit: bool = True) -> None:
    """The one hook for writes: call it once for every row a service inserts, updates or
    deletes (before or after touching the row, in the same transaction).

    Writes the audit entry (`op` is its action word) unless `audit=False`, and registers the
    row: each flush that really writes it sends a `ChangeEvent` on `entity_changed`. A bulk
    write passes `audit=False` per row and writes one `audit()` summary for the person's
    action (500 residents imported: 500 events, one audit entry). An object that is not a
    mapped row (a stand-in in a test) is audited and sends nothing."""
    ensure_id(entity)
    if audit:
        _write_audit(op, actor=actor, entity_type=entity_type_of(entity), entity_id=getattr(entity, "id", None),
                     summary=summary)
    if _mapper_of(entity) is not None:
        _register(entity, op, actor, data)


def change_status(entity, to_status: str, *, actor, workflow: Workflow, note: str | None = None,
                  at: datetime | None = None, audit: bool = True) -> StatusHistory:
    """Move `entity` to `to_status` if its workflow allows it for this actor's role. The
    entity and its new history row both send a change event; `audit=False` leaves the audit
    entry to the caller's summary (a scan opening thousands of cases)."""
    from_status = getattr(entity, "status", None)
    roles = workflow.allowed(from_status, to_status)
    if roles is None:
        raise TransitionError(_l("Perubahan status dari %(a)s ke %(b)s tidak diizinkan.",
                                 a=workflow.label(from_status), b=workflow.label(to_status)))
    actor_role = getattr(actor, "role", None)
    if roles and actor_role not in roles:
        raise TransitionError(_l("Peran Anda tidak berwenang mengubah status ini."))
    ensure_id(entity)
    entity.status = to_status
    actor_id, actor_name = _actor_fields(actor)
    row = StatusHistory(
        id=new_uuid(), entity_type=entity_type_of(entity), entity_id=entity.id, from_status=from_status,
        to_status=to_status, actor_id=actor_id, actor_name=actor_name, at=at or utcnow(),
        note=note, node=current_node(),
    )
    db.session.add(row)  # the entity itself is the caller's to add
    summary = ""
    if audit:  # (the labels are translated: not for a scan opening thousands of cases unaudited)
        summary = f"{workflow.label(from_status)} → {workflow.label(to_status)}"
        if note:
            summary += f": {note[:200]}"
    # The entity first: a new entity's insert reaches a node's outbox before its history row.
    record_change(entity, "status", actor=actor, summary=summary, audit=audit,
                  data={"from": from_status, "to": to_status, "history_id": str(row.id)})
    record_change(row, "status", actor=actor, audit=False)
    return row


def history_of(entity) -> list[StatusHistory]:
    """The entity's transitions in the order they happened on the office's clock (a row from a
    field node at its corrected time: a laptop clock days off does not reorder them)."""
    rows = (StatusHistory.query.filter_by(entity_type=entity_type_of(entity), entity_id=entity.id)
            .order_by(StatusHistory.at, StatusHistory.id).all())
    return sorted(rows, key=lambda r: (r.corrected_at, r.id))
