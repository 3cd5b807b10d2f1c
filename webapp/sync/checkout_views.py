"""Trip check-out / check-in: the office's endpoints (/sync/v1/checkout, /sync/v1/checkin: bearer
token, JSON) and the bus laptop's pages (take a trip from the office, the reconciliation form)."""
from __future__ import annotations

import gzip
import json
import uuid

from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from webapp.auth.models import User
from webapp.auth.roles import Role
from webapp.core.authz import public, roles_required
from webapp.core.changes import audit
from webapp.core.errors import DomainError
from webapp.core.uow import keep_after_rollback
from webapp.core.web import form_status, render_page
from webapp.extensions import csrf, db
from webapp.inventory.models import CONDITIONS
from webapp.main.dashboard import Card, card_provider, nav_item
from webapp.sync import api, checkout, nodes
from webapp.sync.checkout_forms import CheckinForm, CheckoutForm
from webapp.sync.field_role import field_only, office_only
from webapp.sync.models import TripCheckout
from webapp.sync.views import bp
from webapp.trips import queries as trip_queries

TEAM = (Role.PETUGAS, Role.OPERATOR, Role.KABID_DAFDUK, Role.KABID_CAPIL, Role.ADMIN)
CONDITION_LABELS = {"baik": _l("Baik"), "rusak_ringan": _l("Rusak ringan"), "rusak_berat": _l("Rusak berat")}
GZIP_OVER_BYTES = 4096

nav_item(16, "sync.node_trips", _l("Check-out / check-in"), section="sync.node_")


@card_provider(order=15)
def checkout_cards(user):
    return [Card(str(_l("Check-out / check-in perjalanan")),
                 str(_l("Ambil perjalanan dari kantor sebelum berangkat; check-in blangko dan peralatan "
                        "saat kembali.")),
                 "sync.node_trips")]


@bp.app_context_processor
def checkout_helpers():
    """`trip_checkout_of(trip_id)`: the trip's check-out while it is on a bus (for "di bus BUS-01")."""
    return {"trip_checkout_of": checkout.active_checkout}


# ---------------------------------------------------------------- the office's endpoints

def _json(data: dict, status: int = 200) -> Response:
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    headers = {}
    if len(body) > GZIP_OVER_BYTES and "gzip" in request.headers.get("Accept-Encoding", "").lower():
        body, headers = gzip.compress(body, compresslevel=6), {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
    return Response(body, status=status, mimetype="application/json", headers=headers)


def _refused(error: DomainError, status: int = 409, *, node=None, action: str = "", trip=None) -> Response:
    """The office says no (JSON). A node's refused check-out or check-in is audited: whatever the
    refused attempt wrote is rolled back first, the audit entry kept."""
    if node is not None:
        number = getattr(trip, "number", "?")
        db.session.rollback()
        audit("sync_refused", entity_type="sync_node", entity_id=node.id,
              summary=f"{node.code}: {action} {number} ditolak: {str(error.message)[:200]}")
        keep_after_rollback()
    data = {"error": "refused", "message": str(error.message), "field": error.field}
    if isinstance(error, checkout.CheckinRefused):
        data["errors"] = error.errors
        status = 422
    return _json(data, status)


def _actor(user_id, trip) -> User | None:
    """The node's logged-in officer as the office's actor, when they are on the trip's team (the
    same account: it came in the package); otherwise the node acts as "system"."""
    try:
        user = db.session.get(User, uuid.UUID(str(user_id))) if user_id else None
    except (ValueError, TypeError):
        return None
    if user is None or not user.active or not any(m.user_id == user.id for m in trip.members):
        return None
    return user


def _trip_of(payload: dict):
    trip = checkout.trip_by_number(str(payload.get("trip_number") or ""))
    if trip is None:
        raise api.ApiError(404, "not_found", _("Perjalanan %(n)s tidak ditemukan di kantor.",
                                               n=str(payload.get("trip_number") or "")[:40]))
    return trip


@bp.post("/sync/v1/checkout")
@csrf.exempt
@public
@office_only(_l("check-out perjalanan"))
@api.node_api
def api_checkout(node):
    payload = api.read_json()
    api.check_node_name(node, payload)
    nodes.lock(node)
    trip = _trip_of(payload)
    try:
        package = checkout.build_package(trip, node.code, actor=_actor(payload.get("requested_by"), trip))
    except DomainError as error:
        return _refused(error, node=node, action="check-out", trip=trip)
    return _json(package)


@bp.post("/sync/v1/checkin")
@csrf.exempt
@public
@office_only(_l("check-in perjalanan"))
@api.node_api
def api_checkin(node):
    payload = api.read_json()
    api.check_node_name(node, payload)
    nodes.lock(node)                       # not beside a push of the same node
    trip = _trip_of(payload)
    files = [str(f) for f in payload.get("files") or [] if isinstance(f, str)][:100_000]
    done = checkout.latest_checkout(trip.id)
    if done is not None and done.status == checkout.CHECKED_IN and done.node_code == node.code \
            and checkout.active_checkout(trip.id) is None:
        return _json(checkout.checkin_answer(done, files))      # the node lost the first answer
    try:
        pending = int(payload.get("pending") or 0)
    except (TypeError, ValueError):
        raise api.ApiError(400, "bad_body", "pending must be a number") from None
    data = checkout.CheckinInput.from_dict(payload.get("reconciliation"))
    try:
        released = checkout.check_in_at_office(trip, node.code, data, actor=_actor(payload.get("checked_in_by"), trip),
                                               pending=pending, files=files)
    except DomainError as error:
        return _refused(error, node=node, action="check-in", trip=trip)
    return _json(checkout.checkin_answer(released, files))


# ---------------------------------------------------------------- the bus laptop's pages

def _local_checkouts() -> list[tuple[TripCheckout, object]]:
    rows = db.session.execute(select(TripCheckout).order_by(TripCheckout.checked_out_at.desc()).limit(50)).scalars()
    return [(row, trip_queries.get_trip(row.trip_id)) for row in rows]


def _trips_page(form: CheckoutForm, status: int = 200):
    return render_page("sync/node_trips.html", status=status, checkouts=_local_checkouts(), form=form,
                       pending_for_trip=checkout.pending_for_trip)


@bp.get("/sinkron/perjalanan")
@roles_required(*TEAM)
@field_only
def node_trips():
    return _trips_page(CheckoutForm())


@bp.post("/sinkron/perjalanan/check-out")
@roles_required(*TEAM)
@field_only
def node_checkout():
    form = CheckoutForm()
    if not form.validate_on_submit():
        return _trips_page(form, form_status())
    try:
        result = checkout.request_checkout(form.trip_number.data, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        form.trip_number.errors = list(form.trip_number.errors) + [str(error.message)]
        return _trips_page(form, form_status())
    flash(_("Perjalanan %(n)s sudah di laptop ini: %(r)d warga, %(p)d data penduduk desa tujuan.",
            n=result.trip.number, r=result.counts.get("request_resident", 0), p=result.counts.get("person", 0)),
          "success")
    return redirect(url_for("trips.trip_detail", trip_id=result.trip.id))


def _checkin_context(trip, form: CheckinForm, errors: dict | None = None) -> dict:
    return dict(trip=trip, form=form, errors=errors or {}, stock=checkout.trip_stock_lines(trip),
                equipment=trip_queries.equipment_of(trip), conditions=CONDITIONS, condition_labels=CONDITION_LABELS,
                values=request.form if request.method == "POST" else {}, pending=checkout.pending_for_trip(trip.id),
                stock_field=checkout.stock_field, note_field=checkout.note_field,
                equipment_field=checkout.equipment_field, stock_label=checkout.inventory.stock_label,
                stock_unit=checkout.inventory.stock_unit, on_bus=checkout.active_checkout(trip.id))


def _checkin_input(trip, form: CheckinForm) -> checkout.CheckinInput:
    codes = [code for code, _row in checkout.trip_stock_lines(trip)]
    items = [str(item.id) for item in trip_queries.equipment_of(trip)]
    return checkout.CheckinInput(
        returned={code: request.form.get(checkout.stock_field(code), "") for code in codes},
        notes={code: request.form.get(checkout.note_field(code), "") for code in codes},
        equipment={item: request.form.get(checkout.equipment_field(item), "") for item in items},
        note=form.note.data)


@bp.route("/sinkron/perjalanan/<uuid:trip_id>/check-in", methods=["GET", "POST"])
@roles_required(*TEAM)
@field_only
def node_checkin(trip_id):
    trip = trip_queries.get_trip(trip_id)
    if trip is None:
        abort(404)
    form = CheckinForm()
    if request.method == "GET" or not form.validate_on_submit():
        return render_page("sync/checkin.html", status=form_status(), **_checkin_context(trip, form))
    try:
        _released, cleanup = checkout.request_checkin(trip, _checkin_input(trip, form), actor=current_user)
    except checkout.CheckinRefused as error:
        db.session.rollback()
        return render_page("sync/checkin.html", status=form_status(), **_checkin_context(trip, form, error.errors))
    except DomainError as error:
        db.session.rollback()
        form.form_errors.append(str(error.message))
        return render_page("sync/checkin.html", status=form_status(), **_checkin_context(trip, form))
    flash(_("Check-in %(n)s diterima kantor. Dihapus dari laptop ini: %(p)d data penduduk, %(f)d berkas warga.",
            n=trip.number, p=cleanup.persons, f=cleanup.files), "success")
    return redirect(url_for("sync.node_trips"))


from webapp.sync import checkout_cli  # noqa: E402,F401  (flask field checkout|checkin join the `field` group)
