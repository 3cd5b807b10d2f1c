"""Equipment register and blank stock ledger pages."""
from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from webapp.auth.roles import Role
from webapp.core.args import arg_page
from webapp.core.authz import roles_required
from webapp.core.errors import DomainError, attach_to_form
from webapp.core.web import form_status, render_page
from webapp.extensions import db
from webapp.inventory import services
from webapp.inventory.forms import EquipmentForm, StockAdjustForm, StockReceiptForm
from webapp.inventory.models import MOVEMENT_KINDS
from webapp.layanan.catalog import EQUIPMENT_KINDS, STOCK_ITEMS
from webapp.main.dashboard import Card, card_provider, nav_item

bp = Blueprint("inventory", __name__, url_prefix="/inventaris")
nav_item(60, "inventory.equipment_list", _l("Peralatan & Stok"))

VIEW_ROLES = (Role.ADMIN, Role.KABID_DAFDUK, Role.KABID_CAPIL, Role.KEPALA_DINAS, Role.VIEWER)


@card_provider(order=60)
def inventory_cards(user):
    items = services.list_equipment()
    out = sum(1 for i in items if not i.in_service)
    return [Card(str(_l("Peralatan & Stok")),
                 _("%(n)d peralatan siap pakai, %(m)d tidak dipakai; saldo blangko di gudang.",
                   n=len(items) - out, m=out), "inventory.equipment_list")]


def _equipment_or_404(item_id):
    item = services.get_equipment(item_id)
    if item is None:
        abort(404)
    return item


def _labels() -> dict:
    return {"kinds": EQUIPMENT_KINDS, "conditions": services.CONDITION_LABELS,
            "movement_labels": services.MOVEMENT_LABELS, "stock_label": services.stock_label,
            "stock_unit": services.stock_unit}


# ------------------------------------------------------------------------ equipment

@bp.get("/peralatan")
@roles_required(*VIEW_ROLES)
def equipment_list():
    filters = services.EquipmentFilters.from_args(request.args)
    items = services.list_equipment(filters)
    return render_page("inventory/equipment_list.html", fragment="rows", items=items, filters=filters,
                       **_labels())


@bp.route("/peralatan/baru", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def equipment_new():
    form = EquipmentForm()
    if form.validate_on_submit():
        try:
            item = services.create_equipment(actor=current_user, **form.values())
        except DomainError as error:
            db.session.rollback()
            attach_to_form(form, error)
        else:
            flash(_("Peralatan %(n)s dicatat.", n=item.inventory_number), "success")
            return redirect(url_for("inventory.equipment_list"))
    return render_template("inventory/equipment_form.html", form=form, item=None, **_labels()), form_status()


@bp.route("/peralatan/<uuid:item_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def equipment_edit(item_id):
    item = _equipment_or_404(item_id)
    form = EquipmentForm(obj=item)
    if form.validate_on_submit():
        try:
            services.update_equipment(item, actor=current_user, **form.values())
        except DomainError as error:
            db.session.rollback()
            item = _equipment_or_404(item_id)
            attach_to_form(form, error)
        else:
            flash(_("Data peralatan %(n)s disimpan.", n=item.inventory_number), "success")
            return redirect(url_for("inventory.equipment_list"))
    return render_template("inventory/equipment_form.html", form=form, item=item, **_labels()), form_status()


@bp.post("/peralatan/<uuid:item_id>/status-pakai")
@roles_required(Role.ADMIN)
def equipment_toggle_service(item_id):
    item = _equipment_or_404(item_id)
    try:
        services.set_in_service(item, not item.in_service, actor=current_user,
                                note=request.form.get("note", "")[:400])
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(_("%(n)s kini %(s)s.", n=item.inventory_number,
                s=_("siap pakai") if item.in_service else _("tidak dipakai")), "success")
    return redirect(url_for("inventory.equipment_edit", item_id=item_id))


# ------------------------------------------------------------------------ stock

@bp.get("/stok")
@roles_required(*VIEW_ROLES)
def stock_balances():
    return render_template("inventory/stock_balances.html", balances=services.balances(),
                           items=STOCK_ITEMS, **_labels())


def _movement_filters(args) -> dict:
    code = args.get("stock_code", "")
    kind = args.get("kind", "")
    trip = args.get("trip_id", "").strip()[:40]
    trip_error = None
    if trip:
        try:
            uuid.UUID(trip)
        except ValueError:
            trip_error = _("ID perjalanan tidak dikenali.")
    page = arg_page(args)
    return {"stock_code": code if code in STOCK_ITEMS else "", "kind": kind if kind in MOVEMENT_KINDS else "",
            "trip_id": trip, "trip_error": trip_error, "page": page}


@bp.get("/stok/mutasi")
@roles_required(*VIEW_ROLES)
def stock_movements():
    filters = _movement_filters(request.args)
    page = services.movements(filters["stock_code"] or None, filters["trip_id"] or None, filters["page"],
                              kind=filters["kind"] or None)
    return render_page("inventory/stock_movements.html", fragment="rows", page=page, filters=filters,
                       trip_numbers=services.trip_numbers(page.items), items=STOCK_ITEMS, movement_kinds=MOVEMENT_KINDS, **_labels())


@bp.route("/stok/terima", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def stock_receive():
    form = StockReceiptForm(stock_code=request.args.get("stock_code") or None)
    if form.validate_on_submit():
        try:
            movement = services.receive(form.stock_code.data, form.quantity.data, actor=current_user,
                                        reason=form.reason.data)
        except DomainError as error:
            db.session.rollback()
            attach_to_form(form, error)
        else:
            flash(_("Penerimaan %(q)d %(u)s %(i)s dicatat. Saldo kini %(b)d.", q=movement.quantity,
                    u=services.stock_unit(movement.stock_code), i=services.stock_label(movement.stock_code),
                    b=services.balance(movement.stock_code)), "success")
            return redirect(url_for("inventory.stock_balances"))
    return render_template("inventory/stock_form.html", form=form, mode="receive", **_labels()), form_status()


@bp.route("/stok/koreksi", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def stock_adjust():
    form = StockAdjustForm(stock_code=request.args.get("stock_code") or None)
    if form.validate_on_submit():
        try:
            movement = services.adjust(form.stock_code.data, form.quantity.data, actor=current_user,
                                       reason=form.reason.data)
        except DomainError as error:
            db.session.rollback()
            attach_to_form(form, error)
        else:
            flash(_("Koreksi stok %(i)s dicatat. Saldo kini %(b)d.", i=services.stock_label(movement.stock_code),
                    b=services.balance(movement.stock_code)), "success")
            return redirect(url_for("inventory.stock_balances"))
    return render_template("inventory/stock_form.html", form=form, mode="adjust", **_labels()), form_status()
