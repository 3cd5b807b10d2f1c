"""Searching the audit log (read-only: the table refuses UPDATE and DELETE)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from webapp.core.args import arg_date, arg_page, arg_text
from webapp.core.audit import AuditEntry
from webapp.core.paging import Page, paginate
from webapp.core.timefmt import WITA
from webapp.extensions import db

PAGE_SIZE = 50


@dataclass
class AuditFilters:
    actor: str = ""
    action: str = ""
    entity_type: str = ""
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "AuditFilters":
        return cls(actor=arg_text(args, "actor", 80), action=arg_text(args, "action", 40),
                   entity_type=arg_text(args, "entity_type", 40),
                   date_from=arg_date(args, "date_from"), date_to=arg_date(args, "date_to"), page=arg_page(args))


def _wita_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=WITA)


def search(filters: AuditFilters) -> Page:
    stmt = select(AuditEntry)
    if filters.actor:
        stmt = stmt.where(func.lower(AuditEntry.actor_name).like(f"%{filters.actor.lower()}%"))
    if filters.action:
        stmt = stmt.where(AuditEntry.action == filters.action)
    if filters.entity_type:
        stmt = stmt.where(AuditEntry.entity_type == filters.entity_type)
    if filters.date_from:
        stmt = stmt.where(AuditEntry.at >= _wita_midnight_utc(filters.date_from))
    if filters.date_to:
        stmt = stmt.where(AuditEntry.at < _wita_midnight_utc(filters.date_to + timedelta(days=1)))
    stmt = stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    return paginate(stmt, page=filters.page, per_page=PAGE_SIZE, count=False)


def distinct_values(column) -> list[str]:
    return [v for (v,) in db.session.execute(select(column).distinct().order_by(column)) if v]


# --- what an entry is about, in the numbers people use ------------------------------------------
# The log stores (entity_type, entity_id): a UUID nobody can read. For one page of entries the
# references are looked up once per entity type (one query each, never one per row).


@dataclass(frozen=True)
class Reference:
    text: str                          # "PMH-OFFICE-000012 · Desa Loksado — Kec. Loksado"
    endpoint: str | None = None        # the page of the record, when there is one
    args: dict | None = None


def _uuids(ids) -> list:
    out = []
    for value in ids:
        try:
            out.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return out


def _request_refs(request_ids) -> dict:
    """{request id: Reference} for village requests (number and village)."""
    from webapp.requests.models import VillageRequest
    from webapp.wilayah.services import village_label
    rows = db.session.execute(select(VillageRequest.id, VillageRequest.number, VillageRequest.desa_code)
                              .where(VillageRequest.id.in_(list(request_ids)))).all() if request_ids else []
    return {rid: Reference(f"{number} · {village_label(desa)}", "requests.request_detail", {"request_id": rid})
            for rid, number, desa in rows}


def _trip_refs(trip_ids) -> dict:
    from webapp.trips.models import Trip
    rows = db.session.execute(select(Trip.id, Trip.number).where(Trip.id.in_(list(trip_ids)))).all() if trip_ids else []
    return {tid: Reference(number, "trips.trip_detail", {"trip_id": tid}) for tid, number in rows}


def _via(model, column, ids, target) -> dict:
    """References of child rows through their parent: {child id: parent's Reference}."""
    rows = db.session.execute(select(model.id, column).where(model.id.in_(ids))).all() if ids else []
    parents = target({parent for _, parent in rows if parent is not None})
    return {child: parents[parent] for child, parent in rows if parent in parents}


def _resolve_requests(ids):
    return _request_refs(set(ids))


def _resolve_trips(ids):
    return _trip_refs(set(ids))


def _resolve_persons(keys):
    """A register record is named by its person key: shown as its village (its name is in the summary)."""
    from webapp.quality.models import Person
    from webapp.quality.services import current_snapshot_id
    from webapp.wilayah.services import village_label
    snapshot_id = current_snapshot_id()
    if snapshot_id is None or not keys:
        return {}
    rows = db.session.execute(select(Person.person_key, Person.desa_code)
                              .where(Person.person_key.in_(keys), Person.snapshot_id == snapshot_id)).all()
    return {key: Reference(village_label(desa)) for key, desa in rows if desa}


def _resolve_residents(ids):
    from webapp.requests.models import RequestResident
    return _via(RequestResident, RequestResident.request_id, ids, _request_refs)


def _resolve_dispositions(ids):
    from webapp.requests.models import Disposition
    return _via(Disposition, Disposition.request_id, ids, _request_refs)


def _resolve_requested_services(ids):
    from webapp.requests.models import RequestedService, RequestResident
    rows = db.session.execute(select(RequestedService.id, RequestResident.request_id)
                              .join(RequestResident, RequestResident.id == RequestedService.resident_id)
                              .where(RequestedService.id.in_(ids))).all() if ids else []
    parents = _request_refs({r for _, r in rows})
    return {child: parents[r] for child, r in rows if r in parents}


def _resolve_trip_members(ids):
    from webapp.trips.models import TripMember
    return _via(TripMember, TripMember.trip_id, ids, _trip_refs)


def _resolve_trip_equipment(ids):
    from webapp.trips.models import TripEquipment
    return _via(TripEquipment, TripEquipment.trip_id, ids, _trip_refs)


def _resolve_stock_movements(ids):
    from webapp.inventory.models import StockMovement
    return _via(StockMovement, StockMovement.trip_id, ids, _trip_refs)


def _resolve_equipment(ids):
    from webapp.inventory.models import EquipmentItem
    rows = db.session.execute(select(EquipmentItem.id, EquipmentItem.inventory_number)
                              .where(EquipmentItem.id.in_(ids))).all() if ids else []
    return {eid: Reference(number, "inventory.equipment_edit", {"item_id": eid}) for eid, number in rows}


def _resolve_cases(ids):
    from webapp.quality.models import QualityCase
    from webapp.wilayah.services import village_label
    rows = db.session.execute(select(QualityCase.id, QualityCase.number, QualityCase.desa_code)
                              .where(QualityCase.id.in_(ids))).all() if ids else []
    return {cid: Reference(number + (f" · {village_label(desa)}" if desa else ""), "quality.case_detail",
                           {"case_id": cid}) for cid, number, desa in rows}


def _resolve_users(ids):
    from webapp.auth.models import User
    rows = db.session.execute(select(User.id, User.username).where(User.id.in_(ids))).all() if ids else []
    return {uid: Reference(username) for uid, username in rows}


def _resolve_imports(ids):
    from webapp.quality.models import RegisterImport
    rows = db.session.execute(select(RegisterImport.id, RegisterImport.filename)
                              .where(RegisterImport.id.in_(ids))).all() if ids else []
    return {iid: Reference(filename, "quality.import_detail", {"import_id": iid}) for iid, filename in rows}


_RESOLVERS = {
    "request": _resolve_requests, "request_resident": _resolve_residents,
    "requested_service": _resolve_requested_services, "disposition": _resolve_dispositions,
    "trip": _resolve_trips, "trip_member": _resolve_trip_members, "trip_equipment": _resolve_trip_equipment,
    "stock_movement": _resolve_stock_movements, "equipment": _resolve_equipment,
    "quality_case": _resolve_cases, "user": _resolve_users, "register_import": _resolve_imports,
}
_BY_KEY = {"person": _resolve_persons}          # ids that are not UUIDs


def references(entries) -> dict[tuple[str, str], Reference]:
    """{(entity_type, entity_id): Reference} for the entries whose record is still there (a
    deleted row or an unknown type simply has none). One query per entity type on the page."""
    wanted: dict[str, set[str]] = {}
    for entry in entries:
        if (entry.entity_type in _RESOLVERS or entry.entity_type in _BY_KEY) and entry.entity_id:
            wanted.setdefault(entry.entity_type, set()).add(entry.entity_id)
    found: dict[tuple[str, str], Reference] = {}
    for entity_type, ids in wanted.items():
        if entity_type in _BY_KEY:
            resolved = _BY_KEY[entity_type](sorted(ids))
        else:
            resolved = _RESOLVERS[entity_type](_uuids(ids))
        for key, ref in resolved.items():
            found[(entity_type, str(key))] = ref
    return found
