"""Admin: requirement templates, with inline (htmx) item rows and a checklist preview."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from webapp.auth.roles import Role
from webapp.core.authz import roles_required
from webapp.core.errors import DomainError, attach_to_form
from webapp.core.web import UNPROCESSABLE, form_status, is_htmx_fragment_request, render_page
from webapp.extensions import db
from webapp.layanan.catalog import service_label
from webapp.main.dashboard import Card, card_provider, nav_item
from webapp.requirements import services
from webapp.requirements.forms import ItemForm, TemplateForm
from webapp.requirements.models import RequirementItem, RequirementTemplate

bp = Blueprint("requirements", __name__, url_prefix="/admin/syarat")
nav_item(70, "requirements.template_list", _l("Syarat Layanan"))

CHANGED = {"HX-Trigger": "requirements-changed"}


@card_provider(order=70)
def requirement_cards(user):
    return [Card(str(_l("Syarat Layanan")), str(_l("Daftar syarat per layanan: butir, alternatif, batas usia.")),
                 "requirements.template_list"),
            Card(str(_l("Pengaturan")), str(_l("Batas usia dan batas waktu pelaporan yang dipakai aturan.")),
                 "settings.settings_list")]


def _template_or_404(template_id) -> RequirementTemplate:
    template = db.session.get(RequirementTemplate, template_id)
    if template is None:
        abort(404)
    return template


def _item_or_404(item_id) -> RequirementItem:
    item = db.session.get(RequirementItem, item_id)
    if item is None:
        abort(404)
    return item


def _item_form(item: RequirementItem | None = None) -> ItemForm:
    prefix = f"i{item.id.hex[:12]}" if item is not None else "new"
    return ItemForm(obj=item, prefix=prefix) if item is not None else ItemForm(prefix=prefix)


def _context(template: RequirementTemplate, **extra) -> dict:
    context = {"template": template, "label": service_label(template.service_code, template.subtype_code),
               "services": services, "facts": services.FACT_LABELS,
               "lines": services.lines_for_template(template), "problems": [], "age": None,
               "age_error": None, "chosen_facts": set(), "married": ""}
    context.update(extra)
    context.setdefault("form", TemplateForm(obj=template))
    context.setdefault("add_form", _item_form())
    return context


@bp.get("/")
@roles_required(Role.ADMIN)
def template_list():
    return render_template("requirements/list.html", groups=services.templates_by_service(),
                           service_label=service_label)


@bp.route("/<uuid:template_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def template_edit(template_id):
    template = _template_or_404(template_id)
    form = TemplateForm(obj=template)
    if form.validate_on_submit():
        try:
            services.update_template(template, title=form.title.data, legal_basis=form.legal_basis.data,
                                     notes=form.notes.data, active=form.active.data, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            attach_to_form(form, error)
        else:
            flash(_("Templat syarat disimpan."), "success")
            return redirect(url_for("requirements.template_edit", template_id=template.id))
    return render_template("requirements/edit.html", **_context(template, form=form)), form_status()


@bp.post("/<uuid:template_id>/butir")
@roles_required(Role.ADMIN)
def item_add(template_id):
    template = _template_or_404(template_id)
    add_form = _item_form()   # CSRF is checked before every POST; the values by the service
    try:
        services.add_item(template, actor=current_user, **add_form.values())
    except DomainError as error:
        db.session.rollback()
        template = _template_or_404(template_id)
        attach_to_form(add_form, error)
    else:
        return _items_answer(template, _("Butir syarat ditambahkan."))
    return render_page("requirements/edit.html", fragment="items", status=UNPROCESSABLE,
                       **_context(template, add_form=add_form))


@bp.get("/butir/<uuid:item_id>/baris")
@roles_required(Role.ADMIN)
def item_row(item_id):
    item = _item_or_404(item_id)
    return render_template("requirements/_item_row.html", item=item, editing=False, services=services)


@bp.route("/butir/<uuid:item_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def item_edit(item_id):
    item = _item_or_404(item_id)
    form = _item_form(item)
    if request.method == "POST":
        try:
            services.update_item(item, actor=current_user, **form.values())
        except DomainError as error:
            db.session.rollback()
            item = _item_or_404(item_id)
            attach_to_form(form, error)
        else:
            if not is_htmx_fragment_request():
                flash(_("Butir syarat disimpan."), "success")
                return redirect(url_for("requirements.template_edit", template_id=item.template_id))
            return render_page("requirements/item_form.html", partial="requirements/_item_row.html",
                               headers=CHANGED, item=item, editing=False, services=services)
    return render_page("requirements/item_form.html", partial="requirements/_item_row.html", item=item,
                       status=form_status(), editing=True, form=form, services=services,
                       label=service_label(item.template.service_code, item.template.subtype_code))


@bp.post("/butir/<uuid:item_id>/hapus")
@roles_required(Role.ADMIN)
def item_remove(item_id):
    item = _item_or_404(item_id)
    template = services.remove_item(item, actor=current_user)
    return _items_answer(template, _("Butir syarat dihapus."))


@bp.post("/butir/<uuid:item_id>/geser/<direction>")
@roles_required(Role.ADMIN)
def item_move(item_id, direction: str):
    item = _item_or_404(item_id)
    if direction not in ("up", "down"):
        abort(404)
    template = services.move_item(item, direction, actor=current_user)
    return _items_answer(template, None)


def _items_answer(template: RequirementTemplate, message: str | None):
    """After a change to the items: the refreshed list for htmx, or flash + back to the page."""
    if not is_htmx_fragment_request():
        if message:
            flash(message, "success")
        return redirect(url_for("requirements.template_edit", template_id=template.id))
    return render_page("requirements/edit.html", fragment="items", headers=CHANGED, **_context(template))


@bp.get("/<uuid:template_id>/pratinjau")
@roles_required(Role.ADMIN)
def template_preview(template_id):
    template = _template_or_404(template_id)
    raw_age = request.args.get("umur", "")[:10]
    chosen = {f for f in request.args.getlist("fakta") if f in services.FACT_LABELS}
    married_raw = request.args.get("kawin", "")
    married = {"ya": True, "tidak": False}.get(married_raw)
    age, age_error, problems = None, None, []
    try:
        age = services.parse_preview_age(raw_age)
    except DomainError as error:
        age_error = str(error.message)
    if married is not None:
        chosen.add("married" if married else "unmarried")
    lines = services.lines_for_template(template, age_years=age, facts=chosen)
    if age is not None:
        problems = services.eligibility_problems(template.service_code, template.subtype_code,
                                                 age_years=age, married=married)
    context = _context(template, lines=lines, problems=problems, age=raw_age, age_error=age_error,
                       chosen_facts=chosen, married=married_raw)
    return render_page("requirements/edit.html", fragment="preview", **context)
