from __future__ import annotations

from sqlalchemy import Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db


class Region(db.Model):
    """Kemendagri region codes: the country down to kecamatan, the regency down to desa.
    Reference data, read-only for the app; keyed by the dotted code (names repeat)."""

    __tablename__ = "region"
    __sync__ = False   # Kemendagri reference codes, read-only for the app

    code: Mapped[str] = mapped_column(String(13), primary_key=True)    # "63.06.10.2001"
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    level: Mapped[str] = mapped_column(String(16), nullable=False)     # provinsi | kabupaten | kabupaten_kota | kecamatan | desa | kelurahan
    parent_code: Mapped[str | None] = mapped_column(String(13))
    current: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    last_year: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_region_parent", "parent_code"), Index("ix_region_level", "level"))

    @property
    def is_village(self) -> bool:
        return self.level in ("desa", "kelurahan")

    @property
    def label(self) -> str:
        kind = {"desa": "Desa", "kelurahan": "Kelurahan", "kecamatan": "Kec."}.get(self.level, "")
        return f"{kind} {self.name}".strip()
