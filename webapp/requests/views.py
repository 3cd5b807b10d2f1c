"""Village requests (SOP step 1) and their disposition (SOP step 2)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import escape

from webapp.auth.roles import ALL_ROLES, Role
from webapp.core.authz import roles_required
from webapp.core.changes import audit
from webapp.core.errors import DomainError, attach_to_form
from webapp.core.web import render_page
from webapp.extensions import db
from webapp.files.services import read_limited
from webapp.files.views import send_stored
from webapp.identity.nik import check_nik
from webapp.layanan.catalog import EQUIPMENT_KINDS, SERVICES, STOCK_ITEMS
from webapp.main.dashboard import Card, card_provider, nav_item
from webapp.quality import precheck
from webapp.quality.views import MANAGE as QUALITY_MANAGERS
from webapp.quality.precheck import inputs_from_rows as precheck_inputs
from webapp.requests import services
from webapp.requests.forms import DispositionForm, ImportForm, LetterForm, ReasonForm, ResidentForm
from webapp.requests.importer import MAX_IMPORT_BYTES, ResidentRow
from webapp.requests.models import (BARU, DIVISION_LABELS, KABIDS, REGISTERING_ROLES, REQUEST_WORKFLOW,
                                    STATUS_LABELS, DIDISPOSISI, DIJADWALKAN, DIKEMBALIKAN)
from webapp.wilayah.services import kecamatan_list, village_choices

bp = Blueprint("requests", __name__, url_prefix="/permohonan")
nav_item(10, "requests.request_list", _l("Permohonan"), section="requests.request")
nav_item(11, "requests.inbox", _l("Disposisi"), section="requests.inbox", badge_endpoint="requests.inbox_badge")

VIEW_ROLES = tuple(ALL_ROLES)
NIK_ROLES = tuple(ALL_ROLES - {Role.VIEWER})
CANCEL_ROLES = (Role.KEPALA_DINAS, *KABIDS)
CASE_ROLES = QUALITY_MANAGERS
KABID_DIVISION = {Role.KABID_DAFDUK: "dafduk", Role.KABID_CAPIL: "capil"}


@bp.context_processor
def _request_helpers():
    from webapp.layanan.catalog import service_label
    return {"service_label": service_label, "services_catalog": SERVICES, "division_labels": DIVISION_LABELS}


def _request_or_404(request_id):
    req = services.get_visible(request_id, current_user)
    if req is None:
        abort(404)
    return req


def _prepare_letter_form(form: LetterForm) -> LetterForm:
    if services.is_village_user(current_user):
        own = current_user.desa_code
        form.desa_code.choices = [(c, label) for c, label in village_choices() if c == own]
        if not form.desa_code.data:
            form.desa_code.data = own   # a tampered value is refused by the service, not hidden
    else:
        form.desa_code.choices = [("", _("— pilih desa —"))] + list(village_choices())
    return form


def _letter_data(form: LetterForm) -> services.LetterData:
    return services.LetterData(
        letter_number=form.letter_number.data or "", letter_date=form.letter_date.data,
        desa_code=form.desa_code.data or "", signatory_name=form.signatory_name.data or "",
        signatory_title=form.signatory_title.data or "", requested_date=form.requested_date.data,
        location=form.location.data or "", contact_phone=form.contact_phone.data, notes=form.notes.data or "")


# --- list -----------------------------------------------------------------------------------------

@bp.get("/")
@roles_required(*VIEW_ROLES)
def request_list():
    filters = services.RequestFilters.from_args(request.args)
    page = services.list_requests(filters, viewer=current_user)
    return render_page("requests/list.html", fragment="rows", page=page, filters=filters,
                       statuses=STATUS_LABELS, kecamatan=kecamatan_list(), villages=village_choices(),
                       village_user=services.is_village_user(current_user))


# --- register and edit the letter -----------------------------------------------------------------

@bp.route("/baru", methods=["GET", "POST"])
@roles_required(*REGISTERING_ROLES)
def request_new():
    form = _prepare_letter_form(LetterForm())
    if form.validate_on_submit():
        try:
            req = services.register_request(_letter_data(form), actor=current_user,
                                            letter_file=request.files.get("letter_file"))
        except DomainError as error:
            db.session.rollback()
            attach_to_form(form, error)
        else:
            flash(_("Permohonan %(n)s tercatat. Lengkapi daftar warga di bawah.", n=req.number), "success")
            for warning in services.letter_warnings(req):
                flash(warning, "warning")
            return redirect(url_for("requests.request_detail", request_id=req.id))
    return render_template("requests/letter_form.html", form=form, req=None)


@bp.route("/<uuid:request_id>/ubah", methods=["GET", "POST"])
@roles_required(*REGISTERING_ROLES)
def request_edit(request_id):
    req = _request_or_404(request_id)
    if not services.can_edit(req, current_user):
        flash(_("Permohonan berstatus %(s)s tidak dapat diubah.", s=req.status_label), "error")
        return redirect(url_for("requests.request_detail", request_id=req.id))
    form = _prepare_letter_form(LetterForm(obj=req))
    if form.validate_on_submit():
        try:
            services.update_request(req, _letter_data(form), actor=current_user,
                                    letter_file=request.files.get("letter_file"))
        except DomainError as error:
            db.session.rollback()
            attach_to_form(form, error)
        else:
            flash(_("Data surat disimpan."), "success")
            return redirect(url_for("requests.request_detail", request_id=req.id))
    return render_template("requests/letter_form.html", form=form, req=req)


@bp.get("/<uuid:request_id>/surat")
@roles_required(*VIEW_ROLES)
def request_letter(request_id):
    req = _request_or_404(request_id)
    if req.letter_file is None:
        abort(404)
    return send_stored(req.letter_file, download_name=f"surat-{req.number}.{req.letter_file.extension}")


# --- the request page -------------------------------------------------------------------------------

def _quality_checks(residents):
    """The pre-trip check per resident (register, open cases, rules) for office staff; a
    village head sees the list without the office's data-quality findings."""
    if current_user.role == Role.KEPALA_DESA or not residents:
        return None
    return precheck.check_rows(residents)


def _detail_context(req, **extra):
    residents = [(r, services.resident_warnings(r)) for r in req.residents]
    checks = _quality_checks(req.residents)
    context = dict(
        checks=checks, check_summary=precheck.summarise(checks) if checks else None,
        can_open_cases=current_user.role in CASE_ROLES and bool(checks),
        can_schedule=req.status == DIDISPOSISI and req.lead_division is not None
        and KABID_DIVISION.get(current_user.role) == req.lead_division,
        req=req, residents=residents, needs=services.preparation_needs([req]),
        timeline=services.request_timeline(req), history=services.status_history(req),
        workflow=REQUEST_WORKFLOW, can_edit=services.can_edit(req, current_user),
        can_view_nik=services.can_view_full_nik(current_user), show_full_nik=False,
        import_form=ImportForm(), cancel_form=ReasonForm(), import_result=None,
        division_labels=DIVISION_LABELS, equipment_labels=EQUIPMENT_KINDS, stock_items=STOCK_ITEMS,
        cancel_reason=services.cancel_reason(req), letter_warnings=services.letter_warnings(req)
        if req.status in (BARU, DIKEMBALIKAN, DIDISPOSISI) else [],
        can_dispose=current_user.role == Role.KEPALA_DINAS and req.status == BARU,
        can_resubmit=req.status == DIKEMBALIKAN and current_user.role in REGISTERING_ROLES,
        can_cancel=current_user.role in CANCEL_ROLES and req.status != DIJADWALKAN
        and "dibatalkan" in REQUEST_WORKFLOW.next_statuses(req.status),
    )
    context.update(extra)
    return context


@bp.get("/<uuid:request_id>")
@roles_required(*VIEW_ROLES)
def request_detail(request_id):
    req = _request_or_404(request_id)
    return render_template("requests/detail.html", **_detail_context(req))


@bp.post("/<uuid:request_id>/warga/nik")
@roles_required(*NIK_ROLES)
def residents_full_nik(request_id):
    req = _request_or_404(request_id)
    audit("view", actor=current_user, entity_type="request", entity_id=req.id,
          summary=f"Daftar warga {req.number} dengan NIK lengkap ({len(req.residents)} warga)")
    return render_page("requests/detail.html", fragment="residents",
                       **_detail_context(req, show_full_nik=True))


@bp.post("/<uuid:request_id>/cek-kualitas")
@roles_required(*CASE_ROLES)
def open_quality_cases(request_id):
    """Pre-trip check: open a data-quality case for every resident who cannot be served on site
    and is not covered by a case yet, so the office can verify them with the centre."""
    req = _request_or_404(request_id)
    opened = precheck.open_precheck_cases(req.number, precheck_inputs(req.residents), actor=current_user,
                                          desa_code=req.desa_code)
    if opened:
        flash(_("%(n)d kasus dibuka untuk diverifikasi: %(k)s.", n=len(opened),
                k=", ".join(c.number for c in opened)), "success")
    else:
        flash(_("Tidak ada kasus baru yang perlu dibuka: warga yang datanya bermasalah sudah punya kasus "
                "(warga tanpa NIK tidak dibuatkan kasus; datanya dicek saat pelayanan)."), "info")
    return redirect(url_for("requests.request_detail", request_id=req.id) + "#cek-kualitas")


@bp.get("/<uuid:request_id>/berkas")
@roles_required(*VIEW_ROLES)
def berkas_list(request_id):
    req = _request_or_404(request_id)
    sections, have_templates = services.berkas_sections(req)
    return render_template("requests/berkas.html", req=req, sections=sections, have_templates=have_templates)


# --- the resident list: inline rows (htmx) ----------------------------------------------------------

def _row_from_form(form: ResidentForm) -> ResidentRow:
    check = getattr(form.nik, "nik_check", None)
    kk = getattr(form.no_kk, "kk_check", None)
    pairs = []
    for value in form.services.data or []:
        code, _sep, sub = value.partition(":")
        if code in SERVICES and SERVICES[code].subtype(sub):
            pairs.append((code, sub))
    return ResidentRow(row=0, name=" ".join(form.name.data.split()), sex=form.sex.data,
                       birth_date=form.birth_date.data, services=pairs,
                       nik=check.value if check else None, no_kk=kk.value if kk else None,
                       phone=(form.phone.data or "").strip() or None, note=(form.note.data or "").strip())


def _form_row(req, form, resident=None, status=200):
    return render_template("requests/_resident_form_row.html", req=req, form=form, resident=resident), status


def _display_row(req, resident, *, with_new_form=False):
    checks = _quality_checks([resident])
    return render_template("requests/_resident_saved.html", req=req, resident=resident,
                           check=checks.get(resident.id) if checks else None, show_checks=checks is not None,
                           warnings=services.resident_warnings(resident), can_edit=services.can_edit(req, current_user),
                           new_form=ResidentForm(formdata=None) if with_new_form else None,
                           needs=services.preparation_needs([req]), equipment_labels=EQUIPMENT_KINDS,
                           stock_items=STOCK_ITEMS)


def _resident_or_404(req, resident_id):
    resident = services.find_resident(req, resident_id)
    if resident is None:
        abort(404)
    return resident


class _NotEditable(Exception):
    pass


def _require_can_edit(req):
    if not services.can_edit(req, current_user):
        raise _NotEditable(req)


@bp.errorhandler(_NotEditable)
def _not_editable(error):
    req = error.args[0]
    message = _("Daftar warga permohonan berstatus %(s)s tidak dapat diubah.", s=req.status_label)
    if getattr(request, "htmx", None):
        body = f'<p class="flash flash-error" role="alert">{escape(message)}</p>'
        return body, 409, {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"}
    flash(message, "error")
    return redirect(url_for("requests.request_detail", request_id=req.id))


@bp.get("/<uuid:request_id>/warga/baru")
@roles_required(*REGISTERING_ROLES)
def resident_new_row(request_id):
    req = _request_or_404(request_id)
    _require_can_edit(req)
    return _form_row(req, ResidentForm(formdata=None))


@bp.get("/<uuid:request_id>/warga/batal")
@roles_required(*REGISTERING_ROLES)
def resident_cancel_new(request_id):
    """Cancel of a new inline row: an empty answer removes the row."""
    _request_or_404(request_id)
    return ""


@bp.post("/<uuid:request_id>/warga")
@roles_required(*REGISTERING_ROLES)
def resident_add(request_id):
    req = _request_or_404(request_id)
    _require_can_edit(req)
    form = ResidentForm()
    if not form.validate():
        return _form_row(req, form)
    try:
        resident = services.add_resident(req, _row_from_form(form), actor=current_user)
    except DomainError as error:
        db.session.rollback()
        attach_to_form(form, error)
        return _form_row(req, form)
    return _display_row(req, resident, with_new_form=True)


@bp.get("/<uuid:request_id>/warga/<uuid:resident_id>")
@roles_required(*VIEW_ROLES)
def resident_row(request_id, resident_id):
    req = _request_or_404(request_id)
    resident = _resident_or_404(req, resident_id)
    return _display_row(req, resident)


@bp.get("/<uuid:request_id>/warga/<uuid:resident_id>/ubah")
@roles_required(*REGISTERING_ROLES)
def resident_edit_row(request_id, resident_id):
    req = _request_or_404(request_id)
    resident = _resident_or_404(req, resident_id)
    _require_can_edit(req)
    form = ResidentForm(formdata=None, obj=resident)
    form.services.data = [f"{c}:{s}" for c, s in resident.service_pairs]
    return _form_row(req, form, resident)


@bp.post("/<uuid:request_id>/warga/<uuid:resident_id>")
@roles_required(*REGISTERING_ROLES)
def resident_update(request_id, resident_id):
    req = _request_or_404(request_id)
    resident = _resident_or_404(req, resident_id)
    _require_can_edit(req)
    form = ResidentForm()
    if not form.validate():
        return _form_row(req, form, resident)
    try:
        services.update_resident(resident, _row_from_form(form), actor=current_user)
    except DomainError as error:
        db.session.rollback()
        attach_to_form(form, error)
        return _form_row(req, form, resident)
    return _display_row(req, resident)


@bp.post("/<uuid:request_id>/warga/<uuid:resident_id>/hapus")
@roles_required(*REGISTERING_ROLES)
def resident_delete(request_id, resident_id):
    req = _request_or_404(request_id)
    resident = _resident_or_404(req, resident_id)
    _require_can_edit(req)
    try:
        services.delete_resident(resident, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    if getattr(request, "htmx", None):
        return render_template("requests/_needs_oob.html", req=req, needs=services.preparation_needs([req]),
                               equipment_labels=EQUIPMENT_KINDS, stock_items=STOCK_ITEMS)
    return redirect(url_for("requests.request_detail", request_id=req.id))


@bp.post("/<uuid:request_id>/warga/cek-nik")
@roles_required(*REGISTERING_ROLES)
def resident_check_nik(request_id):
    """As-you-type NIK check of an inline row: errors and warnings next to the field."""
    _request_or_404(request_id)
    form = ResidentForm()
    value = (form.nik.data or "").strip()
    if not value:
        return render_template("requests/_nik_feedback.html", errors=[], warnings=[])
    form.birth_date.validate(form)
    check = check_nik(value, sex=form.sex.data if form.sex.data in ("L", "P") else None,
                      birth_date=form.birth_date.data if not form.birth_date.errors else None)
    return render_template("requests/_nik_feedback.html", errors=[str(p.message) for p in check.errors],
                           warnings=[str(p.message) for p in check.warnings])


@bp.post("/<uuid:request_id>/warga/impor")
@roles_required(*REGISTERING_ROLES)
def resident_import(request_id):
    req = _request_or_404(request_id)
    form = ImportForm()
    upload = request.files.get("resident_file")
    if not services.can_edit(req, current_user):
        form.resident_file.errors = [_("Daftar warga permohonan berstatus %(s)s tidak dapat diubah.",
                                       s=req.status_label)]
        return render_template("requests/detail.html", **_detail_context(req, import_form=form))
    if upload is None or not upload.filename:
        form.resident_file.errors = [_("Pilih berkas daftar warga (CSV atau XLSX).")]
        return render_template("requests/detail.html", **_detail_context(req, import_form=form))
    try:
        data = read_limited(upload.stream, MAX_IMPORT_BYTES, field="resident_file")
        result = services.import_residents(req, data, upload.filename, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        form.resident_file.errors = [_("Ukuran berkas daftar warga maksimal 2 MB.")
                                     if error.field == "resident_file" else str(error.message)]
        return render_template("requests/detail.html", **_detail_context(req, import_form=form))
    if not result.ok:
        db.session.rollback()
        form.resident_file.errors = [_("Berkas tidak diimpor: perbaiki semua baris di bawah, lalu unggah lagi. "
                                       "Tidak ada data yang disimpan.")]
        return render_template("requests/detail.html", **_detail_context(req, import_form=form, import_result=result))
    flash(_("%(n)s warga diimpor dari %(f)s.", n=len(result.rows), f=upload.filename), "success")
    if result.warning_count:
        flash(_("%(n)s warga punya catatan peringatan; periksa tanda pada daftar.", n=result.warning_count), "warning")
    return redirect(url_for("requests.request_detail", request_id=req.id) + "#warga")


# --- status changes ---------------------------------------------------------------------------------

@bp.post("/<uuid:request_id>/kirim-ulang")
@roles_required(*REGISTERING_ROLES)
def request_resubmit(request_id):
    req = _request_or_404(request_id)
    try:
        services.resubmit_request(req, actor=current_user, note=request.form.get("note", ""))
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(_("Permohonan dikirim ulang ke Kepala Dinas."), "success")
    return redirect(url_for("requests.request_detail", request_id=req.id))


@bp.post("/<uuid:request_id>/batalkan")
@roles_required(*CANCEL_ROLES)
def request_cancel(request_id):
    req = _request_or_404(request_id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            services.cancel_request(req, reason=form.reason.data, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            attach_to_form(form, error)
        else:
            flash(_("Permohonan %(n)s dibatalkan.", n=req.number), "success")
            return redirect(url_for("requests.request_detail", request_id=req.id))
    return render_template("requests/detail.html", **_detail_context(req, cancel_form=form, open_cancel=True))


def _dispose_page(req, form, return_form, status=200):
    needs = services.preparation_needs([req])
    return render_template("requests/dispose.html", req=req, form=form, return_form=return_form, needs=needs,
                           residents=req.residents, division_labels=DIVISION_LABELS,
                           waiting_since=services.waiting_since(req)), status


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
                           waiting={r.id: services.waiting_since(r) for r in items})


@bp.get("/disposisi/jumlah")
@roles_required(Role.KEPALA_DINAS)
def inbox_badge():
    count = services.inbox_count()
    if request.args.get("nav"):  # the menu's badge: just the number, the menu polls it
        return str(count) if count else ""
    return render_template("requests/_inbox_badge.html", count=count)


@card_provider(order=10)
def request_cards(user):
    cards = [Card(str(_l("Permohonan desa")),
                  str(_l("Surat permohonan layanan dan daftar warga.")) if user.role != Role.KEPALA_DESA
                  else str(_l("Ajukan permohonan layanan untuk desa Anda dan ikuti statusnya.")),
                  "requests.request_list")]
    if user.role == Role.KEPALA_DINAS:
        cards.insert(0, Card(str(_l("Disposisi")), str(_l("Permohonan baru menunggu disposisi Anda.")),
                             "requests.inbox", count=services.inbox_count()))
    elif user.role in KABIDS:
        from webapp.requests.models import DIVISION_OF_KABID, VillageRequest
        division = DIVISION_OF_KABID[user.role]
        count = VillageRequest.query.filter(VillageRequest.status == DIDISPOSISI,
                                            VillageRequest.disposed_to.like(f"%{division}%")).count()
        cards.insert(0, Card(str(_l("Permohonan untuk dijadwalkan")),
                             str(_l("Didisposisi ke bidang Anda, menunggu jadwal.")), "requests.request_list",
                             count=count, url_args={"status": DIDISPOSISI}))
    return cards
