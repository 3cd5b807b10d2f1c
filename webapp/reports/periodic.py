"""The office's periodic reports (laporan), read from the records themselves — the status history,
the receipts, the blank stock ledger and the quality cases — never from typed-in figures.

    parse_filters(args, fields) -> ReportFilters     bad values: a message per field (the view answers 422)
    build_report(key, filters, today=None) -> Report  one of REPORTS, as tables (HTML, CSV and XLSX alike)

    services_report(filters)          residents served and documents issued, per desa, kecamatan,
                                      service or month
    trips_report(filters)             per month: trips, villages visited, residents served, status;
                                      and each trip
    outstanding_receipts_report(today)  active receipts (not handed over yet) by age
    blank_stock_report(filters)       blangko received, taken on trips, used, spoiled, returned; what remains
    quality_cases_report(today)       open anomaly and duplicate cases by age

What counts (every moment on the office's clock — a row from a bus plus the clock offset measured at
its sync — and every month in WITA):
- a resident served: a visit that reached "selesai" (the first time), in the month it did;
- a document issued: an application that reached "selesai_lapangan" (finished on site) or "terbit"
  (SIAK number recorded at the office), the first time, in that month; its desa is the visit's;
- a trip: by the month its first day falls in; villages visited are the desa of its letters when it
  reached "tiba"; its residents served as above (whatever the month);
- a receipt outstanding: status "aktif" (cancelled and closed ones are not), its age the days from
  the day it was issued (WITA) to today;
- blank stock: the movements of the ledger in the period (kind receipt, issue, use, spoil, return,
  adjust); what remains is now: the warehouse balance, and what is still out with trips
  (issued − used − spoiled − returned);
- a quality case open: status terbuka, diputuskan or diajukan; its age from the day it was opened.
No NIK or KK number appears in any report. Nothing here writes.
"""
from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Callable, Mapping, Sequence

from babel import dates as babel_dates
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from webapp.core.changes import StatusHistory
from webapp.core.timefmt import WITA, format_date, wita_today
from webapp.extensions import db
from webapp.field.models import DONE, Visit
from webapp.intake.models import (FINISHED_ON_SITE, ISSUED, READY, RECEIPT_ACTIVE, Application, Receipt)
from webapp.inventory.models import StockBalance, StockMovement
from webapp.layanan.catalog import SERVICES, STOCK_ITEMS
from webapp.quality.models import ACTIVE_CASE_STATUSES, CASE_KIND_LABELS, CASE_KINDS, CASE_STATUS_LABELS, QualityCase
from webapp.reports.services import parse_month, query_text
from webapp.requests.models import VillageRequest
from webapp.trips.models import (ARRIVED, CANCELLED, DEPARTED, FINISHED, SCHEDULED, TRIP_WORKFLOW, Trip,
                                 TripRequest)

ISSUED_STATUSES = (FINISHED_ON_SITE, ISSUED)
# Age buckets in days (inclusive bounds; None: no upper bound).
AGE_BUCKETS: tuple[tuple[int, int | None, object], ...] = (
    (0, 7, _l("≤ 7 hari")),
    (8, 14, _l("8–14 hari")),
    (15, 30, _l("15–30 hari")),
    (31, None, _l("> 30 hari")),
)
GROUPINGS = {
    "desa": _l("Desa"),
    "kecamatan": _l("Kecamatan"),
    "service": _l("Layanan"),
    "month": _l("Bulan"),
}
UNKNOWN_PLACE = _l("(desa tidak tercatat)")
TRIP_STATUSES = (SCHEDULED, DEPARTED, ARRIVED, FINISHED, CANCELLED)
HTML_ROW_LIMIT = 300          # a list on the page stops here (the downloads hold every row)


# ---------------------------------------------------------------- filters

@dataclass(frozen=True)
class ReportFilters:
    """A month range (first days of months, WITA), a grouping and a service. A value that could not
    be read is not applied: its message is in `errors` under the field's name, `typed` keeps it."""

    start: date | None = None
    end: date | None = None
    by: str = "desa"
    service: str = ""
    errors: Mapping[str, str] = field(default_factory=dict, compare=False)
    typed: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def start_value(self) -> str:
        return f"{self.start:%Y-%m}" if self.start else ""

    @property
    def end_value(self) -> str:
        return f"{self.end:%Y-%m}" if self.end else ""

    def as_args(self, fields: Sequence[str] = ("from", "to", "by", "service")) -> dict[str, str]:
        values = {"from": self.start_value, "to": self.end_value,
                  "by": self.by if self.by != "desa" else "", "service": self.service}
        return {k: v for k, v in values.items() if v and k in fields}

    def in_period(self, day: date) -> bool:
        """Is this day's month within [start, end] (either end open)?"""
        month = (day.year, day.month)
        if self.start and month < (self.start.year, self.start.month):
            return False
        if self.end and month > (self.end.year, self.end.month):
            return False
        return True


def parse_filters(args, fields: Sequence[str] = ("from", "to", "by", "service")) -> ReportFilters:
    """The filters of a report from a query string; only `fields` are read."""
    errors: dict[str, str] = {}
    typed = {name: query_text(args, name, 40) for name in fields}
    months: dict[str, date | None] = {}
    example = wita_today().strftime("%Y-%m")
    for name in ("from", "to"):
        raw = typed.get(name, "")
        months[name] = parse_month(raw) if raw else None
        if raw and months[name] is None:
            errors[name] = str(_l("Bulan “%(v)s” tidak dikenal: tulis tahun-bulan, misalnya %(m)s.", v=raw, m=example))
    if months["from"] and months["to"] and months["to"] < months["from"]:
        errors["to"] = str(_l("Bulan akhir lebih awal dari bulan awal."))
        months["to"] = None
    by = typed.get("by", "") or "desa"
    if by not in GROUPINGS:
        errors["by"] = str(_l("Pengelompokan tidak dikenal: pilih dari daftar."))
        by = "desa"
    service = typed.get("service", "")
    if service and service not in SERVICES:
        errors["service"] = str(_l("Layanan tidak dikenal: pilih dari daftar."))
        service = ""
    return ReportFilters(start=months["from"], end=months["to"], by=by, service=service, errors=errors, typed=typed)


def period_label(filters: ReportFilters) -> str:
    if filters.start and filters.end:
        if filters.start == filters.end:
            return month_label(filters.start)
        return f"{month_label(filters.start)} – {month_label(filters.end)}"
    if filters.start:
        return str(_l("Sejak %(m)s", m=month_label(filters.start)))
    if filters.end:
        return str(_l("Sampai %(m)s", m=month_label(filters.end)))
    return str(_l("Semua periode"))


def month_label(month: date) -> str:
    from webapp.core.timefmt import _locale
    return babel_dates.format_date(month, "MMMM y", locale=_locale())


# ---------------------------------------------------------------- the shape of a report

@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"        # text | int | date | month (a date, the first of its month)


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[list]
    total: list | None = None        # a last row of totals (None: none)
    note: str = ""

    def column(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == key)


@dataclass
class Report:
    key: str
    title: str
    period: str                      # what it covers, in words ("November 2026", "per 02 Desember 2026")
    tables: list[Table]
    stem: str                        # the downloaded file's name without extension

    @property
    def empty(self) -> bool:
        return not any(t.rows for t in self.tables)


def _moment(at: datetime, offset: float | None) -> datetime:
    """A history row's time on the office's clock (StatusHistory.corrected_at)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at + timedelta(seconds=offset or 0)


def _wita_day(moment: datetime) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(WITA).date()


def _first_entries(stmt) -> dict:
    """{entity id: (first moment, extra columns…)} from rows (entity_id, at, offset, *extra)."""
    found: dict = {}
    for entity_id, at, offset, *extra in db.session.execute(stmt):
        moment = _moment(at, offset)
        if entity_id not in found or moment < found[entity_id][0]:
            found[entity_id] = (moment, *extra)
    return found


def _served_visits() -> dict[uuid.UUID, tuple]:
    """{visit id: (first "selesai" moment, desa code, trip id)}."""
    h = StatusHistory
    return _first_entries(select(h.entity_id, h.at, h.clock_offset_s, Visit.desa_code, Visit.trip_id)
                          .join(Visit, Visit.id == h.entity_id)
                          .where(h.entity_type == "visit", h.to_status == DONE))


def _issued_documents() -> dict[uuid.UUID, tuple]:
    """{application id: (first issued moment, service code, desa code, trip id)}."""
    h = StatusHistory
    return _first_entries(select(h.entity_id, h.at, h.clock_offset_s, Application.service_code, Visit.desa_code,
                                 Application.trip_id)
                          .join(Application, Application.id == h.entity_id)
                          .outerjoin(Visit, Visit.id == Application.visit_id)
                          .where(h.entity_type == "application", h.to_status.in_(ISSUED_STATUSES)))


class _Places:
    """Desa and kecamatan names from the region table, one read."""

    def __init__(self) -> None:
        from webapp.wilayah.models import Region
        from webapp.wilayah.services import REGENCY_CODE
        rows = db.session.execute(select(Region.code, Region.name, Region.level)
                                  .where(Region.code.like(REGENCY_CODE + ".%"))).all()
        self.names = {code: (name, level) for code, name, level in rows}

    @staticmethod
    def kecamatan_code(desa: str | None) -> str:
        return desa.rsplit(".", 1)[0] if desa and "." in desa else ""

    def desa(self, code: str | None) -> str:
        if not code:
            return str(UNKNOWN_PLACE)
        name, level = self.names.get(code, (code, "desa"))
        return f"{'Kelurahan' if level == 'kelurahan' else 'Desa'} {name}"

    def kecamatan(self, code: str | None) -> str:
        if not code:
            return "—"
        return self.names.get(code, (code, ""))[0]


def _stem(name: str, filters: ReportFilters | None = None, today: date | None = None) -> str:
    if filters is None or not (filters.start or filters.end):
        return f"laporan-{name}-{(today or wita_today()):%Y-%m-%d}"
    if filters.start and filters.end and filters.start == filters.end:
        return f"laporan-{name}-{filters.start:%Y-%m}"
    return f"laporan-{name}-{filters.start_value or 'awal'}-sd-{filters.end_value or 'kini'}"


# ---------------------------------------------------------------- residents served, documents issued

def services_report(filters: ReportFilters, *, today: date | None = None) -> Report:
    """Residents served and documents issued in the period, grouped by `filters.by`; limited to
    residents with an application of `filters.service` and that service's documents."""
    places = _Places()
    services_of: dict[uuid.UUID, set[str]] = defaultdict(set)
    for visit_id, code in db.session.execute(select(Application.visit_id, Application.service_code).distinct()):
        services_of[visit_id].add(code)

    def keys(month: date, desa: str | None, codes: set[str]) -> list[tuple]:
        if filters.by == "desa":
            return [(places.kecamatan(places.kecamatan_code(desa)), places.desa(desa), desa or "")]
        if filters.by == "kecamatan":
            kec = places.kecamatan_code(desa)
            return [(places.kecamatan(kec), kec)]
        if filters.by == "service":
            return [(str(SERVICES[c].label) if c in SERVICES else c, c) for c in codes]
        return [(month,)]

    residents: dict[tuple, set] = defaultdict(set)
    documents: dict[tuple, int] = defaultdict(int)
    served_total: set = set()
    for visit_id, (moment, desa, _trip) in _served_visits().items():
        day = _wita_day(moment)
        codes = services_of.get(visit_id, set())
        if filters.service:
            if filters.service not in codes:
                continue
            codes = {filters.service}
        if not filters.in_period(day):
            continue
        served_total.add(visit_id)
        for key in keys(day.replace(day=1), desa, codes):
            residents[key].add(visit_id)
    issued_total = 0
    for _app_id, (moment, code, desa, _trip) in _issued_documents().items():
        day = _wita_day(moment)
        if (filters.service and code != filters.service) or not filters.in_period(day):
            continue
        issued_total += 1
        for key in keys(day.replace(day=1), desa, {code}):
            documents[key] += 1

    served = Column("residents", str(_l("Warga dilayani")), "int")
    issued = Column("documents", str(_l("Dokumen terbit")), "int")
    if filters.by == "desa":
        columns = [Column("kecamatan", str(_l("Kecamatan"))), Column("desa", str(_l("Desa")))]
    elif filters.by == "kecamatan":
        columns = [Column("kecamatan", str(_l("Kecamatan")))]
    elif filters.by == "service":
        columns = [Column("service", str(_l("Layanan")))]
    else:
        columns = [Column("month", str(_l("Bulan")), "month")]
    width = len(columns)
    rows = []
    for key in sorted(set(residents) | set(documents), key=lambda k: tuple(str(v) for v in k)):
        rows.append(list(key[:width]) + [len(residents.get(key, ())), documents.get(key, 0)])
    total = [str(_l("Jumlah"))] + [""] * (width - 1) + [len(served_total), issued_total]
    note = str(_l("Warga dilayani: kunjungan yang selesai dilayani (sekali per warga per kunjungan), menurut "
                  "bulan selesainya. Dokumen terbit: permohonan yang selesai di lokasi atau terbit di SIAK."))
    if filters.by == "service":
        note += " " + str(_l("Warga dengan beberapa layanan dihitung pada tiap layanannya; jumlahnya per warga."))
    title = str(_l("Layanan per %(by)s", by=str(GROUPINGS[filters.by]).lower()))
    if filters.service:
        title += f" — {SERVICES[filters.service].label}"
    return Report("layanan", str(_l("Warga dilayani dan dokumen terbit")), period_label(filters),
                  [Table("services", title, columns + [served, issued], rows, total, note)],
                  _stem("layanan", filters, today))


# ---------------------------------------------------------------- trips

def trips_report(filters: ReportFilters, *, today: date | None = None) -> Report:
    """Per month (of the first day): trips, their status, villages visited and residents served; and
    each trip with its villages, residents served and documents issued."""
    places = _Places()
    trips = [t for t in db.session.execute(select(Trip).order_by(Trip.start_date, Trip.number)).scalars()
             if filters.in_period(t.start_date)]
    arrived = {trip_id for (trip_id,) in db.session.execute(
        select(StatusHistory.entity_id).where(StatusHistory.entity_type == "trip",
                                              StatusHistory.to_status == ARRIVED).distinct())}
    villages: dict[uuid.UUID, list[str]] = defaultdict(list)
    for trip_id, desa in db.session.execute(select(TripRequest.trip_id, VillageRequest.desa_code)
                                            .join(VillageRequest, VillageRequest.id == TripRequest.request_id)
                                            .order_by(TripRequest.position)):
        if desa not in villages[trip_id]:
            villages[trip_id].append(desa)
    served: dict[uuid.UUID, int] = defaultdict(int)
    for _visit, (_m, _desa, trip_id) in _served_visits().items():
        served[trip_id] += 1
    issued: dict[uuid.UUID, int] = defaultdict(int)
    for _app, (_m, _code, _desa, trip_id) in _issued_documents().items():
        issued[trip_id] += 1

    months: dict[date, dict] = {}
    detail = []
    for trip in trips:
        month = trip.start_date.replace(day=1)
        bucket = months.setdefault(month, {"trips": 0, "villages": set(), "served": 0, "status": defaultdict(int)})
        bucket["trips"] += 1
        bucket["status"][trip.status] += 1
        visited = villages.get(trip.id, []) if trip.id in arrived else []
        bucket["villages"].update(visited)
        bucket["served"] += served.get(trip.id, 0)
        detail.append([trip.number, trip.start_date, trip.end_date, trip.bus,
                       ", ".join(places.desa(d) for d in villages.get(trip.id, [])), len(visited),
                       served.get(trip.id, 0), issued.get(trip.id, 0), TRIP_WORKFLOW.label(trip.status)])
    order = list(TRIP_STATUSES) + sorted({t.status for t in trips} - set(TRIP_STATUSES))
    status_columns = [Column(f"status_{s}", TRIP_WORKFLOW.label(s), "int") for s in order]
    summary_rows = []
    for month in sorted(months):
        b = months[month]
        summary_rows.append([month, b["trips"], len(b["villages"]), b["served"]] + [b["status"].get(s, 0) for s in order])
    all_villages = set().union(*(b["villages"] for b in months.values())) if months else set()
    summary_total = ([str(_l("Jumlah")), sum(b["trips"] for b in months.values()), len(all_villages),
                      sum(b["served"] for b in months.values())]
                     + [sum(b["status"].get(s, 0) for b in months.values()) for s in order])
    summary = Table("months", str(_l("Perjalanan per bulan")),
                    [Column("month", str(_l("Bulan")), "month"), Column("trips", str(_l("Perjalanan")), "int"),
                     Column("villages", str(_l("Desa dikunjungi")), "int"),
                     Column("residents", str(_l("Warga dilayani")), "int")] + status_columns,
                    summary_rows, summary_total,
                    str(_l("Bulan menurut hari pertama perjalanan. Desa dikunjungi: desa surat permohonan dari "
                           "perjalanan yang sudah tiba di lokasi (tiap desa sekali per bulan).")))
    trips_table = Table("trips", str(_l("Tiap perjalanan")),
                        [Column("number", str(_l("Nomor"))), Column("start", str(_l("Mulai")), "date"),
                         Column("end", str(_l("Selesai")), "date"), Column("bus", str(_l("Bus"))),
                         Column("desa", str(_l("Desa (surat permohonan)"))),
                         Column("villages", str(_l("Desa dikunjungi")), "int"),
                         Column("residents", str(_l("Warga dilayani")), "int"),
                         Column("documents", str(_l("Dokumen terbit")), "int"),
                         Column("status", str(_l("Status")))], detail)
    return Report("perjalanan", str(_l("Perjalanan")), period_label(filters), [summary, trips_table],
                  _stem("perjalanan", filters, today))


# ---------------------------------------------------------------- ages

def age_bucket(days: int) -> int:
    """The index in AGE_BUCKETS of an age in days (a negative age counts as 0)."""
    days = max(0, days)
    for index, (low, high, _label) in enumerate(AGE_BUCKETS):
        if days >= low and (high is None or days <= high):
            return index
    return len(AGE_BUCKETS) - 1


def _as_of(today: date) -> str:
    return str(_l("Per %(d)s", d=format_date(today, long=True)))


def outstanding_receipts_report(filters: ReportFilters | None = None, *, today: date | None = None) -> Report:
    """Receipts not handed over yet (active), by age from the day each was issued."""
    today = today or wita_today()
    places = _Places()
    receipts = db.session.execute(select(Receipt).where(Receipt.status == RECEIPT_ACTIVE)
                                  .order_by(Receipt.issued_at, Receipt.number)).scalars().all()
    ids = [r.id for r in receipts]
    documents: dict[uuid.UUID, int] = defaultdict(int)
    ready: dict[uuid.UUID, int] = defaultdict(int)
    if ids:
        for receipt_id, status, n in db.session.execute(
                select(Application.receipt_id, Application.status, func.count())
                .where(Application.receipt_id.in_(ids)).group_by(Application.receipt_id, Application.status)):
            documents[receipt_id] += n
            if status == READY:
                ready[receipt_id] += n
    counts = [0] * len(AGE_BUCKETS)
    waiting = [0] * len(AGE_BUCKETS)
    rows = []
    for receipt in receipts:
        issued_on = _wita_day(receipt.issued_at)
        age = max(0, (today - issued_on).days)
        index = age_bucket(age)
        counts[index] += 1
        waiting[index] += documents.get(receipt.id, 0)
        rows.append([receipt.number, issued_on, receipt.holder_name, places.desa(receipt.desa_code),
                     documents.get(receipt.id, 0), ready.get(receipt.id, 0), age, str(AGE_BUCKETS[index][2])])
    buckets = Table("ages", str(_l("Tanda terima belum diserahkan, menurut umur")),
                    [Column("age", str(_l("Umur"))), Column("receipts", str(_l("Tanda terima")), "int"),
                     Column("documents", str(_l("Dokumen")), "int")],
                    [[str(label), counts[i], waiting[i]] for i, (_lo, _hi, label) in enumerate(AGE_BUCKETS)],
                    [str(_l("Jumlah")), sum(counts), sum(waiting)],
                    str(_l("Tanda terima yang masih aktif (dokumennya belum semua diserahkan); umur dihitung dari "
                           "tanggal terbit tanda terima sampai hari ini (WITA).")))
    listing = Table("receipts", str(_l("Tiap tanda terima, yang terlama lebih dahulu")),
                    [Column("number", str(_l("Nomor"))), Column("issued", str(_l("Terbit")), "date"),
                     Column("holder", str(_l("Pemegang"))), Column("desa", str(_l("Desa"))),
                     Column("documents", str(_l("Dokumen")), "int"), Column("ready", str(_l("Siap diambil")), "int"),
                     Column("age_days", str(_l("Umur (hari)")), "int"), Column("bucket", str(_l("Kelompok umur")))],
                    rows)
    return Report("tanda-terima", str(_l("Tanda terima belum diserahkan")), _as_of(today), [buckets, listing],
                  _stem("tanda-terima", None, today))


def quality_cases_report(filters: ReportFilters | None = None, *, today: date | None = None) -> Report:
    """Open anomaly and duplicate cases by kind and age (from the day each was opened)."""
    from webapp.quality.services import rule_title

    today = today or wita_today()
    places = _Places()
    cases = db.session.execute(select(QualityCase).where(QualityCase.status.in_(ACTIVE_CASE_STATUSES))
                               .order_by(QualityCase.created_at, QualityCase.number)).scalars().all()
    counts = {kind: [0] * len(AGE_BUCKETS) for kind in CASE_KINDS}
    by_status = {kind: defaultdict(int) for kind in CASE_KINDS}
    rows = []
    for case in cases:
        opened = _wita_day(case.created_at) if case.created_at else today
        age = max(0, (today - opened).days)
        index = age_bucket(age)
        counts.setdefault(case.kind, [0] * len(AGE_BUCKETS))[index] += 1
        by_status.setdefault(case.kind, defaultdict(int))[case.status] += 1
        rows.append([case.number, str(CASE_KIND_LABELS.get(case.kind, case.kind)),
                     rule_title(case.rule_code), str(CASE_STATUS_LABELS.get(case.status, case.status)),
                     places.desa(case.desa_code) if case.desa_code else "—", opened, age,
                     str(AGE_BUCKETS[index][2])])
    bucket_columns = [Column(f"age_{i}", str(label), "int") for i, (_lo, _hi, label) in enumerate(AGE_BUCKETS)]
    status_columns = [Column(f"status_{s}", str(CASE_STATUS_LABELS[s]), "int") for s in ACTIVE_CASE_STATUSES]
    summary_rows = [[str(CASE_KIND_LABELS.get(kind, kind))] + counts[kind] + [by_status[kind].get(s, 0)
                                                                              for s in ACTIVE_CASE_STATUSES]
                    + [sum(counts[kind])] for kind in counts]
    summary_total = ([str(_l("Jumlah"))] + [sum(c[i] for c in counts.values()) for i in range(len(AGE_BUCKETS))]
                     + [sum(s.get(st, 0) for s in by_status.values()) for st in ACTIVE_CASE_STATUSES] + [len(cases)])
    summary = Table("kinds", str(_l("Kasus terbuka menurut jenis dan umur")),
                    [Column("kind", str(_l("Jenis")))] + bucket_columns + status_columns
                    + [Column("open", str(_l("Jumlah")), "int")],
                    summary_rows, summary_total,
                    str(_l("Kasus yang belum selesai (terbuka, menunggu pengajuan, diajukan ke pusat); umur dihitung "
                           "dari tanggal kasus dibuka sampai hari ini (WITA).")))
    listing = Table("cases", str(_l("Tiap kasus terbuka, yang terlama lebih dahulu")),
                    [Column("number", str(_l("Nomor"))), Column("kind", str(_l("Jenis"))),
                     Column("rule", str(_l("Aturan"))), Column("status", str(_l("Status"))),
                     Column("desa", str(_l("Desa"))), Column("opened", str(_l("Dibuka")), "date"),
                     Column("age_days", str(_l("Umur (hari)")), "int"), Column("bucket", str(_l("Kelompok umur")))],
                    rows)
    return Report("kasus-kualitas", str(_l("Kasus anomali dan data ganda terbuka")), _as_of(today),
                  [summary, listing], _stem("kasus-kualitas", None, today))


# ---------------------------------------------------------------- blank stock

# A trip's movements and their effect on what it still holds (the office's own use and spoiling
# come out of the warehouse directly).
TRIP_OUT = {"issue": 1, "use": -1, "spoil": -1, "return": -1}


def blank_stock_report(filters: ReportFilters, *, today: date | None = None) -> Report:
    """Per stock item: the ledger's movements in the period; what remains in the warehouse and
    out with trips now."""
    moved: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    out_now: dict[str, int] = defaultdict(int)
    for code, kind, quantity, delta, at, trip_id in db.session.execute(
            select(StockMovement.stock_code, StockMovement.kind, StockMovement.quantity,
                   StockMovement.balance_delta, StockMovement.at, StockMovement.trip_id)):
        if trip_id is not None and kind in TRIP_OUT:
            out_now[code] += TRIP_OUT[kind] * quantity
        if filters.in_period(_wita_day(at)):
            moved[code][kind] += delta if kind == "adjust" else quantity
    balance = dict(db.session.execute(select(StockBalance.stock_code, StockBalance.quantity)).all())
    codes = list(STOCK_ITEMS) + sorted((set(moved) | set(balance) | set(out_now)) - set(STOCK_ITEMS))
    rows = []
    for code in codes:
        label, unit = STOCK_ITEMS.get(code, (code, ""))
        m = moved.get(code, {})
        rows.append([str(label), str(unit), m.get("receipt", 0), m.get("issue", 0), m.get("use", 0),
                     m.get("spoil", 0), m.get("return", 0), m.get("adjust", 0), balance.get(code, 0),
                     max(0, out_now.get(code, 0))])
    total = None
    table = Table("stock", str(_l("Blangko dan bahan habis pakai")),
                  [Column("item", str(_l("Barang"))), Column("unit", str(_l("Satuan"))),
                   Column("received", str(_l("Diterima")), "int"), Column("issued", str(_l("Dibawa perjalanan")), "int"),
                   Column("used", str(_l("Dipakai")), "int"), Column("spoiled", str(_l("Rusak")), "int"),
                   Column("returned", str(_l("Dikembalikan")), "int"), Column("adjusted", str(_l("Penyesuaian")), "int"),
                   Column("warehouse", str(_l("Sisa di gudang (kini)")), "int"),
                   Column("out", str(_l("Masih di perjalanan (kini)")), "int")],
                  rows, total,
                  str(_l("Dari buku stok: gerakan dalam periode (bulan menurut WITA). Sisa di gudang dan yang masih "
                         "di perjalanan (dibawa − dipakai − rusak − dikembalikan) adalah keadaan saat ini.")))
    return Report("blangko", str(_l("Stok blangko")), period_label(filters), [table], _stem("blangko", filters, today))


# ---------------------------------------------------------------- the list of reports

@dataclass(frozen=True)
class ReportSpec:
    key: str                         # in the URL: /laporan/<key>
    title: object
    description: object
    fields: tuple[str, ...]          # the filters it takes
    build: Callable[..., Report]


REPORTS: dict[str, ReportSpec] = {spec.key: spec for spec in (
    ReportSpec("layanan", _l("Warga dilayani dan dokumen terbit"),
               _l("Per desa, kecamatan, layanan atau bulan, dari riwayat status kunjungan dan permohonan."),
               ("from", "to", "by", "service"), services_report),
    ReportSpec("perjalanan", _l("Perjalanan"),
               _l("Per bulan: jumlah perjalanan, desa dikunjungi, warga dilayani dan statusnya; tiap perjalanan."),
               ("from", "to"), trips_report),
    ReportSpec("tanda-terima", _l("Tanda terima belum diserahkan"),
               _l("Tanda terima yang dokumennya belum diserahkan, menurut umurnya (≤ 7, 8–14, 15–30, > 30 hari)."),
               (), outstanding_receipts_report),
    ReportSpec("blangko", _l("Stok blangko"),
               _l("Blangko diterima, dibawa, dipakai, rusak dan dikembalikan per barang; sisa di gudang."),
               ("from", "to"), blank_stock_report),
    ReportSpec("kasus-kualitas", _l("Kasus kualitas data terbuka"),
               _l("Kasus data anomali dan data ganda yang belum selesai, menurut jenis, status dan umur."),
               (), quality_cases_report),
)}


def build_report(key: str, filters: ReportFilters, *, today: date | None = None) -> Report:
    return REPORTS[key].build(filters, today=today)
