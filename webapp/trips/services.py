"""Trips: scheduling (SOP step 3), double booking, editing, cancelling and the departure.

Plain arguments in, results or DomainError out. Every write of one action happens in one
transaction: on any DomainError the session is rolled back, so nothing is half-saved."""
from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from webapp.auth.models import User
from webapp.auth.roles import Role
from webapp.core.changes import change_status, history_of, record_change
from webapp.core.counters import human_number
from webapp.core.db import utcnow
from webapp.core.errors import DomainError, PermissionDenied
from webapp.core.timefmt import to_wita, wita_today
from webapp.extensions import db
from webapp.inventory import services as inventory
from webapp.inventory.models import EquipmentItem
from webapp.layanan.catalog import EQUIPMENT_KINDS, STOCK_ITEMS
from webapp.requests import models as rq
from webapp.requests.timeline import REQUEST_SOP_STEPS, SopStep, StepResult, step_durations
from webapp.trips.booking import date_range_label, ranges_overlap
from webapp.trips.models import (CANCELLED, DEPARTED, DIVISION_LABELS, SCHEDULED, TASKS, TRIP_WORKFLOW, Trip,
                                 TripEquipment, TripMember, TripRequest)

TEAM_ROLES = (Role.PETUGAS.value, Role.OPERATOR.value)
MAX_TRIP_DAYS = 14
STEP_3 = REQUEST_SOP_STEPS[-1]
STEP_4 = SopStep(4, _l("Tiba di lokasi (tim lapangan)"), DEPARTED, "tiba", timedelta(hours=2))


# ---------------------------------------------------------------- input and errors

@dataclass(frozen=True)
class MemberChoice:
    user_id: uuid.UUID
    task: str


@dataclass
class TripPlan:
    """What the schedule/edit form carries, as plain values."""

    start_date: date | None = None
    end_date: date | None = None
    bus: str = ""
    node_code: str = "BUS-01"
    meeting_point: str = ""
    notes: str = ""
    request_ids: list[uuid.UUID] = field(default_factory=list)
    members: list[MemberChoice] = field(default_factory=list)
    equipment_ids: list[uuid.UUID] = field(default_factory=list)
    stock: dict[str, int] = field(default_factory=dict)


class TripPlanError(DomainError):
    """Several problems at once, each for its own field ("start_date", "requests",
    "member:<user id>", "equipment:<item id>", "stock_<CODE>", …)."""

    def __init__(self, errors: dict[str, list[str]]):
        first_field, messages = next(iter(errors.items()))
        super().__init__(messages[0], field=first_field)
        self.errors = errors


class _Problems:
    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field_name: str, message) -> None:
        self.errors.setdefault(field_name, []).append(str(message))

    def raise_if_any(self) -> None:
        if self.errors:
            raise TripPlanError(self.errors)


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
    return trip.editable and division_of(user) in trip_divisions(trip)


def is_lead(trip: Trip, user) -> bool:
    return division_of(user) == trip.lead_division


def is_member(trip: Trip, user) -> bool:
    return any(m.user_id == getattr(user, "id", None) for m in trip.members)


def can_view(trip: Trip, user) -> bool:
    """Petugas and operators see the trips they are on; office management sees all."""
    if user.role in TEAM_ROLES:
        return is_member(trip, user)
    return user.role in (Role.ADMIN, Role.KEPALA_DINAS, Role.KABID_DAFDUK, Role.KABID_CAPIL, Role.VIEWER)


def departure_roles() -> frozenset:
    roles = rq.REQUEST_WORKFLOW.allowed(rq.DIJADWALKAN, rq.BERANGKAT) or frozenset()
    return frozenset(str(r) for r in roles)


def can_depart(trip: Trip, user) -> bool:
    if trip.status != SCHEDULED or user.role not in departure_roles():
        return False
    return division_of(user) in trip_divisions(trip) or is_member(trip, user)


# ---------------------------------------------------------------- reading

def get_trip(trip_id) -> Trip | None:
    try:
        key = trip_id if isinstance(trip_id, uuid.UUID) else uuid.UUID(str(trip_id))
    except ValueError:
        return None
    return db.session.get(Trip, key)


def requests_of(trip: Trip) -> list[rq.VillageRequest]:
    ids = [tr.request_id for tr in trip.requests]
    if not ids:
        return []
    found = {r.id: r for r in db.session.execute(
        select(rq.VillageRequest).where(rq.VillageRequest.id.in_(ids))).scalars()}
    return [found[i] for i in ids if i in found]


def equipment_of(trip: Trip) -> list[EquipmentItem]:
    ids = [te.equipment_id for te in trip.equipment]
    if not ids:
        return []
    return list(db.session.execute(select(EquipmentItem).where(EquipmentItem.id.in_(ids))
                                   .order_by(EquipmentItem.kind, EquipmentItem.inventory_number)).scalars())


def equipment_items(ids) -> list[EquipmentItem]:
    ids = list(ids)
    if not ids:
        return []
    return list(db.session.execute(select(EquipmentItem).where(EquipmentItem.id.in_(ids))).scalars())


def schedulable_requests(division: str | None) -> list[rq.VillageRequest]:
    """Disposed requests the division leads, waiting for a trip."""
    if division is None:
        return []
    stmt = (select(rq.VillageRequest)
            .where(rq.VillageRequest.status == rq.DIDISPOSISI, rq.VillageRequest.lead_division == division)
            .order_by(rq.VillageRequest.desa_code, rq.VillageRequest.requested_date))
    return list(db.session.execute(stmt).scalars())


def requests_by_kecamatan(requests: list[rq.VillageRequest]) -> list[tuple[str, list[rq.VillageRequest]]]:
    """Neighbouring villages together: [(kecamatan label, [requests…]), …]."""
    from webapp.wilayah.services import get_region
    groups: dict[str, list] = defaultdict(list)
    for req in requests:
        groups[req.kecamatan_code].append(req)
    result = []
    for code in sorted(groups):
        region = get_region(code)
        result.append((region.label if region else code, groups[code]))
    return result


def team_candidates() -> list[User]:
    return list(db.session.execute(
        select(User).where(User.role.in_(TEAM_ROLES), User.active.is_(True)).order_by(User.full_name)).scalars())


def equipment_by_kind(items: list[EquipmentItem] | None = None) -> list[tuple[str, str, list[EquipmentItem]]]:
    """[(kind, label, [in-service items…]), …] in the catalogue's order."""
    if items is None:
        items = list(db.session.execute(
            select(EquipmentItem).where(EquipmentItem.in_service.is_(True))
            .order_by(EquipmentItem.kind, EquipmentItem.inventory_number)).scalars())
    groups: dict[str, list] = defaultdict(list)
    for item in items:
        groups[item.kind].append(item)
    order = list(EQUIPMENT_KINDS) + sorted(k for k in groups if k not in EQUIPMENT_KINDS)
    return [(k, str(EQUIPMENT_KINDS.get(k, k)), groups[k]) for k in order if groups.get(k)]


def preparation(requests: list[rq.VillageRequest]):
    from webapp.requests.services import preparation_needs
    return preparation_needs(requests)


def stock_on_trip(trip: Trip) -> dict[str, int]:
    """Net quantity issued and not returned per stock code (what the bus carries)."""
    result = {}
    for code, row in inventory.trip_stock(trip.id).items():
        net = row.issued - row.returned
        if net:
            result[code] = net
    return result


# ---------------------------------------------------------------- double booking

def member_conflicts(user_ids, start: date, end: date, exclude_trip_id=None) -> dict[uuid.UUID, Trip]:
    """{user id: the other non-cancelled trip that overlaps [start, end]}."""
    ids = list(user_ids)
    if not ids:
        return {}
    stmt = (select(TripMember.user_id, Trip).join(Trip, TripMember.trip_id == Trip.id)
            .where(TripMember.user_id.in_(ids), Trip.status != CANCELLED,
                   Trip.start_date <= end, Trip.end_date >= start)
            .order_by(Trip.start_date))
    if exclude_trip_id is not None:
        stmt = stmt.where(Trip.id != exclude_trip_id)
    found: dict[uuid.UUID, Trip] = {}
    for user_id, trip in db.session.execute(stmt):
        if ranges_overlap(start, end, trip.start_date, trip.end_date):
            found.setdefault(user_id, trip)
    return found


def equipment_conflicts(equipment_ids, start: date, end: date, exclude_trip_id=None) -> dict[uuid.UUID, Trip]:
    ids = list(equipment_ids)
    if not ids:
        return {}
    stmt = (select(TripEquipment.equipment_id, Trip).join(Trip, TripEquipment.trip_id == Trip.id)
            .where(TripEquipment.equipment_id.in_(ids), Trip.status != CANCELLED,
                   Trip.start_date <= end, Trip.end_date >= start)
            .order_by(Trip.start_date))
    if exclude_trip_id is not None:
        stmt = stmt.where(Trip.id != exclude_trip_id)
    found: dict[uuid.UUID, Trip] = {}
    for equipment_id, trip in db.session.execute(stmt):
        if ranges_overlap(start, end, trip.start_date, trip.end_date):
            found.setdefault(equipment_id, trip)
    return found


def _trip_ref(trip: Trip) -> str:
    return f"{trip.number} ({date_range_label(trip.start_date, trip.end_date)})"


# ---------------------------------------------------------------- validation

def _check_dates(plan: TripPlan, problems: _Problems, *, new: bool) -> bool:
    ok = True
    if plan.start_date is None:
        problems.add("start_date", _l("Isi tanggal berangkat."))
        ok = False
    if plan.end_date is None:
        problems.add("end_date", _l("Isi tanggal selesai."))
        ok = False
    if not ok:
        return False
    if plan.end_date < plan.start_date:
        problems.add("end_date", _l("Tanggal selesai tidak boleh sebelum tanggal berangkat."))
        return False
    if (plan.end_date - plan.start_date).days + 1 > MAX_TRIP_DAYS:
        problems.add("end_date", _l("Satu perjalanan paling lama %(n)d hari.", n=MAX_TRIP_DAYS))
        return False
    if new and plan.start_date < wita_today():
        problems.add("start_date", _l("Tanggal berangkat tidak boleh sebelum hari ini."))
        return False
    return True


def _check_members(plan: TripPlan, problems: _Problems, *, dates_ok: bool, exclude_trip_id=None,
                   keep: list[TripMember] = (), recheck_kept: bool = False) -> dict[uuid.UUID, User]:
    users: dict[uuid.UUID, User] = {}
    seen: set[uuid.UUID] = set()
    for choice in plan.members:
        key = f"member:{choice.user_id}"
        if choice.user_id in seen or any(m.user_id == choice.user_id for m in keep):
            problems.add(key, _l("Petugas ini sudah ada di tim."))
            continue
        seen.add(choice.user_id)
        user = db.session.get(User, choice.user_id)
        if user is None or not user.active or user.role not in TEAM_ROLES:
            problems.add(key, _l("Pilih petugas lapangan atau operator yang aktif."))
            continue
        if choice.task not in TASKS:
            problems.add(key, _l("Pilih tugas %(name)s.", name=user.full_name))
            continue
        users[user.id] = user
    if dates_ok and users:
        for user_id, other in member_conflicts(users, plan.start_date, plan.end_date, exclude_trip_id).items():
            problems.add(f"member:{user_id}", _l("%(name)s sudah bertugas pada perjalanan %(trip)s.",
                                                 name=users[user_id].full_name, trip=_trip_ref(other)))
    if dates_ok and keep and recheck_kept:  # the other division's officers, when the dates move
        kept = {m.user_id: m for m in keep}
        for user_id, other in member_conflicts(kept, plan.start_date, plan.end_date, exclude_trip_id).items():
            problems.add("members", _l("%(name)s sudah bertugas pada perjalanan %(trip)s.",
                                       name=kept[user_id].user.full_name, trip=_trip_ref(other)))
    return users


def _check_equipment(plan: TripPlan, problems: _Problems, *, dates_ok: bool,
                     exclude_trip_id=None) -> dict[uuid.UUID, EquipmentItem]:
    items: dict[uuid.UUID, EquipmentItem] = {}
    for item_id in dict.fromkeys(plan.equipment_ids):
        item = db.session.get(EquipmentItem, item_id)
        key = f"equipment:{item_id}"
        if item is None:
            problems.add("equipment", _l("Peralatan yang dipilih tidak ditemukan."))
            continue
        if not item.in_service:
            problems.add(key, _l("%(name)s (%(no)s) sedang tidak dapat dipakai (tidak dalam layanan).",
                                 name=item.name, no=item.inventory_number))
            continue
        items[item.id] = item
    if dates_ok and items:
        for item_id, other in equipment_conflicts(items, plan.start_date, plan.end_date, exclude_trip_id).items():
            item = items[item_id]
            problems.add(f"equipment:{item_id}", _l("%(name)s (%(no)s) sudah dipakai pada perjalanan %(trip)s.",
                                                    name=item.name, no=item.inventory_number,
                                                    trip=_trip_ref(other)))
    return items


def _check_stock(plan: TripPlan, problems: _Problems) -> None:
    for code, qty in plan.stock.items():
        if code not in STOCK_ITEMS:
            problems.add("stock", _l("Jenis blangko tidak dikenal."))
        elif qty is None or qty < 0:
            problems.add(f"stock_{code}", _l("Isi jumlah 0 atau lebih."))
        elif qty > 100000:
            problems.add(f"stock_{code}", _l("Jumlah terlalu besar."))


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
    plan.bus = (plan.bus or "").strip()
    if not plan.bus:
        problems.add("bus", _l("Isi nama bus."))

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
    _check_stock(plan, problems)
    problems.raise_if_any()

    trip = Trip(number=human_number("TRP", "trip"), start_date=plan.start_date, end_date=plan.end_date,
                bus=plan.bus[:80], node_code=(plan.node_code or "BUS-01").strip()[:32] or "BUS-01",
                lead_division=division, meeting_point=(plan.meeting_point or "").strip()[:200] or None,
                notes=(plan.notes or "").strip() or None, created_by_id=actor.id)
    db.session.add(trip)
    change_status(trip, SCHEDULED, actor=actor, workflow=TRIP_WORKFLOW,
                  note=", ".join(r.number for r in requests))
    record_change(trip, "create", actor=actor,
                  summary=f"{trip.number} {date_range_label(trip.start_date, trip.end_date)} {trip.bus}")
    for position, req in enumerate(requests):
        trip.requests.append(TripRequest(request_id=req.id, position=position))
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


def _village(code: str) -> str:
    from webapp.wilayah.services import village_label
    return village_label(code)


def active_trip_of_request(request_id) -> Trip | None:
    return db.session.execute(
        select(Trip).join(TripRequest, TripRequest.trip_id == Trip.id)
        .where(TripRequest.request_id == request_id, Trip.status != CANCELLED)).scalars().first()


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
    division = division_of(actor)
    if not can_edit(trip, actor):
        raise PermissionDenied(_l("Perjalanan ini tidak dapat Anda ubah."))
    lead = division == trip.lead_division
    if not lead:
        plan.start_date, plan.end_date = trip.start_date, trip.end_date
    problems = _Problems()
    dates_ok = _check_dates(plan, problems, new=False)
    if lead:
        plan.bus = (plan.bus or "").strip()
        if not plan.bus:
            problems.add("bus", _l("Isi nama bus."))
    others = [m for m in trip.members if m.division != division]
    users = _check_members(plan, problems, dates_ok=dates_ok, exclude_trip_id=trip.id,
                           keep=others, recheck_kept=lead)
    if not plan.members and not others:
        problems.add("members", _l("Tambahkan sedikitnya satu petugas."))
    items = _check_equipment(plan, problems, dates_ok=dates_ok, exclude_trip_id=trip.id) if lead else {}
    if lead:
        _check_stock(plan, problems)
    problems.raise_if_any()

    changes = []
    if lead:
        for attr in ("start_date", "end_date"):
            if getattr(trip, attr) != getattr(plan, attr):
                changes.append(attr)
                setattr(trip, attr, getattr(plan, attr))
        trip.bus = plan.bus[:80]
        trip.node_code = (plan.node_code or trip.node_code).strip()[:32] or trip.node_code
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


# ---------------------------------------------------------------- timeline and lists

@dataclass
class RequestTimeline:
    request: rq.VillageRequest
    step3: StepResult


@dataclass
class TripTimeline:
    requests: list[RequestTimeline]
    scheduled_at: datetime | None
    departed_at: datetime | None
    step4: StepResult


def trip_timeline(trip: Trip) -> TripTimeline:
    per_request = [RequestTimeline(req, step_durations(history_of(req), [STEP_3])[0]) for req in requests_of(trip)]
    rows = history_of(trip)
    scheduled = next((r.at for r in rows if r.to_status == SCHEDULED), None)
    departed = next((r.at for r in rows if r.to_status == DEPARTED), None)
    return TripTimeline(per_request, scheduled, departed, step_durations(rows, [STEP_4])[0])


@dataclass
class TripFilters:
    when: str = "akan"          # akan | lalu | semua
    status: str = ""
    q: str = ""

    @classmethod
    def from_args(cls, args) -> "TripFilters":
        when = args.get("when", "akan")
        status = args.get("status", "")
        return cls(when=when if when in ("akan", "lalu", "semua") else "akan",
                   status=status if status in TRIP_WORKFLOW.labels else "",
                   q=(args.get("q") or "").strip()[:60])


def list_trips(filters: TripFilters, *, viewer, today: date | None = None) -> list[tuple[date, list[Trip]]]:
    """Trips grouped by start date: upcoming ascending, past descending."""
    today = today or wita_today()
    stmt = select(Trip)
    if viewer.role in TEAM_ROLES:
        stmt = stmt.join(TripMember, TripMember.trip_id == Trip.id).where(TripMember.user_id == viewer.id)
    if filters.when == "akan":
        stmt = stmt.where(Trip.end_date >= today).order_by(Trip.start_date, Trip.number)
    elif filters.when == "lalu":
        stmt = stmt.where(Trip.end_date < today).order_by(Trip.start_date.desc(), Trip.number)
    else:
        stmt = stmt.order_by(Trip.start_date.desc(), Trip.number)
    if filters.status:
        stmt = stmt.where(Trip.status == filters.status)
    trips = list(db.session.execute(stmt).scalars().unique())
    if filters.q:
        needle = filters.q.lower()
        trips = [t for t in trips if needle in t.number.lower() or needle in t.bus.lower()
                 or any(needle in _village(r.desa_code).lower() for r in requests_of(t))]
    groups: dict[date, list[Trip]] = {}
    for trip in trips:
        groups.setdefault(trip.start_date, []).append(trip)
    return list(groups.items())


def residents_of(trip: Trip) -> list:
    return [res for req in requests_of(trip) for res in req.residents]


def division_label(code: str | None) -> str:
    return str(DIVISION_LABELS.get(code, code or "—"))


def places_label(requests: list) -> str:
    """"Desa Haratai dan Desa Loksado Kecamatan Loksado" for the surat tugas."""
    from webapp.wilayah.services import get_region
    by_kec: dict[str, list[str]] = defaultdict(list)
    for req in requests:
        region = get_region(req.desa_code)
        name = region.label if region else req.desa_code
        if name not in by_kec[req.kecamatan_code]:
            by_kec[req.kecamatan_code].append(name)
    parts = []
    for kec_code, names in by_kec.items():
        kec = get_region(kec_code)
        joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" {_l('dan')} " + names[-1]
        parts.append(f"{joined} Kecamatan {kec.name if kec else kec_code}")
    return "; ".join(parts)


def desa_name(code: str) -> str:
    """"Loksado" (the signatory's title already says "Kepala Desa")."""
    from webapp.wilayah.services import get_region
    region = get_region(code)
    return region.name if region else code


def head_of_office() -> User | None:
    return db.session.execute(select(User).where(User.role == Role.KEPALA_DINAS.value, User.active.is_(True))
                              .order_by(User.created_at)).scalars().first()


def letter_date(trip: Trip) -> date:
    """The surat tugas is dated the day the trip was scheduled (WITA)."""
    from webapp.core.timefmt import to_wita
    return to_wita(trip.created_at).date() if trip.created_at else wita_today()
