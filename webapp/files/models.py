"""One row per distinct uploaded content; the bytes live at {UPLOAD_FOLDER}/{sha[:2]}/{sha}."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.db import NodeStamp, UTCDateTime, UUIDKey, utcnow
from webapp.extensions import db


class StoredFile(UUIDKey, NodeStamp, db.Model):
    __tablename__ = "stored_file"
    __sync__ = True   # scans and photos are captured on the bus; the row travels, the bytes follow by hash
    __entity_type__ = "file"

    sha256: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    mime_type: Mapped[str] = mapped_column(String(80), nullable=False)
    original_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.mime_type, "bin")


EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
