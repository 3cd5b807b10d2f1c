"""Village requests (SOP step 1): the list, the letter, the request page and its status changes.

The resident list lives in `resident_views`, the disposition (SOP step 2) in `disposition_views`;
both register on this blueprint (imported at the bottom)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from webapp.auth.roles import ALL_ROLES, Role
from webapp.core.authz import roles_required
from webapp.core.errors import DomainError, attach_to_form
from webapp.core.web import UNPROCESSABLE, form_status, render_page
from webapp.extensions import db
from webapp.files.download import send_stored
from webapp.files.oversize import RefusedUpload, keeps_form_when_too_large
from webapp.files.services import size_message
from webapp.layanan.catalog import EQUIPMENT_KINDS, SERVICES, STOCK_ITEMS
from webapp.main.dashboard import Card, card_provider, nav_item
from webapp.quality import precheck
from webapp.quality.permissions import MANAGE as QUALITY_MANAGERS
from webapp.quality.precheck import inputs_from_rows as precheck_inputs
from webapp.requests import quality_links  # noqa: F401  (the quality pages' links to requests)
from webapp.requests import services
from webapp.requests.forms import ImportForm, LetterForm, ReasonForm
from webapp.requests.models import (BARU, DIVISION_LABELS, KABIDS, REGISTERING_ROLES, REQUEST_WORKFLOW,
                                    STATUS_LABELS, BERANGKAT, DIDISPOSISI, DIJADWALKAN, DIKEMBALIKAN)
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
    # The status names translated once for the request: every row shows one (not a lookup per row).
    return render_page("requests/list.html", fragment="rows", page=page, filters=filters,
                       statuses={code: str(label) for code, label in STATUS_LABELS.items()},
                       kecamatan=kecamatan_list(), villages=village_choices(),
                       village_user=services.is_village_user(current_user))


# --- register and edit the letter -----------------------------------------------------------------

def _letter_too_large(refused: RefusedUpload):
    """A letter scan over the hard request limit: the form again, with what was typed and the
    size message next to the file field (webapp/files/oversize.py answers 413 with it)."""
    req = None
    if "request_id" in refused.view_args:
        req = _request_or_404(refused.view_args["request_id"])
        if not services.can_edit(req, current_user):
            return None
    form = _prepare_letter_form(LetterForm(formdata=refused.fields, obj=req))
    form.letter_file.errors = [str(size_message(services.LETTER_MAX_BYTES))]
    return render_template("requests/letter_form.html", form=form, req=req)


@bp.route("/baru", methods=["GET", "POST"])
@roles_required(*REGISTERING_ROLES)
@keeps_form_when_too_large(_letter_too_large)
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
    return render_template("requests/letter_form.html", form=form, req=None), form_status()


@bp.route("/<uuid:request_id>/ubah", methods=["GET", "POST"])
@roles_required(*REGISTERING_ROLES)
@keeps_form_when_too_large(_letter_too_large)
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
    return render_template("requests/letter_form.html", form=form, req=req), form_status()


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


def _visit(req):
    """The bus visit serving this request (its non-cancelled trip), or None: its dates, meeting
    point, bus and departure are what the village tells its residents."""
    from webapp.trips.queries import active_trip_of_request
    return active_trip_of_request(req.id) if req.status in (DIJADWALKAN, BERANGKAT) else None


def _detail_context(req, **extra):
    residents = [(r, services.resident_warnings(r)) for r in req.residents]
    visit = _visit(req)
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
        import_form=ImportForm(), cancel_form=ReasonForm(), import_result=None, import_summary=None,
        division_labels=DIVISION_LABELS, equipment_labels=EQUIPMENT_KINDS, stock_items=STOCK_ITEMS,
        visit=visit, what_to_bring=services.what_to_bring(req) if visit else [],
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
    return render_template("requests/berkas.html", req=req, sections=sections, have_templates=have_templates,
                           visit=_visit(req))


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
    return render_template("requests/detail.html", **_detail_context(req, cancel_form=form, open_cancel=True)), \
        UNPROCESSABLE


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


# The resident list and the disposition register their routes on this blueprint too.
from webapp.requests import disposition_views, resident_views  # noqa: E402,F401
