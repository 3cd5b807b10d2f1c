"""The pick-up desk: search (typed number, scanned QR, or a lost receipt by name + birth date +
desa), a receipt's documents and their hand-over, a village's ready documents handed to its
official with a list to sign. The kepala desa reads their own village's ready list."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from webapp.auth.models import User
from webapp.auth.roles import Role, desa_allowed
from webapp.core.authz import require_record, roles_required
from webapp.core.changes import audit
from webapp.core.errors import DomainError, attach_to_form
from webapp.core.web import form_status, render_page
from webapp.documents import pickup
from webapp.documents.models import RECEIVER_KINDS
from webapp.documents.pickup_forms import BulkHandoverForm, DeskSearchForm, HandoverForm, LostReceiptForm
from webapp.documents.views import bp
from webapp.extensions import db
from webapp.intake import receipts
from webapp.intake.models import RELATIONS
from webapp.main.dashboard import nav_item
from webapp.wilayah.services import get_region, village_choices

nav_item(45, "documents.pickup", _l("Pengambilan Dokumen"), section="documents.pickup")

DESK = (Role.OPERATOR, Role.KABID_DAFDUK, Role.KABID_CAPIL, Role.ADMIN)
LOST_PARTIAL = "documents/_pickup_lost.html"   # the htmx answer of the lost-receipt search


def _attach(form, error: DomainError, field_map: dict | None = None) -> list[str]:
    """Each message next to its field; returns those for the document checkboxes."""
    errors = getattr(error, "errors", None) or {error.field: [str(error.message)]}
    selection: list[str] = []
    for name, messages in errors.items():
        name = (field_map or {}).get(name, name)
        if name == "applications":
            selection.extend(messages)
            continue
        field = getattr(form, name, None) if name else None
        if field is not None:
            field.errors = list(field.errors) + list(messages)
        else:
            form.form_errors.extend(messages)
    return selection


# ---------------------------------------------------------------- the desk and its searches

def _lost_form() -> LostReceiptForm:
    form = LostReceiptForm(prefix="lost")
    form.desa_code.choices = [("", _("— pilih desa —")), *village_choices()]
    return form


def _desk(search: DeskSearchForm | None = None, lost: LostReceiptForm | None = None, found=None,
          partial: str | None = None):
    return render_page("documents/pickup.html", partial=partial, search=search or DeskSearchForm(),
                       lost=lost or _lost_form(), found=found, villages=pickup.ready_counts_by_desa())


@bp.get("/dokumen/pengambilan", endpoint="pickup")
@roles_required(*DESK, Role.KEPALA_DESA)
def pickup_desk():
    if current_user.role == Role.KEPALA_DESA:
        require_record(bool(current_user.desa_code))
        return redirect(url_for("documents.pickup_desa", desa_code=current_user.desa_code))
    body, _status, headers = _desk()
    return body, 200, headers


@bp.post("/dokumen/pengambilan/cari")
@roles_required(*DESK)
def pickup_search():
    """The typed number, or the QR text a keyboard-wedge scanner typed (ending with Enter)."""
    search = DeskSearchForm()
    try:
        receipt = pickup.find_for_desk(search.q.data)
    except DomainError as error:
        attach_to_form(search, error)
        body, _status, headers = _desk(search=search)
        return body, form_status(), headers
    return redirect(url_for("documents.pickup_receipt", receipt_id=receipt.id), code=303)


@bp.post("/dokumen/pengambilan/cari-hilang")
@roles_required(*DESK)
def pickup_lost():
    """A lost receipt: the holder's name (spelling variants allowed), birth date and desa."""
    lost = _lost_form()
    try:
        found = pickup.find_lost_receipts(lost.name.data, lost.birth_date_value(), lost.desa_code.data,
                                          actor=current_user)
    except DomainError as error:
        _attach(lost, error)
        body, _status, headers = _desk(lost=lost, partial=LOST_PARTIAL)
        return body, form_status(), headers
    body, _status, headers = _desk(lost=lost, found=found, partial=LOST_PARTIAL)
    return body, 200, headers


# ---------------------------------------------------------------- one receipt at the desk

def _receipt_or_404(receipt_id):
    receipt = receipts.get_receipt(receipt_id)
    if receipt is None:
        abort(404)
    return receipt


def _handover_form() -> HandoverForm:
    form = HandoverForm()
    form.receiver_relation.choices = [("", _("— pilih hubungan —")), *pickup.FAMILY_RELATIONS.items()]
    return form


def _receipt_page(receipt, form: HandoverForm, *, selection_errors=(), chosen=None):
    ready = pickup.ready_applications(receipt)
    chosen = set(chosen) if chosen is not None else {str(a.id) for a in ready}
    handovers = {h.id: h for h in (pickup.get_handover(a.handover_id) for a in receipt.applications
                                    if a.handover_id) if h}
    issuer = db.session.get(User, receipt.issued_by_id) if receipt.issued_by_id else None
    return render_page("documents/pickup_receipt.html", receipt=receipt, applications=receipts.applications_on(receipt),
                       form=form, ready=ready, chosen=chosen,
                       selection_errors=list(selection_errors), handovers=handovers, issuer=issuer,
                       relations=RELATIONS)


@bp.get("/dokumen/pengambilan/tanda-terima/<uuid:receipt_id>")
@roles_required(*DESK)
def pickup_receipt(receipt_id):
    receipt = _receipt_or_404(receipt_id)
    audit("view", actor=current_user, entity_type="receipt", entity_id=receipt.id,
          summary=f"Meja pengambilan: {receipt.number}")
    return _receipt_page(receipt, _handover_form())


@bp.post("/dokumen/pengambilan/tanda-terima/<uuid:receipt_id>/serahkan")
@roles_required(*DESK)
def pickup_hand_over(receipt_id):
    receipt = _receipt_or_404(receipt_id)
    form = _handover_form()
    kind = form.receiver_kind.data or ""
    relation = form.receiver_position.data if kind == "aparat_desa" else form.receiver_relation.data
    chosen = pickup.parse_ids(request.form.getlist("applications"))
    receiver = pickup.Receiver(kind=kind, name=form.receiver_name.data or "", relation=relation or "",
                               nik=form.receiver_nik.data or "")
    try:
        handover = pickup.hand_over(receipt, chosen, receiver, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        field_map = {"receiver_relation": "receiver_position"} if kind == "aparat_desa" else None
        selection = _attach(form, error, field_map)
        body, _status, headers = _receipt_page(receipt, form, selection_errors=selection, chosen=chosen)
        return body, form_status(), headers
    flash(_("Serah terima %(n)s tercatat: %(k)d dokumen diserahkan kepada %(name)s.",
            n=handover.number, k=handover.document_count, name=handover.receiver_name), "success")
    return redirect(url_for("documents.pickup_receipt", receipt_id=receipt.id), code=303)


# ---------------------------------------------------------------- a village's ready documents

def _desa_or_404(desa_code: str) -> str:
    region = get_region(desa_code)
    if region is None or not region.is_village:
        abort(404)
    require_record(desa_allowed(current_user, desa_code))
    return desa_code


def _desa_page(desa_code: str, form: BulkHandoverForm | None = None, *, selection_errors=(), chosen=None):
    ready = pickup.ready_in_desa(desa_code)
    can_hand_over = current_user.role in DESK
    chosen = set(chosen) if chosen is not None else {str(a.id) for a in ready}
    return render_page("documents/pickup_desa.html", desa_code=desa_code, ready=ready, form=form or BulkHandoverForm(),
                       can_hand_over=can_hand_over, chosen=chosen, selection_errors=list(selection_errors),
                       receipt_of={a.id: receipts.get_receipt(a.receipt_id) for a in ready})


@bp.get("/dokumen/pengambilan/desa/<desa_code>")
@roles_required(*DESK, Role.KEPALA_DESA)
def pickup_desa(desa_code):
    return _desa_page(_desa_or_404(desa_code))


@bp.post("/dokumen/pengambilan/desa/<desa_code>/serahkan")
@roles_required(*DESK)
def pickup_desa_hand_over(desa_code):
    desa_code = _desa_or_404(desa_code)
    form = BulkHandoverForm()
    chosen = pickup.parse_ids(request.form.getlist("applications"))
    try:
        handover = pickup.bulk_hand_over(desa_code, chosen, receiver_name=form.receiver_name.data,
                                         receiver_position=form.receiver_position.data,
                                         receiver_nik=form.receiver_nik.data, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        selection = _attach(form, error, {"receiver_relation": "receiver_position"})
        body, _status, headers = _desa_page(desa_code, form, selection_errors=selection, chosen=chosen)
        return body, form_status(), headers
    flash(_("Serah terima %(n)s tercatat: %(k)d dokumen diserahkan kepada %(name)s. Cetak daftarnya untuk "
            "ditandatangani.", n=handover.number, k=handover.document_count, name=handover.receiver_name), "success")
    return redirect(url_for("documents.pickup_handover", handover_id=handover.id), code=303)


# ---------------------------------------------------------------- the hand-over list to sign

@bp.get("/dokumen/pengambilan/serah-terima/<uuid:handover_id>")
@roles_required(*DESK, Role.KEPALA_DESA)
def pickup_handover(handover_id):
    handover = pickup.get_handover(handover_id)
    if handover is None:
        abort(404)
    require_record(desa_allowed(current_user, handover.desa_code))
    return render_page("documents/pickup_handover.html", handover=handover,
                       rows=pickup.handover_applications(handover), relations=RELATIONS,
                       kinds=RECEIVER_KINDS, officer=db.session.get(User, handover.actor_id) if handover.actor_id else None)
