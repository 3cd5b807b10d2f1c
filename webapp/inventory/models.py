"""Equipment register and blank stock ledger.

The warehouse balance lives in `stock_balance` (one row per stock code, never negative: a CHECK
constraint and a conditional UPDATE). Every change is a `stock_movement` row with an actor and a
reason. Stock out with a trip is not in the warehouse balance; per trip it is
issued − used − spoiled − returned, summed from the movements."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.db import NodeStamp, Timestamps, UTCDateTime, UUIDKey, utcnow
from webapp.extensions import db

CONDITIONS = ("baik", "rusak_ringan", "rusak_berat")
MOVEMENT_KINDS = ("receipt", "issue", "use", "spoil", "return", "adjust")


class EquipmentItem(UUIDKey, Timestamps, db.Model):
    __tablename__ = "equipment_item"
    __sync__ = False   # the office's equipment register; a trip's package names the items it carries
    __entity_type__ = "equipment"

    inventory_number: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(30), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    serial_number: Mapped[str | None] = mapped_column(String(80))
    condition: Mapped[str] = mapped_column(String(20), nullable=False, default="baik")
    in_service: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    notes: Mapped[str | None] = mapped_column(Text)


class StockBalance(db.Model):
    __tablename__ = "stock_balance"
    __sync__ = False   # derived from the movements; the bus never holds the warehouse
    __entity_type__ = "stock_balance"

    stock_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    __table_args__ = (CheckConstraint("quantity >= 0", name="ck_stock_balance_not_negative"),)


class StockMovement(UUIDKey, NodeStamp, db.Model):
    __tablename__ = "stock_movement"
    __sync__ = True   # the bus records blank stock used, spoiled and returned on its trip
    __entity_type__ = "stock_movement"

    stock_code: Mapped[str] = mapped_column(String(40), nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)          # always positive
    balance_delta: Mapped[int] = mapped_column(Integer, nullable=False)     # effect on the warehouse
    # The trip this movement belongs to. No foreign key on purpose: the trips table belongs to
    # another domain (and a bus may sync a movement before its trip).
    trip_id: Mapped[uuid.UUID | None] = mapped_column(db.Uuid, index=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(db.Uuid)
    actor_name: Mapped[str] = mapped_column(String(80), nullable=False, default="system")
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_stock_movement_positive"),
        Index("ix_stock_movement_code_at", "stock_code", "at"),
    )
