"""At the office (SOP step 6): files received from the field, the operator queue, the SIAK
exchange through the adapter, and printing.

    receive_files(applications, actor, at=None)        tanda_terima → di_kantor (1-hour rule starts)
    take(application, actor, at=None)                  di_kantor → diproses (step 6 starts)
    export_ready(actor=, viewer=, formats=)            ready applications to SIAK (di_kantor ones taken)
    import_results(data, filename=, actor=, ...)       SIAK's results: all rows or none
    record_siak_result(application, ..., actor=)       diproses → terbit (step 6 ends) | ditolak
    record_document_number / record_rejection(...)     the same, typed by the operator
    record_printing(application, stock_code=, spoiled=0, actor=)   terbit → siap_diambil, blank used
    queue_items(filters, viewer) / queue_count(viewer) / trips_with_files_to_receive(viewer)

Who sees what: an operator sees every service (the role has no division); a kabid sees the
services of their own division (`visible_services`). Nothing here commits.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Iterable, Sequence

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, inspect, select

from webapp.auth.roles import Role
from webapp.core.changes import change_status, record_change
from webapp.core.db import utcnow
from webapp.core.errors import DomainError
from webapp.core.paging import Page, paginate
from webapp.core.timefmt import wita_today
from webapp.documents.models import SiakFileRun
from webapp.documents.siak import get_adapter
from webapp.documents.siak.adapter import (Correction, ExportFile, ExportRow, LineError, ParsedResults,
                                           SiakAdapter, check_result)
from webapp.extensions import db
from webapp.intake.models import (APPLICATION_WORKFLOW, AT_OFFICE, ISSUED, PROCESSING, READY, RECEIPTED,
                                  REJECTED, Application, DataCorrection, Receipt)
from webapp.inventory import services as inventory
from webapp.layanan.catalog import CAPIL, DAFDUK, SERVICES, service_label
from webapp.sync import checkout as trip_checkout   # the office refuses edits while a trip is on the bus

ONE_HOUR_RULE = timedelta(hours=1)      # files received at the office → document number recorded
STEP_6_STANDARD = timedelta(minutes=5)  # taken from the queue → document number recorded
QUEUE_STATUSES = (AT_OFFICE, PROCESSING, ISSUED)
READY_FOR_SIAK = (AT_OFFICE, PROCESSING)
DIVISION_OF_KABID = {Role.KABID_DAFDUK: DAFDUK, Role.KABID_CAPIL: CAPIL}
DIVISION_LABELS = {DAFDUK: _l("Dafduk"), CAPIL: _l("Pencapil")}
MAX_SPOILED = 20
PAGE_SIZE = 100

EXPORT, IMPORT = "ekspor", "impor"
RUN_CREATED, RUN_APPLIED, RUN_REFUSED, RUN_CHECKED = "dibuat", "diterapkan", "ditolak", "dicek"
RUN_LABELS = {RUN_CREATED: _l("Ekspor dibuat"), RUN_APPLIED: _l("Diterapkan"), RUN_REFUSED: _l("Ditolak"),
              RUN_CHECKED: _l("Diperiksa saja")}


# --- who sees what ------------------------------------------------------------------------------

def division_of(user) -> str | None:
    """A kabid's division; None for everybody else (operators work for both divisions)."""
    return DIVISION_OF_KABID.get(getattr(user, "role", None))


def division_services(division: str | None) -> list[str]:
    return [code for code, svc in SERVICES.items() if division is None or svc.division == division]


def visible_services(viewer) -> list[str]:
    return division_services(division_of(viewer) if viewer is not None else None)


def can_see(application: Application, viewer) -> bool:
    return viewer is None or application.service_code in visible_services(viewer)


def get_application(application_id, viewer) -> Application | None:
    """An application waiting at or finished by the office, if the viewer may see it."""
    try:
        key = application_id if isinstance(application_id, uuid.UUID) else uuid.UUID(str(application_id))
    except ValueError:
        return None
    application = db.session.get(Application, key)
    if application is None or not can_see(application, viewer):
        return None
    return application


def applications_by_ids(ids: Iterable, viewer) -> list[Application]:
    keys = []
    for raw in ids:
        try:
            keys.append(raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw)))
        except ValueError:
            continue
    if not keys:
        return []
    rows = db.session.execute(select(Application).where(Application.id.in_(keys))).scalars().all()
    return [a for a in rows if can_see(a, viewer)]


# --- files received at the office ---------------------------------------------------------------

def receive_files(applications: Sequence[Application], actor, at: datetime | None = None) -> list[Application]:
    """The office has the files of these receipted applications: each goes to "di_kantor" and
    the 1-hour rule starts (files_received_at)."""
    if not applications:
        raise DomainError(_l("Centang berkas yang sudah diterima di kantor."), field="application_id")
    at = at or utcnow()
    for application in applications:
        _lock(application)
        if application.status != RECEIPTED:
            raise DomainError(_l("Berkas %(s)s tidak menunggu diterima (status: %(st)s).",
                                 s=_short(application), st=application.status_label), field="application_id")
    for application in applications:
        application.files_received_at = at
        change_status(application, AT_OFFICE, actor=actor, workflow=APPLICATION_WORKFLOW, at=at,
                      note=str(_l("Berkas diterima di kantor")))
    db.session.flush()
    return list(applications)


@dataclass
class TripFiles:
    """The receipted applications of one trip whose files the office has not received yet."""

    trip: object
    applications: list[Application] = field(default_factory=list)
    receipt_numbers: dict = field(default_factory=dict)     # receipt id → number


def trips_with_files_to_receive(viewer) -> list[TripFiles]:
    from webapp.trips.models import Trip

    rows = db.session.execute(
        select(Application, Trip, Receipt.number)
        .join(Trip, Trip.id == Application.trip_id)
        .outerjoin(Receipt, Receipt.id == Application.receipt_id)
        .where(Application.status == RECEIPTED, Application.service_code.in_(visible_services(viewer)))
        .order_by(Trip.start_date, Trip.number, Receipt.number, Application.created_at)).all()
    groups: dict = {}
    for application, trip, number in rows:
        group = groups.setdefault(trip.id, TripFiles(trip))
        group.applications.append(application)
        if application.receipt_id:
            group.receipt_numbers[application.receipt_id] = number
    return list(groups.values())


def files_to_receive_count(viewer) -> int:
    return db.session.scalar(select(func.count()).select_from(Application).where(
        Application.status == RECEIPTED, Application.service_code.in_(visible_services(viewer)))) or 0


# --- the operator queue ---------------------------------------------------------------------------

@dataclass(frozen=True)
class QueueFilters:
    division: str = ""
    service: str = ""
    trip: str = ""
    status: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args, viewer=None) -> QueueFilters:
        from webapp.core.args import arg_page, arg_text
        division = arg_text(args, "division", 10)
        service = arg_text(args, "service", 20)
        status = arg_text(args, "status", 20)
        own = division_of(viewer) if viewer is not None else None
        return cls(division=own or (division if division in DIVISION_LABELS else ""),
                   service=service if service in SERVICES else "",
                   trip=arg_text(args, "trip", 40), status=status if status in QUEUE_STATUSES else "",
                   page=arg_page(args))


@dataclass(frozen=True)
class QueueItem:
    application: Application
    receipt_number: str | None
    trip_number: str | None
    desa_code: str | None
    taken_by: str | None
    age: timedelta | None        # files received → document number recorded (or now)
    over: bool                   # past the 1-hour rule
    stopped: bool                # the number is recorded: the clock no longer runs


def one_hour_age(application: Application, now: datetime | None = None) -> tuple[timedelta | None, bool]:
    """(age, over the 1-hour rule) from files received until the number was recorded (or now)."""
    if application.files_received_at is None:
        return None, False
    end = application.document_recorded_at or now or utcnow()
    age = max(end - application.files_received_at, timedelta(0))
    return age, age > ONE_HOUR_RULE


def _queue_statement(filters: QueueFilters, viewer):
    from webapp.auth.models import User
    from webapp.trips.models import Trip

    services = visible_services(viewer)
    if filters.division:
        services = [c for c in services if SERVICES[c].division == filters.division]
    if filters.service:
        services = [c for c in services if c == filters.service]
    statuses = [filters.status] if filters.status else list(QUEUE_STATUSES)
    stmt = (select(Application, Receipt.number, Trip.number, Receipt.desa_code, User.full_name)
            .outerjoin(Receipt, Receipt.id == Application.receipt_id)
            .outerjoin(Trip, Trip.id == Application.trip_id)
            .outerjoin(User, User.id == Application.taken_by_id)
            .where(Application.status.in_(statuses), Application.service_code.in_(services)))
    if filters.trip:
        stmt = stmt.where(Trip.number == filters.trip)
    return stmt.order_by(Application.files_received_at.is_(None), Application.files_received_at,
                         Application.created_at, Application.id)


def queue_items(filters: QueueFilters, viewer, now: datetime | None = None) -> Page:
    """Applications waiting to be finished, oldest first (by files received), one page."""
    now = now or utcnow()
    page = paginate(_queue_statement(filters, viewer), page=filters.page, per_page=PAGE_SIZE, scalars=False)
    items = []
    for application, receipt_number, trip_number, desa_code, taken_by in page.items:
        age, over = one_hour_age(application, now)
        items.append(QueueItem(application, receipt_number, trip_number, desa_code, taken_by, age, over,
                               application.document_recorded_at is not None))
    page.items = items
    return page


def queue_count(viewer) -> int:
    return db.session.scalar(select(func.count()).select_from(Application).where(
        Application.status.in_(QUEUE_STATUSES), Application.service_code.in_(visible_services(viewer)))) or 0


def queue_trips(viewer) -> list[str]:
    """Trip numbers that have applications in the queue (the trip filter's choices)."""
    from webapp.trips.models import Trip
    return list(db.session.execute(
        select(Trip.number).join(Application, Application.trip_id == Trip.id)
        .where(Application.status.in_(QUEUE_STATUSES), Application.service_code.in_(visible_services(viewer)))
        .group_by(Trip.number).order_by(Trip.number)).scalars())


def _lock(application: Application) -> None:
    """Read the row again under a write lock (PostgreSQL: SELECT … FOR UPDATE), so that two
    operators, or a double click, cannot both move it: the second one sees the new status."""
    trip_checkout.ensure_editable_at_office(application.trip_id)
    if inspect(application).persistent:
        db.session.refresh(application, with_for_update=True)


def take(application: Application, actor, at: datetime | None = None, note: str | None = None) -> Application:
    """The operator takes the application from the queue: SOP step 6 starts."""
    _lock(application)
    if application.status == PROCESSING:
        raise DomainError(_l("Permohonan ini sudah diambil operator lain."))
    if application.status != AT_OFFICE:
        raise DomainError(_l("Permohonan berstatus %(s)s tidak dapat diambil dari antrean.",
                             s=application.status_label))
    at = at or utcnow()
    application.taken_at = at
    application.taken_by_id = getattr(actor, "id", None)
    change_status(application, PROCESSING, actor=actor, workflow=APPLICATION_WORKFLOW, at=at,
                  note=note or str(_l("Diambil dari antrean operator")))
    return application


# --- SIAK export ----------------------------------------------------------------------------------

def ready_applications(viewer) -> list[Application]:
    """What goes to SIAK: taken (diproses) or still waiting (di_kantor), oldest first."""
    return list(db.session.execute(
        select(Application).where(Application.status.in_(READY_FOR_SIAK),
                                  Application.service_code.in_(visible_services(viewer)))
        .order_by(Application.files_received_at, Application.created_at, Application.id)).scalars())


def export_rows(applications: Sequence[Application]) -> list[ExportRow]:
    ids = [a.id for a in applications]
    receipts = dict(db.session.execute(select(Receipt.id, Receipt.number).where(
        Receipt.id.in_([a.receipt_id for a in applications if a.receipt_id]))).all()) if ids else {}
    corrections: dict = {}
    if ids:
        for c in db.session.execute(select(DataCorrection).where(DataCorrection.application_id.in_(ids))
                                    .order_by(DataCorrection.at)).scalars():
            corrections.setdefault(c.application_id, []).append(Correction(c.field, c.register_value, c.new_value))
    with force_locale("id"):   # the file is read at SIAK's desk, in Indonesian
        return [ExportRow(
            application_id=a.id, receipt_number=receipts.get(a.receipt_id), service_code=a.service_code,
            subtype_code=a.subtype_code, service_label=service_label(a.service_code, a.subtype_code),
            subject_name=a.subject_name, nik=a.subject_nik, no_kk=a.subject_no_kk, sex=a.subject_sex,
            birth_place=a.subject_birth_place, birth_date=a.subject_birth_date, address=a.subject_address,
            event_date=a.event_date, late=bool(a.late), late_days=a.late_days,
            corrections=tuple(corrections.get(a.id, ()))) for a in applications]


@dataclass
class ExportOutcome:
    applications: list[Application]
    files: list[ExportFile]
    taken: int                     # how many were still di_kantor and were taken by the export
    runs: list[SiakFileRun]


def export_ready(*, actor, viewer=None, formats: Sequence[str] = ("csv", "json"),
                 adapter: SiakAdapter | None = None, at: datetime | None = None) -> ExportOutcome:
    """The ready applications as SIAK files. Those still di_kantor are taken by `actor` now
    (the export is the operator taking them). Audited with the count, never the contents."""
    at = at or utcnow()
    applications = ready_applications(viewer)
    if not applications:
        return ExportOutcome([], [], 0, [])
    taken = 0
    for application in applications:
        if application.status == AT_OFFICE:
            take(application, actor, at=at, note=str(_l("Diambil dengan ekspor ke SIAK")))
            taken += 1
    files = [f for f in (adapter or get_adapter()).export_ready(export_rows(applications), exported_at=at)
             if f.file_format in formats]
    runs = [_record_run(direction=EXPORT, file_format=f.file_format, filename=f.filename, outcome=RUN_CREATED,
                        row_count=len(applications), actor=actor, at=at) for f in files]
    db.session.flush()
    return ExportOutcome(applications, files, taken, runs)


def _actor_fields(actor) -> tuple[uuid.UUID | None, str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, "system"
    return actor.id, actor.username


def _record_run(*, direction: str, file_format: str, filename: str, outcome: str, row_count: int,
                actor, at: datetime, applied: int = 0, errors: Sequence[LineError] = ()) -> SiakFileRun:
    actor_id, actor_name = _actor_fields(actor)
    run = SiakFileRun(direction=direction, file_format=file_format, filename=(filename or "")[:200],
                      outcome=outcome, row_count=row_count, applied_count=applied,
                      errors=[e.as_dict() for e in errors], actor_id=actor_id, actor_name=actor_name, at=at)
    db.session.add(run)
    if direction == EXPORT:
        summary = f"Ekspor ke SIAK: {row_count} permohonan, berkas {run.filename}"
    else:
        summary = (f"Hasil SIAK {run.filename}: {RUN_LABELS[outcome]}, {row_count} baris, "
                   f"{applied} diterapkan, {len(errors)} kesalahan")
    record_change(run, "export" if direction == EXPORT else "import", actor=actor, summary=summary)
    return run


# --- SIAK results ---------------------------------------------------------------------------------

def record_siak_result(application: Application, *, document_number: str | None = None,
                       issued_on: date | None = None, rejection: str | None = None, actor,
                       at: datetime | None = None) -> Application:
    """Apply one checked result: a number → "terbit" (step 6 ends, the 1-hour rule stops);
    a rejection → "ditolak" with the reason."""
    _lock(application)
    if application.status != PROCESSING:
        raise DomainError(_l("Hasil SIAK hanya dicatat untuk permohonan yang sedang diproses (status kini: %(s)s).",
                             s=application.status_label))
    at = at or utcnow()
    if rejection:
        application.reason = rejection
        change_status(application, REJECTED, actor=actor, workflow=APPLICATION_WORKFLOW, at=at,
                      note=f"Ditolak SIAK: {rejection}")
        return application
    application.document_number = document_number
    application.document_issued_on = issued_on
    application.document_recorded_at = at
    change_status(application, ISSUED, actor=actor, workflow=APPLICATION_WORKFLOW, at=at,
                  note=f"Nomor dokumen {document_number}")
    return application


_FORM_FIELD = {"document_number": "document_number", "issued_on": "issued_on", "rejection": "reason"}


def record_document_number(application: Application, document_number, issued_on, *, actor,
                           today: date | None = None, at: datetime | None = None) -> Application:
    """The operator types the number SIAK's own client issued (same rules as a result row)."""
    (number, day, _reason), problems = check_result(
        document_number, issued_on, None, today=today or wita_today(),
        labels={"document_number": str(_l("Nomor dokumen")), "issued_on": str(_l("Tanggal terbit")),
                "rejection": str(_l("Alasan penolakan"))})
    if problems:
        name, message = problems[0]
        raise DomainError(message, field=_FORM_FIELD[name])
    return record_siak_result(application, document_number=number, issued_on=day, actor=actor, at=at)


def record_rejection(application: Application, reason, *, actor, at: datetime | None = None) -> Application:
    text = (reason or "").strip()
    if not text:
        raise DomainError(_l("Tulis alasan penolakan dari SIAK."), field="reason")
    (_n, _d, clean), problems = check_result(None, None, text, today=wita_today(),
                                             labels={"rejection": str(_l("Alasan penolakan"))})
    if problems:
        raise DomainError(problems[0][1], field="reason")
    return record_siak_result(application, rejection=clean, actor=actor, at=at)


@dataclass
class ImportOutcome:
    run: SiakFileRun
    parsed: ParsedResults
    errors: list[LineError]
    applied: int
    issued: int
    rejected: int

    @property
    def ok(self) -> bool:
        return not self.errors


def check_against_records(parsed: ParsedResults, viewer) -> tuple[list[LineError], dict]:
    """What the database says about each parsed row: unknown application, another division's,
    not in "diproses". Returns (errors, {application id: Application})."""
    found = {a.id: a for a in db.session.execute(select(Application).where(
        Application.id.in_([r.application_id for r in parsed.rows]))).scalars()} if parsed.rows else {}
    allowed = set(visible_services(viewer))
    errors: list[LineError] = []
    for row in parsed.rows:
        application = found.get(row.application_id)
        if application is None:
            errors.append(LineError(row.line, str(_l("Permohonan %(id)s tidak dikenal.", id=row.application_id))))
        elif application.service_code not in allowed:
            errors.append(LineError(row.line, str(_l("Permohonan %(id)s bukan layanan bidang Anda.",
                                                     id=row.application_id))))
        elif application.status != PROCESSING:
            with force_locale("id"):
                status = application.status_label
            errors.append(LineError(row.line, str(_l(
                "Permohonan %(id)s berstatus \"%(s)s\", bukan \"diproses\": hasilnya tidak dapat dicatat.",
                id=row.application_id, s=status))))
    return errors, found


def import_results(data: bytes, *, filename: str = "", file_format: str | None = None, actor, viewer=None,
                   check_only: bool = False, adapter: SiakAdapter | None = None,
                   today: date | None = None, at: datetime | None = None) -> ImportOutcome:
    """Read SIAK's result file and apply it: every row, or (if any row is wrong) none. Each
    run is recorded (SiakFileRun). SiakFileError when the upload is no result file at all."""
    at = at or utcnow()
    parsed = (adapter or get_adapter()).read_results(data, filename=filename, file_format=file_format,
                                                      today=today)
    record_errors, found = check_against_records(parsed, viewer)
    errors = sorted(parsed.errors + record_errors, key=lambda e: e.line or 0)
    row_count = parsed.read_count
    if errors or check_only:
        outcome = RUN_CHECKED if check_only else RUN_REFUSED
        run = _record_run(direction=IMPORT, file_format=parsed.file_format, filename=filename, outcome=outcome,
                          row_count=row_count, actor=actor, at=at, errors=errors)
        db.session.flush()
        return ImportOutcome(run, parsed, errors, 0, 0, 0)
    issued = rejected = 0
    for row in parsed.rows:
        record_siak_result(found[row.application_id], document_number=row.document_number,
                           issued_on=row.issued_on, rejection=row.rejection, actor=actor, at=at)
        rejected += row.rejected
        issued += not row.rejected
    run = _record_run(direction=IMPORT, file_format=parsed.file_format, filename=filename, outcome=RUN_APPLIED,
                      row_count=len(parsed.rows), applied=len(parsed.rows), actor=actor, at=at)
    db.session.flush()
    return ImportOutcome(run, parsed, [], len(parsed.rows), issued, rejected)


def latest_runs(limit: int = 10) -> list[SiakFileRun]:
    return list(db.session.execute(select(SiakFileRun).order_by(SiakFileRun.at.desc()).limit(limit)).scalars())


def run_history(page: int = 1) -> Page:
    return paginate(select(SiakFileRun).order_by(SiakFileRun.at.desc(), SiakFileRun.id), page=page,
                    per_page=50)


def get_run(run_id) -> SiakFileRun | None:
    try:
        return db.session.get(SiakFileRun, uuid.UUID(str(run_id)))
    except ValueError:
        return None


# --- printing -------------------------------------------------------------------------------------

def stock_for_service(service_code: str) -> list[str]:
    """The blank(s) a printed document of this service uses ([] when nothing is printed)."""
    svc = SERVICES.get(service_code)
    return list(svc.stock_per_application) if svc else []


def _spoiled_count(spoiled) -> int:
    if spoiled in (None, ""):
        return 0
    try:
        value = int(str(spoiled).strip())
    except ValueError:
        raise DomainError(_l("Jumlah blangko rusak harus bilangan bulat, misalnya 0 atau 1."), field="spoiled") \
            from None
    if value < 0 or value > MAX_SPOILED:
        raise DomainError(_l("Jumlah blangko rusak 0 sampai %(n)d.", n=MAX_SPOILED), field="spoiled")
    return value


def record_printing(application: Application, stock_code: str | None = None, spoiled=0, *, actor,
                    at: datetime | None = None) -> Application:
    """The document is printed: its blank (and any spoiled ones) come out of the office
    warehouse through the ledger, never below zero (DomainError field="quantity"); the
    application is then ready for collection."""
    _lock(application)
    if application.status != ISSUED:
        raise DomainError(_l("Hanya dokumen yang sudah terbit di SIAK yang dapat dicatat cetak (status kini: %(s)s).",
                             s=application.status_label))
    blanks = stock_for_service(application.service_code)
    spoiled = _spoiled_count(spoiled)
    code = stock_code or (blanks[0] if blanks else None)
    if blanks and code not in blanks:
        raise DomainError(_l("Dokumen ini dicetak pada %(b)s.", b=", ".join(inventory.stock_label(b) for b in blanks)),
                          field="stock_code")
    if not blanks and (stock_code or spoiled):
        raise DomainError(_l("Layanan ini tidak memakai blangko."), field="stock_code")
    at = at or utcnow()
    reason = f"Cetak {application.label} ({_short(application)})"
    if code:
        per = SERVICES[application.service_code].stock_per_application[code]
        inventory.record_use(code, per, trip_id=None, actor=actor, reason=reason)
        if spoiled:
            inventory.record_spoiled(code, spoiled, trip_id=None, actor=actor, reason=reason + " — rusak/gagal cetak")
    application.stock_code = code
    application.spoiled_count = spoiled
    application.printed_at = at
    change_status(application, READY, actor=actor, workflow=APPLICATION_WORKFLOW, at=at,
                  note=f"Dicetak; blangko {code}" + (f", rusak {spoiled}" if spoiled else "") if code else "Selesai")
    return application


def record_printing_many(applications: Sequence[Application], *, actor, at: datetime | None = None) -> list[Application]:
    """Several documents printed at once, each on its service's blank (nothing spoiled): all of
    them or, if one cannot be recorded, none (the caller's unit of work rolls back)."""
    if not applications:
        raise DomainError(_l("Centang dokumen yang sudah dicetak."), field="application_id")
    return [record_printing(a, actor=actor, at=at) for a in applications]


def _short(application: Application) -> str:
    """How a message names an application without personal data: its receipt number, or its key."""
    if application.receipt_id:
        number = db.session.scalar(select(Receipt.number).where(Receipt.id == application.receipt_id))
        if number:
            return f"{number} · {application.label}"
    return str(application.id)[:8]
