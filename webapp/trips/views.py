"""Trips: list, schedule, page, edit, cancel, departure, surat tugas and preparation checklist."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from webapp.auth.roles import Role
from webapp.core.authz import require_record, role_allows, roles_required
from webapp.core.timefmt import format_datetime
from webapp.extensions import db
from webapp.core.errors import DomainError, attach_to_form
from webapp.core.web import UNPROCESSABLE, form_status, render_page
from webapp.layanan.catalog import EQUIPMENT_KINDS, STOCK_ITEMS, service_label
from webapp.quality import precheck
from webapp.main.dashboard import Card, card_provider, nav_item
from webapp.trips import services
from webapp.trips.buses import Bus, bus_choices
from webapp.trips.forms import CancelForm, TripForm, read_plan, split_errors
from webapp.trips.models import ARRIVED, DEPARTED, FINISHED, TASKS, TRIP_WORKFLOW, Trip
from webapp.trips.services import TripPlan, TripPlanError

bp = Blueprint("trips", __name__, url_prefix="/perjalanan")
nav_item(20, "trips.trip_list", _l("Perjalanan"))

KABID = (Role.KABID_DAFDUK, Role.KABID_CAPIL)
READERS = (Role.ADMIN, Role.KEPALA_DINAS, Role.KABID_DAFDUK, Role.KABID_CAPIL, Role.VIEWER,
           Role.PETUGAS, Role.OPERATOR)


def _trip_or_404(trip_id) -> Trip:
    trip = services.get_trip(trip_id)
    if trip is None:
        abort(404)
    require_record(services.can_view(trip, current_user))
    return trip


@bp.get("/")
@roles_required(*READERS)
def trip_list():
    filters = services.TripFilters.from_args(request.args)
    groups = services.list_trips(filters, viewer=current_user)
    return render_page("trips/list.html", fragment="rows", groups=groups, filters=filters,
                       statuses=TRIP_WORKFLOW.labels, requests_of=services.requests_of)


# ---------------------------------------------------------------- the schedule/edit form

def _form_context(form: TripForm, plan: TripPlan, errors: dict, *, trip: Trip | None, requests: list,
                  needs) -> dict:
    selected_equipment = set(plan.equipment_ids)
    # Items chosen (or already on the trip) stay listed even if they went out of service since,
    # so their message shows next to them.
    in_service = [i for _k, _l2, group in services.equipment_by_kind() for i in group]
    extra = services.equipment_items(selected_equipment | {e.equipment_id for e in (trip.equipment if trip else [])})
    items = in_service + [i for i in extra if i not in in_service]
    form.node_code.choices = bus_choices(Bus(trip.node_code, trip.bus) if trip else None)
    return dict(
        form=form, plan=plan, errors=errors, trip=trip, requests=requests,
        request_groups=services.requests_by_kecamatan(requests), needs=needs,
        candidates=services.team_candidates(), tasks=TASKS, stock_items=STOCK_ITEMS,
        equipment_groups=services.equipment_by_kind(items), selected_equipment=selected_equipment,
        needed_kinds=set(needs.equipment_kinds) if needs else set(),
        balances=_balances(), division=services.division_of(current_user),
        **_kit_context(needs, plan, errors),
        lead=trip is None or services.is_lead(trip, current_user),
        other_members=[m for m in trip.members if m.division != services.division_of(current_user)] if trip else [],
    )


def _kit_context(needs, plan: TripPlan, errors: dict) -> dict:
    """What the residents need and which of those kinds no chosen item covers (the live check
    next to the equipment list, and its confirmation box)."""
    needed = list(needs.equipment_kinds) if needs else []
    chosen = [i for i in services.equipment_items(plan.equipment_ids) if i.in_service]   # as the service counts
    missing = services.missing_kinds(needed, chosen)
    return dict(needed_list=needed, missing_kinds=missing, missing_label=services.kinds_label(missing),
                missing_accepted=bool(missing) and set(missing) <= set(plan.accepted_missing),
                kit_errors=errors.get("equipment_ack", []), kind_labels=EQUIPMENT_KINDS)


def _balances() -> dict[str, int]:
    from webapp.inventory import services as inventory
    return {code: inventory.balance(code) for code in STOCK_ITEMS}


def _selected_requests(ids, available) -> list:
    wanted = set(ids)
    return [r for r in available if r.id in wanted]


@bp.route("/baru", methods=["GET", "POST"])
@roles_required(*KABID)
def trip_new():
    division = services.division_of(current_user)
    available = services.schedulable_requests(division)
    form = TripForm()
    errors: dict = {}
    if request.method == "POST":
        form.validate_on_submit()
        plan, errors = read_plan(form, request.form)
        if not form.errors and not errors:
            try:
                trip = services.schedule_trip(plan, actor=current_user)
            except TripPlanError as error:
                db.session.rollback()
                errors = error.errors
            except DomainError as error:
                db.session.rollback()
                attach_to_form(form, error)
            else:
                flash(_("Perjalanan %(n)s dijadwalkan; %(k)d permohonan berstatus dijadwalkan.",
                        n=trip.number, k=len(trip.requests)), "success")
                return redirect(url_for("trips.trip_detail", trip_id=trip.id))
        errors = split_errors(form, errors)
        needs = services.preparation(_selected_requests(plan.request_ids, available))
    else:
        plan = TripPlan(request_ids=[r.id for r in available if str(r.id) in request.args.getlist("r")])
        chosen = _selected_requests(plan.request_ids, available)
        needs = services.preparation(chosen)
        plan.stock = dict(needs.stock)
        if chosen:
            first = min(r.requested_date for r in chosen)
            form.start_date.data = form.end_date.data = first.isoformat()
            form.meeting_point.data = chosen[0].location
        plan.members = []
    return render_template("trips/form.html", **_form_context(form, plan, errors, trip=None, requests=available,
                                                             needs=needs)), form_status()


@bp.get("/baru/kebutuhan")
@roles_required(*KABID)
def trip_needs():
    """htmx: the equipment and stock section recomputed for the ticked requests."""
    form = TripForm(formdata=None)
    division = services.division_of(current_user)
    available = services.schedulable_requests(division)
    plan, _errors = read_plan(form, request.args)
    chosen = _selected_requests(plan.request_ids, available)
    needs = services.preparation(chosen)
    plan.stock = dict(needs.stock)
    return render_page("trips/form.html", fragment="prep",
                       **_form_context(form, plan, {}, trip=None, requests=available, needs=needs))


@bp.get("/baru/peralatan")
@roles_required(*KABID)
def trip_kit_new():
    """htmx: the missing-equipment check of a new trip, recomputed as the selection changes."""
    plan, _errors = read_plan(TripForm(formdata=None), request.args)
    chosen = _selected_requests(plan.request_ids, services.schedulable_requests(services.division_of(current_user)))
    return render_template("trips/_kit_check.html", **_kit_context(services.preparation(chosen), plan, {}))


@bp.get("/<uuid:trip_id>/peralatan")
@roles_required(*KABID)
def trip_kit(trip_id):
    """htmx: the same check on the edit form (the trip's own requests)."""
    trip = _trip_or_404(trip_id)
    plan, _errors = read_plan(TripForm(formdata=None), request.args)
    return render_template("trips/_kit_check.html",
                           **_kit_context(services.preparation(services.requests_of(trip)), plan, {}))


@bp.get("/baris-petugas")
@roles_required(*KABID)
def member_row():
    """htmx: one more empty team row (the remove button swaps its row away)."""
    return render_template("trips/_member_row.html", choice=None, candidates=services.team_candidates(),
                           tasks=TASKS, errors={})


@bp.route("/<uuid:trip_id>/ubah", methods=["GET", "POST"])
@roles_required(*KABID)
def trip_edit(trip_id):
    trip = _trip_or_404(trip_id)
    require_record(services.division_of(current_user) in services.trip_divisions(trip))
    if not trip.editable:
        flash(_("Perjalanan berstatus %(s)s tidak dapat diubah lagi.", s=trip.status_label), "warning")
        return redirect(url_for("trips.trip_detail", trip_id=trip.id))
    requests_ = services.requests_of(trip)
    needs = services.preparation(requests_)
    division = services.division_of(current_user)
    form = TripForm(obj=None if request.method == "POST" else _form_defaults(trip))
    errors: dict = {}
    if request.method == "POST":
        form.validate_on_submit()
        plan, errors = read_plan(form, request.form)
        plan.request_ids = [r.id for r in requests_]
        if not form.errors and not errors:
            try:
                services.update_trip(trip, plan, actor=current_user)
            except TripPlanError as error:
                db.session.rollback()
                errors = error.errors
            except DomainError as error:
                db.session.rollback()
                attach_to_form(form, error)
            else:
                flash(_("Perjalanan %(n)s diperbarui.", n=trip.number), "success")
                return redirect(url_for("trips.trip_detail", trip_id=trip.id))
        errors = split_errors(form, errors)
        trip = services.get_trip(trip_id)  # after a rollback
    else:
        plan = TripPlan(request_ids=[r.id for r in requests_],
                        members=[services.MemberChoice(m.user_id, m.task) for m in trip.members
                                 if m.division == division],
                        equipment_ids=[e.equipment_id for e in trip.equipment],
                        stock={code: services.stock_on_trip(trip).get(code, 0) for code in STOCK_ITEMS})
    return render_template("trips/form.html", **_form_context(form, plan, errors, trip=trip, requests=requests_,
                                                             needs=needs)), form_status()


class _Defaults:
    def __init__(self, trip: Trip):
        self.start_date = trip.start_date.isoformat()
        self.end_date = trip.end_date.isoformat()
        self.bus, self.node_code = trip.bus, trip.node_code
        self.meeting_point, self.notes = trip.meeting_point or "", trip.notes or ""


def _form_defaults(trip: Trip) -> _Defaults:
    return _Defaults(trip)


# ---------------------------------------------------------------- the trip page and its actions

def _detail_context(trip: Trip, cancel_form: CancelForm | None = None) -> dict:
    requests_ = services.requests_of(trip)
    return dict(
        trip=trip, requests=requests_, needs=services.preparation(requests_),
        check_summary=precheck.summarise(precheck.check_rows([res for r in requests_ for res in r.residents])),
        equipment=services.equipment_of(trip), kind_labels=EQUIPMENT_KINDS, stock_items=STOCK_ITEMS,
        trip_stock=_trip_stock(trip), timeline=services.trip_timeline(trip),
        can_edit=services.can_edit(trip, current_user), can_depart=services.can_depart(trip, current_user),
        can_arrive=trip.status == DEPARTED and services.can_work_on_site(trip, current_user),
        trip_day_url=_trip_day_url(trip),
        can_cancel=trip.editable and services.is_lead(trip, current_user),
        cancel_form=cancel_form or CancelForm(), division_label=services.division_label,
    )


def _trip_day_url(trip: Trip) -> str | None:
    """The trip day page (webapp.field) once the team has left, for whoever may open it."""
    if trip.status not in (DEPARTED, ARRIVED, FINISHED) or "field.trip_day" not in current_app.view_functions:
        return None
    if not role_allows(current_user, "field.trip_day"):
        return None
    return url_for("field.trip_day", trip_id=trip.id)


def _trip_stock(trip: Trip) -> dict:
    from webapp.inventory import services as inventory
    return inventory.trip_stock(trip.id)


@bp.get("/<uuid:trip_id>")
@roles_required(*READERS)
def trip_detail(trip_id):
    trip = _trip_or_404(trip_id)
    return render_template("trips/detail.html", **_detail_context(trip))


@bp.post("/<uuid:trip_id>/berangkat")
@roles_required(Role.KABID_DAFDUK, Role.KABID_CAPIL, Role.PETUGAS, Role.OPERATOR)
def trip_depart(trip_id):
    trip = _trip_or_404(trip_id)
    try:
        services.record_departure(trip, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(_("Keberangkatan %(n)s tercatat. Waktu SOP langkah 4 (tiba di lokasi, 2 jam) mulai berjalan.",
                n=trip.number), "success")
    return redirect(url_for("trips.trip_detail", trip_id=trip_id))


@bp.post("/<uuid:trip_id>/tiba")
@roles_required(Role.KABID_DAFDUK, Role.KABID_CAPIL, Role.PETUGAS, Role.OPERATOR)
def trip_arrive(trip_id):
    trip = _trip_or_404(trip_id)
    try:
        services.record_arrival(trip, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(_("Tim tiba di lokasi: %(t)s. Langkah 4 SOP selesai; hari pelayanan dimulai.",
                t=format_datetime(trip.arrived_at)), "success")
    return redirect(url_for("trips.trip_detail", trip_id=trip_id))


@bp.post("/<uuid:trip_id>/batal")
@roles_required(*KABID)
def trip_cancel(trip_id):
    trip = _trip_or_404(trip_id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            services.cancel_trip(trip, form.reason.data, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            attach_to_form(form, error)
            trip = services.get_trip(trip_id)
        else:
            flash(_("Perjalanan %(n)s dibatalkan; blangko dikembalikan ke gudang dan permohonan kembali "
                    "menunggu penjadwalan.", n=trip.number), "success")
            return redirect(url_for("trips.trip_detail", trip_id=trip_id))
    return render_template("trips/detail.html", **_detail_context(trip, form)), UNPROCESSABLE


@bp.get("/<uuid:trip_id>/surat-tugas")
@roles_required(*READERS)
def assignment_letter(trip_id):
    trip = _trip_or_404(trip_id)
    requests_ = services.requests_of(trip)
    return render_template("trips/surat_tugas.html", trip=trip, requests=requests_,
                           places=services.places_label(requests_), head=services.head_of_office(),
                           desa_names={r.id: services.desa_name(r.desa_code) for r in requests_},
                           issued_on=services.letter_date(trip))


@bp.get("/<uuid:trip_id>/daftar-persiapan")
@roles_required(*READERS)
def checklist(trip_id):
    trip = _trip_or_404(trip_id)
    requests_ = services.requests_of(trip)
    residents = [res for r in requests_ for res in r.residents]
    checks = precheck.check_rows(residents)
    return render_template("trips/checklist.html", trip=trip, requests=requests_, checks=checks,
                           check_summary=precheck.summarise(checks),
                           needs=services.preparation(requests_), equipment=services.equipment_of(trip),
                           kind_labels=EQUIPMENT_KINDS, stock_items=STOCK_ITEMS, trip_stock=_trip_stock(trip),
                           service_label=service_label)


@card_provider(order=20)
def trip_cards(user):
    return [Card(str(_l("Perjalanan")), str(_l("Jadwal bus, tim, peralatan, blangko, surat tugas, keberangkatan.")),
                 "trips.trip_list")]
