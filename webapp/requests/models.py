"""Village request letters (SOP step 1), their resident lists and dispositions (SOP step 2)."""
from __future__ import annotations

import uuid
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.auth.roles import Role
from webapp.core.changes import Workflow
from webapp.core.db import NodeStamp, Timestamps, UTCDateTime, UUIDKey, utcnow
from webapp.extensions import db
from webapp.files.models import StoredFile  # noqa: F401  (the letter_file relationship)
from webapp.layanan.catalog import CAPIL, DAFDUK, service_label

# Statuses (codes stay Indonesian; labels through _l).
BARU = "baru"
DIDISPOSISI = "didisposisi"
DIKEMBALIKAN = "dikembalikan"
DIJADWALKAN = "dijadwalkan"
BERANGKAT = "berangkat"
DIBATALKAN = "dibatalkan"

STATUS_LABELS = {
    BARU: _l("Baru"),
    DIDISPOSISI: _l("Didisposisi"),
    DIKEMBALIKAN: _l("Dikembalikan ke desa"),
    DIJADWALKAN: _l("Dijadwalkan"),
    BERANGKAT: _l("Tim berangkat"),
    DIBATALKAN: _l("Dibatalkan"),
}
# CSS class suffix of the status badge (see static/css/app.css).
STATUS_CSS = {BARU: "new", DIDISPOSISI: "disposed", DIKEMBALIKAN: "returned", DIJADWALKAN: "scheduled",
              BERANGKAT: "departed", DIBATALKAN: "off"}

# Who may register a letter: office staff for any desa, a kepala_desa for their own desa.
REGISTERING_ROLES = frozenset({Role.ADMIN, Role.KEPALA_DINAS, Role.KABID_DAFDUK, Role.KABID_CAPIL,
                               Role.OPERATOR, Role.KEPALA_DESA})
KABIDS = frozenset({Role.KABID_DAFDUK, Role.KABID_CAPIL})
_CANCELLERS = frozenset({Role.KEPALA_DINAS}) | KABIDS

REQUEST_WORKFLOW = Workflow("request", {
    None: {BARU: REGISTERING_ROLES},
    BARU: {DIDISPOSISI: frozenset({Role.KEPALA_DINAS}), DIKEMBALIKAN: frozenset({Role.KEPALA_DINAS}),
           DIBATALKAN: _CANCELLERS},
    DIKEMBALIKAN: {BARU: REGISTERING_ROLES},
    DIDISPOSISI: {DIJADWALKAN: KABIDS, DIBATALKAN: _CANCELLERS},
    # A trip that is called off puts its requests back in the kabid's queue.
    DIJADWALKAN: {BERANGKAT: KABIDS | {Role.PETUGAS, Role.OPERATOR}, DIDISPOSISI: KABIDS, DIBATALKAN: _CANCELLERS},
}, STATUS_LABELS)

DIVISIONS = (DAFDUK, CAPIL)
DIVISION_LABELS = {DAFDUK: _l("Bidang Dafduk"), CAPIL: _l("Bidang Pencatatan Sipil")}
KABID_OF_DIVISION = {DAFDUK: Role.KABID_DAFDUK, CAPIL: Role.KABID_CAPIL}
DIVISION_OF_KABID = {Role.KABID_DAFDUK.value: DAFDUK, Role.KABID_CAPIL.value: CAPIL}

SUBMITTED_VIA = ("kantor", "desa")


class VillageRequest(UUIDKey, Timestamps, NodeStamp, db.Model):
    """A village's letter asking for the bus (surat permohonan)."""

    __tablename__ = "village_request"
    __sync__ = True   # the workflow entity: its status moves on the bus (departure onwards)
    __entity_type__ = "request"

    number: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)   # PMH-OFFICE-000012
    letter_number: Mapped[str] = mapped_column(String(80), nullable=False)
    letter_date: Mapped[date] = mapped_column(Date, nullable=False)
    desa_code: Mapped[str] = mapped_column(String(13), nullable=False)
    signatory_name: Mapped[str] = mapped_column(String(120), nullable=False)
    signatory_title: Mapped[str] = mapped_column(String(80), nullable=False, default="Kepala Desa")
    requested_date: Mapped[date] = mapped_column(Date, nullable=False)
    location: Mapped[str] = mapped_column(String(200), nullable=False)
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    letter_file_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("stored_file.id"))
    status: Mapped[str] = mapped_column(String(20), nullable=False, default=BARU)
    lead_division: Mapped[str | None] = mapped_column(String(10))       # dafduk | capil
    disposed_to: Mapped[str | None] = mapped_column(String(20))         # "dafduk,capil": lead first
    return_reason: Mapped[str | None] = mapped_column(Text)
    submitted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    submitted_via: Mapped[str] = mapped_column(String(10), nullable=False, default="kantor")

    letter_file = relationship("StoredFile", lazy="joined")
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    residents: Mapped[list["RequestResident"]] = relationship(
        back_populates="request", order_by="RequestResident.position", cascade="all, delete-orphan")
    dispositions: Mapped[list["Disposition"]] = relationship(
        back_populates="request", order_by="Disposition.at", cascade="all, delete-orphan")

    __table_args__ = (
        Index("ix_village_request_status", "status"),
        Index("ix_village_request_desa", "desa_code"),
        Index("ix_village_request_requested_date", "requested_date"),
    )

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS.get(self.status, self.status))

    @property
    def status_css(self) -> str:
        return STATUS_CSS.get(self.status, "off")

    @property
    def divisions(self) -> list[str]:
        return [d for d in (self.disposed_to or "").split(",") if d]

    @property
    def kecamatan_code(self) -> str:
        return self.desa_code.rsplit(".", 1)[0]

    @property
    def latest_disposition(self) -> "Disposition | None":
        return self.dispositions[-1] if self.dispositions else None


class Disposition(UUIDKey, NodeStamp, db.Model):
    """The Kepala Dinas's instruction to one or two divisions; the first named leads."""

    __tablename__ = "request_disposition"
    __sync__ = True   # part of the request's workflow record that the node holds
    __entity_type__ = "disposition"

    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("village_request.id", ondelete="CASCADE"),
                                                  nullable=False, index=True)
    divisions_csv: Mapped[str] = mapped_column("divisions", String(20), nullable=False)
    instruction: Mapped[str] = mapped_column(Text, nullable=False, default="")
    due_date: Mapped[date | None] = mapped_column(Date)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(80), nullable=False, default="system")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    request: Mapped[VillageRequest] = relationship(back_populates="dispositions")

    @property
    def divisions(self) -> list[str]:
        return [d for d in self.divisions_csv.split(",") if d]


class RequestResident(UUIDKey, Timestamps, NodeStamp, db.Model):
    """One resident on the village's list."""

    __tablename__ = "request_resident"
    __sync__ = True   # the bus adds and corrects residents on site
    __entity_type__ = "request_resident"

    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("village_request.id", ondelete="CASCADE"),
                                                  nullable=False, index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    nik: Mapped[str | None] = mapped_column(String(16))
    no_kk: Mapped[str | None] = mapped_column(String(16))
    sex: Mapped[str] = mapped_column(String(1), nullable=False)          # L | P
    birth_date: Mapped[date] = mapped_column(Date, nullable=False)
    phone: Mapped[str | None] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    request: Mapped[VillageRequest] = relationship(back_populates="residents")
    # Loaded with the residents (one query per list, not one per resident): every list shows them.
    services: Mapped[list["RequestedService"]] = relationship(
        back_populates="resident", cascade="all, delete-orphan", order_by="RequestedService.service_code",
        lazy="selectin")

    __table_args__ = (Index("ix_request_resident_nik", "nik"),)

    @property
    def service_pairs(self) -> list[tuple[str, str]]:
        return [(s.service_code, s.subtype_code) for s in self.services]


class RequestedService(UUIDKey, NodeStamp, db.Model):
    __tablename__ = "requested_service"
    __sync__ = True   # written with its resident
    __entity_type__ = "requested_service"

    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("request_resident.id", ondelete="CASCADE"),
                                                   nullable=False, index=True)
    service_code: Mapped[str] = mapped_column(String(20), nullable=False)
    subtype_code: Mapped[str] = mapped_column(String(30), nullable=False)

    resident: Mapped[RequestResident] = relationship(back_populates="services")

    @property
    def label(self) -> str:
        return service_label(self.service_code, self.subtype_code)

    __table_args__ = (UniqueConstraint("resident_id", "service_code", "subtype_code",
                                       name="uq_requested_service"),)
