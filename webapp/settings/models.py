"""One row per setting the office changed; a setting without a row has its default."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.db import UTCDateTime
from webapp.extensions import db


class AppSetting(db.Model):
    __tablename__ = "app_setting"
    __sync__ = False   # office configuration; a node gets the values in the checkout package
    __entity_type__ = "setting"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)
    updated_by: Mapped[str | None] = mapped_column(String(80))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def id(self) -> str:
        """The audit log and the change signal name a setting by its key."""
        return self.key
