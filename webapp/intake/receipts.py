"""Receipts (tanda terima): numbering, check code, what the public status says.

    issue_receipt(visit, applications, collect_at=, actor=) -> Receipt   # caller moves the applications

The number is the node's never-resetting counter (KP-BUS01-000123); the date is printed beside
it. The check code is short, random and printed (and in the QR) so that a receipt number alone,
which is sequential, reveals nothing on the public status page."""
from __future__ import annotations

import secrets
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from webapp.core.changes import change_status, record_change
from webapp.core.counters import human_number
from webapp.core.db import utcnow
from webapp.core.errors import DomainError
from webapp.core.timefmt import wita_today
from webapp.extensions import db
from webapp.intake.models import (COLLECT_AT, RECEIPT_ACTIVE, RECEIPT_WORKFLOW, Application, Receipt)
from webapp.settings import services as settings

# Crockford-like alphabet: no 0/O, 1/I/L, so a code read aloud or typed from paper survives.
CHECK_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CHECK_LENGTH = 6
QR_PREFIX = "KPTT"   # QR payload: "KPTT:<number>:<check code>"


def new_check_code() -> str:
    return "".join(secrets.choice(CHECK_ALPHABET) for _ in range(CHECK_LENGTH))


def normalise_check_code(raw: str | None) -> str:
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())


def qr_payload(receipt: Receipt) -> str:
    return f"{QR_PREFIX}:{receipt.number}:{receipt.check_code}"


def parse_qr_payload(raw: str | None) -> tuple[str, str] | None:
    """(number, check code) from what a keyboard-wedge scanner typed, or None if it is not ours."""
    parts = (raw or "").strip().split(":")
    if len(parts) != 3 or parts[0].upper() != QR_PREFIX:
        return None
    return parts[1].strip().upper(), normalise_check_code(parts[2])


def add_working_days(start: date, days: int) -> date:
    day = start
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def expected_ready_on(today: date | None = None) -> date:
    return add_working_days(today or wita_today(), settings.values()["receipt_ready_days"])


def issue_receipt(visit, applications: list[Application], *, collect_at: str, actor,
                  replaces: Receipt | None = None) -> Receipt:
    """A new active receipt for these applications of one visit (numbered on this node). The
    caller moves the applications to "tanda_terima"; this links them to the receipt."""
    if not applications:
        raise DomainError(_l("Tidak ada permohonan untuk tanda terima ini."), field="applications")
    if collect_at not in COLLECT_AT:
        raise DomainError(_l("Pilih tempat pengambilan dokumen."), field="collect_at")
    receipt = Receipt(
        number=human_number("KP", "receipt"), check_code=new_check_code(), visit_id=visit.id,
        trip_id=visit.trip_id, holder_name=visit.name, holder_nik=visit.nik,
        holder_birth_date=visit.birth_date, desa_code=visit.desa_code, collect_at=collect_at,
        expected_ready_on=expected_ready_on(), issued_at=utcnow(),
        issued_by_id=getattr(actor, "id", None), replaces_id=replaces.id if replaces else None,
    )
    db.session.add(receipt)
    change_status(receipt, RECEIPT_ACTIVE, actor=actor, workflow=RECEIPT_WORKFLOW,
                  note=f"{len(applications)} permohonan")
    for application in applications:
        application.receipt_id = receipt.id
        record_change(application, "update", actor=actor, audit=False)
    db.session.flush()
    return receipt
