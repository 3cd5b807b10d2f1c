"""Booking checks: the trip plan as plain values, the double-booking queries and the validation
that collects every problem of a schedule/edit form at once (TripPlanError).

The date-range logic at the top is pure (no database) and unit-tested on its own. Trip dates
are whole days, inclusive at both ends: a trip on 3–4 December and one on 5 December do not
overlap; one on 4–5 December does."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from webapp.auth.models import User
from webapp.auth.roles import Role
from webapp.core.errors import DomainError
from webapp.core.timefmt import date_range_label, wita_today
from webapp.extensions import db
from webapp.inventory.models import EquipmentItem
from webapp.layanan.catalog import EQUIPMENT_KINDS, STOCK_ITEMS
from webapp.trips.buses import Bus, bus_key, find_bus
from webapp.trips.models import CANCELLED, Trip, TripEquipment, TripMember, TASKS

TEAM_ROLES = (Role.PETUGAS.value, Role.OPERATOR.value)
MAX_TRIP_DAYS = 14



def ranges_overlap(a_start: date, a_end: date, b_start: date, b_end: date) -> bool:
    """True when the two inclusive day ranges share at least one day."""
    return a_start <= b_end and b_start <= a_end


def trip_days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


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
    # Equipment kinds the residents need that the kabid knowingly leaves behind (the form's
    # "Saya tahu perlengkapan ini kurang" box). A needed kind neither chosen nor here is refused.
    accepted_missing: frozenset[str] = frozenset()


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


def bus_conflict(node_code: str, start: date, end: date, exclude_trip_id=None) -> Trip | None:
    """The other non-cancelled trip that has this bus (same `bus_key`) on a day of [start, end]."""
    key = bus_key(node_code)
    stmt = (select(Trip).where(Trip.status != CANCELLED, Trip.start_date <= end, Trip.end_date >= start)
            .order_by(Trip.start_date, Trip.number))
    if exclude_trip_id is not None:
        stmt = stmt.where(Trip.id != exclude_trip_id)
    return next((t for t in db.session.execute(stmt).scalars()
                 if bus_key(t.node_code) == key and ranges_overlap(start, end, t.start_date, t.end_date)), None)


def missing_kinds(needed_kinds, items) -> list[str]:
    """The needed equipment kinds (in the catalogue's order of need) no chosen item covers."""
    have = {item.kind for item in items}
    return [kind for kind in needed_kinds if kind not in have]


def kinds_label(kinds) -> str:
    return ", ".join(str(EQUIPMENT_KINDS.get(k, k)) for k in kinds)


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


def _check_bus(plan: TripPlan, problems: _Problems, *, dates_ok: bool, exclude_trip_id=None,
               current: Bus | None = None) -> Bus | None:
    """The bus is one of the office's buses (or the trip's own, kept when it left the list), and
    not on another trip on any of these days."""
    bus = find_bus(plan.node_code)
    if bus is None and current is not None and bus_key(plan.node_code) == bus_key(current.code):
        bus = current
    if bus is None:
        problems.add("node_code", _l("Pilih bus dari daftar."))
        return None
    if dates_ok:
        other = bus_conflict(bus.code, plan.start_date, plan.end_date, exclude_trip_id)
        if other is not None:
            problems.add("node_code", _l("%(bus)s sudah dipakai pada perjalanan %(trip)s.",
                                         bus=bus.name, trip=_trip_ref(other)))
    return bus


def _check_kit(plan: TripPlan, problems: _Problems, needed_kinds, items) -> None:
    """What the residents need is on board, or its absence is confirmed kind by kind."""
    unconfirmed = [k for k in missing_kinds(needed_kinds, items) if k not in plan.accepted_missing]
    if unconfirmed:
        problems.add("equipment_ack", _l("Perlengkapan yang dibutuhkan warga belum dipilih: %(kinds)s. Pilih "
                                         "peralatannya, atau centang bahwa Anda tahu perlengkapan ini kurang.",
                                         kinds=kinds_label(unconfirmed)))


def _check_stock(plan: TripPlan, problems: _Problems) -> None:
    for code, qty in plan.stock.items():
        if code not in STOCK_ITEMS:
            problems.add("stock", _l("Jenis blangko tidak dikenal."))
        elif qty is None or qty < 0:
            problems.add(f"stock_{code}", _l("Isi jumlah 0 atau lebih."))
        elif qty > 100000:
            problems.add(f"stock_{code}", _l("Jumlah terlalu besar."))
