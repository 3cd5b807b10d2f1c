"""Receipts: print (A6/A4, QR), reprint as a copy, cancel with a reason. A receipt is never
edited: a mistake is cancelled and a new receipt issued for its applications."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from webapp.auth.models import User
from webapp.auth.roles import Role
from webapp.core.authz import require_record, roles_required
from webapp.core.changes import audit
from webapp.core.errors import DomainError, attach_to_form
from webapp.core.web import form_status, render_page
from webapp.extensions import db
from webapp.intake import receipts
from webapp.intake.receipt_forms import CancelReceiptForm
from webapp.intake.views import bp
from webapp.trips.models import Trip

WORKERS = (Role.PETUGAS, Role.OPERATOR, Role.KABID_DAFDUK, Role.KABID_CAPIL, Role.ADMIN)
# Cancelling moves the applications back to "draf", which the application workflow leaves to
# the field roles (the admin reprints, never cancels).
CANCELLERS = (Role.PETUGAS, Role.OPERATOR, Role.KABID_DAFDUK, Role.KABID_CAPIL)
SIZES = ("a6", "a4")


def _receipt_for(receipt_id, *, work: bool):
    receipt = receipts.get_receipt(receipt_id)
    if receipt is None:
        abort(404)
    allowed = receipts.can_work_receipt if work else receipts.can_read_receipt
    require_record(allowed(receipt, current_user))
    return receipt


def _size() -> str:
    size = (request.args.get("ukuran") or "").lower()
    return size if size in SIZES else "a6"


def _receipt_context(receipt) -> dict:
    return dict(
        receipt=receipt, items=receipts.received_items(receipt), qr=Markup(receipts.qr_svg(receipt)),
        trip=db.session.get(Trip, receipt.trip_id), size=_size(),
        issuer=db.session.get(User, receipt.issued_by_id) if receipt.issued_by_id else None,
        can_work=receipts.can_work_receipt(receipt, current_user),
        can_cancel=current_user.role in CANCELLERS and receipts.can_work_receipt(receipt, current_user),
        cancel_problem=receipts.cancel_problem(receipt),
    )


@bp.get("/tanda-terima/<uuid:receipt_id>")
@roles_required(*WORKERS, Role.KEPALA_DESA)
def receipt(receipt_id):
    """The receipt as printed (the browser's print dialog; A6 or A4 by `?ukuran=`)."""
    found = _receipt_for(receipt_id, work=False)
    audit("view", actor=current_user, entity_type="receipt", entity_id=found.id, summary=found.number)
    return render_page("intake/receipt.html", **_receipt_context(found))


@bp.post("/tanda-terima/<uuid:receipt_id>/cetak-ulang")
@roles_required(*WORKERS)
def receipt_reprint(receipt_id):
    found = _receipt_for(receipt_id, work=True)
    try:
        copy = receipts.reprint_receipt(found, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("intake.receipt", receipt_id=found.id, ukuran=_size()), code=303)
    flash(_("Salinan ke-%(n)d siap dicetak: tekan Cetak.", n=copy), "success")
    return redirect(url_for("intake.receipt", receipt_id=found.id, ukuran=_size()), code=303)


@bp.route("/tanda-terima/<uuid:receipt_id>/batal", methods=["GET", "POST"])
@roles_required(*CANCELLERS)
def receipt_cancel(receipt_id):
    found = _receipt_for(receipt_id, work=True)
    form = CancelReceiptForm()
    if form.is_submitted():
        try:
            receipts.cancel_receipt(found, form.reason.data, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            attach_to_form(form, error)
        else:
            flash(_("Tanda terima %(n)s dibatalkan. Permohonannya kembali ke draf; terbitkan tanda terima baru "
                    "bila perlu.", n=found.number), "success")
            return redirect(url_for("intake.receipt", receipt_id=found.id), code=303)
    return render_page("intake/receipt_cancel.html", status=form_status(), receipt=found, form=form,
                       problem=receipts.cancel_problem(found))
