"""Retention under UU 27/2022 (`flask ops retention [--dry-run]`): the dry run lists what would go,
with counts, and removes nothing; the real run then removes exactly that list — the scans of
applications handed over more than RETENTION_FILES_DAYS ago (a file another application still
uses stays), stored files and bytes nothing names any more, stale partial media uploads, ended
or expired logins, old failed-login counters, outbox entries sent long ago — and never an audit
entry."""
from __future__ import annotations

import hashlib
import json
import os
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from webapp.auth.models import LoginSession, LoginThrottle
from webapp.auth.roles import Role
from webapp.core.audit import AuditEntry
from webapp.core.db import utcnow
from webapp.documents.pickup import Receiver, hand_over
from webapp.extensions import db
from webapp.files.models import StoredFile
from webapp.files.services import path_of, store_bytes
from webapp.intake.models import ApplicationFile
from webapp.sync.models import MediaUpload, OutboxEntry

from tests.integration.receipt_factories import ready_receipt
from tests.integration.trip_factories import office_user


def pdf(text: str) -> bytes:
    return f"%PDF-1.4 {text}\n".encode() + b"x" * 64


def attach(application, stored: StoredFile) -> ApplicationFile:
    row = ApplicationFile(application_id=application.id, file_id=stored.id, kind="scan")
    db.session.add(row)
    return row


def age(path: Path, days: int) -> None:
    moment = (utcnow() - timedelta(days=days)).timestamp()
    os.utime(path, (moment, moment))


def counts() -> dict:
    tables = (ApplicationFile, StoredFile, MediaUpload, LoginSession, LoginThrottle, OutboxEntry, AuditEntry)
    return {t.__tablename__: db.session.scalar(select(func.count()).select_from(t)) for t in tables}


def files_on_disk(app) -> set[str]:
    root = Path(app.config["UPLOAD_FOLDER"])
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def retention(app, *args):
    result = app.test_cli_runner().invoke(args=["ops", "retention", *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def office_with_old_and_new_data(app, make_user):
    """A small office: what retention must remove and, beside each, what it must keep."""
    now = utcnow()
    operator = office_user(Role.OPERATOR)
    # Handed over 400 days ago: two scans, one of them also attached to an application handed over last week.
    old_receipt = ready_receipt(name="Aluh Masitah", actor=operator)
    recent_receipt = ready_receipt(name="Galuh Rahmah", actor=operator)
    waiting_receipt = ready_receipt(name="Utuh Basri", actor=operator)   # ready, never collected
    old_app, recent_app, waiting_app = (r.applications[0] for r in (old_receipt, recent_receipt, waiting_receipt))
    only_old = store_bytes(pdf("KK Aluh"), mime_type="application/pdf")
    shared = store_bytes(pdf("akta dipakai dua permohonan"), mime_type="application/pdf")
    waiting = store_bytes(pdf("KK Utuh"), mime_type="application/pdf")
    attach(old_app, only_old)
    attach(old_app, shared)
    attach(recent_app, shared)
    attach(waiting_app, waiting)
    db.session.flush()
    # (the factory's own scan of each application names no stored file: its row goes, nothing else)
    old_rows = db.session.execute(select(ApplicationFile).where(ApplicationFile.application_id == old_app.id)).scalars().all()
    assert len(old_rows) == 3
    hand_over(old_receipt, [str(old_app.id)], Receiver(kind="sendiri", name="Aluh Masitah"), actor=operator,
              at=now - timedelta(days=400))
    hand_over(recent_receipt, [str(recent_app.id)], Receiver(kind="sendiri", name="Galuh Rahmah"), actor=operator,
              at=now - timedelta(days=7))
    # A stored file nothing names, 40 days old (to go) and one of yesterday (kept: maybe its row comes yet).
    orphan_old = store_bytes(pdf("unggahan formulir yang ditolak"), mime_type="application/pdf")
    orphan_old.created_at = now - timedelta(days=40)
    orphan_new = store_bytes(pdf("baru diunggah"), mime_type="application/pdf")
    # Bytes with no row at all: an old leftover (to go), a fresh one (kept).
    stray_old, stray_new = pdf("sisa lama"), pdf("sisa baru")
    for data, days in ((stray_old, 45), (stray_new, 1)):
        target = path_of(hashlib.sha256(data).hexdigest())
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        age(target, days)
    # Partial media uploads from a node: quiet for 10 days (to go), half a day (kept), complete (kept).
    partial = Path(app.config["UPLOAD_FOLDER"]) / ".partial"
    partial.mkdir(parents=True, exist_ok=True)
    stale_sha, fresh_sha, done_sha = (hashlib.sha256(n.encode()).hexdigest() for n in ("a", "b", "c"))
    db.session.add_all([
        MediaUpload(sha256=stale_sha, node_code="BUS-01", size=999, mime_type="image/jpeg", received=10,
                    started_at=now - timedelta(days=12)),
        MediaUpload(sha256=fresh_sha, node_code="BUS-01", size=999, mime_type="image/jpeg", received=10,
                    started_at=now - timedelta(days=12)),
        MediaUpload(sha256=done_sha, node_code="BUS-01", size=3, mime_type="image/jpeg", received=3,
                    started_at=now - timedelta(days=90), completed_at=now - timedelta(days=90)),
    ])
    (partial / stale_sha).write_bytes(b"0123456789")
    age(partial / stale_sha, 10)
    (partial / fresh_sha).write_bytes(b"0123456789")
    # Logins: ended (to go), past the absolute timeout (to go), open now (kept).
    user = make_user(Role.OPERATOR)
    ended = LoginSession(user_id=user.id, token_hash="a" * 64, started_at=now - timedelta(hours=2),
                         ended_at=now - timedelta(hours=1))
    expired = LoginSession(user_id=user.id, token_hash="b" * 64, started_at=now - timedelta(hours=11))
    open_now = LoginSession(user_id=user.id, token_hash="c" * 64, started_at=now - timedelta(minutes=5))
    db.session.add_all([ended, expired, open_now])
    # Failed-login counters: quiet for two days (to go), an hour ago (kept), old but still blocking (kept).
    db.session.add_all([
        LoginThrottle(account_key="k1", address="10.63.6.20", failures=3, last_failure_at=now - timedelta(days=2)),
        LoginThrottle(account_key="k2", address="10.63.6.21", failures=3, last_failure_at=now - timedelta(hours=1)),
        LoginThrottle(account_key="k3", address="*", failures=30, last_failure_at=now - timedelta(days=2),
                      blocked_until=now + timedelta(minutes=10)),
    ])
    # Outbox (as on a node): sent 40 days ago ×2 (to go), unsent and old (kept), sent yesterday (kept),
    # and the newest, sent 40 days ago (kept: the sequence never restarts).
    def entry(seq, sent_days, created_days=40):
        return OutboxEntry(seq=seq, entry_id=uuid.uuid4(), table_name="visit", row_key=str(uuid.uuid4()),
                           operation="insert", payload={}, content_hash="0" * 64,
                           created_at=now - timedelta(days=created_days),
                           sent_at=None if sent_days is None else now - timedelta(days=sent_days))
    db.session.add_all([entry(1, 40), entry(2, 40), entry(3, None), entry(4, 1), entry(5, 40)])
    db.session.commit()
    return {
        "application_file": sorted(str(r.id) for r in old_rows),
        "stored_file": [str(only_old.id), str(orphan_old.id)],
        "kept_files": {shared.sha256, waiting.sha256, orphan_new.sha256, hashlib.sha256(stray_new).hexdigest()},
        "gone_bytes": {only_old.sha256, orphan_old.sha256, hashlib.sha256(stray_old).hexdigest()},
        "orphan_bytes": [f"{h[:2]}/{h}" for h in [hashlib.sha256(stray_old).hexdigest()]],
        "sync_media": [stale_sha], "fresh_partial": fresh_sha,
        "login_session": sorted(str(s.id) for s in (ended, expired)), "open_session": open_now.id,
        "login_throttle": ["k1/10.63.6.20"], "sync_outbox": ["1", "2"],
    }


def test_dry_run_lists_with_counts_and_removes_nothing_then_the_run_removes_exactly_that(
        app, office_with_old_and_new_data):
    expected = office_with_old_and_new_data
    before, disk_before = counts(), files_on_disk(app)
    audit_ids = set(db.session.execute(select(AuditEntry.id)).scalars())

    text_out = retention(app, "--dry-run")
    assert "Uji coba (--dry-run)" in text_out and "Tidak ada yang dihapus" in text_out
    assert "        3  lampiran (pindaian/foto) permohonan yang sudah diserahkan (application_file)" in text_out
    plan = json.loads(retention(app, "--dry-run", "--json"))
    assert plan["dry_run"] is True
    items = plan["items"]
    assert sorted(items["application_file"]) == expected["application_file"]
    assert sorted(items["stored_file"]) == sorted(expected["stored_file"])
    for kind in ("orphan_bytes", "sync_media", "login_session", "login_throttle", "sync_outbox"):
        assert sorted(items[kind]) == sorted(expected[kind]), kind
    assert plan["counts"] == {kind: len(found) for kind, found in items.items()}
    db.session.expire_all()
    assert counts() == before and files_on_disk(app) == disk_before      # nothing removed, not even audited

    done = json.loads(retention(app, "--json"))
    assert done["dry_run"] is False
    assert done["items"] == items                                         # exactly what the dry run listed
    assert done["bytes_freed"] > 0

    db.session.expire_all()
    after = counts()
    for table, gone in (("application_file", 3), ("stored_file", 2), ("sync_media", 1), ("login_session", 2),
                        ("login_throttle", 1), ("sync_outbox", 2)):
        assert after[table] == before[table] - gone, table
    # The audit log only grew: every entry is still there, plus the run's one summary (actor system).
    assert audit_ids <= set(db.session.execute(select(AuditEntry.id)).scalars())
    assert after["audit_log"] == before["audit_log"] + 1
    summary = db.session.execute(select(AuditEntry).where(AuditEntry.action == "retention")).scalar_one()
    assert summary.actor_name == "system" and "3 lampiran" in summary.summary
    # Files: only those no row names any more went; the shared one, the waiting one and the fresh ones stayed.
    for sha in expected["kept_files"]:
        assert path_of(sha).exists(), sha
    for sha in expected["gone_bytes"]:
        assert not path_of(sha).exists(), sha
    partial = Path(app.config["UPLOAD_FOLDER"]) / ".partial"
    assert not (partial / expected["sync_media"][0]).exists() and (partial / expected["fresh_partial"]).exists()
    assert db.session.get(LoginSession, expected["open_session"]) is not None
    assert sorted(db.session.execute(select(OutboxEntry.seq)).scalars()) == [3, 4, 5]

    # A second run finds nothing more.
    again = json.loads(retention(app, "--dry-run", "--json"))
    assert again["counts"] == {kind: 0 for kind in again["counts"]}
