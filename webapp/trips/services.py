"""Trips: who may do what, scheduling (SOP step 3), editing, cancelling and the departure.

Plain arguments in, results or DomainError out. Every write of one action happens in one
transaction (the request's unit of work): on a DomainError the view's response rolls it back,
so nothing is half-saved. The booking checks live in `booking`, the reading side (lists,
timeline, letter helpers) in `queries`; both are re-exported here so `services.X` keeps working."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from webapp.auth.roles import Role
from webapp.core.changes import change_status, record_change
from webapp.core.counters import human_number
from webapp.core.db import utcnow
from webapp.core.errors import DomainError, PermissionDenied
from webapp.core.timefmt import format_datetime, to_wita
from webapp.extensions import db
from webapp.inventory import services as inventory
from webapp.inventory.models import EquipmentItem
from webapp.layanan.catalog import STOCK_ITEMS
from webapp.requests import models as rq
from webapp.sync import checkout as trip_checkout   # the office refuses edits while a trip is on the bus
from webapp.trips.booking import (MAX_TRIP_DAYS, TEAM_ROLES, MemberChoice, TripPlan, TripPlanError,  # noqa: F401
                                  _check_bus, _check_dates, _check_equipment, _check_kit, _check_members,
                                  _check_stock, _Problems, bus_conflict, date_range_label, equipment_conflicts,
                                  kinds_label, member_conflicts, missing_kinds)
from webapp.trips.buses import Bus
from webapp.trips.models import (ARRIVED, CANCELLED, DEPARTED, FINISHED, SCHEDULED, TRIP_WORKFLOW, Trip,
                                 TripEquipment, TripMember, TripRequest)
from webapp.trips.queries import (STEP_3, STEP_4, RequestTimeline, TripFilters, TripTimeline,  # noqa: F401
                                  _village, active_trip_of_request, desa_name, division_label, equipment_by_kind,
                                  equipment_items, equipment_of, get_trip, head_of_office, letter_date, list_trips,
                                  places_label, preparation, requests_by_kecamatan, requests_of, residents_of,
                                  schedulable_requests, siak_link_change, stock_on_trip, team_candidates,
                                  trip_timeline)


# ---------------------------------------------------------------- who may do what

def division_of(user) -> str | None:
    return rq.DIVISION_OF_KABID.get(getattr(user, "role", None))


def trip_divisions(trip: Trip) -> set[str]:
    """The lead division plus every division the trip's requests were disposed to."""
    divisions = {trip.lead_division}
    for req in requests_of(trip):
        divisions.update(req.divisions)
    return divisions


def can_edit(trip: Trip, user) -> bool:
    return (trip.editable and division_of(user) in trip_divisions(trip)
            and trip_checkout.editable_at_office(trip.id))


def is_lead(trip: Trip, user) -> bool:
    return division_of(user) == trip.lead_division


def is_member(trip: Trip, user) -> bool:
    return any(m.user_id == getattr(user, "id", None) for m in trip.members)


def can_view(trip: Trip, user) -> bool:
    """Petugas and operators see the trips they are on; office management sees all."""
    if user.role in TEAM_ROLES:
        return is_member(trip, user)
    return user.role in (Role.ADMIN, Role.KEPALA_DINAS, Role.KABID_DAFDUK, Role.KABID_CAPIL, Role.VIEWER)


def can_work_on_site(trip: Trip, user) -> bool:
    """The trip day (arrival, roster, queue, SIAK link, end of service): a member of the team
    (petugas, operator or kabid on trip.members) or the kabid of one of the trip's divisions."""
    role = getattr(user, "role", None)
    if role in TEAM_ROLES or role in rq.DIVISION_OF_KABID:
        return is_member(trip, user) or division_of(user) in trip_divisions(trip)
    return False


def departure_roles() -> frozenset:
    roles = rq.REQUEST_WORKFLOW.allowed(rq.DIJADWALKAN, rq.BERANGKAT) or frozenset()
    return frozenset(str(r) for r in roles)


def can_depart(trip: Trip, user) -> bool:
    if trip.status != SCHEDULED or user.role not in departure_roles():
        return False
    if not trip_checkout.editable_at_office(trip.id):
        return False                 # the bus records its own departure
    return division_of(user) in trip_divisions(trip) or is_member(trip, user)


# ---------------------------------------------------------------- stock

def _issue(code: str, quantity: int, trip: Trip, actor) -> None:
    try:
        inventory.issue_to_trip(code, quantity, trip_id=trip.id, actor=actor,
                                reason=f"Dibawa perjalanan {trip.number}")
    except DomainError as error:
        raise TripPlanError({f"stock_{code}": [str(error.message)]}) from error


def _return(code: str, quantity: int, trip: Trip, actor, reason: str) -> None:
    try:
        inventory.return_from_trip(code, quantity, trip_id=trip.id, actor=actor, reason=reason)
    except DomainError as error:
        raise TripPlanError({f"stock_{code}": [str(error.message)]}) from error


# ---------------------------------------------------------------- scheduling

def schedule_trip(plan: TripPlan, *, actor) -> Trip:
    """SOP step 3: the lead division's kabid creates the trip from disposed requests, with its
    team, equipment and blank stock; each request moves to "dijadwalkan". All or nothing."""
    trip = _schedule(plan, actor)
    db.session.flush()
    return trip


def _schedule(plan: TripPlan, actor) -> Trip:
    division = division_of(actor)
    if division is None:
        raise PermissionDenied(_l("Hanya Kabid Dafduk atau Kabid Pencapil yang menjadwalkan perjalanan."))
    problems = _Problems()
    dates_ok = _check_dates(plan, problems, new=True)
    bus = _check_bus(plan, problems, dates_ok=dates_ok)

    requests: list[rq.VillageRequest] = []
    if not plan.request_ids:
        problems.add("requests", _l("Pilih sedikitnya satu permohonan desa."))
    for request_id in dict.fromkeys(plan.request_ids):
        req = db.session.get(rq.VillageRequest, request_id)
        if req is None:
            problems.add("requests", _l("Permohonan yang dipilih tidak ditemukan."))
        elif req.lead_division != division:
            problems.add("requests", _l(
                "Permohonan %(no)s (%(desa)s) dipimpin %(div)s: yang menjadwalkan kabid bidang itu.",
                no=req.number, desa=_village(req.desa_code), div=rq.DIVISION_LABELS.get(req.lead_division, "—")))
        elif req.status != rq.DIDISPOSISI:
            problems.add("requests", _l("Permohonan %(no)s berstatus %(s)s, tidak dapat dijadwalkan.",
                                        no=req.number, s=req.status_label))
        elif active_trip_of_request(req.id) is not None:
            problems.add("requests", _l("Permohonan %(no)s sudah masuk perjalanan %(trip)s.",
                                        no=req.number, trip=active_trip_of_request(req.id).number))
        else:
            requests.append(req)

    if not plan.members:
        problems.add("members", _l("Tambahkan sedikitnya satu petugas."))
    users = _check_members(plan, problems, dates_ok=dates_ok)
    items = _check_equipment(plan, problems, dates_ok=dates_ok)
    if requests:
        _check_kit(plan, problems, preparation(requests).equipment_kinds, items.values())
    _check_stock(plan, problems)
    problems.raise_if_any()

    trip = Trip(number=human_number("TRP", "trip"), start_date=plan.start_date, end_date=plan.end_date,
                bus=bus.name, node_code=bus.code,
                lead_division=division, meeting_point=(plan.meeting_point or "").strip()[:200] or None,
                notes=(plan.notes or "").strip() or None, created_by_id=actor.id)
    db.session.add(trip)
    change_status(trip, SCHEDULED, actor=actor, workflow=TRIP_WORKFLOW,
                  note=", ".join(r.number for r in requests))
    record_change(trip, "create", actor=actor,
                  summary=f"{trip.number} {date_range_label(trip.start_date, trip.end_date, locale='id')} {trip.bus}")
    for position, req in enumerate(requests):
        link = TripRequest(request_id=req.id, position=position)
        trip.requests.append(link)
        record_change(link, "create", actor=actor, audit=False)   # the trip's audit entry names the requests
        change_status(req, rq.DIJADWALKAN, actor=actor, workflow=rq.REQUEST_WORKFLOW,
                      note=f"Perjalanan {trip.number}")
    _add_members(trip, [c for c in plan.members if c.user_id in users], users, division, actor)
    for item in items.values():
        _add_equipment(trip, item, actor)
    db.session.flush()
    for code, qty in plan.stock.items():
        if qty:
            _issue(code, qty, trip, actor)
    return trip


def _add_members(trip: Trip, choices: list[MemberChoice], users: dict, division: str, actor) -> None:
    start = max((m.position for m in trip.members), default=-1) + 1
    for offset, choice in enumerate(choices):
        member = TripMember(user_id=choice.user_id, task=choice.task, division=division,
                            added_by_id=actor.id, position=start + offset)
        trip.members.append(member)
        record_change(member, "create", actor=actor,
                      summary=f"{trip.number}: {users[choice.user_id].full_name} ({choice.task})")


def _add_equipment(trip: Trip, item: EquipmentItem, actor) -> None:
    row = TripEquipment(equipment_id=item.id)
    trip.equipment.append(row)
    record_change(row, "create", actor=actor, summary=f"{trip.number}: {item.inventory_number} {item.name}")


# ---------------------------------------------------------------- editing before departure

def update_trip(trip: Trip, plan: TripPlan, *, actor) -> Trip:
    """Before departure. The lead kabid changes dates, bus, notes, equipment, stock and the
    lead division's officers; the other division's kabid changes only its own officers
    (plan fields other than members are ignored for them). Same booking rules, all or nothing."""
    _update(trip, plan, actor)
    db.session.flush()
    return trip


def _update(trip: Trip, plan: TripPlan, actor) -> None:
    trip_checkout.ensure_editable_at_office(trip.id)
    division = division_of(actor)
    if not can_edit(trip, actor):
        raise PermissionDenied(_l("Perjalanan ini tidak dapat Anda ubah."))
    lead = division == trip.lead_division
    if not lead:
        plan.start_date, plan.end_date = trip.start_date, trip.end_date
    problems = _Problems()
    dates_ok = _check_dates(plan, problems, new=False)
    bus = (_check_bus(plan, problems, dates_ok=dates_ok, exclude_trip_id=trip.id,
                      current=Bus(trip.node_code, trip.bus)) if lead else None)
    others = [m for m in trip.members if m.division != division]
    users = _check_members(plan, problems, dates_ok=dates_ok, exclude_trip_id=trip.id,
                           keep=others, recheck_kept=lead)
    if not plan.members and not others:
        problems.add("members", _l("Tambahkan sedikitnya satu petugas."))
    items = _check_equipment(plan, problems, dates_ok=dates_ok, exclude_trip_id=trip.id) if lead else {}
    if lead:
        _check_kit(plan, problems, preparation(requests_of(trip)).equipment_kinds, items.values())
        _check_stock(plan, problems)
    problems.raise_if_any()

    changes = []
    if lead:
        for attr in ("start_date", "end_date"):
            if getattr(trip, attr) != getattr(plan, attr):
                changes.append(attr)
                setattr(trip, attr, getattr(plan, attr))
        if bus is not None and (bus.code, bus.name) != (trip.node_code, trip.bus):
            changes.append("bus")
            trip.bus, trip.node_code = bus.name, bus.code
        trip.meeting_point = (plan.meeting_point or "").strip()[:200] or None
        trip.notes = (plan.notes or "").strip() or None

    # Team of the actor's division: keep who stays (task may change), add and remove the rest.
    wanted = {c.user_id: c for c in plan.members if c.user_id in users}
    for member in [m for m in trip.members if m.division == division]:
        if member.user_id not in wanted:
            record_change(member, "delete", actor=actor, summary=f"{trip.number}: {member.user.full_name}")
            trip.members.remove(member)
        else:
            choice = wanted.pop(member.user_id)
            if member.task != choice.task:
                member.task = choice.task
                record_change(member, "update", actor=actor, summary=f"{trip.number}: tugas {choice.task}")
    _add_members(trip, list(wanted.values()), users, division, actor)

    if lead:
        current = {te.equipment_id: te for te in trip.equipment}
        for item_id, row in current.items():
            if item_id not in items:
                record_change(row, "delete", actor=actor, summary=f"{trip.number}: peralatan dilepas")
                trip.equipment.remove(row)
        for item_id, item in items.items():
            if item_id not in current:
                _add_equipment(trip, item, actor)
        db.session.flush()
        carried = stock_on_trip(trip)
        for code in STOCK_ITEMS:
            target = plan.stock.get(code, carried.get(code, 0))
            delta = target - carried.get(code, 0)
            if delta > 0:
                _issue(code, delta, trip, actor)
            elif delta < 0:
                _return(code, -delta, trip, actor, f"Jumlah perjalanan {trip.number} dikurangi")
    record_change(trip, "update", actor=actor, summary=f"{trip.number}: " + (", ".join(changes) or "tim/peralatan"))


# ---------------------------------------------------------------- cancel and departure

def cancel_trip(trip: Trip, reason: str, *, actor) -> Trip:
    """Only before departure, by the lead kabid. Blank stock goes back to the ledger and the
    requests go back to "didisposisi" (the disposition still stands): the kabid reschedules."""
    trip_checkout.ensure_editable_at_office(trip.id)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Tuliskan alasan pembatalan."), field="reason")
    if not is_lead(trip, actor):
        raise PermissionDenied(_l("Hanya kabid bidang pemimpin perjalanan yang dapat membatalkannya."),
                               field="reason")
    for code, qty in stock_on_trip(trip).items():
        _return(code, qty, trip, actor, f"Perjalanan {trip.number} dibatalkan")
    change_status(trip, CANCELLED, actor=actor, workflow=TRIP_WORKFLOW, note=reason)
    trip.cancelled_reason = reason
    for req in requests_of(trip):
        if req.status == rq.DIJADWALKAN:
            change_status(req, rq.DIDISPOSISI, actor=actor, workflow=rq.REQUEST_WORKFLOW,
                          note=f"Perjalanan {trip.number} dibatalkan: {reason}")
    db.session.flush()
    return trip


def record_departure(trip: Trip, *, actor, at: datetime | None = None) -> Trip:
    """The team leaves: trip and each request → "berangkat" at the same moment (starts SOP
    step 4's clock). A kabid of the trip's divisions or a member of its team records it."""
    trip_checkout.ensure_editable_at_office(trip.id)
    if not can_depart(trip, actor):
        if trip.status != SCHEDULED:
            raise DomainError(_l("Keberangkatan perjalanan ini sudah tercatat atau perjalanan dibatalkan."))
        raise PermissionDenied(_l("Hanya kabid atau anggota tim perjalanan ini yang mencatat keberangkatan."))
    at = at or utcnow()
    if to_wita(at).date() < trip.start_date - timedelta(days=1):
        raise DomainError(_l("Perjalanan ini dijadwalkan %(d)s: keberangkatan dapat dicatat paling cepat "
                             "sehari sebelumnya.", d=date_range_label(trip.start_date, trip.end_date)))
    change_status(trip, DEPARTED, actor=actor, workflow=TRIP_WORKFLOW, at=at)
    trip.departed_at = at
    for req in requests_of(trip):
        change_status(req, rq.BERANGKAT, actor=actor, workflow=rq.REQUEST_WORKFLOW, at=at,
                      note=f"Perjalanan {trip.number} berangkat")
    db.session.flush()
    return trip


# ---------------------------------------------------------------- on site (SOP step 4 ends)

def record_arrival(trip: Trip, actor, at: datetime | None = None) -> Trip:
    """The team is on site: trip "berangkat" → "tiba" (SOP step 4 = departure → arrival,
    standard 2 hours). The requests stay "berangkat"; the trip's history carries the event."""
    trip_checkout.ensure_editable_at_office(trip.id)
    if not can_work_on_site(trip, actor):
        raise PermissionDenied(_l("Hanya anggota tim atau kabid perjalanan ini yang mencatat tiba di lokasi."))
    if trip.status != DEPARTED:
        if trip.status in (ARRIVED, FINISHED):
            raise DomainError(_l("Kedatangan tim di lokasi sudah tercatat (%(t)s).",
                                 t=format_datetime(trip.arrived_at)))
        raise DomainError(_l("Catat keberangkatan perjalanan ini lebih dahulu."))
    # A time typed before the departure is refused; "now" is not checked: the departure may have
    # been recorded on another clock (the office's, or a bus laptop's days off — see
    # docs/decisions/0011-clock-offset.md), and the office reads both on its own clock.
    if at is not None and trip.departed_at and at < trip.departed_at:
        raise DomainError(_l("Waktu tiba tidak boleh sebelum waktu berangkat (%(t)s).",
                             t=format_datetime(trip.departed_at)), field="at")
    at = at or utcnow()
    change_status(trip, ARRIVED, actor=actor, workflow=TRIP_WORKFLOW, at=at)
    trip.arrived_at = at
    db.session.flush()
    return trip


def finish_service(trip: Trip, actor, at: datetime | None = None) -> Trip:
    """Service on site closed for the day: "tiba" → "selesai" (the berita acara is drawn up)."""
    trip_checkout.ensure_editable_at_office(trip.id)
    if not can_work_on_site(trip, actor):
        raise PermissionDenied(_l("Hanya anggota tim atau kabid perjalanan ini yang menutup pelayanan."))
    if trip.status != ARRIVED:
        if trip.status == FINISHED:
            raise DomainError(_l("Pelayanan perjalanan ini sudah ditutup (%(t)s).",
                                 t=format_datetime(trip.finished_at)))
        raise DomainError(_l("Catat tiba di lokasi lebih dahulu."))
    if at is not None and trip.arrived_at and at < trip.arrived_at:     # (as for the arrival above)
        raise DomainError(_l("Waktu selesai tidak boleh sebelum waktu tiba (%(t)s).",
                             t=format_datetime(trip.arrived_at)), field="at")
    at = at or utcnow()
    change_status(trip, FINISHED, actor=actor, workflow=TRIP_WORKFLOW, at=at)
    trip.finished_at = at
    db.session.flush()
    return trip


SIAK_LINK_ACTION = "siak_link"


def set_siak_link(trip: Trip, online: bool, actor) -> Trip:
    """The team says whether its SIAK client reaches the centre now; only then may a document
    be finished on site. Recorded (change event and audit entry, action "siak_link") each time
    it changes; saying the same again changes nothing."""
    trip_checkout.ensure_editable_at_office(trip.id)
    if not can_work_on_site(trip, actor):
        raise PermissionDenied(_l("Hanya anggota tim atau kabid perjalanan ini yang mengubah status SIAK."))
    if trip.status not in (DEPARTED, ARRIVED):
        raise DomainError(_l("Status sambungan SIAK hanya dicatat selama perjalanan berlangsung."))
    online = bool(online)
    if trip.siak_online == online:
        return trip
    trip.siak_online = online
    trip.siak_changed_at = utcnow()
    trip.siak_changed_by = getattr(actor, "full_name", None) or getattr(actor, "username", None)
    record_change(trip, SIAK_LINK_ACTION, actor=actor,
                  summary=f"{trip.number}: SIAK {'terhubung' if online else 'tidak terhubung'}",
                  data={"siak_online": online})
    db.session.flush()
    return trip
