"""Trip, its requests, team and equipment. Blank stock issued to a trip lives in the
inventory ledger (webapp.inventory), keyed by the trip id."""
from __future__ import annotations

import uuid
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.auth.models import User
from webapp.auth.roles import Role
from webapp.core.changes import Workflow
from webapp.core.db import NodeStamp, Timestamps, UTCDateTime, UUIDKey
from webapp.extensions import db
from webapp.layanan.catalog import CAPIL, DAFDUK

SCHEDULED = "dijadwalkan"
DEPARTED = "berangkat"
ARRIVED = "tiba"          # on site (SOP step 4 ends); the trip day runs
FINISHED = "selesai"      # service closed on site (the berita acara is drawn up)
CANCELLED = "dibatalkan"

_KABID = frozenset({Role.KABID_DAFDUK.value, Role.KABID_CAPIL.value})
_TEAM_ROLES = _KABID | {Role.PETUGAS.value, Role.OPERATOR.value}

TRIP_WORKFLOW = Workflow("trip", {
    None: {SCHEDULED: _KABID},
    SCHEDULED: {DEPARTED: _TEAM_ROLES, CANCELLED: _KABID},
    DEPARTED: {ARRIVED: _TEAM_ROLES},
    ARRIVED: {FINISHED: _TEAM_ROLES},
    FINISHED: {ARRIVED: _KABID},   # reopened by a kabid (e.g. a second service day)
}, {
    SCHEDULED: _l("Dijadwalkan"),
    DEPARTED: _l("Berangkat"),
    ARRIVED: _l("Tiba di lokasi"),
    FINISHED: _l("Pelayanan selesai"),
    CANCELLED: _l("Dibatalkan"),
})

TASKS = {
    "koordinator": _l("Koordinator"),
    "operator": _l("Operator"),
    "perekaman": _l("Petugas perekaman"),
    "verifikator": _l("Verifikator"),
    "sopir": _l("Sopir"),
}

DIVISION_LABELS = {DAFDUK: _l("Dafduk"), CAPIL: _l("Pencapil")}
DIVISION_OF_ROLE = {Role.KABID_DAFDUK.value: DAFDUK, Role.KABID_CAPIL.value: CAPIL}


class Trip(UUIDKey, Timestamps, NodeStamp, db.Model):
    __tablename__ = "trip"
    __sync__ = True   # the trip is checked out to the bus, which records its departure and return
    __entity_type__ = "trip"

    number: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    start_date: Mapped[date] = mapped_column(Date, nullable=False)
    end_date: Mapped[date] = mapped_column(Date, nullable=False)
    bus: Mapped[str] = mapped_column(String(80), nullable=False)
    node_code: Mapped[str] = mapped_column(String(32), nullable=False, default="BUS-01")
    lead_division: Mapped[str] = mapped_column(String(10), nullable=False)
    meeting_point: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(db.Uuid)
    departed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Whether the team's SIAK client can reach the centre right now (the officers say so on the
    # trip day page): only then can a document be finished on site.
    siak_online: Mapped[bool] = mapped_column(db.Boolean, nullable=False, default=False)
    # Who said so and when: on the row (not only in this node's audit log) so it travels with the trip.
    siak_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    siak_changed_by: Mapped[str | None] = mapped_column(String(120))
    cancelled_reason: Mapped[str | None] = mapped_column(Text)

    requests: Mapped[list["TripRequest"]] = relationship(back_populates="trip", cascade="all, delete-orphan",
                                                         order_by="TripRequest.position")
    members: Mapped[list["TripMember"]] = relationship(back_populates="trip", cascade="all, delete-orphan",
                                                       order_by="TripMember.position")
    equipment: Mapped[list["TripEquipment"]] = relationship(back_populates="trip", cascade="all, delete-orphan")

    __table_args__ = (Index("ix_trip_dates", "start_date", "end_date"), Index("ix_trip_status", "status"))

    @property
    def status_label(self) -> str:
        return TRIP_WORKFLOW.label(self.status)

    @property
    def is_active(self) -> bool:
        return self.status != CANCELLED

    @property
    def editable(self) -> bool:
        return self.status == SCHEDULED

    @property
    def lead_division_label(self) -> str:
        return str(DIVISION_LABELS.get(self.lead_division, self.lead_division))


class TripRequest(UUIDKey, NodeStamp, db.Model):
    """A village request served by a trip. A request is on at most one non-cancelled trip
    (checked in the service; its own status, "didisposisi" → "dijadwalkan", guards it too)."""

    __tablename__ = "trip_request"
    __sync__ = True   # which requests the trip serves: part of the trip

    trip_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("trip.id", ondelete="CASCADE"), nullable=False)
    request_id: Mapped[uuid.UUID] = mapped_column(db.Uuid, nullable=False, index=True)
    position: Mapped[int] = mapped_column(default=0, nullable=False)

    trip: Mapped[Trip] = relationship(back_populates="requests")

    __table_args__ = (UniqueConstraint("trip_id", "request_id", name="uq_trip_request"),)


class TripMember(UUIDKey, NodeStamp, db.Model):
    __tablename__ = "trip_member"
    __sync__ = True   # the team: part of the trip
    __entity_type__ = "trip_member"

    trip_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("trip.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    task: Mapped[str] = mapped_column(String(20), nullable=False)
    division: Mapped[str] = mapped_column(String(10), nullable=False)
    added_by_id: Mapped[uuid.UUID | None] = mapped_column(db.Uuid)
    position: Mapped[int] = mapped_column(default=0, nullable=False)

    trip: Mapped[Trip] = relationship(back_populates="members")
    user: Mapped[User] = relationship(lazy="joined")

    __table_args__ = (UniqueConstraint("trip_id", "user_id", name="uq_trip_member"),)

    @property
    def task_label(self) -> str:
        return str(TASKS.get(self.task, self.task))

    @property
    def division_label(self) -> str:
        return str(DIVISION_LABELS.get(self.division, self.division))


class TripEquipment(UUIDKey, NodeStamp, db.Model):
    __tablename__ = "trip_equipment"
    __sync__ = True   # the equipment carried: part of the trip

    trip_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("trip.id", ondelete="CASCADE"), nullable=False)
    equipment_id: Mapped[uuid.UUID] = mapped_column(db.Uuid, nullable=False, index=True)

    trip: Mapped[Trip] = relationship(back_populates="equipment")

    __table_args__ = (UniqueConstraint("trip_id", "equipment_id", name="uq_trip_equipment"),)
