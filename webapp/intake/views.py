"""Intake of applications for a visit: service choice, register prefill, checklist and files,
eligibility, and the three ways an application ends the visit. Receipts register here too.

NIKs and KK numbers travel in POST bodies only (the preview and the register lookup are POSTs
that write nothing but the audit entry of a record shown)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.auth.roles import Role
from webapp.core.authz import require_record, role_allows, roles_required
from webapp.core.changes import audit
from webapp.core.errors import DomainError, attach_to_form
from webapp.core.timefmt import wita_today
from webapp.core.web import UNPROCESSABLE, form_status, is_htmx_fragment_request, render_page
from webapp.extensions import db
from webapp.files.oversize import RefusedUpload, accepts_uploads_up_to, keeps_form_when_too_large
from webapp.files.services import size_message
from webapp.identity.nik import mask
from webapp.intake import services
from webapp.intake.forms import ApplicationForm, CaseForm, FinishForm, LineForm, ReasonForm, ReceiptForm, UploadForm
from webapp.intake.models import DRAFT, LINE_STATES, SPTJM
from webapp.inventory.services import stock_label

bp = Blueprint("intake", __name__, url_prefix="/pelayanan")

WORKERS = (Role.PETUGAS, Role.OPERATOR, Role.KABID_DAFDUK, Role.KABID_CAPIL)
# The checklist form sends its photo and scans at once: room for a photo and four scans at their limits.
CHECKLIST_REQUEST_BYTES = services.PHOTO_MAX_BYTES + 4 * services.SCAN_MAX_BYTES + 1024 * 1024


def endpoint_url(endpoint: str, **values) -> str | None:
    """A link to another package's page once it exists and the user may open it."""
    if endpoint not in current_app.view_functions or not role_allows(current_user, endpoint):
        return None
    return url_for(endpoint, **values)


def _visit_or_404(visit_id):
    visit = services.get_visit(visit_id)
    if visit is None:
        abort(404)
    trip = services.trip_of(visit)
    require_record(trip is not None and services.can_work_trip(trip, current_user))
    return visit, trip


def _application_or_404(application_id):
    application = services.get_application(application_id)
    if application is None:
        abort(404)
    trip = services.trip_of(application)
    require_record(trip is not None and services.can_work_trip(trip, current_user))
    return application


# ---------------------------------------------------------------- a new application

def _set(field, value) -> None:
    """Put a value into a form field as if it had been typed (the register fill)."""
    field.data = value
    field.raw_data = None


def _fill_form(form: ApplicationForm, subject: services.Subject) -> None:
    _set(form.subject_name, subject.name)
    _set(form.subject_nik, subject.nik or "")
    _set(form.subject_no_kk, subject.no_kk or "")
    _set(form.subject_sex, subject.sex or "")
    _set(form.subject_birth_date, subject.birth_date)
    _set(form.subject_birth_place, subject.birth_place or "")
    _set(form.subject_address, subject.address or "")
    _set(form.subject_married, {True: "ya", False: "tidak"}.get(subject.married, ""))
    _set(form.person_key, subject.person_key or "")


def _input_from(form: ApplicationForm) -> services.ApplicationInput:
    code, _sep, sub = (form.service.data or "").partition(":")
    subject = services.Subject(
        name=form.subject_name.data or "", relation=form.relation.data or "sendiri",
        nik=(form.subject_nik.data or "").strip() or None, no_kk=(form.subject_no_kk.data or "").strip() or None,
        sex=form.subject_sex.data or None, birth_date=form.subject_birth_date.data,
        birth_place=form.subject_birth_place.data, address=form.subject_address.data,
        married=form.married_value, person_key=form.person_key.data or None)
    return services.ApplicationInput(service_code=code, subtype_code=sub, subject=subject,
                                     event_date=form.event_date.data, moved_in=bool(form.moved_in.data),
                                     note=form.note.data)


def _new_context(visit, trip, form: ApplicationForm, lookup: services.RegisterLookup | None = None) -> dict:
    return dict(visit=visit, trip=trip, form=form, lookup=lookup,
                preview=services.preview(_input_from(form)),
                existing=services.applications_of(visit),
                visit_url=endpoint_url("field.visit", visit_id=visit.id))


def _prefill_from_visit(form: ApplicationForm, visit) -> services.RegisterLookup | None:
    """The visitor's own data: from the register when their NIK is there, else the visit's copy."""
    wanted = request.args.get("layanan", "")
    if wanted in dict(form.service.choices):
        form.service.data = wanted
    lookup = services.find_in_register(nik=visit.nik, actor=current_user) if visit.nik else None
    if lookup is not None and lookup.person is not None:
        _fill_form(form, services.subject_from_person(lookup.person))
        return lookup
    _fill_form(form, services.Subject(name=visit.name, nik=visit.nik, no_kk=visit.no_kk, sex=visit.sex,
                                      birth_date=visit.birth_date))
    return None


def _attach_errors(form, error: DomainError) -> None:
    for name, message in getattr(error, "errors", {error.field: error.message}).items():
        attach_to_form(form, DomainError(message, field=name))


@bp.route("/kunjungan/<uuid:visit_id>/baru", methods=["GET", "POST"])
@roles_required(*WORKERS)
def new_application(visit_id):
    visit, trip = _visit_or_404(visit_id)
    form = ApplicationForm()
    lookup = None
    if request.method == "GET":
        lookup = _prefill_from_visit(form, visit)
    elif form.validate_on_submit():
        try:
            application = services.start_application(visit, _input_from(form), actor=current_user)
        except DomainError as error:
            db.session.rollback()
            visit, trip = _visit_or_404(visit_id)
            _attach_errors(form, error)
        else:
            flash(_("Permohonan %(l)s untuk %(n)s dibuat. Periksa kelengkapan berkasnya.",
                    l=application.label, n=application.subject_name), "success")
            return redirect(url_for("intake.application", application_id=application.id))
    return render_template("intake/new.html", **_new_context(visit, trip, form, lookup)), form_status()


@bp.post("/kunjungan/<uuid:visit_id>/pratinjau")
@roles_required(*WORKERS)
def preview(visit_id):
    """htmx: the eligibility box for the values typed so far; writes nothing."""
    visit, _trip = _visit_or_404(visit_id)
    form = ApplicationForm()
    return render_template("intake/_eligibility.html", preview=services.preview(_input_from(form)))


@bp.post("/kunjungan/<uuid:visit_id>/cari")
@roles_required(*WORKERS)
def lookup(visit_id):
    """htmx: fill the person's fields from the register (by NIK, No. KK or a family member
    chosen from the list) and show their family. Audited when a record is shown."""
    visit, trip = _visit_or_404(visit_id)
    form = ApplicationForm()
    picked = (request.form.get("pick") or "").strip()[:40]
    by_kk = request.form.get("lookup") == "kk"
    found = services.find_in_register(
        person_key=picked or None, nik=None if picked or by_kk else form.subject_nik.data,
        no_kk=form.subject_no_kk.data if not picked else None, actor=current_user)
    if found.person is not None:
        _fill_form(form, services.subject_from_person(found.person))
        if picked:
            _set(form.relation, services.relation_to(visit.nik, found.person, found.family))
    return render_template("intake/_subject.html", oob_preview=True, **_new_context(visit, trip, form, found))


# ---------------------------------------------------------------- the application page

def _forms(application, **given) -> dict:
    forms = dict(finish_form=FinishForm(formdata=None), receipt_form=ReceiptForm(formdata=None),
                 postpone_form=ReasonForm(formdata=None, prefix="tunda"),
                 reject_form=ReasonForm(formdata=None, prefix="tolak"), case_form=CaseForm(formdata=None))
    forms["finish_form"].stock_code.data = services.default_stock_code(application) or ""
    forms["finish_form"].issued_on.data = wita_today()
    forms["receipt_form"].applications.data = [str(application.id)]
    forms.update(given)
    return forms


def _page_context(application, *, line_errors: dict | None = None, page_errors=(), typed_states: dict | None = None,
                  saved: bool = False, **forms) -> dict:
    visit = services.visit_of(application)
    trip = services.trip_of(application)
    receipt = db.session.get(services.Receipt, application.receipt_id) if application.receipt_id else None
    return dict(
        application=application, visit=visit, trip=trip, evaluation=services.evaluate(application),
        groups=services.line_groups(application), files=services.files_by_line(application),
        corrections=services.corrections_of(application), others=services.applications_of(visit),
        drafts=services.draft_applications(visit), stock_left=services.trip_stock_left(trip),
        receipt=receipt, receipt_url=endpoint_url("intake.receipt", receipt_id=receipt.id) if receipt else None,
        visit_url=endpoint_url("field.visit", visit_id=visit.id),
        new_url=url_for("intake.new_application", visit_id=visit.id),
        line_errors=line_errors or {}, page_errors=list(page_errors), typed_states=typed_states or {}, saved=saved,
        line_states=LINE_STATES, sptjm=SPTJM,
        draft=DRAFT, stock_label=stock_label, field_labels=services.FIELD_LABELS, **_forms(application, **forms))


def _page(application, status: int = 200, **kwargs):
    return render_template("intake/application.html", **_page_context(application, **kwargs)), status


@bp.get("/<uuid:application_id>")
@roles_required(*WORKERS)
def application(application_id):
    found = _application_or_404(application_id)
    audit("view", actor=current_user, entity_type="application", entity_id=found.id,
          summary=f"{found.label}: {found.subject_name} (NIK {mask(found.subject_nik)})")
    return _page(found)


def _group_of(application, line):
    return next(group for group in services.line_groups(application) if line in group)


def _group_answer(application, line, status: int = 200, *, errors: dict | None = None):
    """htmx: the checklist group of the line again, with the summary of what is missing."""
    context = _page_context(application, line_errors=errors)
    return render_page("intake/application.html", status=status, partial="intake/_group.html",
                       group=_group_of(application, line), oob_missing=True, **context)


@bp.post("/<uuid:application_id>/syarat/<uuid:line_id>")
@roles_required(*WORKERS)
def line_state(application_id, line_id):
    found = _application_or_404(application_id)
    line = services.line_of(found, line_id)
    if line is None:
        abort(404)
    form = LineForm()
    errors = {}
    if form.validate():
        try:
            services.set_line_state(line, form.state.data, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            errors[f"state:{line.id}"] = str(error.message)
    else:
        errors[f"state:{line.id}"] = " ".join(str(e) for e in form.state.errors)
    if not is_htmx_fragment_request():
        if errors:
            found = _application_or_404(application_id)
            return _page(found, UNPROCESSABLE, line_errors=errors)
        return redirect(url_for("intake.application", application_id=found.id))
    found = _application_or_404(application_id)
    line = services.line_of(found, line_id)
    return _group_answer(found, line, UNPROCESSABLE if errors else 200, errors=errors)


def _upload_answer(application, line, errors: dict, status: int):
    if line is not None and is_htmx_fragment_request():
        return _group_answer(application, line, status, errors=errors)
    if is_htmx_fragment_request():
        context = _page_context(application, line_errors=errors)
        return render_page("intake/application.html", status=status, partial="intake/_files.html",
                           oob_missing=True, **context)
    if errors:
        return _page(application, status, line_errors=errors)
    return redirect(url_for("intake.application", application_id=application.id))


def _upload_key(line) -> str:
    return f"file:{line.id}" if line is not None else "file:"


def _upload_too_large(refused: RefusedUpload):
    found = _application_or_404(refused.view_args.get("application_id"))
    line = services.line_of(found, refused.fields.get("line_id"))
    photo = (line is not None and line.kind == "photo") or refused.fields.get("kind") == services.PHOTO
    limit = services.PHOTO_MAX_BYTES if photo else services.SCAN_MAX_BYTES
    return _upload_answer(found, line, {_upload_key(line): str(size_message(limit))}, 413)


@bp.post("/<uuid:application_id>/berkas")
@roles_required(*WORKERS)
@keeps_form_when_too_large(_upload_too_large)
def upload(application_id):
    found = _application_or_404(application_id)
    form = UploadForm()
    line = services.line_of(found, form.line_id.data) if form.line_id.data else None
    if form.line_id.data and line is None:   # a line of another application, or none at all
        abort(404)
    try:
        services.attach_file(found, request.files.get("file"), kind=form.kind.data or services.SCAN, line=line,
                             actor=current_user)
    except DomainError as error:
        db.session.rollback()
        found = _application_or_404(application_id)
        line = services.line_of(found, form.line_id.data) if line is not None else None
        return _upload_answer(found, line, {_upload_key(line): str(error.message)}, UNPROCESSABLE)
    return _upload_answer(found, line, {}, 200)


# ---------------------------------------------------------------- the whole checklist in one form

def _line_or_404(application, line_id: str):
    """The line of a form field "state:<line id>" / "file:<line id>"; a line of another application: 404."""
    line = services.line_of(application, line_id)
    if line is None:
        abort(404)
    return line


def _typed_states(fields) -> dict:
    """{line id: state} as the checklist form sent it."""
    return {key[len("state:"):]: value for key, value in fields.items() if key.startswith("state:")}


def _checklist_submission(application) -> tuple[dict, list]:
    states = {_line_or_404(application, line_id): value for line_id, value in _typed_states(request.form).items()}
    files = [(_line_or_404(application, key[len("file:"):]) if key != "file:" else None, upload)  # "file:": others
             for key in request.files if key.startswith("file:")
             for upload in request.files.getlist(key) if upload and upload.filename]   # an input left empty: none
    return states, files


def _checklist_answer(application, status: int = 200, *, errors: dict | None = None, typed: dict | None = None):
    """htmx: the checklist form again with the summary of what is missing (out of band); else the
    page (refused) or back to it (saved)."""
    if is_htmx_fragment_request():
        context = _page_context(application, line_errors=errors, typed_states=typed, saved=not errors)
        return render_page("intake/application.html", status=status, partial="intake/_checklist.html",
                           oob_missing=True, **context)
    if errors:
        return _page(application, status, line_errors=errors, typed_states=typed)
    flash(_("Daftar syarat disimpan."), "success")
    return redirect(url_for("intake.application", application_id=application.id))


def _checklist_too_large(refused: RefusedUpload):
    found = _application_or_404(refused.view_args.get("application_id"))
    message = _("Berkas yang dikirim sekaligus melebihi %(mb)d MB. Simpan sebagian berkas dulu, lalu sisanya.",
                mb=CHECKLIST_REQUEST_BYTES // (1024 * 1024))
    return _checklist_answer(found, 413, errors={"checklist": message}, typed=_typed_states(refused.fields))


@bp.post("/<uuid:application_id>/syarat")
@roles_required(*WORKERS)
@accepts_uploads_up_to(lambda: CHECKLIST_REQUEST_BYTES)
@keeps_form_when_too_large(_checklist_too_large)
def checklist(application_id):
    """"Simpan daftar syarat": every line's state and the files (photo, scans) in one multipart
    POST, all or nothing: a refused line or file is shown next to it, the typed states kept (422)."""
    found = _application_or_404(application_id)
    typed = _typed_states(request.form)
    states, files = _checklist_submission(found)
    try:
        services.save_checklist(found, states, files, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        errors = getattr(error, "errors", None) or {"checklist": str(error.message)}
        return _checklist_answer(_application_or_404(application_id), UNPROCESSABLE,
                                 errors={k: str(v) for k, v in errors.items()}, typed=typed)
    return _checklist_answer(found)


# ---------------------------------------------------------------- outcomes

def _outcome(application_id, form_name: str, form, action, success: str):
    """Run an outcome form: on success back to the page with a message; a refusal shows the
    page again, the message next to the field, what was typed kept (422)."""
    found = _application_or_404(application_id)
    if form.validate_on_submit():
        try:
            action(found, form)
        except DomainError as error:
            db.session.rollback()
            found = _application_or_404(application_id)
            _attach_errors(form, error)
        else:
            if success:
                flash(success, "success")
            if is_htmx_fragment_request():   # the page itself, no redirect to follow (the form targets #main)
                return _page(found)
            return redirect(url_for("intake.application", application_id=found.id))
    # A closed application shows no outcome forms: its refusal goes to the top of the page.
    shown = [] if found.status == DRAFT else [m for messages in form.errors.values() for m in messages]
    return _page(found, UNPROCESSABLE, page_errors=shown, **{form_name: form})


def _finish(found, form: FinishForm):
    try:
        services.finish_on_site(found, document_number=form.document_number.data, issued_on=form.issued_on.data,
                                stock_code=form.stock_code.data, spoiled=form.spoiled.data, actor=current_user)
    except DomainError as error:
        if error.field == "quantity":
            error.field = "spoiled" if (form.spoiled.data or "0").strip() not in ("", "0") else "stock_code"
        raise


@bp.post("/<uuid:application_id>/selesai")
@roles_required(*WORKERS)
def finish(application_id):
    return _outcome(application_id, "finish_form", FinishForm(), _finish,
                    _("Dokumen selesai di lokasi; blangko tercatat terpakai."))


@bp.post("/<uuid:application_id>/tanda-terima")
@roles_required(*WORKERS)
def accept_receipt(application_id):
    found = _application_or_404(application_id)
    visit = services.visit_of(found)
    form = ReceiptForm()
    form.applications.choices = [(str(a.id), a.label) for a in services.draft_applications(visit)]

    def action(application, form):
        chosen = [services.get_application(i) for i in form.applications.data or []]
        receipt = services.accept_with_receipt(visit, [a for a in chosen if a is not None],
                                               collect_at=form.collect_at.data, actor=current_user)
        flash(_("Tanda terima %(n)s diterbitkan untuk %(k)d permohonan.", n=receipt.number,
                k=len(receipt.applications)), "success")

    return _outcome(application_id, "receipt_form", form, action, None)


@bp.post("/<uuid:application_id>/tunda")
@roles_required(*WORKERS)
def postpone(application_id):
    return _outcome(application_id, "postpone_form", ReasonForm(prefix="tunda"),
                    lambda a, f: services.postpone_application(a, reason=f.reason.data, actor=current_user),
                    _("Permohonan ditunda."))


@bp.post("/<uuid:application_id>/tolak")
@roles_required(*WORKERS)
def reject(application_id):
    return _outcome(application_id, "reject_form", ReasonForm(prefix="tolak"),
                    lambda a, f: services.reject_application(a, reason=f.reason.data, actor=current_user),
                    _("Permohonan ditolak."))


@bp.post("/<uuid:application_id>/kasus")
@roles_required(*WORKERS)
def open_case(application_id):
    return _outcome(application_id, "case_form", CaseForm(),
                    lambda a, f: services.open_quality_case(a, summary=f.summary.data, kind=f.kind.data,
                                                            actor=current_user),
                    _("Kasus kualitas data dibuka; dokumen ini tidak dapat diselesaikan di lokasi sampai "
                      "diverifikasi pusat."))


# Receipts (print, reprint, cancel) register their routes on this blueprint too.
from webapp.intake import receipt_views  # noqa: E402,F401
