"""The Kepala Dinas's disposition (SOP step 2): dispose or return a request, and the inbox of
requests waiting for it. Routes on the requests blueprint."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from flask_login import current_user

from webapp.auth.roles import Role
from webapp.core.authz import polled
from webapp.core.errors import DomainError, attach_to_form
from webapp.core.web import form_status
from webapp.extensions import db
from webapp.requests import services
from webapp.requests.forms import DispositionForm, ReasonForm
from webapp.requests.models import DIVISION_LABELS
from webapp.requests.views import _request_or_404, bp, roles_required


# --- disposition ------------------------------------------------------------------------------------

def _dispose_page(req, form, return_form):
    needs = services.preparation_needs([req])
    return render_template("requests/dispose.html", req=req, form=form, return_form=return_form, needs=needs,
                           residents=req.residents, division_labels=DIVISION_LABELS,
                           waiting_since=services.waiting_since(req)), form_status()


@bp.route("/<uuid:request_id>/disposisi", methods=["GET", "POST"])
@roles_required(Role.KEPALA_DINAS)
def dispose(request_id):
    req = _request_or_404(request_id)
    form = DispositionForm()
    if request.method == "GET":
        form.lead_division.data = services.suggest_lead_division(req)
        if req.requested_date:
            form.due_date.data = req.requested_date
    if form.validate_on_submit():
        divisions = [form.lead_division.data] + ([form.support_division.data] if form.support_division.data else [])
        try:
            services.dispose_request(req, divisions=divisions, instruction=form.instruction.data,
                                     due_date=form.due_date.data, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            attach_to_form(form, error)
        else:
            flash(_("Permohonan %(n)s didisposisi ke %(d)s.", n=req.number,
                    d=", ".join(str(DIVISION_LABELS[d]) for d in divisions)), "success")
            return redirect(url_for("requests.inbox"))
    return _dispose_page(req, form, ReasonForm(formdata=None))


@bp.post("/<uuid:request_id>/kembalikan")
@roles_required(Role.KEPALA_DINAS)
def request_return(request_id):
    req = _request_or_404(request_id)
    return_form = ReasonForm()
    if return_form.validate_on_submit():
        try:
            services.return_request(req, reason=return_form.reason.data, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            attach_to_form(return_form, error)
        else:
            flash(_("Permohonan %(n)s dikembalikan ke desa.", n=req.number), "success")
            return redirect(url_for("requests.inbox"))
    return _dispose_page(req, DispositionForm(formdata=None), return_form)


# --- the Kepala Dinas's inbox ------------------------------------------------------------------------

@bp.get("/disposisi")
@roles_required(Role.KEPALA_DINAS)
def inbox():
    items = services.inbox_requests()
    return render_template("requests/inbox.html", items=items, count=len(items),
                           counts=services.resident_counts([r.id for r in items]),
                           waiting=services.inbox_waits(items), standard=services.REQUEST_SOP_STEPS[0].standard)


@bp.get("/disposisi/jumlah")
@polled
@roles_required(Role.KEPALA_DINAS)
def inbox_badge():
    count = services.inbox_count()
    if request.args.get("nav"):  # the menu's badge: just the number, the menu polls it
        return str(count) if count else ""
    return render_template("requests/_inbox_badge.html", count=count)
