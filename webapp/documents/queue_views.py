"""At the office (SOP step 6): files received from the field, the operator queue, one
application's page (number typed by hand, SIAK's rejection, printing), and the SIAK files
(export, result import, history). Routes on the documents blueprint, under /dokumen/…"""
from __future__ import annotations

import os

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from webapp.auth.roles import Role
from webapp.core.args import arg_page
from webapp.core.authz import polled, require_record, roles_required
from webapp.core.changes import audit, history_of
from webapp.core.errors import DomainError, attach_to_form
from webapp.core.uow import keep_after_rollback
from webapp.core.web import UNPROCESSABLE, render_page
from webapp.documents import queue
from webapp.documents.queue_forms import DocumentNumberForm, PrintForm, RejectionForm, ResultUploadForm
from webapp.documents.siak.adapter import SiakFileError
from webapp.documents.siak.file_adapter import MAX_RESULT_BYTES
from webapp.documents.views import bp
from webapp.extensions import db
from webapp.files.oversize import keeps_form_when_too_large
from webapp.files.services import read_limited, size_message
from webapp.intake.models import APPLICATION_WORKFLOW, ISSUED, DataCorrection
from webapp.inventory.services import balance, stock_label
from webapp.layanan.catalog import SERVICES
from webapp.main.dashboard import Card, card_provider, nav_item

nav_item(30, "documents.queue", _l("Antrean Operator"), section="documents.queue",
         badge_endpoint="documents.queue_badge")

# Operators finish documents for both divisions; a kabid works (and sees) their own division.
WORK_ROLES = (Role.OPERATOR, Role.KABID_DAFDUK, Role.KABID_CAPIL)
READ_ROLES = (*WORK_ROLES, Role.KEPALA_DINAS)


def _application_or_404(application_id):
    application = queue.get_application(application_id, current_user)
    require_record(application is not None)
    return application


# --- files received from the field -----------------------------------------------------------------

def _receive_page(*, error: str | None = None, error_trip: str | None = None, checked=(), status: int = 200):
    return render_template("documents/queue_receive.html", groups=queue.trips_with_files_to_receive(current_user),
                           error=error, error_trip=error_trip, checked=set(checked)), status


@bp.get("/dokumen/terima", endpoint="queue_receive")
@roles_required(*WORK_ROLES)
def receive_list():
    return _receive_page()


@bp.post("/dokumen/terima", endpoint="queue_receive_submit")
@roles_required(*WORK_ROLES)
def receive_submit():
    trip_id = request.form.get("trip_id", "")
    ids = request.form.getlist("application_id")
    if request.form.get("action") == "all":
        ids = [str(a.id) for group in queue.trips_with_files_to_receive(current_user)
               if str(group.trip.id) == trip_id for a in group.applications]
    applications = queue.applications_by_ids(ids, current_user)
    try:
        received = queue.receive_files(applications, current_user)
    except DomainError as error:
        db.session.rollback()
        return _receive_page(error=str(error.message), error_trip=trip_id, checked=ids, status=UNPROCESSABLE)
    flash(_("Berkas %(n)d permohonan diterima di kantor; masuk antrean operator.", n=len(received)), "success")
    return redirect(url_for("documents.queue_receive"))


# --- the operator queue ------------------------------------------------------------------------------

def _queue_context(**extra):
    filters = queue.QueueFilters.from_args(request.args, current_user)
    page = queue.queue_items(filters, current_user)
    context = dict(
        page=page, filters=filters, count=queue.queue_count(current_user),
        printable=any(item.application.status == ISSUED for item in page.items), own_division=queue.division_of(current_user),
        divisions=queue.DIVISION_LABELS, services=[(c, SERVICES[c].label) for c in queue.visible_services(current_user)],
        trips=queue.queue_trips(current_user), statuses={s: APPLICATION_WORKFLOW.label(s) for s in queue.QUEUE_STATUSES},
        standard=queue.ONE_HOUR_RULE, to_receive=queue.files_to_receive_count(current_user),
        can_work=current_user.role in WORK_ROLES, error=None, checked=set())
    context.update(extra)
    return context


@bp.get("/dokumen/antrean", endpoint="queue")
@roles_required(*READ_ROLES)
def queue_page():
    return render_page("documents/queue.html", fragment="rows", **_queue_context())


@bp.get("/dokumen/antrean/jumlah", endpoint="queue_badge")
@polled
@roles_required(*READ_ROLES)
def queue_badge():
    count = queue.queue_count(current_user)
    if request.args.get("nav"):  # the menu's badge: just the number, the menu polls it
        return str(count) if count else ""
    return render_template("documents/_queue_badge.html", count=count)


@bp.post("/dokumen/antrean/cetak", endpoint="queue_print_selected")
@roles_required(*WORK_ROLES)
def print_selected():
    ids = request.form.getlist("application_id")
    applications = queue.applications_by_ids(ids, current_user)
    try:
        printed = queue.record_printing_many(applications, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        return render_page("documents/queue.html", status=UNPROCESSABLE,
                           **_queue_context(error=str(error.message), checked=set(ids)))
    flash(_("Cetak %(n)d dokumen tercatat; blangko dikurangi dari gudang. Dokumen siap diambil.", n=len(printed)),
          "success")
    return redirect(url_for("documents.queue"))


@bp.post("/dokumen/antrean/<uuid:application_id>/ambil", endpoint="queue_take")
@roles_required(*WORK_ROLES)
def take_application(application_id):
    application = _application_or_404(application_id)
    try:
        queue.take(application, current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("documents.queue"))
    flash(_("Permohonan diambil: selesaikan di SIAK, lalu catat nomor dokumennya."), "success")
    return redirect(url_for("documents.queue_application", application_id=application.id))


# --- one application -----------------------------------------------------------------------------------

def _print_form(application, form: PrintForm | None = None) -> PrintForm:
    form = form or PrintForm(formdata=None)
    form.stock_code.choices = [(code, f"{stock_label(code)} (sisa di gudang {balance(code)})")
                               for code in queue.stock_for_service(application.service_code)]
    return form


def _hidden_form_errors(application, forms) -> list[str]:
    """The messages of a refused form the page does not show at the application's status (the
    number typed for one not taken yet, printing before it is issued): shown at the top."""
    shown_at = {"number": "diproses", "reject": "diproses", "print": "terbit"}
    return [str(message) for name, form in forms.items()
            if form is not None and application.status != shown_at[name]
            for messages in form.errors.values() for message in messages]


def _application_page(application, *, status: int = 200, number_form=None, reject_form=None, print_form=None):
    hidden_errors = _hidden_form_errors(application, {"number": number_form, "reject": reject_form,
                                                      "print": print_form})
    age, over = queue.one_hour_age(application)
    step6 = (application.document_recorded_at - application.taken_at) \
        if application.document_recorded_at and application.taken_at else None
    corrections = DataCorrection.query.filter_by(application_id=application.id).order_by(DataCorrection.at).all()
    from webapp.intake.models import Receipt
    receipt = db.session.get(Receipt, application.receipt_id) if application.receipt_id else None
    return render_template(
        "documents/queue_application.html", application=application, receipt=receipt, corrections=corrections,
        history=history_of(application), status_label=APPLICATION_WORKFLOW.label, age=age, over=over, standard=queue.ONE_HOUR_RULE, step6=step6,
        step6_standard=queue.STEP_6_STANDARD, can_work=current_user.role in WORK_ROLES, hidden_errors=hidden_errors,
        number_form=number_form or DocumentNumberForm(formdata=None),
        reject_form=reject_form or RejectionForm(formdata=None),
        print_form=_print_form(application, print_form)), status


@bp.get("/dokumen/antrean/<uuid:application_id>", endpoint="queue_application")
@roles_required(*WORK_ROLES)
def application_detail(application_id):
    application = _application_or_404(application_id)
    audit("view", actor=current_user, entity_type="application", entity_id=application.id,
          summary=f"Permohonan {application.label} di antrean operator")
    return _application_page(application)


@bp.post("/dokumen/antrean/<uuid:application_id>/nomor", endpoint="queue_number")
@roles_required(*WORK_ROLES)
def record_number(application_id):
    application = _application_or_404(application_id)
    form = DocumentNumberForm()
    if form.validate_on_submit():
        try:
            queue.record_document_number(application, form.document_number.data, form.issued_on.data,
                                         actor=current_user)
        except DomainError as error:
            db.session.rollback()
            attach_to_form(form, error)
        else:
            flash(_("Nomor dokumen %(n)s tercatat; dokumen menunggu cetak.", n=application.document_number), "success")
            return redirect(url_for("documents.queue_application", application_id=application.id))
    return _application_page(application, number_form=form, status=UNPROCESSABLE)


@bp.post("/dokumen/antrean/<uuid:application_id>/tolak", endpoint="queue_reject")
@roles_required(*WORK_ROLES)
def record_rejection(application_id):
    application = _application_or_404(application_id)
    form = RejectionForm()
    if form.validate_on_submit():
        try:
            queue.record_rejection(application, form.reason.data, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            attach_to_form(form, error)
        else:
            flash(_("Penolakan SIAK tercatat."), "success")
            return redirect(url_for("documents.queue_application", application_id=application.id))
    return _application_page(application, reject_form=form, status=UNPROCESSABLE)


@bp.post("/dokumen/antrean/<uuid:application_id>/cetak", endpoint="queue_print")
@roles_required(*WORK_ROLES)
def record_print(application_id):
    application = _application_or_404(application_id)
    form = _print_form(application, PrintForm())
    if form.validate_on_submit():
        try:
            queue.record_printing(application, stock_code=form.stock_code.data or None, spoiled=form.spoiled.data,
                                  actor=current_user)
        except DomainError as error:
            db.session.rollback()
            if error.field == "quantity":     # the ledger's shortfall belongs to the blank chosen
                error.field = "stock_code"
            attach_to_form(form, error)
        else:
            flash(_("Cetak tercatat; dokumen siap diambil."), "success")
            return redirect(url_for("documents.queue_application", application_id=application.id))
    return _application_page(application, print_form=_print_form(application, form), status=UNPROCESSABLE)


# --- SIAK files ------------------------------------------------------------------------------------------

def _siak_page(form: ResultUploadForm | None = None, *, outcome=None, check_only: bool = False,
               status: int = 200):
    ready = queue.ready_applications(current_user)
    return render_template("documents/siak.html", form=form or ResultUploadForm(formdata=None), outcome=outcome,
                           check_only=check_only, ready=ready, runs=queue.latest_runs(5),
                           max_mb=MAX_RESULT_BYTES // (1024 * 1024), run_labels=queue.RUN_LABELS), status


@bp.get("/dokumen/siak", endpoint="queue_siak")
@roles_required(*WORK_ROLES)
def siak_files():
    return _siak_page()


@bp.post("/dokumen/siak/ekspor", endpoint="queue_siak_export")
@roles_required(*WORK_ROLES)
def siak_export():
    file_format = "json" if request.form.get("format") == "json" else "csv"
    outcome = queue.export_ready(actor=current_user, viewer=current_user, formats=(file_format,))
    if not outcome.files:
        flash(_("Tidak ada permohonan yang siap diekspor ke SIAK."), "info")
        return redirect(url_for("documents.queue_siak"))
    exported = outcome.files[0]
    response = Response(exported.content, mimetype=exported.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _upload_too_large(refused):
    """A result file over the request limit (webapp/files/oversize.py): the page again, the
    size message next to the file field."""
    form = ResultUploadForm(formdata=None)
    form.file.errors = [str(size_message(MAX_RESULT_BYTES))]
    return _siak_page(form, status=413)


@bp.post("/dokumen/siak/hasil", endpoint="queue_siak_import")
@roles_required(*WORK_ROLES)
@keeps_form_when_too_large(_upload_too_large)
def siak_import():
    form = ResultUploadForm()
    check_only = request.form.get("action") == "check"
    if not form.validate_on_submit():
        return _siak_page(form, check_only=check_only, status=400 if form.csrf_token.errors else UNPROCESSABLE)
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", ""):
        form.file.errors = [_("Pilih berkas hasil SIAK (CSV atau JSON).")]
        return _siak_page(form, check_only=check_only, status=UNPROCESSABLE)
    filename = os.path.basename(upload.filename.replace("\\", "/"))[:200]
    try:
        data = read_limited(upload.stream, MAX_RESULT_BYTES, field="file")
        outcome = queue.import_results(data, filename=filename, actor=current_user, viewer=current_user,
                                       check_only=check_only)
    except SiakFileError as error:
        db.session.rollback()
        form.file.errors = [error.message]
        return _siak_page(form, check_only=check_only, status=UNPROCESSABLE)
    except DomainError as error:
        db.session.rollback()
        attach_to_form(form, error)
        return _siak_page(form, check_only=check_only, status=UNPROCESSABLE)
    if outcome.ok and not check_only:
        flash(_("Hasil SIAK diterapkan: %(i)d dokumen terbit, %(r)d ditolak.", i=outcome.issued, r=outcome.rejected),
              "success")
        return redirect(url_for("documents.queue_siak_run", run_id=outcome.run.id))
    if outcome.ok:
        return _siak_page(form, outcome=outcome, check_only=True)
    keep_after_rollback()   # nothing was applied; the refused run itself is kept in the history
    return _siak_page(form, outcome=outcome, check_only=check_only, status=200 if check_only else UNPROCESSABLE)


@bp.get("/dokumen/siak/riwayat", endpoint="queue_siak_runs")
@roles_required(*READ_ROLES)
def siak_runs():
    return render_page("documents/siak_runs.html", fragment="rows", page=queue.run_history(arg_page(request.args)),
                       run_labels=queue.RUN_LABELS)


@bp.get("/dokumen/siak/riwayat/<uuid:run_id>", endpoint="queue_siak_run")
@roles_required(*READ_ROLES)
def siak_run(run_id):
    run = queue.get_run(run_id)
    require_record(run is not None)
    return render_template("documents/siak_run.html", run=run, run_labels=queue.RUN_LABELS)


# --- home page cards -------------------------------------------------------------------------------------

@card_provider(order=30)
def queue_cards(user):
    if user.role not in WORK_ROLES:
        return []
    return [
        Card(str(_l("Berkas dari lapangan")), str(_l("Tanda terima yang berkasnya belum diterima di kantor.")),
             "documents.queue_receive", count=queue.files_to_receive_count(user)),
        Card(str(_l("Antrean operator")), str(_l("Permohonan menunggu diselesaikan di SIAK dan dicetak (aturan 1 jam).")),
             "documents.queue", count=queue.queue_count(user)),
    ]
