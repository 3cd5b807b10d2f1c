"""One row per background job: what the web shows, what the janitor watches.

The Huey message carries only the run's id; the run row holds the job's name, its parameters,
who asked, and the state the pages read. A run's process writes `heartbeat_at` every few
seconds while the job works; a run "berjalan" whose heartbeat has gone quiet (or whose process
is gone) is abandoned, and the janitor fails it (docs/decisions/0007-job-queue.md).

Job runs are this node's own bookkeeping: they are not synced and carry no personal data.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.db import Timestamps, UTCDateTime, UUIDKey
from webapp.extensions import db

RUN_STATUS_LABELS = {"antri": _l("Antri"), "berjalan": _l("Berjalan"),
                     "selesai": _l("Selesai"), "gagal": _l("Gagal")}
ACTIVE_STATUSES = ("antri", "berjalan")


class JobRun(UUIDKey, Timestamps, db.Model):
    __tablename__ = "job_run"
    __sync__ = False   # this node's own job bookkeeping
    __entity_type__ = "job_run"

    name: Mapped[str] = mapped_column(String(60), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="antri", index=True)
    subject_id: Mapped[uuid.UUID | None] = mapped_column(db.Uuid, index=True)  # e.g. the register import
    params: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    actor_name: Mapped[str] = mapped_column(String(80), nullable=False, default="system")
    worker: Mapped[str | None] = mapped_column(String(200))   # host|pid namespace|pid of the process running it
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def status_label(self) -> str:
        return str(RUN_STATUS_LABELS.get(self.status, self.status))
