"""The SOP steps as measured, one row per entity and step: what the mutu baku dashboard groups."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.db import UTCDateTime
from webapp.extensions import db


class StepMeasure(db.Model):
    """One ended SOP step of one entity, as its timeline measures it: `step_durations` on the
    entity's status history, on the office's clock (`corrected_at`). Derived data, never typed in:
    kept in step with the status history in the same transaction as every write to it
    (webapp.reports.upkeep), rebuilt from it by `flask reports remeasure`. A step that has not
    ended (or ended another way) has no row."""

    __tablename__ = "sop_step_measure"
    # Derived on each side from its own status history (which syncs); the office's is the one read.
    __sync__ = False

    measure: Mapped[str] = mapped_column(String(20), primary_key=True)       # webapp.reports.steps key
    entity_id: Mapped[uuid.UUID] = mapped_column(db.Uuid, primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(40), nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    duration_us: Mapped[int] = mapped_column(BigInteger, nullable=False)     # microseconds
    within: Mapped[bool] = mapped_column(Boolean, nullable=False)            # duration ≤ the standard

    __table_args__ = (
        Index("ix_sop_step_measure_ended", "measure", "ended_at"),
        Index("ix_sop_step_measure_duration", "measure", "duration_us"),
    )


from webapp.reports import upkeep  # noqa: E402,F401  (keeps the table in step with the status history)
