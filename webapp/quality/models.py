"""Population register (snapshots), register imports, quality cases and duplicate decisions.

The register is kept as snapshots: every import writes its rows into `person` under its own
`snapshot_id` (= the import's id) while the current snapshot stays untouched; the swap is one
tiny transaction that points `register_state.current_snapshot_id` at the new snapshot. The
old snapshot's rows are purged afterwards, in batches. See docs/decisions/0006-register-import.md.

Cases and decisions never point at a `person.id` (a new snapshot gives every row a new id):
they point at the `person_key`, which is stable across snapshots (NIK + normalised name +
birth date, hashed), so they carry over from one import to the next.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.db import NodeStamp, Timestamps, UTCDateTime, UUIDKey, utcnow
from webapp.extensions import db

# "perlu_konfirmasi": the file is staged in full but would shrink the register (fewer rows, whole
# villages gone); it waits for an explicit "Ganti register" or "Batalkan" (importer.py).
IMPORT_STATUSES = ("antri", "berjalan", "perlu_konfirmasi", "selesai", "gagal", "dibatalkan")
IMPORT_STATUS_LABELS = {"antri": _l("Antri"), "berjalan": _l("Berjalan"),
                        "perlu_konfirmasi": _l("Perlu konfirmasi"),
                        "selesai": _l("Selesai"), "gagal": _l("Gagal"), "dibatalkan": _l("Dibatalkan")}

CASE_KINDS = ("anomali", "ganda")
CASE_KIND_LABELS = {"anomali": _l("Data anomali"), "ganda": _l("Data ganda")}
# "diputuskan": a duplicate case decided GANDA, waiting to be submitted to the centre.
CASE_STATUSES = ("terbuka", "diputuskan", "diajukan", "selesai", "ditolak")
CASE_STATUS_LABELS = {"terbuka": _l("Terbuka"), "diputuskan": _l("Ganda, menunggu pengajuan"),
                      "diajukan": _l("Diajukan ke pusat"),
                      "selesai": _l("Selesai"), "ditolak": _l("Ditolak")}
ACTIVE_CASE_STATUSES = ("terbuka", "diputuskan", "diajukan")
OPENED_BY = ("scan", "pra-perjalanan", "petugas")
OPENED_BY_LABELS = {"scan": _l("Pemindaian register"), "pra-perjalanan": _l("Pemeriksaan pra-perjalanan"),
                    "petugas": _l("Petugas")}
DECISIONS = ("ganda", "bukan_ganda")
DECISION_LABELS = {"ganda": _l("Ganda"), "bukan_ganda": _l("Bukan ganda")}


class RegisterImport(UUIDKey, Timestamps, NodeStamp, db.Model):
    """One upload of a SIAK export; its id is also the snapshot id of the rows it wrote."""

    __tablename__ = "register_import"
    __sync__ = False   # office-only: the register is imported at the office
    __entity_type__ = "register_import"

    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    file_kind: Mapped[str | None] = mapped_column(String(8))          # csv | xlsx
    file_size: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="antri")
    rows_total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)     # data rows seen
    rows_read: Mapped[int] = mapped_column(Integer, nullable=False, default=0)      # imported
    rows_rejected: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # unreadable
    progress: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)     # 0.0–1.0
    phase: Mapped[str | None] = mapped_column(String(40))                            # shown while running
    error_summary: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    swapped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    import_seconds: Mapped[float | None] = mapped_column(Float)
    scan_seconds: Mapped[float | None] = mapped_column(Float)
    findings: Mapped[int | None] = mapped_column(Integer)
    duplicate_pairs: Mapped[int | None] = mapped_column(Integer)
    cases_opened: Mapped[int | None] = mapped_column(Integer)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(db.Uuid)
    actor_name: Mapped[str] = mapped_column(String(80), nullable=False, default="system")
    # A file that would shrink the register: staged (its snapshot written) at `staged_at`, what
    # would disappear in `shrink` (importer.Shrink.to_dict(): rows now/new, vanished villages).
    staged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shrink: Mapped[dict | None] = mapped_column(JSON)

    errors: Mapped[list[RegisterRowError]] = relationship(
        back_populates="register_import", order_by="RegisterRowError.row_no",
        cascade="all, delete-orphan", lazy="select")

    @property
    def status_label(self) -> str:
        return str(IMPORT_STATUS_LABELS.get(self.status, self.status))

    @property
    def running(self) -> bool:
        return self.status in ("antri", "berjalan")

    @property
    def awaiting_confirmation(self) -> bool:
        return self.status == "perlu_konfirmasi"


class RegisterRowError(UUIDKey, db.Model):
    """A row that could not be read; only the first N of an import are stored (all counted).
    `value_preview` is short and already masked by the reader."""

    __tablename__ = "register_row_error"
    __sync__ = False   # office-only: the import's unreadable rows

    import_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("register_import.id", ondelete="CASCADE"),
                                                 nullable=False, index=True)
    row_no: Mapped[int] = mapped_column(Integer, nullable=False)
    column: Mapped[str | None] = mapped_column(String(60))
    message: Mapped[str] = mapped_column(Text, nullable=False)
    value_preview: Mapped[str | None] = mapped_column(String(80))

    register_import: Mapped[RegisterImport] = relationship(back_populates="errors")


class RegisterState(db.Model):
    """One row (id 1): which snapshot is the current register."""

    __tablename__ = "register_state"
    __sync__ = False   # office-only: which register snapshot is current

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    current_snapshot_id: Mapped[uuid.UUID | None] = mapped_column(db.Uuid)
    swapped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    persons: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Person(UUIDKey, db.Model):
    """One record of a register snapshot. Read the current register through
    `services.current_persons()` (rows of other snapshots are staging or being purged)."""

    __tablename__ = "person"
    __sync__ = False   # register snapshot rows: reference data, imported at the office in bulk
    __entity_type__ = "person"

    snapshot_id: Mapped[uuid.UUID] = mapped_column(db.Uuid, nullable=False)
    row_no: Mapped[int] = mapped_column(Integer, nullable=False)
    person_key: Mapped[str] = mapped_column(String(40), nullable=False)
    nik: Mapped[str | None] = mapped_column(String(20))
    no_kk: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    sex: Mapped[str | None] = mapped_column(String(1))
    birth_place: Mapped[str | None] = mapped_column(String(120))
    birth_date: Mapped[date | None] = mapped_column(Date)
    marital_status: Mapped[str | None] = mapped_column(String(40))
    family_role: Mapped[str | None] = mapped_column(String(40))
    mother_name: Mapped[str | None] = mapped_column(String(200))
    father_name: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(255))
    rt: Mapped[str | None] = mapped_column(String(8))
    rw: Mapped[str | None] = mapped_column(String(8))
    desa_code: Mapped[str | None] = mapped_column(String(16))
    # Sound of the name's first significant token (register.name_search_key): the name search
    # finds near spellings through it (SITI AISAH → SITI ASIAH, AISYAH). Filled by the import.
    name_key: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (
        # Lookups filter by the current snapshot too: the snapshot goes second, so SQLite's
        # planner picks the selective column (an index on snapshot_id alone matches every row).
        Index("ix_person_snapshot_row", "snapshot_id", "row_no"),
        Index("ix_person_nik", "nik", "snapshot_id"),
        Index("ix_person_no_kk", "no_kk", "snapshot_id"),
        Index("ix_person_key", "person_key", "snapshot_id"),
        Index("ix_person_birth_date", "birth_date"),
        # The near-spelling candidates are read from this index alone (name included: no lookup
        # of thousands of table rows for a common first name; migration 0014).
        Index("ix_person_name_key", "name_key", "snapshot_id", "name"),
        # The search by name walks this in name order and stops at the first 51 matches of its
        # LIKE (which it tests on the index entry) instead of reading and sorting the register.
        Index("ix_person_snapshot_name", "snapshot_id", "name", "birth_date"),
    )


class QualityCase(UUIDKey, Timestamps, NodeStamp, db.Model):
    """A data-quality case (kasus anomali / data ganda), tracked to its resolution."""

    __tablename__ = "quality_case"
    __sync__ = True   # officers open cases on the bus; the centre's answer flows back to the node
    __entity_type__ = "quality_case"

    number: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)            # anomali | ganda
    rule_code: Mapped[str] = mapped_column(String(60), nullable=False)
    severity: Mapped[str] = mapped_column(String(10), nullable=False)        # error | warning | info
    finding_key: Mapped[str] = mapped_column(String(64), nullable=False)     # rule + sorted person keys
    person_keys: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="terbuka")
    opened_by: Mapped[str] = mapped_column(String(20), nullable=False)       # scan | pra-perjalanan | petugas
    subject_name: Mapped[str | None] = mapped_column(String(200))           # first person, for search
    subject_nik: Mapped[str | None] = mapped_column(String(20))             # shown masked only
    desa_code: Mapped[str | None] = mapped_column(String(16))
    request_id: Mapped[str | None] = mapped_column(String(64))              # pre-trip check source
    reference_number: Mapped[str | None] = mapped_column(String(80))        # verification with the centre
    reference_date: Mapped[date | None] = mapped_column(Date)
    resolution_note: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    import_id: Mapped[uuid.UUID | None] = mapped_column(db.Uuid)            # the scan that opened it
    # The register records as they were when the case was closed as "selesai" (a hash of the
    # fields the rules read): the scan reopens the case only when the records have changed since.
    record_fingerprint: Mapped[str | None] = mapped_column(String(64))

    persons: Mapped[list[CasePerson]] = relationship(back_populates="case", cascade="all, delete-orphan",
                                                     lazy="select")

    __table_args__ = (
        Index("ix_quality_case_status", "status", "kind"),
        Index("ix_quality_case_finding", "finding_key"),
        Index("ix_quality_case_created", "created_at"),
    )

    @property
    def status_label(self) -> str:
        return str(CASE_STATUS_LABELS.get(self.status, self.status))

    @property
    def kind_label(self) -> str:
        return str(CASE_KIND_LABELS.get(self.kind, self.kind))

    @property
    def opened_by_label(self) -> str:
        return str(OPENED_BY_LABELS.get(self.opened_by, self.opened_by))

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_CASE_STATUSES

    @property
    def age(self):
        end = self.closed_at or utcnow()
        return end - self.created_at if self.created_at else None


class CasePerson(db.Model):
    """Which person keys a case concerns: the flag lookup (one indexed query per resident)."""

    __tablename__ = "quality_case_person"
    __sync__ = True   # written with its case (the flag lookup on the node needs it)

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("quality_case.id", ondelete="CASCADE"),
                                               primary_key=True)
    person_key: Mapped[str] = mapped_column(String(40), primary_key=True)

    case: Mapped[QualityCase] = relationship(back_populates="persons")

    __table_args__ = (Index("ix_quality_case_person_key", "person_key"),)


class DuplicateDecision(UUIDKey, NodeStamp, db.Model):
    """A person's verdict on a pair of records; a decided pair is never raised again."""

    __tablename__ = "duplicate_decision"
    __sync__ = True   # a verdict on a case, made wherever the case is; it travels with it
    __entity_type__ = "duplicate_decision"

    pair_key: Mapped[str] = mapped_column(String(90), nullable=False)        # "keyA|keyB", sorted
    decision: Mapped[str] = mapped_column(String(12), nullable=False)        # ganda | bukan_ganda
    kept_person_key: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    case_id: Mapped[uuid.UUID | None] = mapped_column(db.Uuid)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(db.Uuid)
    actor_name: Mapped[str] = mapped_column(String(80), nullable=False, default="system")
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("pair_key", name="uq_duplicate_decision_pair"),)

    @property
    def decision_label(self) -> str:
        return str(DECISION_LABELS.get(self.decision, self.decision))


# The register's text index over names (quality/name_index.py): not ORM tables, so created and
# dropped beside the metadata for db.create_all()/drop_all(); migration 0014 does it for upgrades.
def _create_name_index(target, connection, **kw) -> None:
    from webapp.quality.name_index import create_name_index
    create_name_index(connection)


def _drop_name_index(target, connection, **kw) -> None:
    from webapp.quality.name_index import drop_name_index
    drop_name_index(connection)


db.event.listen(db.metadata, "after_create", _create_name_index)
db.event.listen(db.metadata, "before_drop", _drop_name_index)
