"""The append-only audit log: who viewed or changed what, when and from where.

A core table: the change door (core.changes) writes it for every domain; the audit page
(webapp/audit) only reads it."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DDL, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.db import NodeStamp, UTCDateTime, UUIDKey, utcnow
from webapp.extensions import db


class AuditEntry(UUIDKey, NodeStamp, db.Model):
    __tablename__ = "audit_log"
    __sync__ = False   # each node's own append-only log, never sent row by row

    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(db.Uuid, nullable=True)
    actor_name: Mapped[str] = mapped_column(String(80), nullable=False, default="system")
    action: Mapped[str] = mapped_column(String(40), nullable=False)  # view | create | update | status | login | …
    entity_type: Mapped[str | None] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text, default="", nullable=False)  # never a full NIK/KK
    ip: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_entity", "entity_type", "entity_id"),
        Index("ix_audit_log_actor", "actor_name"),
    )


# Append-only in the database itself, not only by convention: UPDATE and DELETE are refused.
# The same DDL is emitted by create_all() (tests) and by the migration.
AUDIT_TRIGGERS_SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
]
# SQLite's INSERT OR REPLACE / REPLACE INTO deletes the row it collides with without firing
# DELETE triggers (unless PRAGMA recursive_triggers is on, which create_app sets too): refuse
# any insert whose id is already there. (An UPSERT's DO UPDATE fires the UPDATE trigger.)
# Added after the first release: migration 0003 creates it on existing databases.
AUDIT_TRIGGERS_SQLITE_NO_REPLACE = [
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_replace BEFORE INSERT ON audit_log "
    "WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id) "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
]
AUDIT_TRIGGERS_POSTGRES = [
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql",
    "DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log",
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
]

for _stmt in AUDIT_TRIGGERS_SQLITE + AUDIT_TRIGGERS_SQLITE_NO_REPLACE:
    event.listen(AuditEntry.__table__, "after_create", DDL(_stmt).execute_if(dialect="sqlite"))
for _stmt in AUDIT_TRIGGERS_POSTGRES:
    event.listen(AuditEntry.__table__, "after_create", DDL(_stmt).execute_if(dialect="postgresql"))
