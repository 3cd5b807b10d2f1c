"""Receipts (tanda terima): numbering, check code, QR, who may see them, reprint and cancel.

    issue_receipt(visit, applications, collect_at=, actor=) -> Receipt   # caller moves the applications
    reprint_receipt(receipt, actor=) -> copy number; cancel_receipt(receipt, reason, actor=)
    close_receipt_if_done(receipt, actor=)    # every application handed over or rejected

The number is the node's never-resetting counter (KP-BUS01-000123); the date is printed beside
it. The check code is short, random and printed (and in the QR) so that a receipt number alone,
which is sequential, reveals nothing on the public status page."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

import segno
from flask_babel import lazy_gettext as _l

from webapp.auth.roles import Role, desa_allowed
from webapp.core.changes import StatusHistory, change_status, record_change
from webapp.core.counters import human_number
from webapp.core.db import utcnow
from webapp.core.errors import DomainError
from webapp.core.timefmt import wita_today
from webapp.extensions import db
from webapp.intake.models import (APPLICATION_WORKFLOW, COLLECT_AT, COLLECTED, DRAFT, PRESENT, RECEIPT_ACTIVE,
                                  RECEIPT_CANCELLED, RECEIPT_CLOSED, RECEIPT_WORKFLOW, RECEIPTED, REJECTED, SPTJM,
                                  Application, ChecklistLine, Receipt)
from webapp.settings import services as settings
from webapp.sync import checkout as trip_checkout   # the office refuses edits while a trip is on the bus
from webapp.trips import services as trip_services
from webapp.trips.models import Trip

# Crockford-like alphabet: no 0/O, 1/I/L, so a code read aloud or typed from paper survives.
CHECK_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CHECK_LENGTH = 6
MAX_CANCEL_REASON = 500
QR_PREFIX = "KPTT"   # QR payload: "KPTT:<number>:<check code>"
MAX_NUMBER_LENGTH = 32   # the number column's width: longer input cannot match


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


# ---------------------------------------------------------------- reading a receipt

def normalise_number(raw: str | None) -> str:
    """A receipt number as typed: upper case, no spaces (KP-BUS01-000123)."""
    return "".join((raw or "").upper().split())


def get_receipt(receipt_id) -> Receipt | None:
    return db.session.get(Receipt, receipt_id)


def find_receipt(number: str | None) -> Receipt | None:
    """The receipt with this number (as typed), or None. Always one query, found or not."""
    wanted = normalise_number(number)[:MAX_NUMBER_LENGTH]
    return Receipt.query.filter_by(number=wanted).one_or_none()


def check_code_matches(receipt: Receipt | None, typed: str | None) -> bool:
    """Constant-time comparison; compared against a stand-in when the receipt is unknown, so an
    unknown number and a wrong code take the same path."""
    expected = receipt.check_code if receipt is not None else _STAND_IN_CODE
    given = normalise_check_code(typed)[:CHECK_LENGTH * 2]
    same = secrets.compare_digest(expected.encode(), given.encode())
    return same and receipt is not None


_STAND_IN_CODE = "0" * CHECK_LENGTH   # "0" is not in the alphabet: never equal to a real code


@dataclass(frozen=True)
class ReceivedItem:
    """One application on a receipt and what the resident handed in for it."""

    application: Application
    lines: list[ChecklistLine]      # present or replaced by an SPTJM
    file_count: int                 # scans and photos attached


def _cancel_note(receipt: Receipt) -> str:
    return f"Tanda terima {receipt.number} dibatalkan"


def applications_on(receipt: Receipt) -> list[Application]:
    """The applications the receipt was issued for. A cancelled receipt no longer holds them
    (they went back to "draf" for a new receipt): their history says which they were."""
    if receipt.status != RECEIPT_CANCELLED:
        return list(receipt.applications)
    ids = [row.entity_id for row in StatusHistory.query.filter(
        StatusHistory.entity_type == "application", StatusHistory.from_status == RECEIPTED,
        StatusHistory.to_status == DRAFT, StatusHistory.note.like(_cancel_note(receipt) + "%"))]
    if not ids:
        return []
    return Application.query.filter(Application.id.in_(ids)).order_by(Application.created_at).all()


def received_items(receipt: Receipt) -> list[ReceivedItem]:
    items = []
    for application in applications_on(receipt):
        lines = [line for line in application.lines if line.state in (PRESENT, SPTJM)]
        items.append(ReceivedItem(application, lines, len(application.files)))
    return items


def qr_svg(receipt: Receipt, *, scale: int = 4) -> str:
    """The receipt's QR code (number + check code) as inline SVG markup, sized by CSS."""
    code = segno.make(qr_payload(receipt), error="m")
    return code.svg_inline(scale=scale, omitsize=True, svgclass="receipt-qr",
                           title=str(_l("QR tanda terima %(n)s", n=receipt.number)))


# ---------------------------------------------------------------- who may see and handle it

OFFICE_ROLES = frozenset({Role.OPERATOR, Role.KABID_DAFDUK, Role.KABID_CAPIL, Role.ADMIN})


def can_work_receipt(receipt: Receipt, user) -> bool:
    """Office staff handle every receipt; a field officer those of the trips they are on."""
    role = getattr(user, "role", None)
    if role in OFFICE_ROLES:
        return True
    if role == Role.PETUGAS:
        trip = db.session.get(Trip, receipt.trip_id)
        return trip is not None and trip_services.is_member(trip, user)
    return False


def can_read_receipt(receipt: Receipt, user) -> bool:
    """As `can_work_receipt`, and a kepala desa reads the receipts of their own village."""
    if getattr(user, "role", None) == Role.KEPALA_DESA:
        return desa_allowed(user, receipt.desa_code)
    return can_work_receipt(receipt, user)


# ---------------------------------------------------------------- reprint, cancel, close

def reprint_receipt(receipt: Receipt, *, actor) -> int:
    """A copy of the receipt: counted, and printed marked "SALINAN" with its number. The
    receipt itself is never edited otherwise."""
    trip_checkout.ensure_editable_at_office(receipt.trip_id)
    if receipt.status == RECEIPT_CANCELLED:
        raise DomainError(_l("Tanda terima ini sudah dibatalkan dan tidak dapat dicetak ulang."))
    receipt.print_count = (receipt.print_count or 0) + 1
    record_change(receipt, "reprint", actor=actor,
                  summary=f"{receipt.number}: salinan ke-{receipt.print_count}")
    db.session.flush()
    return receipt.print_count


def cancel_problem(receipt: Receipt) -> str | None:
    """Why this receipt can no longer be cancelled, or None."""
    if receipt.status != RECEIPT_ACTIVE:
        return str(_l("Tanda terima ini berstatus %(s)s; hanya tanda terima aktif yang dapat dibatalkan.",
                      s=receipt.status_label))
    moved = [a for a in receipt.applications if a.status != RECEIPTED]
    if moved:
        return str(_l("Tanda terima tidak dapat dibatalkan: berkas %(apps)s sudah diterima kantor. "
                      "Hubungi operator kantor untuk perbaikan.",
                      apps=", ".join(f"{a.label} ({a.status_label})" for a in moved)))
    return None


def cancel_receipt(receipt: Receipt, reason: str | None, *, actor) -> Receipt:
    """Cancel a mistaken receipt while its files are still with the team: its applications
    go back to "draf" without a receipt, so a new receipt can be issued for them."""
    trip_checkout.ensure_editable_at_office(receipt.trip_id)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Tuliskan alasan pembatalan tanda terima."), field="reason")
    if len(reason) > MAX_CANCEL_REASON:
        raise DomainError(_l("Alasan terlalu panjang: maksimal %(n)d karakter.", n=MAX_CANCEL_REASON), field="reason")
    problem = cancel_problem(receipt)
    if problem:
        raise DomainError(problem)
    receipt.cancelled_reason = reason
    change_status(receipt, RECEIPT_CANCELLED, actor=actor, workflow=RECEIPT_WORKFLOW, note=reason)
    for application in receipt.applications:
        change_status(application, DRAFT, actor=actor, workflow=APPLICATION_WORKFLOW,
                      note=f"{_cancel_note(receipt)}: {reason[:150]}", audit=False)
        application.receipt_id = None
        application.closed_at = None
    db.session.flush()
    db.session.expire(receipt, ["applications"])
    _reopen_visit(receipt, actor)
    return receipt


def _reopen_visit(receipt: Receipt, actor) -> None:
    """The resident's visit is not over while an application is back in "draf": a visit the
    receipt had closed is called again, so the team can finish those applications."""
    from webapp.field import services as field_services   # field imports intake: no cycle at load
    from webapp.field.models import DONE
    visit = field_services.get_visit(receipt.visit_id)
    if visit is not None and visit.status == DONE:
        field_services.reopen_visit(visit, actor)


def close_receipt_if_done(receipt: Receipt, *, actor, at=None) -> bool:
    """Close an active receipt once every application on it is handed over or rejected."""
    if receipt.status != RECEIPT_ACTIVE:
        return False
    applications = receipt.applications
    if not applications or any(a.status not in (COLLECTED, REJECTED) for a in applications):
        return False
    receipt.closed_at = at or utcnow()
    change_status(receipt, RECEIPT_CLOSED, actor=actor, workflow=RECEIPT_WORKFLOW, at=receipt.closed_at,
                  note=f"{sum(a.status == COLLECTED for a in applications)} dokumen diambil")
    return True
