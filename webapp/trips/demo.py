"""Demo trips (after the requests demo): a scheduled trip to two Loksado villages shared by both
divisions, and a trip that has departed today (SOP step 4 running). Idempotent."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from webapp.auth.services import find_by_username
from webapp.core.changes import StatusHistory
from webapp.core.db import utcnow
from webapp.core.errors import DomainError
from webapp.core.timefmt import wita_today
from webapp.demo import demo_loader
from webapp.extensions import db

SHARED_EQUIPMENT = ("KP/LT/2023/001", "KP/PR/2023/001", "KP/PK/2023/001", "KP/PS/2023/001", "KP/KM/2023/002",
                    "KP/CR/2023/001", "KP/SC/2023/001", "KP/RK/2023/001", "KP/GS/2024/002", "KP/MD/2024/002")
DEPARTED_EQUIPMENT = ("KP/LT/2023/002", "KP/PR/2024/003", "KP/PS/2024/002", "KP/KM/2023/001", "KP/GS/2023/001",
                      "KP/MD/2023/001")
# A capil-led request for the trip that leaves today (Malinau), else a dafduk one (Daha Utara).
DEPARTED_CANDIDATES = ("470/022/DS-MLN/2026", "470/058/DS-DU/2026")


def _requests_by_letter(letters):
    from webapp.requests.models import VillageRequest
    found = {r.letter_number: r for r in db.session.execute(
        select(VillageRequest).where(VillageRequest.letter_number.in_(list(letters)))).scalars()}
    return [found[l] for l in letters if l in found]


def _items(numbers):
    from webapp.inventory.models import EquipmentItem
    return [i.id for i in db.session.execute(
        select(EquipmentItem).where(EquipmentItem.inventory_number.in_(numbers), EquipmentItem.in_service.is_(True)))
        .scalars()]


def _short_of(requests, equipment_ids) -> frozenset[str]:
    """The demo knowingly goes without the kinds its inventory lacks (the form's confirmation)."""
    from webapp.trips import services
    needed = services.preparation(requests).equipment_kinds
    return frozenset(services.missing_kinds(needed, services.equipment_items(equipment_ids)))


def _stock_within_balance(needs_stock: dict[str, int]) -> dict[str, int]:
    from webapp.inventory import services as inventory
    balances = inventory.balances()
    return {code: min(qty, balances.get(code, 0)) for code, qty in needs_stock.items()}


def _backdate_step3(trip, requests, minutes: int) -> None:
    """Demo only: the kabid scheduled `minutes` after the disposition, not days later."""
    for req in requests:
        rows = db.session.execute(select(StatusHistory).where(
            StatusHistory.entity_type == "request", StatusHistory.entity_id == req.id)
            .order_by(StatusHistory.at)).scalars().all()
        disposed = next((r.at for r in reversed(rows) if r.to_status == "didisposisi"), None)
        for row in rows:
            if row.to_status == "dijadwalkan" and disposed is not None:
                row.at = disposed + timedelta(minutes=minutes)
    trip_rows = db.session.execute(select(StatusHistory).where(
        StatusHistory.entity_type == "trip", StatusHistory.entity_id == trip.id)).scalars().all()
    first = min((r.at for r in db.session.execute(select(StatusHistory).where(
        StatusHistory.entity_type == "request", StatusHistory.to_status == "dijadwalkan",
        StatusHistory.entity_id.in_([r.id for r in requests]))).scalars()), default=None)
    for row in trip_rows:
        if row.to_status == "dijadwalkan" and first is not None:
            row.at = first
            trip.created_at = first


@demo_loader(order=40)
def load_trips() -> list[str]:
    from webapp.requests.demo import DEMO_REQUESTS_FOR_TRIPS
    from webapp.trips import services
    from webapp.trips.services import MemberChoice, TripPlan

    users = {name: find_by_username(name) for name in
             ("kabid.dafduk", "kabid.capil", "petugas", "petugas2", "petugas3", "operator")}
    if any(u is None for u in users.values()):
        return ["Perjalanan: akun demo belum ada, dilewati."]
    lines = []
    today = wita_today()

    # 1. Loksado + Haratai: one trip, two requests, both divisions' officers, equipment, stock.
    shared = [r for r in _requests_by_letter(DEMO_REQUESTS_FOR_TRIPS) if r.status == "didisposisi"
              and services.active_trip_of_request(r.id) is None]
    lead = shared[0].lead_division if shared else None
    shared = [r for r in shared if r.lead_division == lead]
    if shared:
        kabid = users["kabid.dafduk"] if lead == "dafduk" else users["kabid.capil"]
        start = max(today + timedelta(days=3), min(r.requested_date for r in shared))
        needs = services.preparation(shared)
        try:
            with db.session.begin_nested():   # a skipped part leaves the rest
                trip = services.schedule_trip(TripPlan(
                    start_date=start, end_date=start + timedelta(days=1), node_code="BUS-01",
                    meeting_point="Halaman kantor Disdukcapil HSS, Kandangan, pukul 06.30 WITA",
                    notes="Jalan ke Haratai: siapkan rantai ban bila hujan.",
                    request_ids=[r.id for r in shared],
                    members=[MemberChoice(users["petugas"].id, "perekaman"), MemberChoice(users["operator"].id, "operator")],
                    equipment_ids=_items(SHARED_EQUIPMENT), stock=_stock_within_balance(needs.stock),
                    accepted_missing=_short_of(shared, _items(SHARED_EQUIPMENT))), actor=kabid)
                other = users["kabid.capil"] if lead == "dafduk" else users["kabid.dafduk"]
                if services.division_of(other) in services.trip_divisions(trip):
                    services.update_trip(trip, TripPlan(members=[MemberChoice(users["petugas2"].id, "verifikator")]),
                                         actor=other)
                _backdate_step3(trip, shared, 8)
                lines.append(f"Perjalanan {trip.number} dijadwalkan: " + ", ".join(r.letter_number for r in shared))
        except DomainError as error:
            lines.append(f"Perjalanan Loksado dilewati: {error.message}")

    # 2. A trip that left this morning: SOP step 4 (arrival within 2 hours) is running.
    candidates = _requests_by_letter(DEPARTED_CANDIDATES)
    if any(services.active_trip_of_request(r.id) is not None for r in candidates):
        candidates = []      # already loaded
    departed = [r for r in candidates if r.status == "didisposisi"][:1]
    if departed:
        req = departed[0]
        kabid = users["kabid.dafduk"] if req.lead_division == "dafduk" else users["kabid.capil"]
        try:
            with db.session.begin_nested():   # a skipped part leaves the rest
                trip = services.schedule_trip(TripPlan(
                    start_date=today, end_date=today, node_code="BUS-01",
                    meeting_point="Halaman kantor Disdukcapil HSS", request_ids=[req.id],
                    members=[MemberChoice(users["petugas3"].id, "operator"),
                             MemberChoice(users["petugas2"].id, "perekaman")],
                    equipment_ids=_items(DEPARTED_EQUIPMENT),
                    stock=_stock_within_balance(services.preparation([req]).stock),
                    accepted_missing=_short_of([req], _items(DEPARTED_EQUIPMENT))), actor=kabid)
                _backdate_step3(trip, [req], 6)
                services.record_departure(trip, actor=users["petugas3"], at=utcnow() - timedelta(minutes=50))
                lines.append(f"Perjalanan {trip.number} berangkat: {req.letter_number}")
        except DomainError as error:
            lines.append(f"Perjalanan berangkat dilewati: {error.message}")
    return lines or ["Perjalanan: sudah ada."]
