"""Reading trips: the trip's requests, equipment and stock, the schedule form's choices, the
timeline (SOP steps 3 and 4), the trip list and what the surat tugas prints."""
from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from webapp.auth.models import User
from webapp.auth.roles import Role
from webapp.core.changes import history_of
from webapp.core.timefmt import wita_today
from webapp.extensions import db
from webapp.inventory import services as inventory
from webapp.inventory.models import EquipmentItem
from webapp.layanan.catalog import EQUIPMENT_KINDS
from webapp.requests import models as rq
from webapp.requests.timeline import REQUEST_SOP_STEPS, SopStep, StepResult, step_durations
from webapp.trips.booking import TEAM_ROLES
from webapp.trips.models import (ARRIVED, CANCELLED, DEPARTED, DIVISION_LABELS, FINISHED, SCHEDULED, TRIP_WORKFLOW,
                                 Trip, TripMember, TripRequest)

STEP_3 = REQUEST_SOP_STEPS[-1]
STEP_4 = SopStep(4, _l("Tiba di lokasi (tim lapangan)"), DEPARTED, ARRIVED, timedelta(hours=2))


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


def _village(code: str) -> str:
    from webapp.wilayah.services import village_label
    return village_label(code)


def active_trip_of_request(request_id) -> Trip | None:
    return db.session.execute(
        select(Trip).join(TripRequest, TripRequest.trip_id == Trip.id)
        .where(TripRequest.request_id == request_id, Trip.status != CANCELLED)).scalars().first()


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
    arrived_at: datetime | None = None
    finished_at: datetime | None = None


def trip_timeline(trip: Trip) -> TripTimeline:
    per_request = [RequestTimeline(req, step_durations(history_of(req), [STEP_3])[0]) for req in requests_of(trip)]
    rows = history_of(trip)            # in order on the office's clock (rows from a bus corrected)
    scheduled = next((r.corrected_at for r in rows if r.to_status == SCHEDULED), None)
    departed = next((r.corrected_at for r in rows if r.to_status == DEPARTED), None)
    step4 = step_durations(rows, [STEP_4])[0]
    finished = next((r.corrected_at for r in reversed(rows) if r.to_status == FINISHED), None)
    return TripTimeline(per_request, scheduled, departed, step4, arrived_at=step4.ended_at, finished_at=finished)


@dataclass(frozen=True)
class SiakLinkChange:
    online: bool
    at: datetime
    actor_name: str


def siak_link_change(trip: Trip) -> SiakLinkChange | None:
    """When and by whom the SIAK link was last set (kept on the trip row, so it syncs)."""
    if trip.siak_changed_at is None:
        return None
    return SiakLinkChange(trip.siak_online, trip.siak_changed_at, trip.siak_changed_by or "—")


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
