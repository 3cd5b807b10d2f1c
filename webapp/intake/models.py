"""Applications taken on the bus, their requirement checklists and files, data corrections
noted against the register, and receipts (tanda terima).

An application's life (statuses are Indonesian codes, labels through _l):

    draf ──▶ selesai_lapangan                 (a) finished on site: SIAK number, printed, handed over
      │ ──▶ tanda_terima ──▶ di_kantor ──▶ diproses ──▶ terbit ──▶ siap_diambil ──▶ diambil
      │     (b) receipt      files at the   operator    SIAK number  printed,       handed over
      │                      office (1-hour took it     recorded     blank used    at the desk
      │                      rule starts)   (step 6)    (step 6 end)
      └──▶ ditunda | ditolak                  (c) postponed / rejected with a reason
    diproses ──▶ ditolak                      SIAK refused it (reason from the result file)
"""
from __future__ import annotations

import uuid
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.auth.roles import Role
from webapp.core.changes import Workflow
from webapp.core.db import NodeStamp, Timestamps, UTCDateTime, UUIDKey, utcnow
from webapp.extensions import db
from webapp.layanan.catalog import service_label

DRAFT = "draf"
FINISHED_ON_SITE = "selesai_lapangan"
RECEIPTED = "tanda_terima"
AT_OFFICE = "di_kantor"
PROCESSING = "diproses"
ISSUED = "terbit"
READY = "siap_diambil"
COLLECTED = "diambil"
POSTPONED = "ditunda"
REJECTED = "ditolak"

APPLICATION_LABELS = {
    DRAFT: _l("Sedang diisi"),
    FINISHED_ON_SITE: _l("Selesai di lokasi"),
    RECEIPTED: _l("Berkas diterima (tanda terima)"),
    AT_OFFICE: _l("Berkas di kantor, menunggu operator"),
    PROCESSING: _l("Diproses operator"),
    ISSUED: _l("Terbit di SIAK, menunggu cetak"),
    READY: _l("Siap diambil"),
    COLLECTED: _l("Sudah diambil"),
    POSTPONED: _l("Ditunda"),
    REJECTED: _l("Ditolak"),
}
# Closed for the visit (SOP step 5 ends when every application of the resident is in one of these).
VISIT_CLOSING_STATUSES = frozenset({FINISHED_ON_SITE, RECEIPTED, POSTPONED, REJECTED})
# Waiting for the office (the operator queue and the receipt's "diproses").
OFFICE_STATUSES = frozenset({AT_OFFICE, PROCESSING, ISSUED})

_FIELD = frozenset({Role.PETUGAS, Role.OPERATOR, Role.KABID_DAFDUK, Role.KABID_CAPIL})
_OFFICE = frozenset({Role.OPERATOR, Role.KABID_DAFDUK, Role.KABID_CAPIL, Role.ADMIN})

APPLICATION_WORKFLOW = Workflow("application", {
    None: {DRAFT: _FIELD},
    DRAFT: {FINISHED_ON_SITE: _FIELD, RECEIPTED: _FIELD, POSTPONED: _FIELD, REJECTED: _FIELD},
    POSTPONED: {DRAFT: _FIELD},
    RECEIPTED: {AT_OFFICE: _OFFICE, DRAFT: _FIELD},       # back to draf: its receipt was cancelled
    AT_OFFICE: {PROCESSING: _OFFICE},
    PROCESSING: {ISSUED: _OFFICE, REJECTED: _OFFICE, AT_OFFICE: _OFFICE},
    ISSUED: {READY: _OFFICE},
    READY: {COLLECTED: _OFFICE},
}, APPLICATION_LABELS)

# Who the applicant is to the person the document is for.
RELATIONS = {
    "sendiri": _l("Diri sendiri"),
    "orang_tua": _l("Orang tua / wali"),
    "suami_istri": _l("Suami / istri"),
    "anak": _l("Anak"),
    "keluarga": _l("Anggota keluarga lain"),
    "aparat_desa": _l("Aparat desa"),
}

# Checklist line states.
PRESENT = "ada"
MISSING = "tidak_ada"
SPTJM = "sptjm"
LINE_STATES = {PRESENT: _l("Ada"), MISSING: _l("Tidak ada"), SPTJM: _l("Diganti SPTJM")}


class Application(UUIDKey, Timestamps, NodeStamp, db.Model):
    """One application for one document for one person, taken during a visit."""

    __tablename__ = "application"
    __sync__ = True   # taken on the bus; finished at the office; both sides write it (one at a time)
    __entity_type__ = "application"

    visit_id: Mapped[uuid.UUID] = mapped_column(db.Uuid, nullable=False, index=True)
    trip_id: Mapped[uuid.UUID] = mapped_column(db.Uuid, nullable=False, index=True)
    service_code: Mapped[str] = mapped_column(String(20), nullable=False)
    subtype_code: Mapped[str] = mapped_column(String(30), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default=DRAFT)
    # The person the document is for (the visitor, or a child / the deceased they apply for).
    relation: Mapped[str] = mapped_column(String(20), nullable=False, default="sendiri")
    subject_name: Mapped[str] = mapped_column(String(120), nullable=False)
    subject_nik: Mapped[str | None] = mapped_column(String(16))
    subject_no_kk: Mapped[str | None] = mapped_column(String(16))
    subject_sex: Mapped[str | None] = mapped_column(String(1))
    subject_birth_date: Mapped[date | None] = mapped_column(Date)
    subject_birth_place: Mapped[str | None] = mapped_column(String(120))
    subject_address: Mapped[str | None] = mapped_column(String(255))
    subject_married: Mapped[bool | None] = mapped_column(Boolean)
    person_key: Mapped[str | None] = mapped_column(String(40))              # register record used to fill
    event_date: Mapped[date | None] = mapped_column(Date)                   # birth or death being registered
    late: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    late_days: Mapped[int | None] = mapped_column(Integer)                  # days after the deadline
    quality_case_id: Mapped[uuid.UUID | None] = mapped_column(db.Uuid)
    note: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)                        # postponed / rejected
    receipt_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("receipt.id"), index=True)
    # Times of the SOP events (also in status_history; kept here for the queue and reports).
    requirements_complete_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)         # left draf
    files_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime) # at the office (1-hour rule)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)          # operator took it (step 6)
    taken_by_id: Mapped[uuid.UUID | None] = mapped_column(db.Uuid)
    document_number: Mapped[str | None] = mapped_column(String(60))          # as SIAK issued it
    document_issued_on: Mapped[date | None] = mapped_column(Date)
    document_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    printed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stock_code: Mapped[str | None] = mapped_column(String(40))               # the blank it used
    spoiled_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    handover_id: Mapped[uuid.UUID | None] = mapped_column(db.Uuid, index=True)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(db.Uuid)

    lines: Mapped[list["ChecklistLine"]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="ChecklistLine.position")
    files: Mapped[list["ApplicationFile"]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="ApplicationFile.added_at")

    __table_args__ = (Index("ix_application_status", "status", "files_received_at"),)

    @property
    def label(self) -> str:
        return service_label(self.service_code, self.subtype_code)

    @property
    def status_label(self) -> str:
        return APPLICATION_WORKFLOW.label(self.status)

    @property
    def relation_label(self) -> str:
        return str(RELATIONS.get(self.relation, self.relation))


class ChecklistLine(UUIDKey, NodeStamp, db.Model):
    """One requirement of the application's template, as it stood when the application was taken."""

    __tablename__ = "application_requirement"
    __sync__ = True   # written with its application
    __entity_type__ = "application_requirement"

    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"),
                                                      nullable=False, index=True)
    item_id: Mapped[uuid.UUID | None] = mapped_column(db.Uuid)              # requirement_item, if any
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False, default="document")
    alt_group: Mapped[str | None] = mapped_column(String(20))
    sptjm_allowed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    state: Mapped[str] = mapped_column(String(12), nullable=False, default=MISSING)
    note: Mapped[str | None] = mapped_column(Text)

    application: Mapped[Application] = relationship(back_populates="lines")

    @property
    def state_label(self) -> str:
        return str(LINE_STATES.get(self.state, self.state))


class ApplicationFile(UUIDKey, NodeStamp, db.Model):
    """A scan or photo attached to an application (optionally to one checklist line)."""

    __tablename__ = "application_file"
    __sync__ = True   # the row travels with its application; the bytes follow by hash
    __entity_type__ = "application_file"

    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"),
                                                      nullable=False, index=True)
    line_id: Mapped[uuid.UUID | None] = mapped_column(db.Uuid)
    file_id: Mapped[uuid.UUID] = mapped_column(db.Uuid, nullable=False)     # stored_file
    kind: Mapped[str] = mapped_column(String(10), nullable=False, default="scan")   # scan | foto
    source: Mapped[str] = mapped_column(String(10), nullable=False, default="upload")  # upload | kamera
    added_by_id: Mapped[uuid.UUID | None] = mapped_column(db.Uuid)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    application: Mapped[Application] = relationship(back_populates="files")


class DataCorrection(UUIDKey, NodeStamp, db.Model):
    """The officer corrected a value the register gave: noted for the operator to change in SIAK,
    never written over the register (which only a new SIAK export changes)."""

    __tablename__ = "data_correction"
    __sync__ = True
    __entity_type__ = "data_correction"

    application_id: Mapped[uuid.UUID] = mapped_column(db.Uuid, nullable=False, index=True)
    person_key: Mapped[str | None] = mapped_column(String(40))
    field: Mapped[str] = mapped_column(String(30), nullable=False)
    register_value: Mapped[str | None] = mapped_column(String(255))
    new_value: Mapped[str | None] = mapped_column(String(255))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(db.Uuid)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


# Receipt statuses. The public status is computed from its applications (documents.status).
RECEIPT_ACTIVE = "aktif"
RECEIPT_CLOSED = "selesai"        # every document on it handed over
RECEIPT_CANCELLED = "dibatalkan"
RECEIPT_LABELS = {RECEIPT_ACTIVE: _l("Aktif"), RECEIPT_CLOSED: _l("Selesai (diambil)"),
                  RECEIPT_CANCELLED: _l("Dibatalkan")}
COLLECT_AT = {"kantor": _l("Kantor Disdukcapil HSS"), "desa": _l("Melalui kantor desa")}

RECEIPT_WORKFLOW = Workflow("receipt", {
    None: {RECEIPT_ACTIVE: _FIELD},
    RECEIPT_ACTIVE: {RECEIPT_CLOSED: _OFFICE, RECEIPT_CANCELLED: _FIELD | _OFFICE},
}, RECEIPT_LABELS)


class Receipt(UUIDKey, NodeStamp, db.Model):
    """A tanda terima: never edited in place (a reprint is a copy; a mistake is cancelled with a
    reason and a new receipt issued)."""

    __tablename__ = "receipt"
    __sync__ = True   # issued on the bus, closed at the office's pick-up desk
    __entity_type__ = "receipt"

    number: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)   # KP-BUS01-000123
    check_code: Mapped[str] = mapped_column(String(12), nullable=False)
    visit_id: Mapped[uuid.UUID] = mapped_column(db.Uuid, nullable=False, index=True)
    trip_id: Mapped[uuid.UUID] = mapped_column(db.Uuid, nullable=False, index=True)
    holder_name: Mapped[str] = mapped_column(String(120), nullable=False)   # the visitor who holds it
    holder_nik: Mapped[str | None] = mapped_column(String(16))              # printed masked only
    holder_birth_date: Mapped[date | None] = mapped_column(Date)
    desa_code: Mapped[str | None] = mapped_column(String(16))
    collect_at: Mapped[str] = mapped_column(String(10), nullable=False, default="kantor")
    expected_ready_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=RECEIPT_ACTIVE)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    issued_by_id: Mapped[uuid.UUID | None] = mapped_column(db.Uuid)
    print_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    cancelled_reason: Mapped[str | None] = mapped_column(Text)
    replaces_id: Mapped[uuid.UUID | None] = mapped_column(db.Uuid)         # the cancelled one it replaces
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    applications: Mapped[list[Application]] = relationship(foreign_keys=[Application.receipt_id],
                                                           order_by=Application.created_at)

    __table_args__ = (Index("ix_receipt_holder", "holder_birth_date", "desa_code"),)

    @property
    def status_label(self) -> str:
        return RECEIPT_WORKFLOW.label(self.status)

    @property
    def collect_label(self) -> str:
        return str(COLLECT_AT.get(self.collect_at, self.collect_at))
