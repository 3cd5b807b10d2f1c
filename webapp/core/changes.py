"""The change door: every workflow state change and every recorded write goes through here.

`change_status()` checks the transition against the entity's workflow, writes the new status,
its history row and the audit entry in the caller's transaction. `record_change()` is the
single hook for writes: it writes the audit entry and announces the change on the
`entity_changed` signal, which the sync work turns into the outbox (same transaction).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

from blinker import Namespace
from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.audit.models import AuditEntry
from webapp.core.db import NodeStamp, UTCDateTime, UUIDKey, current_node, new_uuid, utcnow
from webapp.core.errors import TransitionError
from webapp.extensions import db

signals = Namespace()
entity_changed = signals.signal("entity-changed")


class StatusHistory(UUIDKey, NodeStamp, db.Model):
    """One row per transition; metrics (mutu baku), timelines and audit read from here."""

    __tablename__ = "status_history"

    entity_type: Mapped[str] = mapped_column(String(40), nullable=False)
    entity_id: Mapped[uuid.UUID] = mapped_column(db.Uuid, nullable=False)
    from_status: Mapped[str | None] = mapped_column(String(40))
    to_status: Mapped[str] = mapped_column(String(40), nullable=False)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(db.Uuid)
    actor_name: Mapped[str] = mapped_column(String(80), nullable=False, default="system")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_status_history_entity", "entity_type", "entity_id", "at"),)


@dataclass(frozen=True)
class Workflow:
    """Allowed transitions of one entity type: {from_status: {to_status: roles}}.
    `None` as from_status is creation. An empty role set means any role the route allowed."""

    entity_type: str
    transitions: dict[str | None, dict[str, frozenset[str]]]
    labels: dict[str, Any] = field(default_factory=dict)

    def allowed(self, from_status: str | None, to_status: str) -> frozenset[str] | None:
        return self.transitions.get(from_status, {}).get(to_status)

    def next_statuses(self, from_status: str | None) -> Iterable[str]:
        return self.transitions.get(from_status, {}).keys()

    def label(self, status: str | None) -> str:
        return str(self.labels.get(status, status or "—"))


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


def ensure_id(entity) -> None:
    """Column defaults apply only at flush; the history and audit rows need the key now."""
    if getattr(entity, "id", None) is None:
        entity.id = new_uuid()


def entity_type_of(entity) -> str:
    return getattr(entity, "__entity_type__", entity.__tablename__)


def record_change(entity, op: str, *, actor, summary: str = "", data: dict | None = None) -> None:
    """The one hook for workflow writes: audit entry + `entity_changed` signal (→ sync outbox)."""
    ensure_id(entity)
    audit(op, actor=actor, entity_type=entity_type_of(entity), entity_id=entity.id, summary=summary)
    entity_changed.send(entity, op=op, actor=actor, data=data or {})


def change_status(entity, to_status: str, *, actor, workflow: Workflow, note: str | None = None,
                  at: datetime | None = None) -> StatusHistory:
    """Move `entity` to `to_status` if its workflow allows it for this actor's role."""
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
        entity_type=entity_type_of(entity), entity_id=entity.id, from_status=from_status,
        to_status=to_status, actor_id=actor_id, actor_name=actor_name, at=at or utcnow(),
        note=note, node=current_node(),
    )
    db.session.add(row)  # the entity itself is the caller's to add
    summary = f"{workflow.label(from_status)} → {workflow.label(to_status)}"
    if note:
        summary += f": {note[:200]}"
    record_change(entity, "status", actor=actor, summary=summary,
                  data={"from": from_status, "to": to_status, "history_id": str(row.id) if row.id else None})
    return row


def history_of(entity) -> list[StatusHistory]:
    return (StatusHistory.query
            .filter_by(entity_type=entity_type_of(entity), entity_id=entity.id)
            .order_by(StatusHistory.at, StatusHistory.id).all())
