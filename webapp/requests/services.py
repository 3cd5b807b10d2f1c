"""Village requests: registering the letter, its resident list, disposition, needs, timeline.

Functions take plain values and the acting user, add to the session and leave the commit to the
caller (the view commits once: one transaction per user action, rollback on DomainError)."""
from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, or_, select

from webapp.auth.roles import Role
from webapp.core.timefmt import wita_today
from webapp.core.args import arg_date, arg_page
from webapp.core.changes import StatusHistory, audit, change_status, entity_type_of, history_of, record_change
from webapp.core.counters import human_number
from webapp.core.db import utcnow
from webapp.core.errors import DomainError
from webapp.core.paging import Page, paginate
from webapp.extensions import db
from webapp.files.services import LETTER_TYPES, register_file_owner, store_upload
from webapp.identity.nik import check_kk, check_nik, mask
from webapp.layanan.catalog import SERVICES, equipment_for, service_label, stock_for
from webapp.requests.importer import (ImportResult, ResidentRow, RowProblem, age_on, eligibility_warnings,
                                      read_resident_file)
from webapp.requests.models import (BARU, DIBATALKAN, DIDISPOSISI, DIJADWALKAN, DIKEMBALIKAN,
                                    DIVISION_OF_KABID, DIVISIONS, REGISTERING_ROLES, REQUEST_WORKFLOW,
                                    Disposition, RequestedService, RequestResident, VillageRequest)
from webapp.requests.timeline import REQUEST_SOP_STEPS, StepResult, step_durations
from webapp.wilayah.services import REGENCY_CODE, get_region, village_choices

LETTER_MAX_BYTES = 5 * 1024 * 1024
PAGE_SIZE = 25


# --- who sees and edits what -------------------------------------------------------------------

def is_village_user(user) -> bool:
    return getattr(user, "role", None) == Role.KEPALA_DESA


def visible_to(user, req: VillageRequest) -> bool:
    if is_village_user(user):
        return user.desa_code is not None and req.desa_code == user.desa_code
    return True


def get_visible(request_id, user) -> VillageRequest | None:
    """The request if it exists and the user may see it (None → the view answers 404)."""
    try:
        key = request_id if isinstance(request_id, uuid.UUID) else uuid.UUID(str(request_id))
    except ValueError:
        return None
    req = db.session.get(VillageRequest, key)
    return req if req is not None and visible_to(user, req) else None


def can_edit(req: VillageRequest, user) -> bool:
    """Letter data and resident list: the village while it is new or returned; the office
    also after disposition, until a trip is scheduled."""
    if user.role not in REGISTERING_ROLES or not visible_to(user, req):
        return False
    if is_village_user(user):
        return req.status in (BARU, DIKEMBALIKAN)
    return req.status in (BARU, DIKEMBALIKAN, DIDISPOSISI)


def can_view_full_nik(user) -> bool:
    return user.role != Role.VIEWER


@register_file_owner
def _letter_file_owner(stored, user) -> bool:
    requests = VillageRequest.query.filter_by(letter_file_id=stored.id).all()
    return any(visible_to(user, r) for r in requests)


# --- registering the letter ----------------------------------------------------------------------

@dataclass
class LetterData:
    letter_number: str
    letter_date: date
    desa_code: str
    signatory_name: str
    signatory_title: str
    requested_date: date
    location: str
    contact_phone: str | None = None
    notes: str = ""


def _check_letter(data: LetterData, actor) -> LetterData:
    if is_village_user(actor):
        if data.desa_code and data.desa_code != actor.desa_code:
            raise DomainError(_l("Kepala desa hanya dapat mengajukan permohonan untuk desanya sendiri."),
                              field="desa_code")
        data.desa_code = actor.desa_code
    region = get_region(data.desa_code)
    if region is None or not region.is_village or not region.code.startswith(REGENCY_CODE + "."):
        raise DomainError(_l("Pilih desa atau kelurahan di Kabupaten Hulu Sungai Selatan."), field="desa_code")
    if not (data.letter_number or "").strip():
        raise DomainError(_l("Isi nomor surat."), field="letter_number")
    if data.requested_date < data.letter_date:
        raise DomainError(_l("Tanggal pelayanan tidak boleh sebelum tanggal surat (%(d)s).",
                             d=data.letter_date.strftime("%d-%m-%Y")), field="requested_date")
    if data.letter_date > wita_today():
        raise DomainError(_l("Tanggal surat belum terjadi."), field="letter_date")
    data.letter_number = data.letter_number.strip()
    data.location = (data.location or "").strip()
    data.notes = (data.notes or "").strip()
    return data


def letter_warnings(req_or_data, today: date | None = None) -> list[str]:
    today = today or wita_today()
    warnings = []
    if req_or_data.requested_date < today:
        warnings.append(str(_l("Tanggal pelayanan yang diminta (%(d)s) sudah lewat.",
                               d=req_or_data.requested_date.strftime("%d-%m-%Y"))))
    return warnings


def register_request(data: LetterData, *, actor, letter_file=None, at: datetime | None = None) -> VillageRequest:
    data = _check_letter(data, actor)
    stored = None
    if letter_file is not None and getattr(letter_file, "filename", ""):
        stored = store_upload(letter_file, allowed=LETTER_TYPES, max_bytes=LETTER_MAX_BYTES, actor=actor,
                              field="letter_file")
    req = VillageRequest(
        number=human_number("PMH", "request"), letter_number=data.letter_number, letter_date=data.letter_date,
        desa_code=data.desa_code, signatory_name=data.signatory_name.strip(),
        signatory_title=(data.signatory_title or "Kepala Desa").strip(), requested_date=data.requested_date,
        location=data.location, contact_phone=(data.contact_phone or "").strip() or None, notes=data.notes,
        letter_file_id=stored.id if stored else None, submitted_by_id=getattr(actor, "id", None),
        submitted_via="desa" if is_village_user(actor) else "kantor", status=None,
    )
    if at is not None:
        req.created_at = req.updated_at = at
    db.session.add(req)
    record_change(req, "create", actor=actor, summary=f"Surat {req.letter_number} desa {req.desa_code}")
    change_status(req, BARU, actor=actor, workflow=REQUEST_WORKFLOW, note=None, at=at)
    return req


def update_request(req: VillageRequest, data: LetterData, *, actor, letter_file=None) -> VillageRequest:
    if not can_edit(req, actor):
        raise DomainError(_l("Permohonan dengan status %(s)s tidak dapat diubah lagi.", s=req.status_label))
    data = _check_letter(data, actor)
    if letter_file is not None and getattr(letter_file, "filename", ""):
        stored = store_upload(letter_file, allowed=LETTER_TYPES, max_bytes=LETTER_MAX_BYTES, actor=actor,
                              field="letter_file")
        req.letter_file_id = stored.id
    for name in ("letter_number", "letter_date", "desa_code", "signatory_name", "signatory_title",
                 "requested_date", "location", "notes"):
        setattr(req, name, getattr(data, name))
    req.contact_phone = (data.contact_phone or "").strip() or None
    record_change(req, "update", actor=actor, summary=f"Data surat {req.letter_number} diubah")
    return req


# --- status changes -------------------------------------------------------------------------------

def dispose_request(req: VillageRequest, *, divisions: list[str], instruction: str, due_date: date | None,
                    actor, at: datetime | None = None) -> Disposition:
    """SOP step 2. `divisions` is ordered: the first leads and schedules the trip."""
    chosen: list[str] = []
    for division in divisions:
        if division and division not in chosen:
            chosen.append(division)
    if not chosen:
        raise DomainError(_l("Pilih bidang yang memimpin."), field="lead_division")
    if not req.residents:
        # The list decides the team, equipment and blank stock; it locks once disposed.
        raise DomainError(_l("Daftar warga permohonan ini masih kosong. Minta desa melengkapinya "
                             "(kembalikan ke desa) sebelum didisposisikan."), field="instruction")
    if any(d not in DIVISIONS for d in chosen):
        raise DomainError(_l("Bidang tidak dikenal."), field="lead_division")
    if due_date is not None and due_date > req.requested_date:
        raise DomainError(_l("Batas waktu tidak boleh setelah tanggal pelayanan (%(d)s).",
                             d=req.requested_date.strftime("%d-%m-%Y")), field="due_date")
    change_status(req, DIDISPOSISI, actor=actor, workflow=REQUEST_WORKFLOW,
                  note=(instruction or "").strip()[:500] or None, at=at)
    disposition = Disposition(request=req, divisions_csv=",".join(chosen), instruction=(instruction or "").strip(),
                              due_date=due_date, actor_id=getattr(actor, "id", None),
                              actor_name=getattr(actor, "username", "system"), at=at or utcnow())
    db.session.add(disposition)
    req.lead_division = chosen[0]
    req.disposed_to = ",".join(chosen)
    record_change(disposition, "create", actor=actor,
                  summary=f"Disposisi {req.number} ke {', '.join(chosen)}")
    return disposition


def return_request(req: VillageRequest, *, reason: str, actor, at: datetime | None = None) -> None:
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise DomainError(_l("Tulis alasan pengembalian agar desa tahu apa yang harus diperbaiki."), field="reason")
    change_status(req, DIKEMBALIKAN, actor=actor, workflow=REQUEST_WORKFLOW, note=reason[:1000], at=at)
    req.return_reason = reason[:1000]


def resubmit_request(req: VillageRequest, *, actor, note: str = "") -> None:
    if not visible_to(actor, req):
        raise DomainError(_l("Permohonan ini bukan milik desa Anda."))
    if not req.residents:
        raise DomainError(_l("Daftar warga masih kosong."))
    change_status(req, BARU, actor=actor, workflow=REQUEST_WORKFLOW,
                  note=(note or "").strip()[:500] or str(_l("Dikirim ulang setelah diperbaiki")))
    req.return_reason = None


def cancel_request(req: VillageRequest, *, reason: str, actor) -> None:
    if req.status == DIJADWALKAN:
        # Its trip holds officers, equipment and issued stock: the trip is cancelled first.
        raise DomainError(_l("Permohonan ini sudah masuk jadwal perjalanan. Batalkan atau ubah perjalanannya "
                             "dahulu; permohonan kembali ke status didisposisi dan dapat dibatalkan."), field="reason")
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise DomainError(_l("Tulis alasan pembatalan."), field="reason")
    change_status(req, DIBATALKAN, actor=actor, workflow=REQUEST_WORKFLOW, note=reason[:1000])


def cancel_reason(req: VillageRequest) -> str | None:
    if req.status != DIBATALKAN:
        return None
    rows = [r for r in history_of(req) if r.to_status == DIBATALKAN]
    return rows[-1].note if rows else None


# --- the resident list ----------------------------------------------------------------------------

def _require_editable(req: VillageRequest, actor) -> None:
    if not can_edit(req, actor):
        raise DomainError(_l("Daftar warga permohonan berstatus %(s)s tidak dapat diubah.", s=req.status_label))


def _apply_row(resident: RequestResident, row: ResidentRow, actor) -> None:
    """Copy the row onto the resident; the requested services added or dropped are recorded
    (the resident's own record_change writes the audit entry)."""
    resident.name = row.name
    resident.nik = row.nik
    resident.no_kk = row.no_kk
    resident.sex = row.sex
    resident.birth_date = row.birth_date
    resident.phone = row.phone
    resident.note = row.note or ""
    wanted = list(dict.fromkeys(row.services))
    keep = [s for s in resident.services if (s.service_code, s.subtype_code) in wanted]
    have = {(s.service_code, s.subtype_code) for s in keep}
    added = [RequestedService(service_code=c, subtype_code=s) for c, s in wanted if (c, s) not in have]
    for dropped in resident.services:
        if dropped not in keep:
            record_change(dropped, "delete", actor=actor, audit=False)
    for service in added:
        record_change(service, "create", actor=actor, audit=False)
    resident.services = keep + added


def _next_position(req: VillageRequest) -> int:
    return max((r.position for r in req.residents), default=0) + 1


def add_resident(req: VillageRequest, row: ResidentRow, *, actor) -> RequestResident:
    _require_editable(req, actor)
    if not row.services:
        raise DomainError(_l("Pilih minimal satu layanan."), field="services")
    resident = RequestResident(position=_next_position(req))
    _apply_row(resident, row, actor)
    req.residents.append(resident)
    record_change(resident, "create", actor=actor,
                  summary=f"Warga {resident.name} ({mask(resident.nik)}) ditambahkan ke {req.number}")
    return resident


def update_resident(resident: RequestResident, row: ResidentRow, *, actor) -> RequestResident:
    _require_editable(resident.request, actor)
    if not row.services:
        raise DomainError(_l("Pilih minimal satu layanan."), field="services")
    _apply_row(resident, row, actor)
    record_change(resident, "update", actor=actor,
                  summary=f"Warga {resident.name} ({mask(resident.nik)}) diubah")
    return resident


def delete_resident(resident: RequestResident, *, actor) -> None:
    req = resident.request
    _require_editable(req, actor)
    record_change(resident, "delete", actor=actor,
                  summary=f"Warga {resident.name} ({mask(resident.nik)}) dihapus dari {req.number}")
    for service in resident.services:
        record_change(service, "delete", actor=actor, audit=False)
    req.residents.remove(resident)   # delete-orphan removes the row and its services


def import_residents(req: VillageRequest, data: bytes, filename: str, *, actor) -> ImportResult:
    """All or nothing: with any problem nothing is added and the result lists every problem."""
    _require_editable(req, actor)
    result = read_resident_file(data, filename, service_date=req.requested_date)
    listed = {r.nik: r.name for r in req.residents if r.nik}
    for row in result.rows:
        if row.nik and row.nik in listed:   # importing the same file twice must not double the list
            result.problems.append(RowProblem(row.row, "nik", str(_l(
                "NIK ini sudah ada di daftar warga permohonan (%(n)s).", n=listed[row.nik]))))
    if not result.ok:
        return result
    position = _next_position(req)
    for row in result.rows:
        resident = RequestResident(position=position)
        position += 1
        _apply_row(resident, row, actor)
        req.residents.append(resident)
        record_change(resident, "import", actor=actor, audit=False)   # one event per row ...
    audit("import", actor=actor, entity_type=entity_type_of(req), entity_id=req.id,   # ... one audit entry
          summary=f"{len(result.rows)} warga diimpor dari berkas ke {req.number}")
    return result


def find_resident(req: VillageRequest, resident_id) -> RequestResident | None:
    return next((r for r in req.residents if r.id == resident_id), None)


def resident_warnings(resident: RequestResident, service_date: date | None = None) -> list[str]:
    """What to look at (not blocking): the NIK vs the record, and eligibility by age."""
    warnings: list[str] = []
    if resident.nik:
        check = check_nik(resident.nik, sex=resident.sex, birth_date=resident.birth_date)
        warnings.extend(str(p.message) for p in (*check.errors, *check.warnings))
    if resident.no_kk:
        warnings.extend(str(p.message) for p in check_kk(resident.no_kk).warnings)
    day = service_date or (resident.request.requested_date if resident.request else wita_today())
    warnings.extend(eligibility_warnings(resident.service_pairs, resident.birth_date, today=day))
    return warnings


def resident_age(resident: RequestResident, on: date | None = None) -> int:
    return age_on(resident.birth_date, on or resident.request.requested_date)


# --- what the list asks for -------------------------------------------------------------------------

@dataclass
class PreparationNeeds:
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    residents: int = 0
    equipment_kinds: list[str] = field(default_factory=list)
    stock: dict[str, int] = field(default_factory=dict)

    @property
    def count_rows(self) -> list[tuple[str, str, str, int]]:
        """(code, subtype, label, count) in catalogue order, for tables."""
        order = {(s.code, sub.code): i for i, (s, sub) in
                 enumerate((s, sub) for s in SERVICES.values() for sub in s.subtypes)}
        return [(c, s, service_label(c, s), n) for (c, s), n in
                sorted(self.counts.items(), key=lambda kv: order.get(kv[0], 999))]

    def per_division(self) -> dict[str, int]:
        out: Counter = Counter()
        for (code, _sub), n in self.counts.items():
            svc = SERVICES.get(code)
            if svc:
                out[svc.division] += n
        return dict(out)


def preparation_needs(requests: list[VillageRequest]) -> PreparationNeeds:
    """Counts per (service, subtype), residents, equipment kinds and blank stock for a set of
    requests (one request, or all the requests of a trip)."""
    counts: Counter = Counter()
    residents = 0
    for req in requests:
        for resident in req.residents:
            residents += 1
            for pair in set(resident.service_pairs):
                counts[pair] += 1
    counts_dict = dict(counts)
    return PreparationNeeds(counts=counts_dict, residents=residents,
                            equipment_kinds=equipment_for(set(counts_dict)) if counts_dict else [],
                            stock=stock_for(counts_dict) if counts_dict else {})


def suggest_lead_division(req: VillageRequest) -> str:
    per = preparation_needs([req]).per_division()
    return max(DIVISIONS, key=lambda d: (per.get(d, 0), d == DIVISIONS[0]))


@dataclass
class BerkasSection:
    resident: RequestResident
    age: int
    services: list[tuple[str, list]]            # (label, requirement lines)
    problems: list[str]


def _service_facts(code: str, resident, on: date | None) -> set[str]:
    """Facts a requirement template can depend on. A birth reported after the deadline
    (birth_report_days, 60 by default) needs the late-report statement: for akta kelahiran
    the resident is the child, so the birth date says it."""
    facts: set[str] = set()
    if code == "AKTA_LAHIR" and resident.birth_date:
        from webapp.settings import services as settings
        if ((on or wita_today()) - resident.birth_date).days > settings.get_int("birth_report_days"):
            facts.add("late_report")
    return facts


def berkas_sections(req: VillageRequest) -> tuple[list[BerkasSection], bool]:
    """Per resident: what to bring for each requested service (from the requirement templates),
    and eligibility warnings. The flag says whether the requirement templates are available."""
    try:
        from webapp.requirements.services import requirements_for
    except ImportError:
        requirements_for = None
    sections = []
    for resident in req.residents:
        age = resident_age(resident)
        services = []
        for code, sub in resident.service_pairs:
            facts = _service_facts(code, resident, req.requested_date)
            lines = requirements_for(code, sub, age_years=age, facts=facts) if requirements_for else []
            services.append((service_label(code, sub), lines))
        problems = eligibility_warnings(resident.service_pairs, resident.birth_date, today=req.requested_date)
        sections.append(BerkasSection(resident, age, services, problems))
    return sections, requirements_for is not None


def what_to_bring(req: VillageRequest) -> list[tuple[str, list[str]]]:
    """Per requested service, what its residents bring or do (documents, photo, coming in person;
    each line once, in the templates' order): the short form the village head reads on the
    request page; the berkas page has it per resident, with the eligibility warnings."""
    sections, _have = berkas_sections(req)
    found: dict[str, list[str]] = {}
    for section in sections:
        for label, lines in section.services:
            texts = found.setdefault(str(label), [])
            for line in lines:
                if line.kind == "eligibility":     # who may get the service, not something to bring
                    continue
                text = f" {_l('atau')} ".join(str(t) for t in line.texts)
                if text and text not in texts:
                    texts.append(text)
    return list(found.items())


# --- lists, inbox, timeline ---------------------------------------------------------------------------

@dataclass
class RequestFilters:
    q: str = ""
    status: str = ""
    kecamatan: str = ""
    desa: str = ""
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "RequestFilters":
        status = args.get("status", "")
        return cls(q=args.get("q", "").strip()[:80],
                   status=status if status in REQUEST_WORKFLOW.labels else "",
                   kecamatan=args.get("kecamatan", "")[:13], desa=args.get("desa", "")[:13],
                   date_from=arg_date(args, "date_from"), date_to=arg_date(args, "date_to"), page=arg_page(args))


def list_requests(filters: RequestFilters, *, viewer) -> Page:
    """A page of (VillageRequest, number of residents) rows."""
    residents = (select(func.count()).where(RequestResident.request_id == VillageRequest.id)
                 .correlate(VillageRequest).scalar_subquery())
    stmt = select(VillageRequest, residents)
    if is_village_user(viewer):
        stmt = stmt.where(VillageRequest.desa_code == (viewer.desa_code or "-"))
    if filters.status:
        stmt = stmt.where(VillageRequest.status == filters.status)
    if filters.desa:
        stmt = stmt.where(VillageRequest.desa_code == filters.desa)
    elif filters.kecamatan:
        stmt = stmt.where(VillageRequest.desa_code.like(filters.kecamatan.replace("%", "") + ".%"))
    if filters.date_from:
        stmt = stmt.where(VillageRequest.requested_date >= filters.date_from)
    if filters.date_to:
        stmt = stmt.where(VillageRequest.requested_date <= filters.date_to)
    if filters.q:
        like = f"%{filters.q.lower()}%"
        desa_codes = [code for code, label in village_choices() if filters.q.lower() in label.lower()]
        stmt = stmt.where(or_(func.lower(VillageRequest.number).like(like),
                              func.lower(VillageRequest.letter_number).like(like),
                              func.lower(VillageRequest.location).like(like),
                              func.lower(VillageRequest.signatory_name).like(like),
                              VillageRequest.desa_code.in_(desa_codes)))
    order = []
    division = DIVISION_OF_KABID.get(getattr(viewer, "role", ""))
    if division:   # a kabid sees what was disposed to their division first
        order.append(case((VillageRequest.disposed_to.like(f"%{division}%"), 0), else_=1))
    order.append(VillageRequest.created_at.desc())
    return paginate(stmt.order_by(*order), page=filters.page, per_page=PAGE_SIZE, scalars=False)


def resident_counts(request_ids: list) -> dict:
    if not request_ids:
        return {}
    rows = db.session.execute(select(RequestResident.request_id, func.count())
                              .where(RequestResident.request_id.in_(request_ids))
                              .group_by(RequestResident.request_id)).all()
    return {rid: n for rid, n in rows}


def inbox_requests() -> list[VillageRequest]:
    """New requests waiting for the Kepala Dinas, oldest first."""
    return VillageRequest.query.filter_by(status=BARU).order_by(VillageRequest.created_at).all()


def inbox_count() -> int:
    return VillageRequest.query.filter_by(status=BARU).count()


def waiting_since(req: VillageRequest) -> datetime | None:
    """When the request (last) became new: registration or resubmission."""
    rows = [r for r in history_of(req) if r.to_status == BARU]
    return rows[-1].corrected_at if rows else req.created_at


@dataclass(frozen=True)
class InboxWait:
    since: datetime                 # when the letter (last) became new
    waited: timedelta               # until now
    late: bool                      # past the SOP standard for the disposition (step 2)


def inbox_waits(items: list[VillageRequest], now: datetime | None = None) -> dict:
    """{request id: InboxWait} for the Kepala Dinas's inbox, read in one query: how long each
    letter has waited, and whether it is past the 5-minute standard of SOP step 2."""
    now = now or utcnow()
    standard = REQUEST_SOP_STEPS[0].standard
    ids = [r.id for r in items]
    # "baru" is written at the office only (letters are registered and resubmitted there), so the
    # rows' own `at` is the office's clock: no clock offset to correct here.
    since = dict(db.session.execute(
        select(StatusHistory.entity_id, func.max(StatusHistory.at))
        .where(StatusHistory.entity_type == "request", StatusHistory.entity_id.in_(ids),
               StatusHistory.to_status == BARU)
        .group_by(StatusHistory.entity_id)).all()) if ids else {}
    waits = {}
    for r in items:
        started = since.get(r.id) or r.created_at
        waited = max(now - started, timedelta(0))
        waits[r.id] = InboxWait(started, waited, waited > standard)
    return waits


def request_timeline(req: VillageRequest) -> list[StepResult]:
    return step_durations(history_of(req), REQUEST_SOP_STEPS)


def status_history(req: VillageRequest) -> list[StatusHistory]:
    return history_of(req)


def requests_by_letter_numbers(numbers: list[str]) -> list[VillageRequest]:
    return VillageRequest.query.filter(VillageRequest.letter_number.in_(numbers)).all()

