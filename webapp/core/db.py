"""Column helpers shared by every domain's models."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from flask import current_app, has_app_context
from sqlalchemy import DateTime, String, TypeDecorator, Uuid
from sqlalchemy.orm import Mapped, mapped_column
from uuid6 import uuid7


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_uuid() -> uuid.UUID:
    """Client-generated, time-ordered key (UUIDv7): made at capture time, it doubles as
    the sync idempotency key and keeps B-tree inserts local."""
    return uuid.UUID(bytes=uuid7().bytes)


def current_node() -> str:
    if has_app_context():
        return current_app.config.get("NODE_ID", "OFFICE")
    return "OFFICE"


class UTCDateTime(TypeDecorator):
    """Stores timezone-aware UTC; SQLite drops the tzinfo, so put it back on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class UUIDKey:
    """Mixin: a client-generated UUID primary key for every table a bus may write."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class NodeStamp:
    """Which node (OFFICE, BUS-01, …) wrote the row."""

    node: Mapped[str] = mapped_column(String(32), default=current_node, nullable=False)
