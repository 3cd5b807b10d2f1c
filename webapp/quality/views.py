"""Data quality pages: register import, cases, duplicate review."""
from __future__ import annotations

import functools
import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from webapp.core.authz import roles_required
from webapp.core.changes import audit, history_of
from webapp.core.errors import DomainError, attach_to_form
from webapp.core.web import UNPROCESSABLE, form_status, is_htmx_fragment_request, render_page
from webapp.extensions import csrf, db
from webapp.files.oversize import accepts_uploads_up_to, keeps_form_when_too_large
from webapp.main.dashboard import Card, card_provider, nav_item
from webapp.quality import importer, links, register, services
from webapp.quality.forms import (DecisionForm, OpenCaseForm, PersonSearchForm, RejectForm, ReopenForm,
                                  ResolveForm, SubmitForm, UploadForm)
from webapp.quality.models import (
    ACTIVE_CASE_STATUSES,
    CASE_KIND_LABELS,
    CASE_STATUS_LABELS,
    QualityCase,
    RegisterImport,
)
from webapp.quality.number_diff import compare_numbers
from webapp.quality.permissions import MANAGE, OPEN, READ
from webapp.wilayah.services import village_choices

bp = Blueprint("quality", __name__, url_prefix="/kualitas")
nav_item(39, "quality.person_search", _l("Cari Penduduk"), section="quality.person")
nav_item(40, "quality.case_list", _l("Kualitas Data"), section="quality.case")

FIELD_LABELS = {"name": _l("Nama"), "birth_date": _l("Tanggal lahir"), "sex": _l("Jenis kelamin"),
                "mother_name": _l("Nama ibu"), "father_name": _l("Nama ayah"),
                "birth_place": _l("Tempat lahir"), "nik": _l("NIK"), "no_kk": _l("No. KK")}
REASON_LABELS = {
    "name_exact": _l("nama sama persis"), "name_variant": _l("nama varian ejaan"),
    "name_part_missing": _l("satu bagian nama hilang"), "name_similar": _l("nama mirip (salah ketik)"),
    "birth_date_exact": _l("tanggal lahir sama"), "birth_date_day_month_swapped": _l("tanggal dan bulan lahir tertukar"),
    "birth_date_one_digit": _l("tanggal lahir beda satu angka"), "birth_date_missing": _l("tanggal lahir kosong"),
    "birth_date_different": _l("tanggal lahir berbeda"),
    "mother_exact": _l("nama ibu sama"), "mother_similar": _l("nama ibu mirip"), "mother_missing": _l("nama ibu kosong"),
    "father_exact": _l("nama ayah sama"), "father_similar": _l("nama ayah mirip"), "father_missing": _l("nama ayah kosong"),
    "birth_place_same": _l("tempat lahir sama"), "birth_place_differs": _l("tempat lahir berbeda"),
    "same_nik": _l("NIK sama"), "different_nik": _l("NIK berbeda"), "same_kk": _l("No. KK sama"),
    "sex_differs": _l("jenis kelamin berbeda"),
}
VERDICT_LABELS = {"exact": _l("sama"), "variant": _l("varian ejaan"), "similar": _l("mirip"),
                  "different": _l("berbeda"), "missing": _l("kosong")}


def _case_or_404(case_id: uuid.UUID) -> QualityCase:
    case = db.session.get(QualityCase, case_id)
    if case is None:
        abort(404)
    return case


@card_provider(order=40)
def quality_cards(user):
    active = db.session.execute(select(func.count()).select_from(QualityCase)
                                .where(QualityCase.status.in_(ACTIVE_CASE_STATUSES))).scalar_one()
    return [Card(str(_l("Kualitas Data")), str(_l("Kasus anomali dan data ganda yang belum selesai.")),
                 "quality.case_list", count=active)]


# --- cases ---------------------------------------------------------------------------------------


@bp.get("/")
@roles_required(*READ)
def index():
    return redirect(url_for("quality.case_list"))


@bp.get("/kasus")
@roles_required(*READ)
def case_list():
    filters = services.CaseFilters.from_args(request.args)
    page = services.list_cases(filters)
    # The pager and the filters' htmx requests answer with the rows alone: the page around them
    # (counts, the filters' choices) is not read for them.
    around = {} if is_htmx_fragment_request() else dict(
        rules=services.case_rule_codes(), villages=village_choices(), counts=services.case_counts(),
        state=services.register_state())
    return render_page("quality/cases.html", fragment="results", page=page, filters=filters, **around,
                       **_row_labels())


def _row_labels() -> dict:
    """What every row of the case list shows in words, translated once for the request (not once
    per row: a profile put a third of the page's render in translation lookups in the row loop)."""
    case_path = url_for("quality.case_detail", case_id=_ANY_ID)
    head, tail = case_path.split(str(_ANY_ID))
    return dict(kinds={k: str(v) for k, v in CASE_KIND_LABELS.items()},
                statuses={k: str(v) for k, v in CASE_STATUS_LABELS.items()},
                rule_title=functools.cache(services.rule_title),
                records_label=functools.cache(lambda n: _("%(n)s rekaman", n=n)),
                case_url=lambda case_id: f"{head}{case_id}{tail}")


_ANY_ID = uuid.UUID(int=0)


def _case_context(case: QualityCase, **forms):
    records = services.case_records(case)
    context = dict(case=case, records=records, history=history_of(case), rule_title=services.rule_title,
                   statuses=CASE_STATUS_LABELS,
                   rule_doc=services.rule_doc(case.rule_code), age_days=services.case_age_days(case),
                   decisions=services.decisions_for(case.person_keys) if case.kind == "ganda" else [],
                   submit_form=forms.get("submit_form") or SubmitForm(prefix="ajukan"),
                   resolve_form=forms.get("resolve_form") or ResolveForm(prefix="selesai"),
                   reject_form=forms.get("reject_form") or RejectForm(prefix="tolak"),
                   reopen_form=forms.get("reopen_form") or ReopenForm(prefix="buka"),
                   case_source=links.source_of(case.request_id))
    return context


def _audit_case_view(case: QualityCase) -> None:
    audit("view", actor=current_user, entity_type="quality_case", entity_id=case.id,
          summary=f"Kasus {case.number} dibuka ({len(case.person_keys)} rekaman)")


@bp.get("/kasus/<uuid:case_id>")
@roles_required(*READ)
def case_detail(case_id: uuid.UUID):
    case = _case_or_404(case_id)
    _audit_case_view(case)
    return render_template("quality/case.html", **_case_context(case))


def _case_action(case_id: uuid.UUID, form_name: str, form, action):
    case = _case_or_404(case_id)
    if form.validate_on_submit():
        try:
            action(case, form)
            db.session.add(case)
        except DomainError as error:
            db.session.rollback()
            case = _case_or_404(case_id)
            attach_to_form(form, error)
        else:
            flash(_("Kasus %(n)s: %(s)s.", n=case.number, s=case.status_label), "success")
            return redirect(url_for("quality.case_detail", case_id=case.id))
    return render_template("quality/case.html", **_case_context(case, **{form_name: form})), UNPROCESSABLE


@bp.post("/kasus/<uuid:case_id>/ajukan")
@roles_required(*MANAGE)
def case_submit(case_id: uuid.UUID):
    return _case_action(case_id, "submit_form", SubmitForm(prefix="ajukan"), lambda case, form: services.submit_case(
        case, reference_number=form.reference_number.data, reference_date=form.reference_date.data,
        note=form.note.data, actor=current_user))


@bp.post("/kasus/<uuid:case_id>/selesai")
@roles_required(*MANAGE)
def case_resolve(case_id: uuid.UUID):
    return _case_action(case_id, "resolve_form", ResolveForm(prefix="selesai"), lambda case, form: services.resolve_case(
        case, note=form.note.data, actor=current_user))


@bp.post("/kasus/<uuid:case_id>/tolak")
@roles_required(*MANAGE)
def case_reject(case_id: uuid.UUID):
    return _case_action(case_id, "reject_form", RejectForm(prefix="tolak"), lambda case, form: services.reject_case(
        case, reason=form.note.data, actor=current_user))


@bp.post("/kasus/<uuid:case_id>/buka-kembali")
@roles_required(*MANAGE)
def case_reopen(case_id: uuid.UUID):
    return _case_action(case_id, "reopen_form", ReopenForm(prefix="buka"), lambda case, form: services.reopen_case(
        case, reason=form.note.data, actor=current_user))


@bp.post("/kasus/<uuid:case_id>/nik")
@roles_required(*OPEN)
def reveal_nik(case_id: uuid.UUID):
    """Show one record's full NIK (htmx fragment; the key travels in the POST body)."""
    case = _case_or_404(case_id)
    key = (request.form.get("person_key") or "")[:40]
    if key not in case.person_keys:
        abort(404)
    person = services.persons_by_keys([key]).get(key)
    if person is None:
        abort(404)
    nik = services.reveal_nik(case, person, actor=current_user)
    return render_template("quality/_nik.html", nik=nik)


@bp.route("/kasus/baru", methods=["GET", "POST"])
@roles_required(*OPEN)
def case_new():
    form = OpenCaseForm()
    if form.validate_on_submit():
        nik_check = getattr(form.nik, "nik_check", None)
        try:
            case = services.open_case(actor=current_user, summary=form.summary.data, kind=form.kind.data,
                                      rule_code="petugas", severity="error", opened_by="petugas",
                                      subject_name=form.name.data.strip(),
                                      subject_nik=nik_check.value if nik_check else None)
        except DomainError as error:
            db.session.rollback()
            attach_to_form(form, error)
        else:
            flash(_("Kasus %(n)s dibuka.", n=case.number), "success")
            return redirect(url_for("quality.case_detail", case_id=case.id))
    return render_template("quality/case_form.html", form=form), form_status()


# --- duplicate review ------------------------------------------------------------------------------


def _review_context(case: QualityCase, form: DecisionForm):
    from webapp.quality.duplicates import explain
    records = [(key, person) for key, person in services.case_records(case) if person is not None]
    base = records[0][1] if records else None
    comparisons = []
    for key, person in records[1:]:
        comparisons.append((key, person, explain(services.person_record(base), services.person_record(person),
                                                 services.duplicate_config())))
    form.kept_person_key.choices = [(key, person.name) for key, person in records]
    return dict(case=case, records=records, base=base, comparisons=comparisons, form=form, reason_labels=REASON_LABELS,
                compare_numbers=compare_numbers,
                field_labels=FIELD_LABELS, verdict_labels=VERDICT_LABELS,
                decisions=services.decisions_for(case.person_keys),
                missing=[key for key, person in services.case_records(case) if person is None])


@bp.get("/kasus/<uuid:case_id>/tinjau")
@roles_required(*READ)
def duplicate_review(case_id: uuid.UUID):
    case = _case_or_404(case_id)
    if case.kind != "ganda":
        abort(404)
    _audit_case_view(case)
    return render_template("quality/review.html", **_review_context(case, DecisionForm()))


@bp.post("/kasus/<uuid:case_id>/putuskan")
@roles_required(*MANAGE)
def duplicate_decide(case_id: uuid.UUID):
    case = _case_or_404(case_id)
    if case.kind != "ganda":
        abort(404)
    form = DecisionForm()
    context = _review_context(case, form)
    if form.validate_on_submit():
        try:
            services.decide_duplicate(case, decision=form.decision.data, reason=form.reason.data,
                                      kept_person_key=form.kept_person_key.data or None, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            case = _case_or_404(case_id)
            attach_to_form(form, error)
            context = _review_context(case, form)
        else:
            if form.decision.data == "ganda":
                flash(_("Kasus %(n)s diputuskan GANDA. Langkah berikutnya: ajukan penghapusan rekaman yang lain ke "
                        "pusat, lalu catat nomor rujukannya di \"Ajukan ke pusat\" di bawah.", n=case.number), "success")
            else:
                flash(_("Kasus %(n)s diputuskan bukan data ganda dan ditutup; pasangan ini tidak akan "
                        "ditandai lagi.", n=case.number), "success")
            return redirect(url_for("quality.case_detail", case_id=case.id))
    return render_template("quality/review.html", **context), UNPROCESSABLE


# --- register import -------------------------------------------------------------------------------


def _imports_page(form: UploadForm):
    return render_template("quality/imports.html", form=form, imports=importer.latest_imports(),
                           state=services.register_state(), awaiting=importer.awaiting_import(),
                           max_mb=importer.max_upload_bytes() // (1024 * 1024))


@bp.get("/impor")
@roles_required(*MANAGE)
def import_list():
    importer.running_import()  # the jobs janitor: an import whose worker died shows as failed
    return _imports_page(UploadForm())


def _upload_too_large(refused):
    """An export over the request limit (webapp/files/oversize.py): the upload form again, the
    size message next to the file field."""
    form = UploadForm(formdata=None)
    form.file.errors = [_("Berkas terlalu besar: batasnya %(mb)s MB.", mb=importer.max_upload_bytes() // (1024 * 1024))]
    return _imports_page(form)


@bp.post("/impor")
@roles_required(*MANAGE)
@accepts_uploads_up_to(lambda: importer.max_upload_bytes() + 1024 * 1024)
@keeps_form_when_too_large(_upload_too_large)
def import_upload():
    # The export may be far larger than the app-wide request limit: the route's own limit is set
    # before any hook reads the body (webapp/files/oversize.py), and over it the upload page is
    # shown again (_upload_too_large). UploadForm checks the CSRF token itself (CSRFProtect is
    # exempted for this view, as before).
    form = UploadForm()
    if form.validate_on_submit():
        try:
            item, path = importer.create_import(form.file.data, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            attach_to_form(form, error)
        else:
            importer.enqueue_import(item, path, actor=current_user)  # the worker takes it on commit
            return redirect(url_for("quality.import_detail", import_id=item.id))
    return _imports_page(form), 400 if form.csrf_token.errors else UNPROCESSABLE  # CSRF stays 400, as app-wide


csrf.exempt("webapp.quality.views.import_upload")


@bp.get("/impor/<uuid:import_id>")
@roles_required(*MANAGE)
def import_detail(import_id: uuid.UUID):
    item = db.session.get(RegisterImport, import_id)
    if item is None:
        abort(404)
    if item.running:
        importer.running_import()  # the jobs janitor: an import whose worker died is failed here
        db.session.refresh(item)
    return render_page("quality/import.html", fragment="progress", item=item,
                       shrink=importer.Shrink.from_dict(item.shrink) if item.awaiting_confirmation else None,
                       staged_hours=importer.staged_hours())


def _import_or_404(import_id: uuid.UUID) -> RegisterImport:
    item = db.session.get(RegisterImport, import_id)
    if item is None:
        abort(404)
    return item


@bp.post("/impor/<uuid:import_id>/ganti")
@roles_required(*MANAGE)
def import_confirm(import_id: uuid.UUID):
    """"Ganti register" for a staged file that shrinks the register: the swap and the scan are a job."""
    item = _import_or_404(import_id)
    try:
        importer.confirm_import(item, actor=current_user)   # the worker takes it on commit
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(_("Register akan diganti dengan %(f)s; pemindaian menyusul.", f=item.filename), "success")
    return redirect(url_for("quality.import_detail", import_id=import_id))


@bp.post("/impor/<uuid:import_id>/batalkan")
@roles_required(*MANAGE)
def import_cancel(import_id: uuid.UUID):
    """"Batalkan": the staged file is dropped, the register stays as it is."""
    item = _import_or_404(import_id)
    try:
        importer.cancel_import(item, actor=current_user)
        importer.enqueue_discard(item, actor=current_user)   # its staged rows, dropped by the worker
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(_("Impor %(f)s dibatalkan; register tidak berubah.", f=item.filename), "success")
    return redirect(url_for("quality.import_detail", import_id=import_id))


@bp.post("/pindai")
@roles_required(*MANAGE)
def rescan():
    if importer.scan_running():
        flash(_("Pemindaian register masih berjalan."), "error")
    elif importer.running_import() is not None:
        flash(_("Impor register masih berjalan; pemindaian dilakukan otomatis setelahnya."), "error")
    elif services.current_snapshot_id() is None:
        flash(_("Register penduduk belum diimpor."), "error")
    else:
        importer.enqueue_scan(actor=current_user)  # the worker takes it on commit
        flash(_("Pemindaian register dimulai; kasus baru muncul di daftar setelah selesai."), "success")
    return redirect(url_for("quality.case_list"))


# --- resident lookup in the register ---------------------------------------------------------------
# The search is a POST: a NIK typed here never lands in a URL, the browser history or a log.


@bp.route("/penduduk", methods=["GET", "POST"])
@roles_required(*READ)
def person_search():
    form = PersonSearchForm()
    search = None
    if form.validate_on_submit():
        try:
            search = register.search_register(form.query.data, birth_date=form.birth_date.data)
        except DomainError as error:
            attach_to_form(form, error)
    return render_page("quality/person_search.html", fragment="search", form=form, search=search,
                       status=UNPROCESSABLE if form.errors else 200)


def _person_or_404(person_id: uuid.UUID):
    person = register.get_current_person(person_id)
    if person is None:
        abort(404)
    return person


@bp.get("/penduduk/<uuid:person_id>")
@roles_required(*READ)
def person_detail(person_id: uuid.UUID):
    person = _person_or_404(person_id)
    record = register.open_record(person, actor=current_user)
    return render_template("quality/person.html", record=record, person=person,
                           can_reveal=current_user.role in OPEN)


@bp.post("/penduduk/<uuid:person_id>/nik")
@roles_required(*OPEN)
def person_reveal_nik(person_id: uuid.UUID):
    person = _person_or_404(person_id)
    nik = register.reveal_person_nik(person, actor=current_user)
    return render_template("quality/_nik.html", nik=nik)
