"""Trip check-out (before departure) and check-in (at the end), on plain arguments.

    Office                                              Field node
    build_package(trip, node_code, actor=) -> dict      load_package(package, actor=) -> LoadResult
    ensure_editable_at_office(trip_id)                  (no-op on a node)
    check_in_at_office(trip, node_code, CheckinInput, actor=) -> TripCheckout
                                                        check_reconciliation(trip, CheckinInput)
                                                        pending_for_trip(trip_id) -> int
                                                        finish_check_in(trip, reconciliation, actor=)
                                                        cleanup_after_checkin(trip) -> CleanupResult

The package is one JSON-safe dict: the trip, its requests, residents and services, the team (the
users who may log in on the bus: name, role, password hash, active — nobody else can log in; a
user the rows merely name comes as an inactive placeholder without password), the pre-check
flags and the open cases of its residents, the register's records of the trip's villages only
(and of its residents found elsewhere by NIK or KK) with the register state, requirement
templates, settings, the blank stock issued to the trip, the regency's region rows, the
trip's equipment, and the node's counters as the office knows them (`node_counters`: the node
never numbers a receipt, case or queue ticket below them, even as a new laptop). Its sha256 and
size are recorded in the office's TripCheckout ("di_bus"); while it is there the office refuses
edits to the trip's visits and applications (the intake, trip-day, documents and trips services
call ensure_editable_at_office). The node loads it in one transaction without outbox rows (the
rows came from the office). Check-in reconciles the blank stock (issued = used + spoiled +
returned, a difference explained in a note), records the equipment's condition and releases
the trip on both sides; the node then deletes the register slice and the residents' files the
office confirmed it has.

Nothing here commits (the request's unit of work or the CLI's unit_of_work() does)."""
from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, inspect, or_, select

from webapp.auth.models import User
from webapp.core.changes import StatusHistory, audit, entity_type_of, json_safe, record_change
from webapp.core.db import utcnow
from webapp.core.errors import DomainError
from webapp.core.timefmt import format_datetime
from webapp.devices.models import CardReading
from webapp.extensions import db
from webapp.field.models import Visit
from webapp.files.models import StoredFile
from webapp.intake.models import Application, ApplicationFile, ChecklistLine, DataCorrection, Receipt
from webapp.inventory import services as inventory
from webapp.inventory.models import CONDITIONS, EquipmentItem, StockMovement
from webapp.layanan.catalog import STOCK_ITEMS
from webapp.quality import precheck
from webapp.quality import services as quality
from webapp.quality.models import (ACTIVE_CASE_STATUSES, CasePerson, DuplicateDecision, Person, QualityCase,
                                   RegisterState)
from webapp.requests.models import RequestResident, VillageRequest
from webapp.requirements.models import RequirementItem, RequirementTemplate
from webapp.settings.models import AppSetting
from webapp.sync import rows as sync_rows
from webapp.sync.field_role import is_field_node
from webapp.sync.models import CHECKED_IN, CHECKED_OUT, OutboxEntry, TripCheckout
from webapp.trips import queries as trip_queries
from webapp.trips.models import ARRIVED, DEPARTED, SCHEDULED, Trip
from webapp.wilayah.models import Region

PACKAGE_FORMAT = 1
PLACEHOLDER_PASSWORD = "!"          # never a valid argon2 hash: a placeholder user cannot log in
CHECKOUT_STATUSES = (SCHEDULED, DEPARTED, ARRIVED)   # a trip on site may be checked out (e.g. a new laptop)
MAX_NOTE = 1000


class TripCheckedOut(DomainError):
    """The office refuses an edit: the trip is on the bus."""


class CheckinRefused(DomainError):
    """Several fields refused at once: {field: message} (the first is the DomainError's own)."""

    def __init__(self, errors: dict[str, str]):
        first_field, first_message = next(iter(errors.items()))
        super().__init__(first_message, field=first_field)
        self.errors = dict(errors)


# ---------------------------------------------------------------- which trip is where

def active_checkout(trip_id) -> TripCheckout | None:
    if trip_id is None:
        return None
    key = trip_id if isinstance(trip_id, uuid.UUID) else uuid.UUID(str(trip_id))
    return db.session.execute(select(TripCheckout).where(TripCheckout.trip_id == key,
                                                         TripCheckout.status == CHECKED_OUT)
                              .order_by(TripCheckout.checked_out_at.desc())).scalars().first()


def latest_checkout(trip_id) -> TripCheckout | None:
    return db.session.execute(select(TripCheckout).where(TripCheckout.trip_id == trip_id)
                              .order_by(TripCheckout.checked_out_at.desc())).scalars().first()


def editable_at_office(trip_id) -> bool:
    """False at the office while the trip is checked out to a bus (always True on a node)."""
    return is_field_node() or active_checkout(trip_id) is None


def ensure_editable_at_office(trip_id) -> None:
    """The office's write paths call this before they touch a trip's visits, applications,
    receipts or the trip itself: while the trip is on the bus, its data changes there only."""
    if trip_id is None or is_field_node():
        return
    found = active_checkout(trip_id)
    if found is not None:
        raise TripCheckedOut(_l("Perjalanan ini sedang di bus %(node)s (check-out %(at)s): datanya hanya dapat "
                                "diubah di laptop bus sampai check-in.", node=found.node_code,
                                at=format_datetime(found.checked_out_at)))


def trip_by_number(number: str | None) -> Trip | None:
    text = (number or "").strip().upper()
    if not text:
        return None
    return db.session.execute(select(Trip).where(func.upper(Trip.number) == text)).scalars().first()


# ---------------------------------------------------------------- rows as JSON and back

def row_dict(obj) -> dict[str, Any]:
    """The row's columns by column name, JSON-safe (as a change event carries them)."""
    mapper = inspect(type(obj))
    table = mapper.local_table
    return {prop.columns[0].name: json_safe(getattr(obj, prop.key)) for prop in mapper.column_attrs
            if prop.columns[0].table is table}


def _rows(objects: Iterable) -> list[dict]:
    return [row_dict(obj) for obj in objects]


def _all(stmt) -> list:
    return list(db.session.execute(stmt).scalars())


def _in(column, values) -> list:
    values = [v for v in dict.fromkeys(values) if v is not None]
    found = []
    for start in range(0, len(values), 500):
        found.extend(_all(select(column.class_).where(column.in_(values[start:start + 500]))))
    return found


# ---------------------------------------------------------------- the slice of the register

def _slice_condition(desa_codes: set[str], niks: set[str], kks: set[str]):
    parts = [Person.desa_code.in_(sorted(desa_codes))] if desa_codes else []
    if niks:
        parts.append(Person.nik.in_(sorted(niks)))
    if kks:
        parts.append(Person.no_kk.in_(sorted(kks)))
    return or_(*parts) if parts else None


def _trip_people(trip: Trip) -> tuple[list[VillageRequest], list[RequestResident], set[str], set[str], set[str]]:
    requests_ = trip_queries.requests_of(trip)
    residents = [res for req in requests_ for res in req.residents]
    desa_codes = {req.desa_code for req in requests_ if req.desa_code}
    niks = {res.nik for res in residents if res.nik}
    kks = {res.no_kk for res in residents if res.no_kk}
    return requests_, residents, desa_codes, niks, kks


def register_slice(trip: Trip, snapshot_id) -> list[Person]:
    """The current register's records of the trip's villages, and of its residents by NIK or KK."""
    _requests, _residents, desa_codes, niks, kks = _trip_people(trip)
    condition = _slice_condition(desa_codes, niks, kks)
    if snapshot_id is None or condition is None:
        return []
    return _all(select(Person).where(Person.snapshot_id == snapshot_id, condition).order_by(Person.row_no))


def _regency_regions(desa_codes: set[str]) -> list[Region]:
    """The regions of the trip's regency (its kecamatan and villages) and their parents."""
    regencies = {".".join(code.split(".")[:2]) for code in desa_codes if code.count(".") >= 1}
    if not regencies:
        return []
    provinces = {code.split(".")[0] for code in regencies}
    found = _all(select(Region).where(or_(*[Region.code.like(f"{code}.%") for code in sorted(regencies)],
                                          Region.code.in_(sorted(regencies | provinces)))).order_by(Region.code))
    return found


# ---------------------------------------------------------------- check-out at the office

def _check_checkout_allowed(trip: Trip, node_code: str) -> TripCheckout | None:
    if trip.status not in CHECKOUT_STATUSES:
        raise DomainError(_l("Perjalanan %(n)s berstatus %(s)s: hanya perjalanan yang dijadwalkan atau sudah "
                             "berangkat yang dapat di-check-out ke bus.", n=trip.number, s=trip.status_label),
                          field="trip_number")
    if trip.node_code != node_code:
        raise DomainError(_l("Perjalanan %(n)s memakai %(bus)s, bukan %(node)s.", n=trip.number, bus=trip.node_code,
                             node=node_code), field="trip_number")
    found = active_checkout(trip.id)
    if found is not None and found.node_code != node_code:
        raise DomainError(_l("Perjalanan %(n)s sudah di bus %(node)s.", n=trip.number, node=found.node_code),
                          field="trip_number")
    return found


def _actor_name(actor) -> str:
    return getattr(actor, "username", None) or "system"


def _team_user(user: User) -> dict:
    return {"id": str(user.id), "username": user.username, "full_name": user.full_name, "role": user.role,
            "password_hash": user.password_hash, "active": bool(user.active)}


def _placeholder_user(user: User) -> dict:
    return {"id": str(user.id), "username": None, "full_name": user.full_name, "role": user.role,
            "password_hash": None, "active": False, "placeholder": True}


def _referenced_user_ids(tables: list[tuple[str, list[dict]]]) -> set[str]:
    """Users named by a foreign key in the package's rows (the node's schema enforces them)."""
    ids: set[str] = set()
    for table_name, rows in tables:
        table = db.metadata.tables.get(table_name)
        if table is None:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == User.__tablename__:
                ids.update(row[fk.parent.name] for row in rows if row.get(fk.parent.name))
    return ids


def _cases_of(residents: list[RequestResident], requests_: list[VillageRequest],
              checks: dict) -> list[QualityCase]:
    ids = {case_id for check in checks.values() for case_id in check.case_ids}
    request_ids = [str(req.id) for req in requests_]
    found = {c.id: c for c in _in(QualityCase.id, ids)}
    if request_ids:
        for case in _all(select(QualityCase).where(QualityCase.request_id.in_(request_ids),
                                                   QualityCase.status.in_(ACTIVE_CASE_STATUSES))):
            found.setdefault(case.id, case)
    return sorted(found.values(), key=lambda c: c.number)


def _decisions_for(persons: list[Person]) -> list[DuplicateDecision]:
    keys = {p.person_key for p in persons}
    if not keys:
        return []
    return [d for d in _all(select(DuplicateDecision))
            if any(part in keys for part in d.pair_key.split("|"))]


def _flag(check) -> dict:
    return {"level": check.level, "reasons": [str(r) for r in check.reasons], "notes": [str(n) for n in check.notes],
            "case_numbers": list(check.case_numbers)}


def _trip_records(trip: Trip) -> dict[str, list]:
    """What the office already holds of the trip's day (a trip that departed may have visits)."""
    visits = _all(select(Visit).where(Visit.trip_id == trip.id))
    applications = _all(select(Application).where(Application.trip_id == trip.id))
    app_ids = [a.id for a in applications]
    files = _in(ApplicationFile.application_id, app_ids)
    return {
        "receipt": _all(select(Receipt).where(Receipt.trip_id == trip.id)),
        "visit": visits, "application": applications,
        "application_requirement": _in(ChecklistLine.application_id, app_ids),
        "application_file": files,
        "data_correction": _in(DataCorrection.application_id, app_ids),
        "card_reading": _in(CardReading.application_id, app_ids),
        "stored_file": _in(StoredFile.id, [f.file_id for f in files]),
    }


def _history_of(entities: Iterable) -> list[StatusHistory]:
    by_type: dict[str, list] = {}
    for entity in entities:
        by_type.setdefault(entity_type_of(entity), []).append(entity.id)
    found = []
    for entity_type, ids in by_type.items():
        for start in range(0, len(ids), 500):
            found.extend(_all(select(StatusHistory).where(StatusHistory.entity_type == entity_type,
                                                          StatusHistory.entity_id.in_(ids[start:start + 500]))
                              .order_by(StatusHistory.at)))
    return found


def _package_tables(trip: Trip) -> tuple[list[tuple[str, list[dict]]], dict, dict]:
    requests_, residents, desa_codes, _niks, _kks = _trip_people(trip)
    checks = precheck.check_rows(residents)
    state = quality.register_state()
    persons = register_slice(trip, state.current_snapshot_id)
    cases = _cases_of(residents, requests_, checks)
    records = _trip_records(trip)
    members = list(trip.members)
    equipment_ids = [te.equipment_id for te in trip.equipment]
    letters = _in(StoredFile.id, [req.letter_file_id for req in requests_])
    entities = [trip, *requests_, *records["visit"], *records["application"], *records["receipt"], *cases]
    tables: list[tuple[str, list[dict]]] = [
        ("region", _rows(_regency_regions(desa_codes))),
        ("app_setting", _rows(_all(select(AppSetting).order_by(AppSetting.key)))),
        ("requirement_template", _rows(_all(select(RequirementTemplate)))),
        ("requirement_item", _rows(_all(select(RequirementItem)))),
        ("equipment_item", _rows(_in(EquipmentItem.id, equipment_ids))),
        ("stored_file", _rows(letters + [f for f in records["stored_file"] if f not in letters])),
        ("trip", [row_dict(trip)]),
        ("trip_request", _rows(trip.requests)),
        ("trip_member", _rows(members)),
        ("trip_equipment", _rows(trip.equipment)),
        ("village_request", _rows(requests_)),
        ("request_disposition", _rows(d for req in requests_ for d in req.dispositions)),
        ("request_resident", _rows(residents)),
        ("requested_service", _rows(s for res in residents for s in res.services)),
        ("person", _rows(persons)),
        ("quality_case", _rows(cases)),
        ("quality_case_person", _rows(_in(CasePerson.case_id, [c.id for c in cases]))),
        ("duplicate_decision", _rows(_decisions_for(persons))),
        ("stock_movement", _rows(_all(select(StockMovement).where(StockMovement.trip_id == trip.id)
                                      .order_by(StockMovement.at)))),
        *[(name, _rows(records[name])) for name in ("receipt", "visit", "application", "application_requirement",
                                                     "application_file", "data_correction",
                                                     "card_reading")],
        ("status_history", _rows(_history_of(entities))),
    ]
    team_ids = {str(m.user_id) for m in members}
    team = _in(User.id, [m.user_id for m in members])
    others = _in(User.id, [uuid.UUID(i) for i in _referenced_user_ids(tables) - team_ids])
    tables.insert(0, ("users", [_team_user(u) for u in team] + [_placeholder_user(u) for u in others]))
    register = {"snapshot_id": json_safe(state.current_snapshot_id), "swapped_at": json_safe(state.swapped_at),
                "desa_codes": sorted(desa_codes), "persons": len(persons)}
    return tables, register, {str(res.id): _flag(checks[res.id]) for res in residents}


# The node's own counters (webapp.core.counters): numbers it makes that the office keeps unique.
# (prefix, counter name, model, column) of the human numbers a node hands out.
NODE_NUMBERS = (("KP", "receipt", Receipt, Receipt.number),
                (quality.CASE_PREFIX, quality.CASE_COUNTER, QualityCase, QualityCase.number))


def _max_suffix(column, prefix: str) -> int:
    """The highest counter value among the numbers "PREFIX-NODE-000123" the office holds."""
    values = db.session.execute(select(column).where(column.like(f"{prefix}-%"))).scalars()
    found = 0
    for value in values:
        tail = str(value).rsplit("-", 1)[-1]
        if tail.isdigit():
            found = max(found, int(tail))
    return found


def node_counters(trip: Trip, node_code: str) -> dict[str, int]:
    """What the node must not number below: its counters as the office knows them (its receipts
    and cases that arrived, the office's own counter rows for it, the trip's queue numbers). A node
    whose counters start again (a new or reinstalled laptop, a trip the office already served)
    would otherwise hand out a receipt number or queue number that exists: refused."""
    from webapp.core.counters import NodeCounter
    node_code = (node_code or "").strip().upper()
    found = {row.name: int(row.value) for row in _all(select(NodeCounter).where(NodeCounter.node == node_code))}
    tag = node_code.replace("-", "")
    for prefix, name, _model, column in NODE_NUMBERS:
        found[name] = max(found.get(name, 0), _max_suffix(column, f"{prefix}-{tag}"))
    queue = f"q:{trip.id.hex}"
    found[queue] = max(found.get(queue, 0), int(db.session.scalar(
        select(func.max(Visit.queue_number)).where(Visit.trip_id == trip.id)) or 0))
    return {name: value for name, value in sorted(found.items()) if value > 0}


def _load_counters(counters: dict, node_code: str) -> None:
    """Raise the node's counters to the package's floor (never lower them)."""
    from webapp.core.counters import NodeCounter
    for name, value in (counters or {}).items():
        row = db.session.get(NodeCounter, (node_code, str(name)))
        if row is None:
            db.session.add(NodeCounter(node=node_code, name=str(name), value=int(value)))
        elif row.value < int(value):
            row.value = int(value)
    db.session.flush()


def _canonical(body: dict) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def package_digest(package: dict) -> tuple[str, int]:
    """(sha256, size in bytes) of the package's canonical JSON, without its own hash and size."""
    body = _canonical({k: v for k, v in package.items() if k not in ("hash", "size")})
    return hashlib.sha256(body).hexdigest(), len(body)


def build_package(trip: Trip, node_code: str, *, actor=None) -> dict:
    """Check the trip out to the node: the package, recorded (hash, size) in the office's
    TripCheckout "di_bus". Asking again for a trip already on this node's bus answers the
    package again (the node may have lost the first answer)."""
    if is_field_node():
        raise DomainError(_l("Check-out dibuat di kantor, bukan di laptop bus."))
    node_code = (node_code or "").strip().upper()
    checkout = _check_checkout_allowed(trip, node_code)
    again = checkout is not None
    if checkout is None:
        checkout = TripCheckout(trip_id=trip.id, node_code=node_code, status=CHECKED_OUT,
                                checked_out_at=utcnow(), checked_out_by=_actor_name(actor))
        db.session.add(checkout)
    record_change(checkout, "checkout", actor=actor, audit=False)   # the audit entry follows with the size
    tables, register, flags = _package_tables(trip)
    package = {
        "format": PACKAGE_FORMAT, "node": node_code, "office": current_app.config.get("NODE_ID", "OFFICE"),
        "built_at": json_safe(utcnow()), "trip_id": str(trip.id), "trip_number": trip.number,
        "checkout": {"id": str(checkout.id), "checked_out_at": json_safe(checkout.checked_out_at),
                     "checked_out_by": checkout.checked_out_by},
        "register": register, "precheck": flags, "tables": [[name, rows] for name, rows in tables],
        "counters": node_counters(trip, node_code),
    }
    package["hash"], package["size"] = package_digest(package)
    checkout.package_hash, checkout.package_size = package["hash"], package["size"]
    audit("checkout", actor=actor, entity_type="trip_checkout", entity_id=checkout.id,
          summary=f"{trip.number} → {node_code}" + (" (paket dikirim ulang)" if again else "")
                  + f": {register['persons']} data penduduk, {len(flags)} warga, {package['size']} bita")
    db.session.flush()
    return package


# ---------------------------------------------------------------- loading on the node

@dataclass
class LoadResult:
    trip: Trip
    checkout: TripCheckout
    counts: dict[str, int]
    flags: dict[str, int]


def _decode_row(cls, values: dict) -> dict[str, Any]:
    """Column values by attribute name (JSON values back to the column's Python type)."""
    mapper = inspect(cls)
    table = mapper.local_table
    found = {}
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if column.table is table and column.name in values:
            found[prop.key] = sync_rows.column_value(column, values[column.name])
    return found


# Reference rows a laptop may also hold under its own key (e.g. templates seeded at its setup):
# the office's row replaces the local one with the same natural key.
NATURAL_KEYS = {"requirement_template": ("service_code", "subtype_code")}


def _drop_local_twin(cls, attrs: dict, keys: list[str]) -> None:
    natural = NATURAL_KEYS.get(cls.__tablename__)
    if not natural:
        return
    stmt = select(cls).where(*[getattr(cls, name) == attrs[name] for name in natural])
    for twin in db.session.execute(stmt).scalars():
        if any(getattr(twin, k) != attrs[k] for k in keys):
            db.session.delete(twin)
            db.session.flush()


def _upsert(cls, rows: list[dict]) -> int:
    mapper = inspect(cls)
    keys = [mapper.get_property_by_column(c).key for c in mapper.primary_key]
    for values in rows:
        attrs = _decode_row(cls, values)
        ident = tuple(attrs[k] for k in keys)
        _drop_local_twin(cls, attrs, keys)
        existing = db.session.get(cls, ident if len(ident) > 1 else ident[0])
        if existing is None:
            db.session.add(cls(**attrs))
        else:
            for key, value in attrs.items():
                if getattr(existing, key) != value:
                    setattr(existing, key, value)
    db.session.flush()
    return len(rows)


def _load_users(rows: list[dict]) -> int:
    for values in rows:
        user_id = uuid.UUID(values["id"])
        user = db.session.get(User, user_id)
        username = values.get("username") or f"~{user_id.hex[:12]}"
        clash = db.session.execute(select(User).where(User.username == username, User.id != user_id)).scalars().first()
        if clash is not None:
            raise DomainError(_l("Nama pengguna %(u)s di laptop ini milik akun lain; hapus akun lokal itu dulu.",
                                 u=username))
        if user is None:
            user = User(id=user_id, username=username, node="OFFICE", must_change_password=False)
            db.session.add(user)
        password_hash = values.get("password_hash") or PLACEHOLDER_PASSWORD
        if user.password_hash and user.password_hash != password_hash:
            user.rotate_session_token()          # the password changed at the office: end old logins
        user.username, user.full_name, user.role = username, values["full_name"], values["role"]
        user.password_hash, user.active = password_hash, bool(values.get("active")) and not values.get("placeholder")
        user.must_change_password = False        # a password is changed at the office, never on the bus
    db.session.flush()
    return len(rows)


def _load_register(register: dict, persons: int) -> None:
    if not register.get("snapshot_id"):
        return
    state = quality.register_state()
    snapshot = uuid.UUID(register["snapshot_id"])
    state.current_snapshot_id = snapshot
    state.swapped_at = datetime.fromisoformat(register["swapped_at"]) if register.get("swapped_at") else None
    state.persons = db.session.scalar(select(func.count()).select_from(Person).where(Person.snapshot_id == snapshot))
    db.session.flush()
    quality.remember_duplicate_index(snapshot, None)   # forget an index built before this slice came


def _verify_package(package: dict) -> None:
    if not isinstance(package, dict) or package.get("format") != PACKAGE_FORMAT:
        raise DomainError(_l("Paket check-out tidak dikenal (versi lain?)."))
    node = current_app.config.get("NODE_ID", "")
    if package.get("node") != node:
        raise DomainError(_l("Paket ini untuk %(p)s, bukan untuk laptop ini (%(n)s).", p=package.get("node"), n=node))
    digest, _size = package_digest(package)
    if digest != package.get("hash"):
        raise DomainError(_l("Paket check-out rusak (sidik sha256 tidak cocok); ambil ulang dari kantor."))


def load_package(package: dict, *, actor=None) -> LoadResult:
    """Upsert every row of the package in the caller's transaction, without outbox rows (they
    came from the office), and record the TripCheckout on this node."""
    from webapp.sync.origin import applying
    if not is_field_node():
        raise DomainError(_l("Paket check-out dimuat di laptop bus (ROLE=field), bukan di kantor."))
    _verify_package(package)
    trip_id = uuid.UUID(package["trip_id"])
    if active_checkout(trip_id) is not None:
        raise DomainError(_l("Perjalanan %(n)s sudah di laptop ini (check-out); lakukan check-in dulu.",
                             n=package["trip_number"]), field="trip_number")
    counts: dict[str, int] = {}
    with applying(package.get("office") or "OFFICE"):
        for table_name, rows in package["tables"]:
            if table_name == "users":
                counts[table_name] = _load_users(rows)
                continue
            cls = sync_rows.model_of(table_name)
            if cls is None:
                raise DomainError(_l("Paket check-out memuat tabel yang tidak dikenal: %(t)s.", t=table_name))
            counts[table_name] = _upsert(cls, rows)
        _load_register(package.get("register") or {}, counts.get("person", 0))
        _load_counters(package.get("counters") or {}, package["node"])
        info = package["checkout"]
        checkout = db.session.get(TripCheckout, uuid.UUID(info["id"]))
        if checkout is None:
            checkout = TripCheckout(id=uuid.UUID(info["id"]), trip_id=trip_id, node_code=package["node"])
            db.session.add(checkout)
        checkout.status, checkout.checked_out_by = CHECKED_OUT, info.get("checked_out_by") or "system"
        checkout.checked_out_at = datetime.fromisoformat(info["checked_out_at"])
        checkout.package_hash, checkout.package_size = package["hash"], package["size"]
        checkout.checked_in_at = checkout.checked_in_by = checkout.reconciliation = None
        db.session.flush()
    from webapp.wilayah.services import village_choices
    village_choices.cache_clear()
    trip = db.session.get(Trip, trip_id)
    flags = {level: 0 for level in precheck.LEVELS}
    for flag in (package.get("precheck") or {}).values():
        flags[flag["level"]] = flags.get(flag["level"], 0) + 1
    audit("checkout", actor=actor, entity_type="trip_checkout", entity_id=checkout.id,
          summary=f"{trip.number} dimuat dari kantor: {counts.get('person', 0)} data penduduk, "
                  f"{counts.get('request_resident', 0)} warga, {package['size']} bita")
    db.session.flush()
    return LoadResult(trip, checkout, counts, flags)


# ---------------------------------------------------------------- check-in: the reconciliation

@dataclass
class CheckinInput:
    """What the team counted: per stock code the blanks brought back now and the explanation of
    any difference; per equipment item (id as str) its condition; a note for the whole trip."""

    returned: dict[str, Any] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    equipment: dict[str, str] = field(default_factory=dict)
    note: str | None = None

    def to_dict(self) -> dict:
        return {"returned": {k: str(v) for k, v in self.returned.items()}, "notes": dict(self.notes),
                "equipment": dict(self.equipment), "note": self.note}

    @classmethod
    def from_dict(cls, data: dict | None) -> "CheckinInput":
        data = data if isinstance(data, dict) else {}
        def as_dict(value) -> dict:
            return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}
        return cls(returned=as_dict(data.get("returned")), notes={k: str(v or "") for k, v in
                                                                  as_dict(data.get("notes")).items()},
                   equipment={k: str(v or "") for k, v in as_dict(data.get("equipment")).items()},
                   note=str(data["note"]) if data.get("note") else None)


@dataclass(frozen=True)
class StockCount:
    code: str
    label: str
    unit: str
    issued: int
    used: int
    spoiled: int
    returned_before: int
    returned_now: int
    note: str | None

    @property
    def difference(self) -> int:
        """issued − (used + spoiled + returned): what nobody accounts for."""
        return self.issued - self.used - self.spoiled - self.returned_before - self.returned_now

    def to_dict(self) -> dict:
        return {"issued": self.issued, "used": self.used, "spoiled": self.spoiled,
                "returned": self.returned_before + self.returned_now, "returned_now": self.returned_now,
                "difference": self.difference, "note": self.note}


@dataclass(frozen=True)
class Reconciliation:
    stock: list[StockCount]
    equipment: dict[str, str]          # item id → condition
    note: str | None

    def to_dict(self) -> dict:
        return {"stock": {line.code: line.to_dict() for line in self.stock}, "equipment": dict(self.equipment),
                "note": self.note}


def stock_field(code: str) -> str:
    return f"returned_{code}"


def note_field(code: str) -> str:
    return f"note_{code}"


def equipment_field(item_id) -> str:
    return f"equipment_{item_id}"


def _count(raw, name: str) -> int:
    text = str(raw if raw is not None else "").strip()
    if text == "0":
        return 0
    return inventory.parse_quantity(text, field=name)


def _clean_note(raw, name: str, errors: dict) -> str | None:
    text = " ".join(str(raw or "").split())
    if len(text) > MAX_NOTE:
        errors[name] = _("Catatan terlalu panjang: maksimal %(n)d karakter.", n=MAX_NOTE)
    return text or None


def trip_stock_lines(trip: Trip) -> list[tuple[str, inventory.TripStock]]:
    carried = inventory.trip_stock(trip.id)
    order = list(STOCK_ITEMS) + sorted(c for c in carried if c not in STOCK_ITEMS)
    return [(code, carried[code]) for code in order if code in carried]


def check_reconciliation(trip: Trip, data: CheckinInput) -> Reconciliation:
    """The counts against this side's ledger: issued = used + spoiled + returned per code; a
    difference needs its explanation (next to the code's note), more than the trip still carries
    is refused (next to the count). Every field's problem at once (CheckinRefused)."""
    errors: dict[str, str] = {}
    lines = []
    for code, row in trip_stock_lines(trip):
        name = stock_field(code)
        try:
            now = _count(data.returned.get(code), name)
        except DomainError as error:
            errors[name] = str(error.message)
            now = 0
        note = _clean_note(data.notes.get(code), note_field(code), errors)
        line = StockCount(code, inventory.stock_label(code), inventory.stock_unit(code), row.issued, row.used,
                          row.spoiled, row.returned, now, note)
        if name not in errors and line.difference < 0:
            errors[name] = _("Lebih banyak dari yang masih dibawa perjalanan ini (%(n)d %(u)s).",
                             n=row.outstanding, u=line.unit)
        elif name not in errors and line.difference and not note and note_field(code) not in errors:
            errors[note_field(code)] = _("Selisih %(d)d %(u)s: dikeluarkan %(i)d, terpakai %(us)d, rusak %(s)d, "
                                         "kembali %(r)d. Jelaskan selisihnya (hilang, dipakai di kantor desa, …).",
                                         d=line.difference, u=line.unit, i=line.issued, us=line.used, s=line.spoiled,
                                         r=line.returned_before + line.returned_now)
        lines.append(line)
    equipment = {}
    for item in trip_queries.equipment_of(trip):
        condition = (data.equipment.get(str(item.id)) or "").strip()
        if condition not in CONDITIONS:
            errors[equipment_field(item.id)] = _("Pilih kondisi %(n)s: baik, rusak ringan, atau rusak berat.",
                                                 n=item.name)
        equipment[str(item.id)] = condition
    note = _clean_note(data.note, "note", errors)
    if errors:
        raise CheckinRefused(errors)
    return Reconciliation(lines, equipment, note)


# ---------------------------------------------------------------- check-in at the office

def files_missing(sha256s: Iterable[str]) -> list[str]:
    """Of these contents, the ones the office does not hold in full (row and bytes)."""
    from webapp.files.services import path_of
    wanted = sorted({s for s in sha256s if isinstance(s, str) and len(s) == 64})
    have = {f.sha256 for f in _in(StoredFile.sha256, wanted)}
    return [s for s in wanted if s not in have or not path_of(s).exists()]


def check_in_at_office(trip: Trip, node_code: str, data: CheckinInput, *, actor=None, pending: int = 0,
                       files: Iterable[str] = ()) -> TripCheckout:
    """Release the trip checked out to this node: every change pushed (the node's `pending`
    is 0 and the office holds every file), the stock reconciled against the office's ledger
    (what came back goes back to the warehouse), the equipment's condition recorded."""
    if is_field_node():
        raise DomainError(_l("Check-in dicatat di kantor."))
    checkout = active_checkout(trip.id)
    if checkout is None or checkout.node_code != node_code:
        raise DomainError(_l("Perjalanan %(n)s tidak sedang di bus %(node)s.", n=trip.number, node=node_code),
                          field="trip_number")
    if pending:
        raise DomainError(_l("Masih ada %(n)d perubahan di laptop bus yang belum terkirim: sinkronkan dulu.",
                             n=pending))
    missing = files_missing(files)
    if missing:
        raise DomainError(_l("%(n)d berkas warga belum sampai di kantor: sinkronkan dulu.", n=len(missing)))
    reconciliation = check_reconciliation(trip, data)
    reason = f"Check-in perjalanan {trip.number} dari {node_code}"
    for line in reconciliation.stock:
        if line.returned_now:
            inventory.return_from_trip(line.code, line.returned_now, trip_id=trip.id, actor=actor, reason=reason)
    for item in trip_queries.equipment_of(trip):
        condition = reconciliation.equipment[str(item.id)]
        if condition != item.condition:
            inventory.update_equipment(item, actor=actor, inventory_number=item.inventory_number, kind=item.kind,
                                       name=item.name, serial_number=item.serial_number, condition=condition,
                                       in_service=item.in_service and condition != "rusak_berat", notes=item.notes)
    _release(checkout, reconciliation, actor)
    audit("checkin", actor=actor, entity_type="trip_checkout", entity_id=checkout.id,
          summary=f"{trip.number} dari {node_code}: " + _summary(reconciliation))
    db.session.flush()
    return checkout


def _summary(reconciliation: Reconciliation) -> str:
    parts = [f"{line.code} selisih {line.difference}" for line in reconciliation.stock if line.difference]
    return "; ".join(parts) or "stok cocok"


def _release(checkout: TripCheckout, reconciliation: Reconciliation, actor) -> None:
    checkout.status = CHECKED_IN
    checkout.checked_in_at = utcnow()
    checkout.checked_in_by = _actor_name(actor)
    checkout.reconciliation = reconciliation.to_dict()
    checkout.note = reconciliation.note
    record_change(checkout, "checkin", actor=actor, audit=False)


# ---------------------------------------------------------------- check-in on the node

def pending_for_trip(trip_id) -> int:
    """Outbox entries not yet accepted by the office for this trip (or without a trip)."""
    return int(db.session.scalar(select(func.count()).select_from(OutboxEntry).where(
        OutboxEntry.sent_at.is_(None), or_(OutboxEntry.trip_id == trip_id, OutboxEntry.trip_id.is_(None)))) or 0)


def trip_file_hashes(trip: Trip) -> list[str]:
    """sha256 of the residents' files taken on this trip (what the office must hold)."""
    application_ids = [a for a in db.session.execute(select(Application.id).where(Application.trip_id == trip.id))
                       .scalars()]
    file_ids = [f.file_id for f in _in(ApplicationFile.application_id, application_ids)]
    return sorted({f.sha256 for f in _in(StoredFile.id, file_ids)})


def ensure_pushed(trip: Trip) -> None:
    waiting = pending_for_trip(trip.id)
    if waiting:
        raise DomainError(_l("Masih ada %(n)d perubahan yang belum terkirim ke kantor. Sinkronkan dulu, lalu "
                             "check-in.", n=waiting))


def finish_check_in(trip: Trip, answer: dict, *, actor=None) -> TripCheckout:
    """The office released the trip: the same on this node (its answer's reconciliation kept)."""
    checkout = active_checkout(trip.id)
    if checkout is None:
        raise DomainError(_l("Perjalanan %(n)s tidak sedang di laptop ini.", n=trip.number))
    checkout.status = CHECKED_IN
    checkout.checked_in_at = utcnow()
    checkout.checked_in_by = _actor_name(actor)
    checkout.reconciliation = answer.get("reconciliation")
    checkout.note = (answer.get("reconciliation") or {}).get("note")
    record_change(checkout, "checkin", actor=actor, audit=False)
    audit("checkin", actor=actor, entity_type="trip_checkout", entity_id=checkout.id,
          summary=f"{trip.number}: check-in diterima kantor")
    db.session.flush()
    return checkout


# ---------------------------------------------------------------- after check-in: what the laptop no longer needs

@dataclass(frozen=True)
class CleanupResult:
    persons: int
    files: int
    bytes: int


def _slice_ids(trip: Trip) -> set[uuid.UUID]:
    """The node's register records of the trip's slice, of any snapshot."""
    _requests, _residents, desa_codes, niks, kks = _trip_people(trip)
    condition = _slice_condition(desa_codes, niks, kks)
    if condition is None:
        return set()
    return set(db.session.execute(select(Person.id).where(condition)).scalars())


def _still_needed_persons() -> set[uuid.UUID]:
    """Register records the node's other checked-out trips still use."""
    keep: set[uuid.UUID] = set()
    for other in _all(select(TripCheckout).where(TripCheckout.status == CHECKED_OUT)):
        trip = db.session.get(Trip, other.trip_id)
        if trip is not None:
            keep.update(_slice_ids(trip))
    return keep


def _pending_keys(tables: Iterable[str]) -> set[str]:
    return set(db.session.execute(select(OutboxEntry.row_key).where(
        OutboxEntry.sent_at.is_(None), OutboxEntry.table_name.in_(list(tables)))).scalars())


def _deletable_files(trip: Trip, confirmed: set[str] | None) -> list[StoredFile]:
    """The trip's residents' files whose rows are all pushed (the file, every application and
    attachment naming it), that no other trip still on this laptop uses and, when the office
    listed what it holds, that it confirmed."""
    mine = _all(select(Application).where(Application.trip_id == trip.id))
    attached = _in(ApplicationFile.application_id, [a.id for a in mine])
    others = {c.trip_id for c in _all(select(TripCheckout).where(TripCheckout.status == CHECKED_OUT))} - {trip.id}
    pending = _pending_keys(("stored_file", "application_file", "application"))
    users_of: dict[uuid.UUID, list[ApplicationFile]] = {}
    for attachment in _in(ApplicationFile.file_id, [a.file_id for a in attached]):
        users_of.setdefault(attachment.file_id, []).append(attachment)
    applications = {a.id: a for a in _in(Application.id, [a.application_id for group in users_of.values()
                                                         for a in group])}
    found = []
    for stored in _in(StoredFile.id, list(users_of)):
        group = users_of[stored.id]
        if str(stored.id) in pending or any(str(a.id) in pending or str(a.application_id) in pending for a in group):
            continue
        if any(applications[a.application_id].trip_id in others for a in group if a.application_id in applications):
            continue
        if confirmed is not None and stored.sha256 not in confirmed:
            continue
        found.append(stored)
    return found


def cleanup_after_checkin(trip: Trip, *, confirmed_files: Iterable[str] | None = None) -> CleanupResult:
    """Delete what the laptop no longer needs once the trip is checked in: the register slice of
    the trip (unless another trip still on this laptop uses a record) and the residents' files of
    the trip that are all pushed. Deliberately not announced as changes: the office keeps its copy."""
    from webapp.files.services import path_of
    if not is_field_node():
        raise DomainError(_l("Pembersihan setelah check-in hanya di laptop bus."))
    if active_checkout(trip.id) is not None:
        raise DomainError(_l("Perjalanan %(n)s belum check-in.", n=trip.number))
    persons = _slice_ids(trip) - _still_needed_persons()
    checkout = latest_checkout(trip.id)
    for start in range(0, len(persons), 500):
        chunk = sorted(persons)[start:start + 500]
        db.session.execute(delete(Person).where(Person.id.in_(chunk)))
    confirmed = set(confirmed_files) if confirmed_files is not None else None
    files = _deletable_files(trip, confirmed)
    size = 0
    for stored in files:
        path = path_of(stored.sha256)
        if path.exists():
            size += path.stat().st_size
            path.unlink()
        db.session.delete(stored)
    state = db.session.get(RegisterState, 1)
    if state is not None and state.current_snapshot_id is not None:
        state.persons = db.session.scalar(select(func.count()).select_from(Person).where(
            Person.snapshot_id == state.current_snapshot_id))
        quality.remember_duplicate_index(state.current_snapshot_id, None)
    audit("delete", entity_type="trip_checkout", entity_id=checkout.id if checkout else None,
          summary=f"{trip.number}: setelah check-in dihapus {len(persons)} data penduduk dan {len(files)} berkas warga")
    db.session.flush()
    return CleanupResult(len(persons), len(files), size)


# ---------------------------------------------------------------- the node asks the office

CHECKOUT_TIMEOUT = 120.0        # building a package runs the pre-check over the trip's residents
CHECKIN_TIMEOUT = 30.0


def _client(timeout: float | None, transport):
    from webapp.sync import client as sync_client
    if not is_field_node():
        raise DomainError(_l("Check-out dan check-in dilakukan dari laptop bus (ROLE=field)."))
    node_link = sync_client.link()
    if node_link is None:
        raise DomainError(_l("Laptop ini belum dipasangkan dengan kantor: jalankan flask field pair."))
    try:
        return node_link, sync_client.client_for(node_link, transport=transport, timeout=timeout or CHECKOUT_TIMEOUT)
    except sync_client.OfficeRefused as error:
        raise DomainError(str(error)) from None


def _ask_office(path: str, payload: dict, *, timeout: float | None, transport) -> tuple[int, dict]:
    """POST to the office's /sync/v1/<path>; (status, JSON answer). DomainError when unreachable."""
    import gzip

    from webapp.sync import client as sync_client
    node_link, office = _client(timeout, transport)
    payload = {"node": node_link.node_code, **payload}
    try:
        answer = office.call("POST", path, payload, headers={"Accept-Encoding": "gzip"})
    except sync_client.OfficeUnreachable:
        raise DomainError(_l("Kantor tidak dapat dihubungi. Coba lagi saat ada jaringan (%(url)s).",
                             url=node_link.office_url)) from None
    headers = {k.lower(): v for k, v in (answer.headers or {}).items()}
    body = answer.body
    if headers.get("content-encoding", "").lower() == "gzip":
        body = gzip.decompress(body)
    try:
        data = json.loads(body.decode("utf-8")) if body else {}
    except (UnicodeDecodeError, ValueError):
        data = {}
    if answer.status == 401:
        raise DomainError(_l("Kantor menolak token laptop ini (401): pasangkan ulang dengan flask field pair."))
    return answer.status, data if isinstance(data, dict) else {}


def _user_ref(actor) -> str | None:
    return str(actor.id) if getattr(actor, "is_authenticated", False) and getattr(actor, "id", None) else None


def request_checkout(trip_number: str, *, actor=None, transport=None, timeout: float | None = None) -> LoadResult:
    """On the node: ask the office for the trip's package and load it (the caller commits)."""
    number = (trip_number or "").strip().upper()
    if not number:
        raise DomainError(_l("Isi nomor perjalanan, mis. TRP-OFFICE-000012."), field="trip_number")
    local = trip_by_number(number)
    if local is not None and active_checkout(local.id) is not None:
        raise DomainError(_l("Perjalanan %(n)s sudah di laptop ini.", n=local.number), field="trip_number")
    status, data = _ask_office("/checkout", {"trip_number": number, "requested_by": _user_ref(actor)},
                               timeout=timeout, transport=transport)
    if status != 200:
        raise DomainError(data.get("message") or _l("Kantor menolak check-out (%(s)d).", s=status),
                          field="trip_number")
    return load_package(data, actor=actor)


def request_checkin(trip: Trip, data: CheckinInput, *, actor=None, transport=None,
                    timeout: float | None = None) -> tuple[TripCheckout, CleanupResult]:
    """On the node: the counts checked here, everything pushed, the office releases the trip;
    then the same here and the clean-up (the caller commits)."""
    if active_checkout(trip.id) is None:
        raise DomainError(_l("Perjalanan %(n)s tidak sedang di laptop ini.", n=trip.number))
    check_reconciliation(trip, data)
    ensure_pushed(trip)
    status, answer = _ask_office("/checkin", {
        "trip_number": trip.number, "reconciliation": data.to_dict(), "pending": pending_for_trip(trip.id),
        "files": trip_file_hashes(trip), "checked_in_by": _user_ref(actor)}, timeout=timeout or CHECKIN_TIMEOUT,
        transport=transport)
    if status == 422 and isinstance(answer.get("errors"), dict) and answer["errors"]:
        raise CheckinRefused({str(k): str(v) for k, v in answer["errors"].items()})
    if status != 200:
        raise DomainError(answer.get("message") or _l("Kantor menolak check-in (%(s)d).", s=status),
                          field=answer.get("field"))
    checkout = finish_check_in(trip, answer, actor=actor)
    return checkout, cleanup_after_checkin(trip, confirmed_files=answer.get("files_confirmed") or [])


def checkin_answer(checkout: TripCheckout, files: Iterable[str]) -> dict:
    """The office's answer to a check-in (also to one repeated after the node lost the first)."""
    return {"status": checkout.status, "trip_id": str(checkout.trip_id), "reconciliation": checkout.reconciliation,
            "checked_in_at": json_safe(checkout.checked_in_at),
            "files_confirmed": sorted(set(files) - set(files_missing(files)))}
