"""Data retention under UU 27/2022 (Pelindungan Data Pribadi): remove what the office no longer needs
for the purpose it was collected for; never the audit log (append-only, the accountability record).

    plan_retention(now=None) -> RetentionPlan          what would go (flask ops retention --dry-run)
    run_retention(dry_run=False, now=None) -> RetentionResult   plan, then remove exactly that

What goes (docs/operations.md, "Retensi data (UU 27/2022)"):

    application_file  office: scans and photos of applications handed over (diambil: the hand-over's
                      time; selesai_lapangan: closed_at) more than RETENTION_FILES_DAYS ago, outside
                      trips now checked out to a bus — the row, through record_change
    stored_file       office: a stored file no row names any more (after the above, or an orphan row
                      older than RETENTION_ORPHAN_DAYS) — the row through record_change, then its bytes
    orphan_bytes      bytes in the uploads folder that no stored_file row names, older than
                      RETENTION_ORPHAN_DAYS (an upload whose form was refused, a cut transfer)
    sync_media        office: partial media uploads quiet for RETENTION_PARTIAL_DAYS (row and part file)
    login_session     logins ended, or past the absolute timeout (SESSION_ABSOLUTE_HOURS)
    login_throttle    failed-login counters quiet for LOGIN_BACKOFF_FORGET_HOURS and not blocking
    sync_outbox       node: entries sent more than RETENTION_OUTBOX_DAYS ago (the newest one stays,
                      so the sequence never restarts)

Bytes are deleted only after the rows' transaction committed, and only when no row names them.
"""
from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from flask import current_app
from sqlalchemy import and_, delete, func, or_, select, tuple_

from webapp.auth.models import LoginSession, LoginThrottle
from webapp.core.changes import audit, record_change
from webapp.core.db import utcnow
from webapp.core.uow import unit_of_work
from webapp.documents.models import Handover
from webapp.extensions import db
from webapp.files.models import StoredFile
from webapp.files.services import path_of
from webapp.intake.models import COLLECTED, FINISHED_ON_SITE, Application, ApplicationFile
from webapp.ops.services import stored_files, upload_root
from webapp.sync.models import CHECKED_OUT, MediaUpload, OutboxEntry, TripCheckout
from webapp.sync.scope import REFERENCED_BY

CHUNK = 500
KINDS = ("application_file", "stored_file", "orphan_bytes", "sync_media", "login_session", "login_throttle",
         "sync_outbox")
LABELS = {
    "application_file": "lampiran (pindaian/foto) permohonan yang sudah diserahkan",
    "stored_file": "berkas tersimpan yang tidak dirujuk lagi",
    "orphan_bytes": "berkas di folder unggahan tanpa baris stored_file",
    "sync_media": "unggahan media sinkron yang terputus",
    "login_session": "sesi login yang berakhir/kedaluwarsa",
    "login_throttle": "penghitung gagal login yang sudah lama",
    "sync_outbox": "antrean kirim (outbox) yang sudah terkirim",
}


@dataclass(frozen=True)
class RetentionPolicy:
    files_days: int = 365
    orphan_days: int = 30
    partial_days: int = 7
    outbox_days: int = 30
    session_hours: float = 10
    throttle_hours: float = 24

    @classmethod
    def from_config(cls, config) -> "RetentionPolicy":
        return cls(files_days=int(config.get("RETENTION_FILES_DAYS", 365)),
                   orphan_days=int(config.get("RETENTION_ORPHAN_DAYS", 30)),
                   partial_days=int(config.get("RETENTION_PARTIAL_DAYS", 7)),
                   outbox_days=int(config.get("RETENTION_OUTBOX_DAYS", 30)),
                   session_hours=float(config.get("SESSION_ABSOLUTE_HOURS", 10)),
                   throttle_hours=float(config.get("LOGIN_BACKOFF_FORGET_HOURS", 24)))


@dataclass
class RetentionPlan:
    now: datetime
    policy: RetentionPolicy
    office: bool
    # kind → keys (str): what would go. For stored files also their sha256 (the bytes to delete).
    items: dict[str, list[str]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    stored_sha: dict[str, str] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        return {kind: len(self.items[kind]) for kind in KINDS}

    @property
    def empty(self) -> bool:
        return not any(self.items.values())

    def to_dict(self) -> dict:
        return {"now": self.now.isoformat(), "office": self.office, "counts": self.counts,
                "items": {kind: list(self.items[kind]) for kind in KINDS}}


@dataclass
class RetentionResult:
    dry_run: bool
    plan: RetentionPlan
    removed: dict[str, list[str]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    bytes_freed: int = 0

    @property
    def counts(self) -> dict[str, int]:
        source = self.plan.items if self.dry_run else self.removed
        return {kind: len(source[kind]) for kind in KINDS}

    def to_dict(self) -> dict:
        items = self.plan.items if self.dry_run else self.removed
        return {"dry_run": self.dry_run, "now": self.plan.now.isoformat(), "counts": self.counts,
                "items": {kind: list(items[kind]) for kind in KINDS}, "bytes_freed": self.bytes_freed}


# ---------------------------------------------------------------- what names a stored file

def file_reference_columns():
    """Every column that names a stored_file row: the sync scope's list (webapp/sync/scope.py) and
    any foreign key to stored_file.id the models declare."""
    tables = db.metadata.tables
    found = {(table, column) for table, column in REFERENCED_BY["stored_file"]}
    for table in tables.values():
        for fk in table.foreign_keys:
            if fk.column.table.name == "stored_file":
                found.add((table.name, fk.parent.name))
    return [tables[t].c[c] for t, c in sorted(found) if t in tables]


def _chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _referenced(file_ids: list[uuid.UUID], *, ignoring_attachments: set[uuid.UUID] = frozenset()) -> set[uuid.UUID]:
    """Those of `file_ids` some row still names (attachments in `ignoring_attachments` not counted)."""
    found: set[uuid.UUID] = set()
    attachment_column = ApplicationFile.__table__.c.file_id
    for column in file_reference_columns():
        table = column.table
        for chunk in _chunks(file_ids):
            query = select(column).where(column.in_(chunk))
            if column is attachment_column and ignoring_attachments:
                rows = db.session.execute(select(table.c.id, column).where(column.in_(chunk))).all()
                found.update(fid for aid, fid in rows if aid not in ignoring_attachments)
                continue
            found.update(db.session.execute(query).scalars())
    return found


# ---------------------------------------------------------------- the plan

def _is_office() -> bool:
    return str(current_app.config.get("ROLE", "office")).strip().lower() == "office"


def _old_attachments(cutoff: datetime) -> list[tuple[uuid.UUID, uuid.UUID]]:
    on_a_bus = select(TripCheckout.trip_id).where(TripCheckout.status == CHECKED_OUT)
    handed_over = (select(Application.id)
                   .outerjoin(Handover, Handover.id == Application.handover_id)
                   .where(or_(and_(Application.status == COLLECTED, Handover.at < cutoff),
                              and_(Application.status == FINISHED_ON_SITE, Application.closed_at < cutoff)),
                          Application.trip_id.not_in(on_a_bus)))
    rows = db.session.execute(select(ApplicationFile.id, ApplicationFile.file_id)
                              .where(ApplicationFile.application_id.in_(handed_over))
                              .order_by(ApplicationFile.id)).all()
    return [(r[0], r[1]) for r in rows]


def _orphan_rows(cutoff: datetime) -> list[uuid.UUID]:
    query = select(StoredFile.id).where(StoredFile.created_at < cutoff)
    for column in file_reference_columns():
        query = query.where(StoredFile.id.not_in(select(column).where(column.is_not(None))))
    return list(db.session.execute(query.order_by(StoredFile.id)).scalars())


def _mtime(path: Path) -> datetime | None:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)
    except FileNotFoundError:
        return None


def _orphan_bytes(cutoff: datetime) -> list[str]:
    known = set(db.session.execute(select(StoredFile.sha256)).scalars())
    found = []
    for name, path in stored_files(upload_root()):
        sha = name.split("/", 1)[1]
        if sha in known:
            continue
        moment = _mtime(path)
        if moment is not None and moment < cutoff:
            found.append(name)
    return found


def _partial_folder() -> Path:
    return upload_root() / ".partial"


def _stale_partials(cutoff: datetime) -> list[str]:
    """Partial media uploads quiet since `cutoff`: the part file's last write (else the row's start)."""
    folder = _partial_folder()
    rows = {r.sha256: r for r in db.session.execute(select(MediaUpload).where(MediaUpload.completed_at.is_(None)))
            .scalars()}
    files = {p.name: p for p in folder.iterdir() if p.is_file()} if folder.is_dir() else {}
    stale = []
    for sha in sorted(set(rows) | set(files)):
        if sha in files:
            last = _mtime(files[sha])
        else:
            last = rows[sha].started_at
        if last is not None and last < cutoff:
            stale.append(sha)
    return stale


def plan_retention(now: datetime | None = None, policy: RetentionPolicy | None = None) -> RetentionPlan:
    """What the retention would remove now; changes nothing."""
    now = now or utcnow()
    policy = policy or RetentionPolicy.from_config(current_app.config)
    plan = RetentionPlan(now=now, policy=policy, office=_is_office())
    items = plan.items
    orphan_cutoff = now - timedelta(days=policy.orphan_days)
    if plan.office:
        attachments = _old_attachments(now - timedelta(days=policy.files_days))
        items["application_file"] = [str(aid) for aid, _fid in attachments]
        candidates = sorted({fid for _aid, fid in attachments})
        still = _referenced(candidates, ignoring_attachments={aid for aid, _fid in attachments})
        stored = [fid for fid in candidates if fid not in still]
        listed = set(stored)
        stored += [fid for fid in _orphan_rows(orphan_cutoff) if fid not in listed]
        shas = {}
        for chunk in _chunks(stored):
            shas.update(db.session.execute(select(StoredFile.id, StoredFile.sha256)
                                           .where(StoredFile.id.in_(chunk))).all())
        items["stored_file"] = [str(fid) for fid in stored if fid in shas]
        plan.stored_sha = {str(fid): shas[fid] for fid in stored if fid in shas}
        items["sync_media"] = _stale_partials(now - timedelta(days=policy.partial_days))
    items["orphan_bytes"] = _orphan_bytes(orphan_cutoff)
    items["login_session"] = [str(i) for i in db.session.execute(
        select(LoginSession.id).where(or_(LoginSession.ended_at.is_not(None),
                                          LoginSession.started_at < now - timedelta(hours=policy.session_hours)))
        .order_by(LoginSession.id)).scalars()]
    items["login_throttle"] = [f"{key}/{address}" for key, address in db.session.execute(
        select(LoginThrottle.account_key, LoginThrottle.address).where(
            LoginThrottle.last_failure_at < now - timedelta(hours=policy.throttle_hours),
            or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until < now))
        .order_by(LoginThrottle.account_key, LoginThrottle.address)).all()]
    newest = db.session.execute(select(func.max(OutboxEntry.seq))).scalar()
    if newest is not None:
        items["sync_outbox"] = [str(seq) for seq in db.session.execute(
            select(OutboxEntry.seq).where(OutboxEntry.sent_at.is_not(None),
                                          OutboxEntry.sent_at < now - timedelta(days=policy.outbox_days),
                                          OutboxEntry.seq < newest)
            .order_by(OutboxEntry.seq)).scalars()]
    return plan


# ---------------------------------------------------------------- removing it

def _remove_rows(plan: RetentionPlan, actor) -> tuple[dict[str, list[str]], list[Path]]:
    """Delete the plan's rows in the caller's transaction; the files to unlink once it commits."""
    removed = {kind: [] for kind in KINDS}
    unlink: list[Path] = []
    items = plan.items
    attachment_ids = [uuid.UUID(i) for i in items["application_file"]]
    for chunk in _chunks(attachment_ids):
        rows = {row.id: row for row in db.session.execute(
            select(ApplicationFile).where(ApplicationFile.id.in_(chunk))).scalars()}
        for key in chunk:                      # in the plan's order; one gone meanwhile is skipped
            row = rows.get(key)
            if row is None:
                continue
            record_change(row, "delete", actor=actor, audit=False,
                          data={"reason": "retensi", "application_id": str(row.application_id)})
            db.session.delete(row)
            removed["application_file"].append(str(row.id))
    db.session.flush()
    stored_ids = [uuid.UUID(i) for i in items["stored_file"]]
    still = _referenced(stored_ids)               # named again meanwhile: it stays
    for chunk in _chunks([i for i in stored_ids if i not in still]):
        rows = {row.id: row for row in db.session.execute(select(StoredFile).where(StoredFile.id.in_(chunk))).scalars()}
        for key in chunk:
            row = rows.get(key)
            if row is None:
                continue
            record_change(row, "delete", actor=actor, audit=False, data={"reason": "retensi"})
            db.session.delete(row)
            removed["stored_file"].append(str(row.id))
            unlink.append(path_of(row.sha256))
    db.session.flush()
    known = set()
    names = items["orphan_bytes"]
    for chunk in _chunks([n.split("/", 1)[1] for n in names]):
        known.update(db.session.execute(select(StoredFile.sha256).where(StoredFile.sha256.in_(chunk))).scalars())
    for name in names:
        if name.split("/", 1)[1] not in known:
            unlink.append(upload_root() / name)
            removed["orphan_bytes"].append(name)
    for chunk in _chunks(items["sync_media"]):
        db.session.execute(delete(MediaUpload).where(MediaUpload.sha256.in_(chunk), MediaUpload.completed_at.is_(None)))
    for sha in items["sync_media"]:
        unlink.append(_partial_folder() / sha)
        removed["sync_media"].append(sha)
    for chunk in _chunks([uuid.UUID(i) for i in items["login_session"]]):
        db.session.execute(delete(LoginSession).where(LoginSession.id.in_(chunk)))
    removed["login_session"] = list(items["login_session"])
    pairs = [tuple(key.rsplit("/", 1)) for key in items["login_throttle"]]
    for chunk in _chunks(pairs):
        db.session.execute(delete(LoginThrottle).where(
            tuple_(LoginThrottle.account_key, LoginThrottle.address).in_(chunk)))
    removed["login_throttle"] = list(items["login_throttle"])
    for chunk in _chunks([int(s) for s in items["sync_outbox"]]):
        db.session.execute(delete(OutboxEntry).where(OutboxEntry.seq.in_(chunk), OutboxEntry.sent_at.is_not(None)))
    removed["sync_outbox"] = list(items["sync_outbox"])
    counts = {kind: len(removed[kind]) for kind in KINDS if removed[kind]}
    audit("retention", actor=actor, entity_type="retention", entity_id=plan.now.strftime("%Y-%m-%d"),
          summary="Retensi data (UU 27/2022, CLI): " + (", ".join(f"{n} {LABELS[k]}" for k, n in counts.items())
                                                       or "tidak ada yang dihapus"))
    return removed, unlink


def run_retention(*, dry_run: bool = False, now: datetime | None = None, actor=None,
                  policy: RetentionPolicy | None = None) -> RetentionResult:
    """Plan, and unless `dry_run` remove exactly what the plan lists (its own unit of work; the
    bytes after the commit). A dry run writes nothing, not even an audit entry."""
    plan = plan_retention(now, policy)
    result = RetentionResult(dry_run=dry_run, plan=plan)
    if dry_run:
        db.session.rollback()
        return result
    with unit_of_work():
        result.removed, unlink = _remove_rows(plan, actor)
    for path in unlink:
        try:
            size = path.stat().st_size
            os.unlink(path)
            result.bytes_freed += size
        except FileNotFoundError:
            pass
    return result
