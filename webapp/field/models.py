"""A resident's visit to the bus on a trip day: from the village list, or a walk-in."""
from __future__ import annotations

import uuid
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, Date, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.auth.roles import Role
from webapp.core.changes import Workflow
from webapp.core.db import NodeStamp, Timestamps, UTCDateTime, UUIDKey
from webapp.extensions import db

# On the village's list but not (yet) at the bus → present with a queue number → called to the
# desk (SOP step 5 starts) → every application closed (step 5 ends) or sent home.
REGISTERED = "terdaftar"
WAITING = "menunggu"
CALLED = "dipanggil"
DONE = "selesai"
SENT_HOME = "dipulangkan"
ABSENT = "tidak_hadir"

VISIT_LABELS = {
    REGISTERED: _l("Belum datang"),
    WAITING: _l("Menunggu"),
    CALLED: _l("Sedang dilayani"),
    DONE: _l("Selesai dilayani"),
    SENT_HOME: _l("Dipulangkan"),
    ABSENT: _l("Tidak hadir"),
}
CLOSED_VISIT_STATUSES = frozenset({DONE, SENT_HOME, ABSENT})

FIELD_ROLES = frozenset({Role.PETUGAS, Role.OPERATOR, Role.KABID_DAFDUK, Role.KABID_CAPIL})

VISIT_WORKFLOW = Workflow("visit", {
    None: {REGISTERED: FIELD_ROLES, WAITING: FIELD_ROLES},
    REGISTERED: {WAITING: FIELD_ROLES, ABSENT: FIELD_ROLES},
    WAITING: {CALLED: FIELD_ROLES, SENT_HOME: FIELD_ROLES, ABSENT: FIELD_ROLES},
    CALLED: {DONE: FIELD_ROLES, SENT_HOME: FIELD_ROLES, WAITING: FIELD_ROLES},
    # A resident who comes back later the same trip (e.g. with the missing paper) is queued again.
    SENT_HOME: {WAITING: FIELD_ROLES},
    ABSENT: {WAITING: FIELD_ROLES},
    DONE: {CALLED: FIELD_ROLES},
}, VISIT_LABELS)


class Visit(UUIDKey, Timestamps, NodeStamp, db.Model):
    """One resident at the bus on one trip. The person data is a copy made at check-in (from the
    village list or typed for a walk-in): the list and the register are never written over."""

    __tablename__ = "visit"
    __sync__ = True   # the roster and queue live on the bus
    __entity_type__ = "visit"

    trip_id: Mapped[uuid.UUID] = mapped_column(db.Uuid, nullable=False, index=True)
    request_id: Mapped[uuid.UUID | None] = mapped_column(db.Uuid)           # the village's letter
    resident_id: Mapped[uuid.UUID | None] = mapped_column(db.Uuid)          # RequestResident; None: walk-in
    walk_in: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    desa_code: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    nik: Mapped[str | None] = mapped_column(String(16))
    no_kk: Mapped[str | None] = mapped_column(String(16))
    sex: Mapped[str | None] = mapped_column(String(1))
    birth_date: Mapped[date | None] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(30))
    person_key: Mapped[str | None] = mapped_column(String(40))              # register match, if any
    queue_number: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default=REGISTERED)
    # The pre-trip check as it stood at check-in: "ok" | "warning" | "blocked", with its reasons.
    flag_level: Mapped[str] = mapped_column(String(10), nullable=False, default="ok")
    flag_reasons: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)        # got a queue number
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)         # SOP step 5 starts
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)         # SOP step 5 ends
    called_by_id: Mapped[uuid.UUID | None] = mapped_column(db.Uuid)
    sent_home_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("trip_id", "queue_number", name="uq_visit_queue_number"),
        Index("ix_visit_trip_status", "trip_id", "status"),
        Index("ix_visit_resident", "resident_id"),
    )

    @property
    def status_label(self) -> str:
        return VISIT_WORKFLOW.label(self.status)

    @property
    def queue_label(self) -> str:
        return f"{self.queue_number:03d}" if self.queue_number else "—"
