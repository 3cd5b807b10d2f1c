"""Hand-over of finished documents and the SIAK result files applied at the office."""
from __future__ import annotations

import uuid
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.db import NodeStamp, UTCDateTime, UUIDKey, utcnow
from webapp.extensions import db

RECEIVER_KINDS = {
    "sendiri": _l("Pemohon sendiri"),
    "keluarga": _l("Anggota keluarga"),
    "aparat_desa": _l("Aparat desa (untuk seluruh desa)"),
}


class Handover(UUIDKey, NodeStamp, db.Model):
    """Documents handed over at one moment to one person (a resident, family, or the village's
    official for a whole village: then it has a printable list to sign). Applications point here."""

    __tablename__ = "handover"
    __sync__ = True   # the field node learns that a receipt is closed
    __entity_type__ = "handover"

    number: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)   # ST-OFFICE-000012
    receiver_kind: Mapped[str] = mapped_column(String(12), nullable=False)
    receiver_name: Mapped[str] = mapped_column(String(120), nullable=False)
    receiver_relation: Mapped[str | None] = mapped_column(String(60))
    receiver_id_number: Mapped[str | None] = mapped_column(String(16))     # NIK of who collects (masked in lists)
    desa_code: Mapped[str | None] = mapped_column(String(16))
    document_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(db.Uuid)
    actor_name: Mapped[str] = mapped_column(String(80), nullable=False, default="system")
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)

    @property
    def receiver_label(self) -> str:
        return str(RECEIVER_KINDS.get(self.receiver_kind, self.receiver_kind))


class SiakFileRun(UUIDKey, db.Model):
    """One export of ready applications or one SIAK result file (applied, refused or checked)."""

    __tablename__ = "siak_file_run"
    __sync__ = False   # the office's own exchange with SIAK
    __entity_type__ = "siak_file_run"

    direction: Mapped[str] = mapped_column(String(10), nullable=False)       # ekspor | impor
    file_format: Mapped[str] = mapped_column(String(8), nullable=False)       # csv | json
    filename: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    outcome: Mapped[str] = mapped_column(String(12), nullable=False)         # dibuat | diterapkan | ditolak | dicek
    row_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    applied_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    errors: Mapped[list] = mapped_column(JSON, nullable=False, default=list)   # [{"line": n, "message": …}]
    actor_id: Mapped[uuid.UUID | None] = mapped_column(db.Uuid)
    actor_name: Mapped[str] = mapped_column(String(80), nullable=False, default="system")
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)
