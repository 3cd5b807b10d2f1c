"""Sync tables. None of them sync themselves (they are the machinery): each says on which side
it lives. See docs/sync-protocol.md."""
from __future__ import annotations

import uuid
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.db import Timestamps, UTCDateTime, UUIDKey, utcnow
from webapp.extensions import db

# BigInteger autoincrement that SQLite also numbers (its rowid alias must be INTEGER).
SeqInt = BigInteger().with_variant(Integer, "sqlite")


class OutboxEntry(db.Model):
    """Field node: one change event waiting to be pushed (written in the same transaction as the
    row, by the entity_changed listener). Sent only after the office answered 2xx."""

    __tablename__ = "sync_outbox"
    __sync__ = False   # the sync machinery itself, on the node

    seq: Mapped[int] = mapped_column(SeqInt, primary_key=True, autoincrement=True)
    entry_id: Mapped[uuid.UUID] = mapped_column(db.Uuid, nullable=False, unique=True)   # the event's id
    table_name: Mapped[str] = mapped_column(String(60), nullable=False)
    row_key: Mapped[str] = mapped_column(String(120), nullable=False)
    operation: Mapped[str] = mapped_column(String(10), nullable=False)                  # insert|update|delete
    payload: Mapped[dict] = mapped_column(JSON, nullable=False)                          # ChangeEvent.to_dict()
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    trip_id: Mapped[uuid.UUID | None] = mapped_column(db.Uuid)                          # scope (may be None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)  # node clock
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_sync_outbox_pending", "sent_at", "seq"),)


class NodeLink(db.Model):
    """Field node: its pairing with the office and its sync state (one row)."""

    __tablename__ = "sync_link"
    __sync__ = False   # the node's own state

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    node_code: Mapped[str] = mapped_column(String(32), nullable=False)
    office_url: Mapped[str] = mapped_column(String(300), nullable=False)
    # The bearer token is a secret kept outside the database (instance/sync-token, mode 0600);
    # only its hint is here for the admin's eyes.
    token_hint: Mapped[str | None] = mapped_column(String(8))
    paired_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    pull_cursor: Mapped[int] = mapped_column(SeqInt, nullable=False, default=0)
    online: Mapped[bool] = mapped_column(db.Boolean, nullable=False, default=False)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # office clock − node clock, seconds, measured at the last sync (the office corrects node times).
    clock_offset_s: Mapped[float | None] = mapped_column(db.Float)


class FieldNode(UUIDKey, Timestamps, db.Model):
    """Office: a registered field node (a bus laptop). The token is stored hashed; shown once."""

    __tablename__ = "sync_node"
    __sync__ = False   # the office's register of nodes
    __entity_type__ = "sync_node"

    code: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)   # BUS-01
    name: Mapped[str | None] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(200), nullable=False)
    token_hint: Mapped[str] = mapped_column(String(8), nullable=False)          # last 4 characters
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_push_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    backlog: Mapped[int | None] = mapped_column(Integer)                         # as the node reported
    clock_offset_s: Mapped[float | None] = mapped_column(db.Float)
    last_error: Mapped[str | None] = mapped_column(Text)
    # The highest feed entry (sync_feed.seq) served to the node: a pull is audited when it goes past it.
    pulled_seq: Mapped[int | None] = mapped_column(BigInteger)

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class AppliedEntry(db.Model):
    """Office: each pushed entry applied once (the idempotency record)."""

    __tablename__ = "sync_applied"
    __sync__ = False   # the office's idempotency ledger

    entry_id: Mapped[uuid.UUID] = mapped_column(db.Uuid, primary_key=True)
    node_code: Mapped[str] = mapped_column(String(32), nullable=False)
    table_name: Mapped[str] = mapped_column(String(60), nullable=False)
    row_key: Mapped[str] = mapped_column(String(120), nullable=False)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    node_at: Mapped[datetime | None] = mapped_column(UTCDateTime)   # when the node wrote it (its clock)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (Index("ix_sync_applied_row", "table_name", "row_key"),)


CONFLICT_OPEN = "terbuka"
CONFLICT_DECIDED = "diputuskan"
CONFLICT_LABELS = {CONFLICT_OPEN: _l("Terbuka"), CONFLICT_DECIDED: _l("Diputuskan")}


class SyncConflict(UUIDKey, Timestamps, db.Model):
    """Office: an entry that could not be applied as it came (same key, different content; a row
    changed at the office meanwhile; a trip not checked out to the node). Kept for a person to decide."""

    __tablename__ = "sync_conflict"
    __sync__ = False   # decided at the office
    __entity_type__ = "sync_conflict"

    node_code: Mapped[str] = mapped_column(String(32), nullable=False)
    entry_id: Mapped[uuid.UUID] = mapped_column(db.Uuid, nullable=False)
    table_name: Mapped[str] = mapped_column(String(60), nullable=False)
    row_key: Mapped[str] = mapped_column(String(120), nullable=False)
    reason: Mapped[str] = mapped_column(String(30), nullable=False)       # hash_mismatch | office_changed | not_checked_out | invalid
    incoming: Mapped[dict] = mapped_column(JSON, nullable=False)
    existing: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=CONFLICT_OPEN)
    decision: Mapped[str | None] = mapped_column(String(20))             # terima_bus | pertahankan_kantor
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_sync_conflict_status", "status", "created_at"),)


class FeedEntry(db.Model):
    """Office: changes the nodes pull (by cursor = seq), e.g. a case the centre resolved or a SIAK
    number issued for a checked-out trip's application. Fed by the entity_changed listener."""

    __tablename__ = "sync_feed"
    __sync__ = False   # the pull side of the machinery

    seq: Mapped[int] = mapped_column(SeqInt, primary_key=True, autoincrement=True)
    entry_id: Mapped[uuid.UUID] = mapped_column(db.Uuid, nullable=False, unique=True)
    table_name: Mapped[str] = mapped_column(String(60), nullable=False)
    row_key: Mapped[str] = mapped_column(String(120), nullable=False)
    payload: Mapped[dict] = mapped_column(JSON, nullable=False)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    trip_id: Mapped[uuid.UUID | None] = mapped_column(db.Uuid, index=True)
    node_code: Mapped[str | None] = mapped_column(String(32))             # None: for every node
    origin_node: Mapped[str] = mapped_column(String(32), nullable=False, default="OFFICE")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


CHECKED_OUT = "di_bus"
CHECKED_IN = "kembali"
CHECKOUT_LABELS = {CHECKED_OUT: _l("Di bus"), CHECKED_IN: _l("Sudah check-in")}


class TripCheckout(UUIDKey, db.Model):
    """Both sides: a trip checked out to a node (the office refuses edits to its applications
    until check-in). The node keeps its copy of the row too."""

    __tablename__ = "trip_checkout"
    __sync__ = False   # written by the check-out/check-in exchange, not by the outbox
    __entity_type__ = "trip_checkout"

    trip_id: Mapped[uuid.UUID] = mapped_column(db.Uuid, nullable=False, index=True)
    node_code: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=CHECKED_OUT)
    checked_out_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    checked_out_by: Mapped[str] = mapped_column(String(80), nullable=False, default="system")
    package_hash: Mapped[str | None] = mapped_column(String(64))
    package_size: Mapped[int | None] = mapped_column(Integer)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_by: Mapped[str | None] = mapped_column(String(80))
    # At check-in: per stock code issued/used/spoiled/returned and the explanation of any difference.
    reconciliation: Mapped[dict | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)

    @property
    def status_label(self) -> str:
        return str(CHECKOUT_LABELS.get(self.status, self.status))


class MediaUpload(db.Model):
    """Office: a file arriving from a node by sha256, in parts (resumable: `received` bytes so far)."""

    __tablename__ = "sync_media"
    __sync__ = False   # transfer bookkeeping

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    node_code: Mapped[str] = mapped_column(String(32), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    mime_type: Mapped[str] = mapped_column(String(80), nullable=False)
    received: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
