"""What the pages record from a device: a KTP-el presented for an application ("Baca KTP-el").

Only that a card was presented is kept (the reader, the chip's ATR and UID, when, who): the
card's data itself is protected by the chip and not read."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.db import NodeStamp, UTCDateTime, UUIDKey, utcnow
from webapp.extensions import db


class CardReading(UUIDKey, NodeStamp, db.Model):
    """A KTP-el read by the card reader for an application, as the agent reported it."""

    __tablename__ = "card_reading"
    __sync__ = True   # read on the bus, part of the application's record (scope via application)
    __entity_type__ = "card_reading"

    application_id: Mapped[uuid.UUID] = mapped_column(db.Uuid, nullable=False, index=True)
    reader: Mapped[str] = mapped_column(String(120), nullable=False)     # the PC/SC reader's name
    atr: Mapped[str] = mapped_column(String(80), nullable=False)         # hex, upper case
    uid: Mapped[str | None] = mapped_column(String(64))                  # hex, when the reader gives it
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(db.Uuid)
    actor_name: Mapped[str] = mapped_column(String(120), nullable=False)
