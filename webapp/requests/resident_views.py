"""The resident list of a village request: inline rows (htmx), the as-you-type NIK check, the
full-NIK view (audited) and the CSV/XLSX import. Routes on the requests blueprint."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import escape

from webapp.core.changes import audit
from webapp.core.errors import DomainError, attach_to_form
from webapp.core.web import form_status, render_page
from webapp.extensions import db
from webapp.files.oversize import RefusedUpload, keeps_form_when_too_large
from webapp.files.services import read_limited
from webapp.identity.nik import check_nik
from webapp.layanan.catalog import EQUIPMENT_KINDS, SERVICES, STOCK_ITEMS
from webapp.requests import services
from webapp.requests.forms import ImportForm, ResidentForm
from webapp.requests.importer import MAX_IMPORT_BYTES, ResidentRow
from webapp.requests.models import REGISTERING_ROLES
from webapp.requests.views import (NIK_ROLES, VIEW_ROLES, _detail_context, _quality_checks, _request_or_404, bp,
                                   roles_required)


@bp.post("/<uuid:request_id>/warga/nik")
@roles_required(*NIK_ROLES)
def residents_full_nik(request_id):
    req = _request_or_404(request_id)
    audit("view", actor=current_user, entity_type="request", entity_id=req.id,
          summary=f"Daftar warga {req.number} dengan NIK lengkap ({len(req.residents)} warga)")
    return render_page("requests/detail.html", fragment="residents",
                       **_detail_context(req, show_full_nik=True))


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


def _form_row(req, form, resident=None):
    """The inline row editor: 200 when it opens, 422 when a submitted row comes back with errors."""
    return (render_template("requests/_resident_form_row.html", req=req, form=form, resident=resident),
            form_status())


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
    # The edit row shows the full NIK and No. KK: a view of a full personal record.
    audit("view", actor=current_user, entity_type="request_resident", entity_id=resident.id,
          summary=f"Baris warga {req.number} dibuka untuk diubah (NIK dan No. KK lengkap)")
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


def _import_refused(req, form: ImportForm, result=None):
    """The request page again (422) with the import's outcome at the top of the page and the
    focus on what to fix: the problem table, or the upload field (static/js/app.js, data-focus)."""
    if result is not None and result.problems:
        rows = {p.row for p in result.problems if p.row is not None}
        summary = (_("%(n)d baris bermasalah, tidak ada yang diimpor.", n=len(rows)) if rows
                   else _("Berkas tidak dapat dibaca, tidak ada yang diimpor."))
    else:
        summary = _("Daftar warga tidak diimpor: %(m)s", m=" ".join(form.resident_file.errors))
    return render_template("requests/detail.html",
                           **_detail_context(req, import_form=form, import_result=result,
                                             import_summary=summary)), 422


def _resident_list_too_large(refused: RefusedUpload):
    """A resident list over the hard request limit (webapp/files/oversize.py answers 413): the
    request page again, the size message next to the file field."""
    req = _request_or_404(refused.view_args["request_id"])
    form = ImportForm(formdata=None)
    form.resident_file.errors = [_("Ukuran berkas daftar warga maksimal 2 MB.")]
    return _import_refused(req, form)


@bp.post("/<uuid:request_id>/warga/impor")
@roles_required(*REGISTERING_ROLES)
@keeps_form_when_too_large(_resident_list_too_large)
def resident_import(request_id):
    req = _request_or_404(request_id)
    form = ImportForm()
    upload = request.files.get("resident_file")
    if not services.can_edit(req, current_user):
        form.resident_file.errors = [_("Daftar warga permohonan berstatus %(s)s tidak dapat diubah.",
                                       s=req.status_label)]
        return _import_refused(req, form)
    if upload is None or not upload.filename:
        form.resident_file.errors = [_("Pilih berkas daftar warga (CSV atau XLSX).")]
        return _import_refused(req, form)
    data = None
    try:
        data = read_limited(upload.stream, MAX_IMPORT_BYTES, field="resident_file")
        result = services.import_residents(req, data, upload.filename, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        form.resident_file.errors = [_("Ukuran berkas daftar warga maksimal 2 MB.")
                                     if data is None else str(error.message)]
        return _import_refused(req, form)
    if not result.ok:
        db.session.rollback()
        form.resident_file.errors = [_("Berkas tidak diimpor: perbaiki semua baris yang ditandai, lalu unggah "
                                       "lagi. Tidak ada data yang disimpan.")]
        return _import_refused(req, form, result)
    flash(_("%(n)s warga diimpor dari %(f)s.", n=len(result.rows), f=upload.filename), "success")
    if result.warning_count:
        flash(_("%(n)s warga punya catatan peringatan; periksa tanda pada daftar.", n=result.warning_count), "warning")
    return redirect(url_for("requests.request_detail", request_id=req.id) + "#warga")
