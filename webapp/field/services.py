"""Trip day on site (SOP steps 4–5): who may work it, the roster from the village lists, queue
numbers, walk-ins, calling, sending home with the missing-items slip, the end of a visit (called
by intake) and the berita acara pelayanan.

Plain arguments in, results or DomainError (Indonesian) out; nothing here commits. Status changes
go through change_status (the SOP clocks read status_history), other writes through
record_change. The intake package is optional here: its functions are looked up when called, so
these pages work before (and without) its pages.

Public API (names fixed in notes/field-design.md):
    can_work_trip(trip, user), can_view_trip_day(trip, user), trips_for_today(user)
    ensure_roster(trip, actor) -> int; roster(trip, q=, status=) -> [Visit]; trip_counts(trip)
    check_in(visit, actor), add_walk_in(trip, WalkInInput, actor), check_walk_in(trip, WalkInInput)
    call_visit(visit, actor), mark_absent(visit, actor), requeue(visit, actor)
    send_home(visit, reason, actor), missing_slip(visit)
    application_closed(visit, actor, at=None), reopen_visit(visit, actor)
    get_visit(visit_id), applications_of(visit), berita_acara(trip), return_blanks(trip, code, qty, actor)
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from webapp.core.changes import audit, change_status, history_of, record_change
from webapp.core.counters import next_value
from webapp.core.db import utcnow
from webapp.core.errors import DomainError, PermissionDenied
from webapp.core.timefmt import WITA, wita_today
from webapp.extensions import db
from webapp.field.models import (ABSENT, CALLED, DONE, REGISTERED, SENT_HOME, VISIT_LABELS, VISIT_WORKFLOW, WAITING,
                                 Visit)
from webapp.identity.nik import check_kk, check_nik, mask
from webapp.inventory import services as inventory
from webapp.layanan.catalog import STOCK_ITEMS, service_label
from webapp.quality import precheck
from webapp.requests.models import RequestedService
from webapp.requests.timeline import SopStep, StepResult, step_durations
from webapp.sync import checkout as trip_checkout   # the office refuses edits while a trip is on the bus
from webapp.trips import services as trips
from webapp.trips.models import ARRIVED, DEPARTED, FINISHED, Trip, TripMember

STEP_5 = SopStep(5, _l("Pelayanan per warga (dipanggil → permohonan terakhir selesai)"), CALLED, DONE,
                 timedelta(minutes=20))
RECENT_DAYS = 2          # a finished trip stays on "today's" list this many days after it closed
MAX_REASON = 500
PHONE = re.compile(r"^[0-9+\-\s()]{6,30}$")
# The roster's order: who is at the desk, the queue, the list still to come, then the closed ones.
STATUS_ORDER = {CALLED: 0, WAITING: 1, REGISTERED: 2, DONE: 3, SENT_HOME: 4, ABSENT: 5}
WORKING_TRIP_STATUSES = (DEPARTED, ARRIVED, FINISHED)


# ---------------------------------------------------------------- who may do what

def can_work_trip(trip: Trip, user) -> bool:
    """Team member (petugas, operator, kabid on the trip) or the kabid of one of its divisions."""
    return trips.can_work_on_site(trip, user)


def can_view_trip_day(trip: Trip, user) -> bool:
    """Who works it, and office management read-only (kepala dinas, admin, viewer, kabid)."""
    return can_work_trip(trip, user) or trips.can_view(trip, user)


def _require_work(trip: Trip, actor) -> None:
    trip_checkout.ensure_editable_at_office(trip.id)
    if not can_work_trip(trip, actor):
        raise PermissionDenied(_l("Hanya anggota tim atau kabid perjalanan ini yang melayani warga."))


def _require_service_open(trip: Trip) -> None:
    if trip.status == DEPARTED:
        raise DomainError(_l("Catat tiba di lokasi lebih dahulu: antrean dibuka setelah tim tiba."))
    if trip.status == FINISHED:
        raise DomainError(_l("Pelayanan perjalanan ini sudah ditutup."))
    if trip.status != ARRIVED:
        raise DomainError(_l("Perjalanan ini tidak sedang melayani warga."))


def trip_of(visit: Visit) -> Trip:
    return trips.get_trip(visit.trip_id)


def _working_trip(visit: Visit, actor) -> Trip:
    trip = trip_of(visit)
    _require_work(trip, actor)
    _require_service_open(trip)
    return trip


# ---------------------------------------------------------------- reading

def get_visit(visit_id) -> Visit | None:
    try:
        key = visit_id if isinstance(visit_id, uuid.UUID) else uuid.UUID(str(visit_id))
    except ValueError:
        return None
    return db.session.get(Visit, key)


@dataclass(frozen=True)
class TodayTrip:
    trip: Trip
    villages: list[str]
    counts: dict[str, int]


def trips_for_today(user, *, today: date | None = None) -> list[TodayTrip]:
    """The user's trips that departed, are on site, or closed in the last RECENT_DAYS days."""
    today = today or wita_today()
    since = datetime.combine(today - timedelta(days=RECENT_DAYS), time(0), tzinfo=WITA)
    found = db.session.execute(
        select(Trip).where(Trip.status.in_(WORKING_TRIP_STATUSES),
                           or_(Trip.status != FINISHED, Trip.finished_at >= since))
        .order_by(Trip.start_date.desc(), Trip.number)).scalars()
    rows = []
    for trip in found:
        if not can_view_trip_day(trip, user):
            continue
        rows.append(TodayTrip(trip, [_village(r.desa_code) for r in trips.requests_of(trip)], trip_counts(trip)))
    order = {ARRIVED: 0, DEPARTED: 1, FINISHED: 2}
    return sorted(rows, key=lambda row: order[row.trip.status])


def trip_villages(trip: Trip) -> list[tuple[str, str]]:
    """(desa code, label) of the villages the trip serves, in the trip's order."""
    seen: dict[str, str] = {}
    for req in trips.requests_of(trip):
        seen.setdefault(req.desa_code, _village(req.desa_code))
    return list(seen.items())


def _village(code: str | None) -> str:
    from webapp.wilayah.services import village_label
    return village_label(code)


def _queue_query(q: str) -> int | None:
    text = q.strip().lstrip("#")
    return int(text) if text.isdigit() and len(text) <= 6 else None


def roster(trip: Trip, *, q: str = "", status: str = "") -> list[Visit]:
    """The trip's visits: at the desk, the queue by number, the list still to come by name,
    then the closed ones. `q` matches a name (part) or a queue number; `status` one status."""
    stmt = select(Visit).where(Visit.trip_id == trip.id)
    if status in VISIT_LABELS:
        stmt = stmt.where(Visit.status == status)
    q = (q or "").strip()[:60]
    if q:
        number = _queue_query(q)
        name_match = func.lower(Visit.name).like(f"%{q.lower()}%")
        stmt = stmt.where(name_match | (Visit.queue_number == number) if number is not None else name_match)
    visits = list(db.session.execute(stmt).scalars())
    return sorted(visits, key=lambda v: (STATUS_ORDER.get(v.status, 9), v.queue_number or 10**9, v.name.lower()))


def trip_counts(trip: Trip) -> dict[str, int]:
    """Visits per status, plus "total"."""
    rows = db.session.execute(select(Visit.status, func.count()).where(Visit.trip_id == trip.id)
                              .group_by(Visit.status)).all()
    counts = {status: 0 for status in VISIT_LABELS}
    counts.update({status: int(n) for status, n in rows})
    counts["total"] = sum(int(n) for _s, n in rows)
    return counts


def requested_services(visits) -> dict[uuid.UUID, list[tuple[str, str]]]:
    """(service, subtype) pairs the village list asked for, per visit id (walk-ins: none)."""
    by_resident: dict[uuid.UUID, list[uuid.UUID]] = {}
    for visit in visits:
        if visit.resident_id:
            by_resident.setdefault(visit.resident_id, []).append(visit.id)
    result: dict[uuid.UUID, list[tuple[str, str]]] = {v.id: [] for v in visits}
    if not by_resident:
        return result
    rows = db.session.execute(select(RequestedService).where(RequestedService.resident_id.in_(list(by_resident)))
                              .order_by(RequestedService.service_code, RequestedService.subtype_code)).scalars()
    for row in rows:
        for visit_id in by_resident[row.resident_id]:
            result[visit_id].append((row.service_code, row.subtype_code))
    return result


@dataclass(frozen=True)
class Flag:
    """A visit's stored pre-trip check, shaped for quality/_flags.html's flag_badge."""
    level: str
    reasons: list[str]
    notes: list[str] = field(default_factory=list)
    case_ids: list = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return self.level == "blocked"


def visit_flag(visit: Visit) -> Flag | None:
    """None until the resident was checked (at check-in, or when added as a walk-in)."""
    if visit.arrived_at is None:
        return None
    return Flag(visit.flag_level or "ok", list(visit.flag_reasons or []))


def visit_step5(visit: Visit) -> StepResult:
    return step_durations(history_of(visit), [STEP_5])[0]


def applications_of(visit: Visit) -> list:
    """The visit's applications (intake's own reader when it exists)."""
    reader = _intake("applications_of")
    if reader is not None:
        return list(reader(visit))
    return _applications_by_query(visit)


def _applications_by_query(visit: Visit) -> list:
    from webapp.intake.models import Application
    return list(db.session.execute(select(Application).where(Application.visit_id == visit.id)
                                   .order_by(Application.created_at)).scalars())


def visits_with_applications(trip: Trip) -> set[uuid.UUID]:
    """Ids of the trip's visits that have at least one application."""
    from webapp.intake.models import Application
    return set(db.session.execute(select(Application.visit_id).where(Application.trip_id == trip.id)
                                  .distinct()).scalars())


def _intake(name: str):
    """A function of webapp.intake.services, or None while that module (or the function) is missing."""
    try:
        from webapp.intake import services as intake_services
    except ImportError:
        return None
    return getattr(intake_services, name, None)


# ---------------------------------------------------------------- the roster

def ensure_roster(trip: Trip, actor) -> int:
    """A "terdaftar" visit for every resident on the trip's village lists who has none yet (a
    resident added to a list on site gets one the next time). Returns how many were made."""
    if trip.status not in (DEPARTED, ARRIVED) or not trip_checkout.editable_at_office(trip.id):
        return 0                     # at the office while the trip is on the bus, the bus keeps the roster
    residents = [(req, res) for req in trips.requests_of(trip) for res in req.residents]
    if not residents or not _missing_residents(trip, residents):
        return 0
    # Two officers opening the page at once must not both add the list: serialise on the trip row.
    db.session.execute(select(Trip.id).where(Trip.id == trip.id).with_for_update()).all()
    missing = _missing_residents(trip, residents)
    for req, res in missing:
        visit = Visit(trip_id=trip.id, request_id=req.id, resident_id=res.id, walk_in=False,
                      desa_code=req.desa_code, name=res.name, nik=res.nik, no_kk=res.no_kk, sex=res.sex,
                      birth_date=res.birth_date, phone=res.phone)
        db.session.add(visit)
        record_change(visit, "create", actor=actor, audit=False)
        change_status(visit, REGISTERED, actor=actor, workflow=VISIT_WORKFLOW, audit=False)
    if missing:
        audit("create", actor=actor, entity_type="trip", entity_id=trip.id,
              summary=f"{trip.number}: {len(missing)} warga dari daftar desa masuk daftar hadir")
        db.session.flush()
    return len(missing)


def _missing_residents(trip: Trip, residents: list) -> list:
    have = set(db.session.execute(select(Visit.resident_id).where(Visit.trip_id == trip.id,
                                                                  Visit.resident_id.isnot(None))).scalars())
    return [(req, res) for req, res in residents if res.id not in have]


def _resident_input(visit: Visit) -> precheck.ResidentInput:
    pairs = requested_services([visit]).get(visit.id, [])
    return precheck.ResidentInput(key=visit.id, name=visit.name, nik=visit.nik, no_kk=visit.no_kk, sex=visit.sex,
                                  birth_date=visit.birth_date, services=tuple(code for code, _sub in pairs))


def _store_check(visit: Visit, check: precheck.ResidentCheck) -> None:
    visit.flag_level = check.level
    visit.flag_reasons = [str(r) for r in check.reasons]
    visit.person_key = check.person_key


def _assign_queue_number(visit: Visit, trip: Trip) -> None:
    if visit.queue_number is None:
        visit.queue_number = next_value(f"q:{trip.id.hex}")


def _join_queue(visit: Visit, trip: Trip, actor, at: datetime | None) -> Visit:
    _assign_queue_number(visit, trip)
    visit.arrived_at = at or utcnow()
    _store_check(visit, precheck.check_residents([_resident_input(visit)])[visit.id])
    change_status(visit, WAITING, actor=actor, workflow=VISIT_WORKFLOW, at=visit.arrived_at,
                  note=f"{trip.number}: antrean {visit.queue_label}")
    db.session.flush()
    return visit


def check_in(visit: Visit, actor, *, at: datetime | None = None) -> Visit:
    """The resident is at the bus: a queue number from the trip's counter, "menunggu", and the
    pre-trip check as it stands now (stored on the visit)."""
    trip = _working_trip(visit, actor)
    if visit.status == ABSENT and visit.queue_number is not None:
        return requeue(visit, actor)
    if visit.status not in (REGISTERED, ABSENT):
        raise DomainError(_l("%(n)s sudah hadir (%(s)s).", n=visit.name, s=visit.status_label))
    return _join_queue(visit, trip, actor, at)


def call_visit(visit: Visit, actor, *, at: datetime | None = None) -> Visit:
    """Called to the desk: SOP step 5 starts for this resident."""
    _working_trip(visit, actor)
    if visit.status != WAITING:
        raise DomainError(_l("%(n)s tidak sedang menunggu (%(s)s).", n=visit.name, s=visit.status_label))
    visit.called_at = at or utcnow()
    visit.called_by_id = actor.id
    change_status(visit, CALLED, actor=actor, workflow=VISIT_WORKFLOW, at=visit.called_at,
                  note=f"antrean {visit.queue_label}")
    db.session.flush()
    return visit


def mark_absent(visit: Visit, actor) -> Visit:
    _working_trip(visit, actor)
    if visit.status not in (REGISTERED, WAITING):
        raise DomainError(_l("%(n)s tidak dapat dicatat tidak hadir (%(s)s).", n=visit.name, s=visit.status_label))
    change_status(visit, ABSENT, actor=actor, workflow=VISIT_WORKFLOW)
    db.session.flush()
    return visit


def requeue(visit: Visit, actor) -> Visit:
    """Back in the queue with the same number (stepped away when called, came back with the
    missing paper, turned up after all); the pre-trip check is run again."""
    trip = _working_trip(visit, actor)
    if visit.status not in (CALLED, SENT_HOME, ABSENT):
        raise DomainError(_l("%(n)s tidak dapat diantrekan lagi (%(s)s).", n=visit.name, s=visit.status_label))
    if visit.queue_number is None:       # marked absent before ever checking in
        return _join_queue(visit, trip, actor, None)
    _store_check(visit, precheck.check_residents([_resident_input(visit)])[visit.id])
    visit.closed_at = None
    visit.sent_home_reason = None
    change_status(visit, WAITING, actor=actor, workflow=VISIT_WORKFLOW, note=f"antrean {visit.queue_label} lagi")
    db.session.flush()
    return visit


def send_home(visit: Visit, reason: str, actor, *, at: datetime | None = None) -> Visit:
    """Sent home (e.g. a paper missing): any application still being filled in is postponed
    with the same reason; the resident gets the missing-items slip."""
    _working_trip(visit, actor)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Tuliskan alasan warga dipulangkan, misalnya berkas yang kurang."), field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(_l("Alasan terlalu panjang: maksimal %(n)d karakter.", n=MAX_REASON), field="reason")
    if visit.status not in (WAITING, CALLED):
        raise DomainError(_l("%(n)s tidak sedang dalam antrean (%(s)s).", n=visit.name, s=visit.status_label),
                          field="reason")
    visit.closed_at = at or utcnow()
    visit.sent_home_reason = reason
    change_status(visit, SENT_HOME, actor=actor, workflow=VISIT_WORKFLOW, at=visit.closed_at, note=reason)
    db.session.flush()
    # After the visit's own move: postponing its last draft must not close the visit as "selesai".
    postpone = _intake("postpone_application")
    if postpone is not None:
        from webapp.intake.models import DRAFT
        for application in applications_of(visit):
            if application.status == DRAFT:
                postpone(application, reason=reason, actor=actor)
    return visit


def finish_trip_day(trip: Trip, actor) -> Trip:
    """Close the service on site (trip → "selesai") once nobody is still at a desk; residents
    still waiting are reported in the berita acara as not served."""
    _require_work(trip, actor)
    at_desk = [v for v in roster(trip, status=CALLED)]
    if at_desk:
        raise DomainError(_l("Masih ada warga yang sedang dilayani: %(n)s. Selesaikan atau pulangkan dulu.",
                             n=", ".join(f"{v.queue_label} {v.name}" for v in at_desk[:5])))
    return trips.finish_service(trip, actor=actor)


# ---------------------------------------------------------------- the end of a visit (intake calls these)

def application_closed(visit: Visit, actor, at: datetime | None = None) -> Visit:
    """An application of this visit left "draf": when the resident was called and every one of
    their applications is now closed (finished on site, receipt, postponed, rejected), the visit
    is "selesai" — SOP step 5 ends at `at` (now by default)."""
    from webapp.intake.models import VISIT_CLOSING_STATUSES
    if visit.status != CALLED:
        return visit
    applications = applications_of(visit)
    if not applications or any(a.status not in VISIT_CLOSING_STATUSES for a in applications):
        return visit
    visit.closed_at = at or utcnow()
    change_status(visit, DONE, actor=actor, workflow=VISIT_WORKFLOW, at=visit.closed_at,
                  note=f"{len(applications)} permohonan selesai")
    db.session.flush()
    return visit


def reopen_visit(visit: Visit, actor) -> Visit:
    """Before another application is added to a finished visit: back to "dipanggil"."""
    if visit.status == CALLED:
        return visit
    if visit.status != DONE:
        raise DomainError(_l("Panggil %(n)s lebih dahulu (%(s)s).", n=visit.name, s=visit.status_label))
    visit.closed_at = None
    change_status(visit, CALLED, actor=actor, workflow=VISIT_WORKFLOW, note="permohonan ditambah")
    db.session.flush()
    return visit


# ---------------------------------------------------------------- walk-ins

@dataclass(frozen=True)
class WalkInInput:
    name: str = ""
    nik: str | None = None
    no_kk: str | None = None
    sex: str | None = None
    birth_date: date | None = None
    desa_code: str | None = None
    phone: str | None = None


class WalkInRefused(DomainError):
    """Several problems at once, each for its field (name, nik, no_kk, sex, birth_date, desa_code, phone)."""

    def __init__(self, errors: dict[str, list[str]]):
        first_field, messages = next(iter(errors.items()))
        super().__init__(messages[0], field=first_field)
        self.errors = errors


@dataclass
class WalkInCheck:
    """What the walk-in form shows as it is typed, and what add_walk_in refuses."""
    errors: dict[str, list[str]] = field(default_factory=dict)
    nik_warnings: list[str] = field(default_factory=list)
    flag: precheck.ResidentCheck | None = None
    nik: str | None = None           # the digits without separators
    no_kk: str | None = None
    duplicate: Visit | None = None

    def add(self, name: str, message) -> None:
        self.errors.setdefault(name, []).append(str(message))


def check_walk_in(trip: Trip, data: WalkInInput, *, today: date | None = None) -> WalkInCheck:
    """The NIK and No. KK checked, the resident run against the register and the pre-trip rules,
    and the other fields validated: nothing is saved."""
    today = today or wita_today()
    result = WalkInCheck()
    name = (data.name or "").strip()
    if not name:
        result.add("name", _l("Isi nama warga."))
    elif len(name) > 120:
        result.add("name", _l("Nama terlalu panjang: maksimal %(n)d karakter.", n=120))
    if data.sex not in ("L", "P"):
        result.add("sex", _l("Pilih L atau P."))
    if data.birth_date is None:
        result.add("birth_date", _l("Isi tanggal lahir yang benar."))
    elif data.birth_date > today:
        result.add("birth_date", _l("Tanggal lahir belum terjadi."))
    elif data.birth_date.year < 1890:
        result.add("birth_date", _l("Tanggal lahir tidak masuk akal."))
    if data.desa_code not in dict(trip_villages(trip)):
        result.add("desa_code", _l("Pilih desa yang dilayani perjalanan ini."))
    phone = (data.phone or "").strip()
    if phone and not PHONE.match(phone):
        result.add("phone", _l("Nomor telepon hanya angka, spasi, +, -, ( )."))
    _check_numbers(trip, data, result, today)
    if name and "nik" not in result.errors:
        resident = precheck.ResidentInput(key="walk-in", name=name, nik=result.nik, no_kk=result.no_kk,
                                          sex=data.sex if data.sex in ("L", "P") else None,
                                          birth_date=data.birth_date if "birth_date" not in result.errors else None)
        result.flag = precheck.check_residents([resident], today=today)["walk-in"]
    return result


def _check_numbers(trip: Trip, data: WalkInInput, result: WalkInCheck, today: date) -> None:
    if (data.nik or "").strip():
        nik = check_nik(data.nik, sex=data.sex if data.sex in ("L", "P") else None,
                        birth_date=data.birth_date if "birth_date" not in result.errors else None, today=today)
        if nik.errors:
            for problem in nik.errors:
                result.add("nik", problem.message)
        else:
            result.nik = nik.value
            result.nik_warnings = [str(w.message) for w in nik.warnings]
            result.duplicate = db.session.execute(select(Visit).where(Visit.trip_id == trip.id,
                                                                      Visit.nik == nik.value)).scalars().first()
            if result.duplicate is not None:
                result.add("nik", _l("NIK ini sudah ada di daftar hadir perjalanan ini: %(n)s (%(s)s).",
                                     n=result.duplicate.name, s=result.duplicate.status_label))
    if (data.no_kk or "").strip():
        kk = check_kk(data.no_kk, today=today)
        if kk.errors:
            for problem in kk.errors:
                result.add("no_kk", problem.message)
        else:
            result.no_kk = kk.value


def add_walk_in(trip: Trip, data: WalkInInput, actor, *, at: datetime | None = None) -> Visit:
    """A resident not on the village's list, added at the bus: straight into the queue with the
    pre-trip check of what was typed. WalkInRefused lists every field's problem."""
    _require_work(trip, actor)
    _require_service_open(trip)
    result = check_walk_in(trip, data)
    if result.errors:
        raise WalkInRefused(result.errors)
    visit = Visit(trip_id=trip.id, walk_in=True, desa_code=data.desa_code, name=data.name.strip(), nik=result.nik,
                  no_kk=result.no_kk, sex=data.sex, birth_date=data.birth_date,
                  phone=(data.phone or "").strip() or None)
    db.session.add(visit)
    _assign_queue_number(visit, trip)
    visit.arrived_at = at or utcnow()
    _store_check(visit, result.flag)
    record_change(visit, "create", actor=actor,
                  summary=f"{trip.number}: warga datang langsung {visit.name} (NIK {mask(visit.nik)}), "
                          f"antrean {visit.queue_label}")
    change_status(visit, WAITING, actor=actor, workflow=VISIT_WORKFLOW, at=visit.arrived_at, audit=False,
                  note=f"{trip.number}: antrean {visit.queue_label} (datang langsung)")
    db.session.flush()
    return visit


# ---------------------------------------------------------------- the missing-items slip

@dataclass(frozen=True)
class SlipSection:
    label: str
    items: list[str]
    status_label: str | None = None
    known: bool = True          # False: no requirement template for this service yet


@dataclass(frozen=True)
class MissingSlip:
    visit: Visit
    trip: Trip
    reason: str | None
    sections: list[SlipSection]
    age: int | None
    contact_name: str | None


def age_on(birth_date: date | None, day: date) -> int | None:
    """Whole years on `day` (a person is 17 on their 17th birthday)."""
    if birth_date is None:
        return None
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def _template_items(service_code: str, subtype_code: str, age: int | None) -> list[str]:
    from webapp.requirements.services import requirements_for
    lines = requirements_for(service_code, subtype_code, age_years=age)
    return [f" {_('atau')} ".join(line.texts) for line in lines if line.kind != "eligibility"]


def missing_slip(visit: Visit, *, today: date | None = None) -> MissingSlip:
    """Exactly what is missing per application (intake's checklist when it exists), else what
    each requested service needs for the resident's age; with the trip's contact."""
    today = today or wita_today()
    trip = trip_of(visit)
    age = age_on(visit.birth_date, today)
    missing = _intake("missing_items")
    sections: list[SlipSection] = []
    applications = applications_of(visit)
    for application in applications:
        if missing is not None:
            items = [str(item) for item in missing(application)]
        else:
            items = _template_items(application.service_code, application.subtype_code,
                                    age_on(application.subject_birth_date, today))
        sections.append(SlipSection(application.label, items, application.status_label))
    if not applications:
        for code, sub in requested_services([visit]).get(visit.id, []):
            items = _template_items(code, sub, age)
            sections.append(SlipSection(service_label(code, sub), items, known=bool(items)))
    return MissingSlip(visit, trip, visit.sent_home_reason, sections, age, _contact_name(trip))


def _contact_name(trip: Trip) -> str | None:
    members = list(trip.members)
    lead = next((m for m in members if m.task == "koordinator"), members[0] if members else None)
    return lead.user.full_name if lead else None


# ---------------------------------------------------------------- blanks at the end of the day

@dataclass(frozen=True)
class StockLine:
    code: str
    label: str
    unit: str
    issued: int
    used: int
    spoiled: int
    returned: int
    outstanding: int


def stock_lines(trip: Trip) -> list[StockLine]:
    carried = inventory.trip_stock(trip.id)
    order = list(STOCK_ITEMS) + sorted(c for c in carried if c not in STOCK_ITEMS)
    return [StockLine(code, inventory.stock_label(code), inventory.stock_unit(code), row.issued, row.used,
                      row.spoiled, row.returned, row.outstanding)
            for code in order if (row := carried.get(code)) is not None]


def return_blanks(trip: Trip, stock_code: str, quantity, actor):
    """Unused blanks back to the warehouse at the end of the day: never more than the trip still
    carries (the ledger refuses it with its message on "quantity")."""
    _require_work(trip, actor)
    if trip.status not in WORKING_TRIP_STATUSES:
        raise DomainError(_l("Blangko dikembalikan setelah tim berangkat."), field="quantity")
    if stock_code not in {line.code for line in stock_lines(trip)}:
        raise DomainError(_l("Perjalanan ini tidak membawa barang itu."), field="stock_code")
    return inventory.return_from_trip(stock_code, quantity, trip_id=trip.id, actor=actor,
                                      reason=f"Sisa perjalanan {trip.number} dikembalikan ke gudang")


# ---------------------------------------------------------------- berita acara pelayanan

OUTCOME_ON_SITE = "selesai_lapangan"
OUTCOME_RECEIPT = "tanda_terima"
OUTCOME_POSTPONED = "ditunda"
OUTCOME_REJECTED = "ditolak"
OUTCOME_OPEN = "draf"
OUTCOME_LABELS = {
    OUTCOME_ON_SITE: _l("Selesai di lokasi"),
    OUTCOME_RECEIPT: _l("Tanda terima"),
    OUTCOME_POSTPONED: _l("Ditunda"),
    OUTCOME_REJECTED: _l("Ditolak"),
    OUTCOME_OPEN: _l("Belum selesai diisi"),
}


def outcome_of(application) -> str:
    """How the application ended the visit on site, whatever happened to it at the office since."""
    from webapp.intake import models as im
    if application.status == im.FINISHED_ON_SITE:
        return OUTCOME_ON_SITE
    if application.status == im.POSTPONED:
        return OUTCOME_POSTPONED
    if application.status == im.DRAFT:
        return OUTCOME_OPEN
    if application.status == im.REJECTED and application.receipt_id is None:
        return OUTCOME_REJECTED
    return OUTCOME_RECEIPT       # receipted, then at the office, issued, ready, collected (or refused by SIAK)


@dataclass
class ServiceLine:
    service_code: str
    subtype_code: str
    label: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class NotServed:
    visit: Visit
    reason: str


@dataclass
class BeritaAcara:
    trip: Trip
    villages: list[str]
    signatories: list[tuple[str, str, str]]        # (title, name, desa)
    visit_counts: dict[str, int]
    residents_served: int
    service_lines: list[ServiceLine]
    outcome_totals: dict[str, int]
    receipts: list[str]
    receipts_cancelled: list[str]
    not_served: list[NotServed]
    stock: list[StockLine]
    members: list[TripMember]
    drawn_at: datetime

    @property
    def applications_total(self) -> int:
        return sum(self.outcome_totals.values())


def berita_acara(trip: Trip) -> BeritaAcara:
    """Every figure of the day's record of service, computed from the records."""
    from webapp.intake.models import Application
    applications = list(db.session.execute(select(Application).where(Application.trip_id == trip.id)).scalars())
    lines: dict[tuple[str, str], ServiceLine] = {}
    totals = {outcome: 0 for outcome in OUTCOME_LABELS}
    for application in applications:
        key = (application.service_code, application.subtype_code)
        line = lines.setdefault(key, ServiceLine(*key, service_label(*key), {o: 0 for o in OUTCOME_LABELS}))
        outcome = outcome_of(application)
        line.counts[outcome] += 1
        totals[outcome] += 1
    receipts, cancelled = _receipt_numbers(trip)
    counts = trip_counts(trip)
    requests = trips.requests_of(trip)
    return BeritaAcara(
        trip=trip, villages=[label for _c, label in trip_villages(trip)],
        signatories=list(dict.fromkeys((r.signatory_title, r.signatory_name, trips.desa_name(r.desa_code))
                                       for r in requests)),
        visit_counts=counts, residents_served=counts[DONE],
        service_lines=[lines[k] for k in sorted(lines, key=_catalogue_order)], outcome_totals=totals,
        receipts=receipts, receipts_cancelled=cancelled, not_served=_not_served(trip),
        stock=stock_lines(trip), members=list(trip.members), drawn_at=utcnow())


def _catalogue_order(key: tuple[str, str]) -> tuple[int, int]:
    from webapp.layanan.catalog import SERVICES
    codes = list(SERVICES)
    svc = SERVICES.get(key[0])
    subs = [s.code for s in svc.subtypes] if svc else []
    return (codes.index(key[0]) if key[0] in codes else 99, subs.index(key[1]) if key[1] in subs else 99)


def _receipt_numbers(trip: Trip) -> tuple[list[str], list[str]]:
    from webapp.intake.models import RECEIPT_CANCELLED, Receipt
    rows = db.session.execute(select(Receipt.number, Receipt.status).where(Receipt.trip_id == trip.id)
                              .order_by(Receipt.number)).all()
    return ([n for n, s in rows if s != RECEIPT_CANCELLED], [n for n, s in rows if s == RECEIPT_CANCELLED])


def _not_served(trip: Trip) -> list[NotServed]:
    rows = []
    for visit in roster(trip):
        if visit.status == DONE:
            continue
        if visit.status == SENT_HOME:
            reason = _("Dipulangkan: %(r)s", r=visit.sent_home_reason or "—")
        elif visit.status == ABSENT:
            reason = _("Tidak hadir")
        elif visit.status == REGISTERED:
            reason = _("Tidak datang")
        else:
            reason = _("Belum dilayani saat pelayanan ditutup (%(s)s)", s=visit.status_label)
        if visit.flag_level == "blocked":
            reason += " — " + _("tidak dapat diselesaikan di lokasi: %(w)s", w="; ".join(visit.flag_reasons or []))
        rows.append(NotServed(visit, reason))
    return rows

