"""The mutu baku dashboard: for each SOP step, how long it really took against its standard —
median, 90th percentile and the share within the standard — by month, trip, desa and service,
and the cases over the standard (the slow ones) of one step. Read from the status history only.

    parse_filters(args) -> DashboardFilters        bad values: a message per field, that filter off
    dashboard(filters) -> Dashboard                StepFigures per measured step (webapp.reports.steps)
    slow_cases(measure, filters, page=1) -> Page   the cases over the standard, slowest first
    step_cases(measure, filters) -> [StepCase]     every ended case of one step (tests, exports)
    filter_choices() -> FilterChoices              the trips and desa the form offers

Each step is measured as its timeline measures it (`webapp.requests.timeline.step_durations`, the
request, trip, visit and application pages): from the moment the entity *entered* the step's
start status to the first time it then entered its end status, counting from the latest start
before that end (a returned letter sent again is measured on the letter the office could act
on), on the office's clock (`corrected_at`: a row pushed from a bus plus the clock offset
measured at that sync). Only steps that have ended count: a step still running, or one that
ended another way (a letter returned, a resident sent home), is not a figure.

That measuring happens when the history is written, per entity, on its handful of rows
(webapp.reports.upkeep keeps `sop_step_measure` in step, in the same transaction); here the
database groups those rows: per step it counts the cases per histogram bin and reads, in order of
duration, the two cases each percentile lies between; the trip, desa and service are sub-selects
on the entity ids, the month a range of the indexed end time (WITA). Durations are whole microseconds, so "within the standard"
is exact (duration ≤ standard, as `StepResult.within_standard`). Percentiles interpolate between
ranks (PostgreSQL's `percentile_cont`). Nothing here writes.
"""
from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from fractions import Fraction
from typing import Mapping, NamedTuple, Sequence

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, literal, select, union_all

from webapp.core.paging import Page
from webapp.core.timefmt import WITA, wita_today
from webapp.extensions import db
from webapp.field.models import Visit
from webapp.intake.models import Application
from webapp.layanan.catalog import SERVICES, service_label
from webapp.reports.models import StepMeasure
from webapp.reports.steps import MEASURES, Measure
from webapp.requests.models import RequestedService, RequestResident, VillageRequest
from webapp.trips.models import CANCELLED, Trip, TripRequest

PAGE_SIZE = 50
# Histogram of each step's durations in quarters of its standard, up to 3× (the last bin holds
# everything slower): bins 0–3 are within the standard.
QUARTERS = 4
BIN_COUNT = 3 * QUARTERS + 1
MONTH_FORMAT = re.compile(r"^(\d{4})-(\d{2})$")
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_TRIP_CHOICES = 300
PERCENTILES = {"p50": Fraction(1, 2), "p90": Fraction(9, 10)}


# ---------------------------------------------------------------- filters

@dataclass(frozen=True)
class DashboardFilters:
    """What the figures are limited to. A value that could not be read is not applied: its
    message is in `errors` under the field's name, and `typed` keeps what was sent."""

    month: date | None = None          # the first day of a month (WITA): steps that ended in it
    trip_id: uuid.UUID | None = None
    trip_number: str = ""
    desa: str = ""                     # desa code
    service: str = ""                  # service code (webapp.layanan.catalog)
    errors: Mapping[str, str] = field(default_factory=dict, compare=False)
    typed: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def month_value(self) -> str:
        return f"{self.month:%Y-%m}" if self.month else ""

    @property
    def active(self) -> bool:
        return bool(self.month or self.trip_id or self.desa or self.service)

    def as_args(self) -> dict[str, str]:
        """The applied filters as query arguments (links to the slow cases keep them)."""
        args = {"month": self.month_value, "trip": self.trip_number, "desa": self.desa, "service": self.service}
        return {k: v for k, v in args.items() if v}

    def month_bounds(self) -> tuple[datetime, datetime] | None:
        """[first moment, first moment of the next month) in UTC, the month taken in WITA."""
        if self.month is None:
            return None
        start = self.month
        end = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
        return (datetime(start.year, start.month, 1, tzinfo=WITA).astimezone(timezone.utc),
                datetime(end.year, end.month, 1, tzinfo=WITA).astimezone(timezone.utc))


def query_text(args, name: str, limit: int = 60) -> str:
    """A query-string value as typed (no NUL, trimmed, at most `limit` characters)."""
    return (args.get(name) or "").replace("\x00", "").strip()[:limit]


def parse_month(raw: str) -> date | None:
    """YYYY-MM → the month's first day, None when it cannot be read (or is outside 2000–2100)."""
    found = MONTH_FORMAT.match(raw)
    if not found:
        return None
    year, month = int(found.group(1)), int(found.group(2))
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        return None
    return date(year, month, 1)


def find_trip(raw: str) -> Trip | None:
    """A trip by its number (what the form sends) or its id."""
    if not raw:
        return None
    try:
        return db.session.get(Trip, uuid.UUID(raw))
    except ValueError:
        pass
    return db.session.execute(select(Trip).where(Trip.number == raw)).scalars().first()


def parse_filters(args) -> DashboardFilters:
    """The filters from a query string; each value that cannot be read gets a message and is left out."""
    from webapp.wilayah.services import village_choices

    errors: dict[str, str] = {}
    typed = {name: query_text(args, name) for name in ("month", "trip", "desa", "service")}
    month = parse_month(typed["month"]) if typed["month"] else None
    if typed["month"] and month is None:
        errors["month"] = str(_l("Bulan “%(v)s” tidak dikenal: pilih bulan, misalnya %(m)s.", v=typed["month"],
                                 m=f"{wita_today():%Y-%m}"))
    trip = find_trip(typed["trip"]) if typed["trip"] else None
    if typed["trip"] and trip is None:
        errors["trip"] = str(_l("Perjalanan tidak ditemukan: pilih dari daftar."))
    desa = typed["desa"]
    if desa and desa not in dict(village_choices()):
        errors["desa"] = str(_l("Desa tidak dikenal: pilih dari daftar."))
        desa = ""
    service = typed["service"]
    if service and service not in SERVICES:
        errors["service"] = str(_l("Layanan tidak dikenal: pilih dari daftar."))
        service = ""
    return DashboardFilters(month=month, trip_id=trip.id if trip else None, trip_number=trip.number if trip else "",
                            desa=desa, service=service, errors=errors, typed=typed)


@dataclass(frozen=True)
class FilterChoices:
    trips: list[tuple[str, str]]        # (number, "number · date")
    villages: list[tuple[str, str]]     # (desa code, label)
    services: list[tuple[str, str]]     # (service code, label)


def filter_choices() -> FilterChoices:
    from webapp.core.timefmt import format_date
    from webapp.wilayah.services import village_label

    trips = db.session.execute(select(Trip.number, Trip.start_date).where(Trip.status != CANCELLED)
                               .order_by(Trip.start_date.desc(), Trip.number.desc()).limit(MAX_TRIP_CHOICES)).all()
    codes = db.session.execute(select(VillageRequest.desa_code).distinct()).scalars().all()
    villages = sorted(((code, village_label(code)) for code in codes), key=lambda c: c[1])
    return FilterChoices(trips=[(number, f"{number} · {format_date(day)}") for number, day in trips],
                         villages=villages,
                         services=[(code, str(svc.label)) for code, svc in SERVICES.items()])


# ---------------------------------------------------------------- the measured steps

def _standard_us(measure: Measure) -> int:
    return measure.standard // timedelta(microseconds=1)


def _entity_selections(entity_type: str, filters: DashboardFilters) -> list:
    """Sub-selects (or lists) of the ids of the entities the trip, desa and service filters keep."""
    found = []
    if entity_type == "request":
        if filters.trip_id:
            found.append(select(TripRequest.request_id).where(TripRequest.trip_id == filters.trip_id))
        if filters.desa:
            found.append(select(VillageRequest.id).where(VillageRequest.desa_code == filters.desa))
        if filters.service:
            found.append(select(RequestResident.request_id)
                         .join(RequestedService, RequestedService.resident_id == RequestResident.id)
                         .where(RequestedService.service_code == filters.service))
    elif entity_type == "trip":
        if filters.trip_id:
            found.append([filters.trip_id])
        if filters.desa:
            found.append(select(TripRequest.trip_id).join(VillageRequest, VillageRequest.id == TripRequest.request_id)
                         .where(VillageRequest.desa_code == filters.desa))
        if filters.service:
            found.append(select(TripRequest.trip_id)
                         .join(RequestResident, RequestResident.request_id == TripRequest.request_id)
                         .join(RequestedService, RequestedService.resident_id == RequestResident.id)
                         .where(RequestedService.service_code == filters.service))
    elif entity_type == "visit":
        if filters.trip_id:
            found.append(select(Visit.id).where(Visit.trip_id == filters.trip_id))
        if filters.desa:
            found.append(select(Visit.id).where(Visit.desa_code == filters.desa))
        if filters.service:
            found.append(select(Application.visit_id).where(Application.service_code == filters.service))
    elif entity_type == "application":
        if filters.trip_id:
            found.append(select(Application.id).where(Application.trip_id == filters.trip_id))
        if filters.desa:
            found.append(select(Application.id).join(Visit, Visit.id == Application.visit_id)
                         .where(Visit.desa_code == filters.desa))
        if filters.service:
            found.append(select(Application.id).where(Application.service_code == filters.service))
    else:  # pragma: no cover - a measure on a new kind of entity needs its filters here
        raise ValueError(f"no filters for entity type {entity_type!r}")
    return found


def _cases(measure: Measure, filters: DashboardFilters):
    """A CTE of the step's ended cases the filters keep: entity_id, started_at, ended_at, us."""
    t = StepMeasure.__table__.c
    stmt = (select(t.entity_id, t.started_at, t.ended_at, t.duration_us.label("us"))
            .where(t.measure == measure.key))
    for ids in _entity_selections(measure.entity_type, filters):
        stmt = stmt.where(t.entity_id.in_(ids))
    bounds = filters.month_bounds()
    if bounds is not None:
        stmt = stmt.where(t.ended_at >= bounds[0], t.ended_at < bounds[1])
    return stmt.cte("step_cases")


@dataclass(frozen=True)
class StepCase:
    entity_id: uuid.UUID
    started_at: datetime
    ended_at: datetime
    duration: timedelta
    within_standard: bool


def step_cases(measure: Measure, filters: DashboardFilters) -> list[StepCase]:
    """Every ended case of the step for these filters (no order)."""
    cases = _cases(measure, filters)
    standard = _standard_us(measure)
    return [StepCase(entity_id, started, ended, timedelta(microseconds=us), us <= standard)
            for entity_id, started, ended, us in db.session.execute(select(cases))]


# ---------------------------------------------------------------- figures

@dataclass(frozen=True)
class StepFigures:
    measure: Measure
    count: int                         # cases whose step ended (in the month, for the filters)
    within: int                        # of those, within the standard
    median: timedelta | None
    p90: timedelta | None
    slowest: timedelta | None
    # Cases per histogram bin: bin i holds (i/4, (i+1)/4] × the standard (bin 0 also anything
    # shorter), the last bin everything over 3×; bins 0–3 are the cases within the standard.
    bins: tuple[int, ...]

    @property
    def over(self) -> int:
        return self.count - self.within

    @property
    def share_within(self) -> float | None:
        """0.0–1.0; None without cases."""
        return self.within / self.count if self.count else None

    @property
    def percent_within(self) -> int | None:
        share = self.share_within
        return None if share is None else math.floor(share * 100 + 0.5)


def step_figures(measure: Measure, filters: DashboardFilters) -> StepFigures:
    """The step's cases per histogram bin, and for each percentile the two cases (in order of
    duration) it lies between — read by offset, no ranking of every case."""
    cases = _cases(measure, filters)
    standard = _standard_us(measure)
    quarter = standard // QUARTERS
    us = cases.c.us
    bin_ = case((us <= quarter, literal(0)), (us > 3 * standard, literal(BIN_COUNT - 1)),
                else_=(us + (quarter - 1)) // quarter - 1)
    by_bin = select(literal("bin").label("kind"), bin_.label("bin"), func.count().label("value"),
                    func.max(us).label("slowest")).group_by(bin_)

    def pair(name: str, p: Fraction, total):
        low = (total - 1) * p.numerator // p.denominator       # integer division on both databases
        ordered = select(us.label("us")).order_by(us).offset(low).limit(2).subquery(name)
        return select(literal(name), literal(0), ordered.c.us, literal(0))

    if filters.trip_id or filters.desa or filters.service:
        # One statement: the entities' sub-selects are read once (the CTE is kept for its three uses).
        total = select(func.count()).select_from(cases).scalar_subquery()
        rows = list(db.session.execute(union_all(by_bin, *(pair(n, p, total) for n, p in PERCENTILES.items()))))
    else:
        # The step's own rows: each read goes by its index (the end time for a month, the duration).
        rows = list(db.session.execute(by_bin))
        count = sum(row.value for row in rows)
        if count:
            rows += [row for n, p in PERCENTILES.items() for row in db.session.execute(pair(n, p, count))]
    bins = [0] * BIN_COUNT
    slowest = None
    ranks: dict[str, list[int]] = {name: [] for name in PERCENTILES}
    for kind, number, value, longest in rows:
        if kind == "bin":
            bins[int(number)] += value
            slowest = longest if slowest is None else max(slowest, longest)
        else:
            ranks[kind].append(value)
    count = sum(bins)
    found: dict[str, timedelta | None] = {}
    for name, p in PERCENTILES.items():
        values = sorted(ranks[name])
        if not count or not values:
            found[name] = None
            continue
        fraction = Fraction((count - 1) * p.numerator % p.denominator, p.denominator)
        found[name] = timedelta(microseconds=round(values[0] + (values[-1] - values[0]) * fraction))
    return StepFigures(measure=measure, count=count, within=sum(bins[:QUARTERS]), median=found["p50"],
                       p90=found["p90"], slowest=None if slowest is None else timedelta(microseconds=slowest),
                       bins=tuple(bins))


@dataclass(frozen=True)
class Dashboard:
    filters: DashboardFilters
    steps: list[StepFigures]

    @property
    def empty(self) -> bool:
        return not any(s.count for s in self.steps)


def dashboard(filters: DashboardFilters, measures: Sequence[Measure] = MEASURES) -> Dashboard:
    """The figures of every measured step for these filters (one statement per step)."""
    return Dashboard(filters, [step_figures(m, filters) for m in measures])


# ---------------------------------------------------------------- the slow cases of one step

@dataclass(frozen=True)
class SlowCase:
    entity_id: uuid.UUID
    title: str                         # what the case is: letter number, trip number, resident, document
    detail: str                        # where: desa, trip
    started_at: datetime
    ended_at: datetime
    duration: timedelta
    over_by: timedelta
    endpoint: str                      # the page of the case
    url_args: dict
    fallback: tuple[str, dict] | None = None     # a page for those who may not open `endpoint`
    trip: tuple[str, uuid.UUID] | None = None    # (number, id) of the trip it belongs to
    service: str | None = None                   # an application's service (who may open its page)


def slow_cases(measure: Measure, filters: DashboardFilters, *, page: int = 1,
               per_page: int = PAGE_SIZE) -> Page:
    """The step's cases over the standard, slowest first, one page (a page past the end: the last)."""
    cases = _cases(measure, filters)
    over = cases.c.us > _standard_us(measure)
    total = db.session.scalar(select(func.count()).select_from(cases).where(over)) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    chosen = db.session.execute(select(cases).where(over).order_by(cases.c.us.desc(), cases.c.entity_id)
                                .offset((page - 1) * per_page).limit(per_page)).all()
    details = _case_details(measure.entity_type, [row.entity_id for row in chosen])
    items = []
    for entity_id, started, ended, us in chosen:
        info = details.get(entity_id) or _Details(str(entity_id)[:8], "", None, {}, None, None, None)
        duration = timedelta(microseconds=us)
        items.append(SlowCase(entity_id=entity_id, title=info.title, detail=info.detail,
                              started_at=started, ended_at=ended, duration=duration,
                              over_by=duration - measure.standard, endpoint=info.endpoint or "",
                              url_args=info.url_args, fallback=info.fallback, trip=info.trip, service=info.service))
    return Page(items=items, page=page, per_page=per_page, total=total, has_next=page < pages)


class _Details(NamedTuple):
    title: str
    detail: str
    endpoint: str | None
    url_args: dict
    fallback: tuple[str, dict] | None
    trip: tuple[str, uuid.UUID] | None
    service: str | None = None


def _case_details(entity_type: str, ids: list[uuid.UUID]) -> dict[uuid.UUID, _Details]:
    """What to show of each case on the page, in a query or two for the page's ids only."""
    from webapp.wilayah.services import village_label

    if not ids:
        return {}
    found: dict[uuid.UUID, _Details] = {}
    if entity_type == "request":
        rows = db.session.execute(select(VillageRequest.id, VillageRequest.number, VillageRequest.letter_number,
                                         VillageRequest.desa_code).where(VillageRequest.id.in_(ids)))
        trips = dict((rid, (number, trip_id)) for rid, trip_id, number in db.session.execute(
            select(TripRequest.request_id, Trip.id, Trip.number).join(Trip, Trip.id == TripRequest.trip_id)
            .where(TripRequest.request_id.in_(ids), Trip.status != CANCELLED)))
        for rid, number, letter, desa in rows:
            found[rid] = _Details(number, f"{village_label(desa)} · {letter}", "requests.request_detail",
                                  {"request_id": rid}, None, trips.get(rid))
    elif entity_type == "trip":
        villages: dict[uuid.UUID, list[str]] = {}
        for trip_id, desa in db.session.execute(
                select(TripRequest.trip_id, VillageRequest.desa_code)
                .join(VillageRequest, VillageRequest.id == TripRequest.request_id)
                .where(TripRequest.trip_id.in_(ids)).order_by(TripRequest.position)):
            villages.setdefault(trip_id, []).append(village_label(desa))
        for trip_id, number in db.session.execute(select(Trip.id, Trip.number).where(Trip.id.in_(ids))):
            found[trip_id] = _Details(number, ", ".join(dict.fromkeys(villages.get(trip_id, []))),
                                      "trips.trip_detail", {"trip_id": trip_id}, None, (number, trip_id))
    elif entity_type == "visit":
        rows = db.session.execute(select(Visit.id, Visit.name, Visit.desa_code, Trip.id, Trip.number)
                                  .outerjoin(Trip, Trip.id == Visit.trip_id).where(Visit.id.in_(ids)))
        for vid, name, desa, trip_id, number in rows:
            found[vid] = _Details(name, village_label(desa) if desa else "", "field.visit", {"visit_id": vid}, None,
                                  (number, trip_id) if trip_id else None)
    elif entity_type == "application":
        rows = db.session.execute(
            select(Application.id, Application.service_code, Application.subtype_code, Application.subject_name,
                   Application.visit_id, Visit.desa_code, Trip.id, Trip.number)
            .outerjoin(Visit, Visit.id == Application.visit_id).outerjoin(Trip, Trip.id == Application.trip_id)
            .where(Application.id.in_(ids)))
        for aid, code, subtype, name, visit_id, desa, trip_id, number in rows:
            found[aid] = _Details(f"{service_label(code, subtype)}: {name}", village_label(desa) if desa else "",
                                  "documents.queue_application", {"application_id": aid},
                                  ("field.visit", {"visit_id": visit_id}), (number, trip_id) if trip_id else None,
                                  code)
    return found
