"""Intake on the bus (SOP step 5) on plain arguments: applications for a visit, register prefill
and corrections, the requirement checklist and its files, eligibility, and the three ways an
application ends the visit.

    applications_of(visit) -> list[Application]
    find_in_register(nik=, no_kk=, person_key=, actor=) -> RegisterLookup      # audited
    preview(ApplicationInput, today=None) -> Preview                            # no writes
    start_application(visit, ApplicationInput, actor=, today=None) -> Application
    set_line_state(line, state, actor=) ; attach_file(application, upload, kind=, line=, actor=)
    save_checklist(application, {line: state}, [(line | None, upload)], actor=)   # all or nothing
    missing_items(application) -> list[str] ; evaluate(application, today=None) -> Evaluation
    open_quality_case(application, summary=, kind=, actor=) -> QualityCase
    finish_on_site(application, document_number=, issued_on=, stock_code=, spoiled=0, actor=)
    accept_with_receipt(visit, applications, collect_at=, actor=) -> Receipt
    postpone_application(application, reason=, actor=) ; reject_application(application, reason=, actor=)

Services flush, never commit; every check of an outcome runs before its first write, so a
refusal leaves nothing half-applied (and the request's unit of work rolls back a 422 anyway).
The trip-day package (webapp.field.services) is told when an application closes and asked to
reopen a finished visit; it is imported lazily, and its absence is tolerated."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from webapp.auth.roles import Role
from webapp.core.changes import audit, change_status, record_change
from webapp.core.db import utcnow
from webapp.core.errors import DomainError
from webapp.core.timefmt import wita_today
from webapp.core.validation import clean_text
from webapp.documents.siak.adapter import DOCUMENT_NUMBER, MAX_DOCUMENT_NUMBER
from webapp.extensions import db
from webapp.field import models as field_models
from webapp.field.models import Visit
from webapp.files.services import JPEG, PDF, PNG, read_upload, register_file_owner, store_bytes
from webapp.identity.nik import check_kk, check_nik, mask, normalise
from webapp.intake.eligibility import Assessment, assess
from webapp.intake.models import (APPLICATION_WORKFLOW, COLLECT_AT, DRAFT, FINISHED_ON_SITE, LINE_STATES, MISSING,
                                  POSTPONED, PRESENT, RECEIPTED, REJECTED, RELATIONS, SPTJM, Application,
                                  ApplicationFile, ChecklistLine, DataCorrection, Receipt)
from webapp.intake.receipts import issue_receipt
from webapp.inventory import services as inventory
from webapp.layanan.catalog import SERVICES, STOCK_ITEMS, service_label
from webapp.quality import services as quality
from webapp.quality.models import Person
from webapp.requirements import services as requirements
from webapp.settings import services as settings
from webapp.sync import checkout as trip_checkout   # the office refuses edits while a trip is on the bus
from webapp.trips.models import ARRIVED, Trip

SCAN, PHOTO = "scan", "foto"
FILE_KINDS = {SCAN: _l("Pindaian berkas"), PHOTO: _l("Pas foto")}
SCAN_TYPES = frozenset({PDF, JPEG, PNG})
PHOTO_TYPES = frozenset({JPEG, PNG})
SCAN_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_BYTES = 2 * 1024 * 1024
MAX_REASON = 1000
MAX_SPOILED = 20
SATISFIED = frozenset({PRESENT, SPTJM})
NOT_MARRIED = "BELUM KAWIN"
KABID = frozenset({Role.KABID_DAFDUK.value, Role.KABID_CAPIL.value})


class IntakeInputError(DomainError):
    """Several fields refused at once: {field: message}. The first is the DomainError's own."""

    def __init__(self, errors: dict):
        first_field, first_message = next(iter(errors.items()))
        super().__init__(first_message, field=first_field)
        self.errors = dict(errors)


# --- the trip-day package (written alongside; optional) -----------------------------------------

def _field_hook(name: str):
    try:
        from webapp.field import services as field_services
    except ImportError:
        return None
    return getattr(field_services, name, None)


def can_work_trip(trip: Trip, user) -> bool:
    """The trip's team, or a kabid of one of its divisions."""
    hook = _field_hook("can_work_trip")
    if hook is not None:
        return bool(hook(trip, user))
    from webapp.trips import services as trips
    if trips.is_member(trip, user):
        return True
    return getattr(user, "role", None) in KABID and trips.division_of(user) in trips.trip_divisions(trip)


# --- reading ---------------------------------------------------------------------------------------

def _uuid(value) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def get_visit(visit_id) -> Visit | None:
    key = _uuid(visit_id)
    return db.session.get(Visit, key) if key else None


def get_application(application_id) -> Application | None:
    key = _uuid(application_id)
    return db.session.get(Application, key) if key else None


def trip_of(record) -> Trip:
    return db.session.get(Trip, record.trip_id)


def visit_of(application: Application) -> Visit:
    return db.session.get(Visit, application.visit_id)


def applications_of(visit: Visit) -> list[Application]:
    return list(db.session.execute(select(Application).where(Application.visit_id == visit.id)
                                   .order_by(Application.created_at, Application.id)).scalars())


def corrections_of(application: Application) -> list[DataCorrection]:
    return list(db.session.execute(select(DataCorrection).where(DataCorrection.application_id == application.id)
                                   .order_by(DataCorrection.at)).scalars())


def line_of(application: Application, line_id) -> ChecklistLine | None:
    key = _uuid(line_id)
    return next((line for line in application.lines if line.id == key), None)


@register_file_owner
def _application_file_owner(stored, user) -> bool:
    trip_ids = db.session.execute(select(Application.trip_id).join(ApplicationFile,
                                                                   ApplicationFile.application_id == Application.id)
                                  .where(ApplicationFile.file_id == stored.id)).scalars().all()
    return any(can_work_trip(trip, user) for trip in (db.session.get(Trip, t) for t in set(trip_ids)) if trip)


# --- the person the document is for ------------------------------------------------------------------

@dataclass
class Subject:
    name: str = ""
    relation: str = "sendiri"
    nik: str | None = None
    no_kk: str | None = None
    sex: str | None = None
    birth_date: date | None = None
    birth_place: str | None = None
    address: str | None = None
    married: bool | None = None
    person_key: str | None = None     # the register record the officer filled the form from


@dataclass
class ApplicationInput:
    service_code: str
    subtype_code: str
    subject: Subject
    event_date: date | None = None
    moved_in: bool = False
    note: str | None = None


def married_from(marital_status: str | None) -> bool | None:
    status = (marital_status or "").strip().upper()
    return None if not status else status != NOT_MARRIED


def address_of(person: Person) -> str | None:
    parts = [person.address or ""]
    if person.rt or person.rw:
        parts.append(f"RT {person.rt or '-'}/RW {person.rw or '-'}")
    text = " ".join(p for p in parts if p).strip()
    return text or None


def subject_from_person(person: Person, relation: str = "sendiri") -> Subject:
    return Subject(name=person.name, relation=relation, nik=person.nik, no_kk=person.no_kk, sex=person.sex,
                   birth_date=person.birth_date, birth_place=person.birth_place, address=address_of(person),
                   married=married_from(person.marital_status), person_key=person.person_key)


@dataclass
class RegisterLookup:
    searched: bool = False
    person: Person | None = None
    family: list[Person] = field(default_factory=list)
    message: str | None = None


def _persons_where(column, value: str) -> list[Person]:
    return list(db.session.execute(quality.current_persons().where(column == value)
                                   .order_by(Person.birth_date, Person.name).limit(60)).scalars())


def find_in_register(*, nik: str | None = None, no_kk: str | None = None, person_key: str | None = None,
                     actor) -> RegisterLookup:
    """The register record for a NIK (or a chosen family member), and the members of its KK (or
    of a typed No. KK). Read-only; showing a record is audited like the resident lookup."""
    person = None
    if person_key:
        person = quality.persons_by_keys([person_key]).get(person_key)
    elif nik and len(normalise(nik)) == 16:
        found = _persons_where(Person.nik, normalise(nik))
        person = found[0] if found else None
        if person is None and not no_kk:
            return RegisterLookup(True, message=_("NIK tidak ditemukan di database kependudukan."))
    kk = person.no_kk if person is not None and person.no_kk else (normalise(no_kk) if no_kk else None)
    family = _persons_where(Person.no_kk, kk) if kk and len(kk) == 16 else []
    if person is None and not family:
        return RegisterLookup(True, message=_("NIK / No. KK tidak ditemukan di database kependudukan."))
    if person is not None:
        audit("view", actor=actor, entity_type="person", entity_id=person.person_key,
              summary=f"Pelayanan: rekaman penduduk {person.name} (NIK {mask(person.nik)})")
    if family:
        audit("view", actor=actor, entity_type="person", entity_id=family[0].person_key,
              summary=f"Pelayanan: anggota KK {mask(kk)} ({len(family)} orang)")
    return RegisterLookup(True, person=person, family=family)


PARENT_ROLES = frozenset({"KEPALA KELUARGA", "SUAMI", "ISTRI"})
SPOUSE_ROLES = frozenset({"SUAMI", "ISTRI", "KEPALA KELUARGA"})


def relation_to(visitor_nik: str | None, person: Person, family: list[Person]) -> str:
    """The visitor's relation to a family member chosen from the KK list, from the family roles
    (the officer can still change it): the visitor themself, a parent of a child, a spouse, a
    child of a parent, or family."""
    if visitor_nik and person.nik == visitor_nik:
        return "sendiri"
    visitor = next((p for p in family if visitor_nik and p.nik == visitor_nik), None)
    if visitor is None:
        return "keluarga"
    mine, theirs = (visitor.family_role or "").upper(), (person.family_role or "").upper()
    if mine in PARENT_ROLES and theirs == "ANAK":
        return "orang_tua"
    if mine == "ANAK" and theirs in PARENT_ROLES:
        return "anak"
    if mine in SPOUSE_ROLES and theirs in SPOUSE_ROLES:
        return "suami_istri"
    return "keluarga"


# The register values an officer may correct, as comparable text.
CORRECTABLE = ("name", "nik", "no_kk", "sex", "birth_date", "birth_place", "address", "married")
FIELD_LABELS = {"name": _l("Nama"), "nik": _l("NIK"), "no_kk": _l("No. KK"), "sex": _l("Jenis kelamin"),
                "birth_date": _l("Tanggal lahir"), "birth_place": _l("Tempat lahir"), "address": _l("Alamat"),
                "married": _l("Status perkawinan")}
NUMBER_FIELDS = frozenset({"nik", "no_kk"})


def _as_text(name: str, value) -> str | None:
    if value is None or value == "":
        return None
    if name == "married":
        return "kawin" if value else "belum kawin"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _same(name: str, a: str | None, b: str | None) -> bool:
    if name in ("name", "birth_place", "address"):
        return quality.normalise_name(a) == quality.normalise_name(b)
    return (a or None) == (b or None)


def corrections_between(person: Person, subject: Subject) -> list[tuple[str, str | None, str | None]]:
    """(field, register value, new value) for each value the officer changed."""
    register = subject_from_person(person)
    found = []
    for name in CORRECTABLE:
        old, new = _as_text(name, getattr(register, name)), _as_text(name, getattr(subject, name))
        if new is not None and not _same(name, old, new):
            found.append((name, old, new))
    return found


def _same_person(person: Person, subject: Subject) -> bool:
    """The form still describes the register record it was filled from: its NIK or its name is
    unchanged (a correction changes one of them, not both; an empty field keeps the register's)."""
    nik = normalise(subject.nik) if subject.nik else None
    if nik is None and not (subject.name or "").strip():
        return True
    return nik == person.nik or quality.normalise_name(subject.name) == quality.normalise_name(person.name)


def _fill_blanks(subject: Subject, person: Person) -> Subject:
    """Fields the officer left empty keep the register's value (an empty field is not a correction)."""
    register = subject_from_person(person, subject.relation)
    for name in CORRECTABLE:
        if getattr(subject, name) in (None, ""):
            setattr(subject, name, getattr(register, name))
    return subject


# --- checking what was typed ------------------------------------------------------------------------

def _check_service(code: str, subtype: str) -> None:
    svc = SERVICES.get(code)
    if svc is None or svc.subtype(subtype) is None:
        raise DomainError(_l("Pilih layanan dari daftar."), field="service")


def _clean_subject(subject: Subject) -> tuple[Subject, dict]:
    errors: dict = {}

    def text(value, name, limit, required=False):
        try:
            return clean_text(value, name, required=required, limit=limit)
        except DomainError as error:
            errors[error.field] = error.message
            return None

    subject.name = " ".join((text(subject.name, "subject_name", 120, required=True) or "").split())
    subject.birth_place = text(subject.birth_place, "subject_birth_place", 120)
    subject.address = text(subject.address, "subject_address", 255)
    if subject.relation not in RELATIONS:
        errors["relation"] = _l("Pilih hubungan pemohon dengan yang bersangkutan.")
    if subject.sex not in (None, "", "L", "P"):
        errors["subject_sex"] = _l("Pilih L atau P.")
    subject.sex = subject.sex or None
    for name, checker in (("nik", check_nik), ("no_kk", check_kk)):
        raw = getattr(subject, name)
        if raw in (None, ""):
            setattr(subject, name, None)
            continue
        result = checker(raw)
        if not result.valid:
            errors[f"subject_{name}"] = result.errors[0].message
        setattr(subject, name, result.value or normalise(raw))
    return subject, errors


def _assessment(data: ApplicationInput, today: date) -> Assessment:
    return assess(data.service_code, data.subtype_code, birth_date=data.subject.birth_date,
                  married=data.subject.married, event_date=data.event_date, on=today, rules=settings.values())


def _facts(data: ApplicationInput, assessment: Assessment) -> set[str]:
    facts = set(assessment.facts)
    if data.subject.married:
        facts.add("married")
    if data.moved_in:
        facts.add("moved_in")
    return facts


# --- the checklist from the requirement template ------------------------------------------------------

def _age_rule_texts(service_code: str, subtype_code: str) -> set[str]:
    """Texts of the template's age rules: eligibility.py checks those exactly, so they are not
    lines the officer ticks (a rule such as "not recorded before" stays on the checklist)."""
    template = requirements.get_template(service_code, subtype_code)
    if template is None:
        return set()
    config = settings.values()
    return {requirements.fill(item.text, item, config) for item in template.items
            if item.kind == "eligibility" and (item.min_age is not None or item.max_age is not None
                                               or item.age_setting)}


@dataclass(frozen=True)
class PlannedLine:
    text: str
    kind: str
    alt_group: str | None
    sptjm_allowed: bool
    note: str | None = None


def planned_lines(service_code: str, subtype_code: str, *, age: int | None, facts: set[str]) -> list[PlannedLine]:
    """The checklist lines a new application gets. Alternatives ("A or B") share an alt_group; a
    line may be replaced by an SPTJM when it is one or when one of its alternatives is."""
    skipped = _age_rule_texts(service_code, subtype_code)
    lines: list[PlannedLine] = []
    for index, line in enumerate(requirements.requirements_for(service_code, subtype_code, age_years=age,
                                                               facts=facts), start=1):
        if line.kind == "eligibility" and all(t in skipped for t in line.texts):
            continue
        group = f"G{index}" if len(line.texts) > 1 else None
        sptjm = any("SPTJM" in t.upper() for t in line.texts)
        lines.extend(PlannedLine(t, line.kind, group, sptjm, line.note) for t in line.texts)
    return lines


# --- blocking cases -----------------------------------------------------------------------------------

def _case_keys(person_key: str | None, nik: str | None, name: str | None, birth_date: date | None) -> list[str]:
    keys = [person_key] if person_key else []
    if nik:   # cases opened for someone the register does not know (quality.open_case, the pre-trip check)
        keys += ["ext:" + quality.person_key(nik, name, None)[:28], "ext:" + quality.person_key(nik, name, birth_date)[:28]]
    return keys


def blocking_reasons(*, person_key: str | None, nik: str | None, name: str | None, birth_date: date | None,
                     case_id=None) -> list[str]:
    """Why the document cannot be finished on site: an invalid NIK, or a data-quality case of
    severity error waiting for the centre."""
    reasons = []
    if nik and not check_nik(nik).valid:
        reasons.append(_("NIK tidak sah"))
    cases = {c.id: c for found in quality.active_cases_for_keys(_case_keys(person_key, nik, name, birth_date)).values()
             for c in found}
    if case_id:
        own = quality.get_case(case_id)
        if own is not None and own.active:
            cases[own.id] = own
    for case in sorted(cases.values(), key=lambda c: c.created_at):
        if case.severity == "error":
            reasons.append(_("Kasus kualitas data %(n)s menunggu verifikasi pusat", n=case.number))
    return reasons


def application_blocking(application: Application) -> list[str]:
    return blocking_reasons(person_key=application.person_key, nik=application.subject_nik,
                            name=application.subject_name, birth_date=application.subject_birth_date,
                            case_id=application.quality_case_id)


# --- preview (before saving) ----------------------------------------------------------------------------

@dataclass
class Preview:
    assessment: Assessment
    lines: list[PlannedLine]
    blocking: list[str]
    label: str

    def groups(self) -> list[list[PlannedLine]]:
        """The planned lines with the alternatives of one group together."""
        found: dict = {}
        for index, line in enumerate(self.lines):
            found.setdefault(line.alt_group or index, []).append(line)
        return list(found.values())


def preview(data: ApplicationInput, today: date | None = None) -> Preview | None:
    """What saving would give: eligibility, lateness and the checklist. Writes nothing. None when
    no service is chosen yet."""
    if data.service_code not in SERVICES or SERVICES[data.service_code].subtype(data.subtype_code) is None:
        return None
    today = today or wita_today()
    assessment = _assessment(data, today)
    lines = planned_lines(data.service_code, data.subtype_code, age=assessment.age,
                          facts=_facts(data, assessment))
    subject = data.subject
    nik = normalise(subject.nik) if subject.nik else None
    blocking = blocking_reasons(person_key=subject.person_key, nik=nik, name=subject.name,
                                birth_date=subject.birth_date)
    return Preview(assessment, lines, blocking, service_label(data.service_code, data.subtype_code))


# --- starting an application ----------------------------------------------------------------------------

def _require_on_site(trip: Trip) -> None:
    if trip is not None:
        trip_checkout.ensure_editable_at_office(trip.id)
    if trip is None or trip.status != ARRIVED:
        raise DomainError(_l("Pelayanan hanya saat tim sudah tiba di lokasi (perjalanan berstatus tiba)."))


def _prepare_visit(visit: Visit, actor) -> None:
    """A waiting resident is called (SOP step 5 starts); a finished visit is reopened."""
    if visit.status == field_models.WAITING:
        hook = _field_hook("call_visit")
        if hook is not None:
            hook(visit, actor)
    elif visit.status == field_models.DONE:
        hook = _field_hook("reopen_visit")
        if hook is not None:
            hook(visit, actor)
    elif visit.status != field_models.CALLED:
        raise DomainError(_l("Warga berstatus %(s)s: daftarkan ke antrean dulu.", s=visit.status_label))


def start_application(visit: Visit, data: ApplicationInput, *, actor, today: date | None = None) -> Application:
    """A draft application for one service of one person, with its checklist. A value the officer
    changed from the register is noted as a DataCorrection (the register is never written)."""
    trip = trip_of(visit)
    _require_on_site(trip)
    try:
        _check_service(data.service_code, data.subtype_code)
        service_error = None
    except DomainError as error:
        service_error = error
    subject = data.subject
    key = (subject.person_key or "").strip()[:40]
    person = quality.persons_by_keys([key]).get(key) if key else None
    if person is not None and not _same_person(person, subject):
        person = None          # the officer typed someone else over the filled record
    subject.person_key = person.person_key if person is not None else None
    if person is not None:
        subject = _fill_blanks(subject, person)
    subject, errors = _clean_subject(subject)
    if service_error is not None:
        raise IntakeInputError({"service": service_error.message, **errors})
    today = today or wita_today()
    assessment = _assessment(data, today)
    errors.update(assessment.errors)
    if errors:
        raise IntakeInputError(errors)
    note = clean_text(data.note, "note", required=False, limit=MAX_REASON)
    _prepare_visit(visit, actor)

    application = Application(
        visit_id=visit.id, trip_id=visit.trip_id, service_code=data.service_code, subtype_code=data.subtype_code,
        relation=subject.relation, subject_name=subject.name, subject_nik=subject.nik, subject_no_kk=subject.no_kk,
        subject_sex=subject.sex, subject_birth_date=subject.birth_date, subject_birth_place=subject.birth_place,
        subject_address=subject.address, subject_married=subject.married, person_key=subject.person_key,
        event_date=data.event_date or (subject.birth_date if data.service_code == "AKTA_LAHIR" else None),
        late=assessment.late, late_days=assessment.late_days, note=note, created_by_id=getattr(actor, "id", None))
    db.session.add(application)
    change_status(application, DRAFT, actor=actor, workflow=APPLICATION_WORKFLOW, audit=False)
    record_change(application, "create", actor=actor,
                  summary=f"{application.label}: {subject.name} (NIK {mask(subject.nik)})"
                          + (f", terlambat {assessment.late_days} hari" if assessment.late else ""))
    if person is not None:
        _record_corrections(application, person, subject, actor)
    for position, planned in enumerate(planned_lines(data.service_code, data.subtype_code, age=assessment.age,
                                                     facts=_facts(data, assessment)), start=1):
        line = ChecklistLine(position=position, text=planned.text, kind=planned.kind, alt_group=planned.alt_group,
                             sptjm_allowed=planned.sptjm_allowed, state=MISSING, note=planned.note)
        application.lines.append(line)
        record_change(line, "create", actor=actor, audit=False)   # the application's entry covers them
    _update_completeness(application, actor)
    db.session.flush()
    return application


def _record_corrections(application: Application, person: Person, subject: Subject, actor) -> None:
    for name, old, new in corrections_between(person, subject):
        row = DataCorrection(application_id=application.id, person_key=person.person_key, field=name,
                             register_value=old, new_value=new, actor_id=getattr(actor, "id", None), at=utcnow())
        db.session.add(row)
        shown = (mask(old), mask(new)) if name in NUMBER_FIELDS else (old or "—", new)
        record_change(row, "create", actor=actor,
                      summary=f"Koreksi data {application.label}: {name} {shown[0]} → {shown[1]}")


# --- the checklist ------------------------------------------------------------------------------------

def _require_draft(application: Application) -> None:
    trip_checkout.ensure_editable_at_office(application.trip_id)
    if application.status != DRAFT:
        raise DomainError(_l("Permohonan berstatus %(s)s tidak dapat diubah.", s=application.status_label))


def _has_photo(application: Application) -> bool:
    return any(f.kind == PHOTO for f in application.files)


def _line_satisfied(line: ChecklistLine, application: Application) -> bool:
    if line.state not in SATISFIED:
        return False
    return line.kind != "photo" or _has_photo(application)


def line_groups(application: Application) -> list[list[ChecklistLine]]:
    """The checklist as groups: a line alone, or the alternatives of one alt_group together."""
    groups: dict[str, list[ChecklistLine]] = {}
    for line in sorted(application.lines, key=lambda l: (l.position, str(l.id))):
        groups.setdefault(line.alt_group or f"line:{line.id}", []).append(line)
    return list(groups.values())


def missing_items(application: Application) -> list[str]:
    """Texts of the requirements not yet satisfied; a group of alternatives is satisfied by any of
    its lines (present or replaced by an SPTJM). A photo line needs the photo itself."""
    missing = []
    for group in line_groups(application):
        if any(_line_satisfied(line, application) for line in group):
            continue
        text = (" " + _("atau") + " ").join(line.text for line in group)
        if any(line.kind == "photo" and line.state in SATISFIED for line in group):
            text += " — " + _("foto belum diunggah")
        missing.append(text)
    return missing


def _update_completeness(application: Application, actor) -> None:
    complete = not missing_items(application)
    if complete and application.requirements_complete_at is None:
        application.requirements_complete_at = utcnow()
    elif not complete and application.requirements_complete_at is not None:
        application.requirements_complete_at = None
    else:
        return
    record_change(application, "update", actor=actor, audit=False)


def _state_problem(line: ChecklistLine, state: str):
    """Why `state` cannot be set on the line, or None."""
    if state not in LINE_STATES:
        return _l("Pilih Ada, Tidak ada, atau SPTJM.")
    if state == SPTJM and not line.sptjm_allowed:
        return _l("Syarat ini tidak dapat diganti SPTJM.")
    return None


def _apply_state(line: ChecklistLine, state: str, actor) -> None:
    if line.state != state:
        line.state = state
        record_change(line, "update", actor=actor,
                      summary=f"{line.application.label}: {line.text[:100]} — {LINE_STATES[state]}")


def set_line_state(line: ChecklistLine, state: str, *, actor, note: str | None = None) -> ChecklistLine:
    application = line.application
    _require_draft(application)
    problem = _state_problem(line, state)
    if problem is not None:
        raise DomainError(problem, field="state")
    if note is not None:
        line.note = clean_text(note, "note", required=False, limit=MAX_REASON)
    _apply_state(line, state, actor)
    _update_completeness(application, actor)
    db.session.flush()
    return line


@dataclass(frozen=True)
class CheckedFile:
    """An upload checked by content and size, not stored yet."""
    kind: str
    data: bytes
    mime_type: str
    name: str


def check_file(upload, *, kind: str = SCAN, line: ChecklistLine | None = None, field: str = "file") -> CheckedFile:
    """A scan (PDF, JPG, PNG, up to 5 MB) or a photo (JPG, PNG, up to 2 MB; a photo line takes
    photos), checked by content; DomainError(field=field) when refused."""
    if line is not None and line.kind == "photo":
        kind = PHOTO
    if kind not in FILE_KINDS:
        raise DomainError(_l("Jenis berkas tidak dikenal."), field=field)
    photo = kind == PHOTO
    data, mime = read_upload(upload, allowed=PHOTO_TYPES if photo else SCAN_TYPES,
                             max_bytes=PHOTO_MAX_BYTES if photo else SCAN_MAX_BYTES, field=field)
    return CheckedFile(kind, data, mime, getattr(upload, "filename", "") or "")


def _attach_checked(application: Application, checked: CheckedFile, line: ChecklistLine | None, actor,
                    source: str) -> ApplicationFile:
    stored = store_bytes(checked.data, mime_type=checked.mime_type, original_name=checked.name, actor=actor)
    attached = ApplicationFile(line_id=line.id if line else None, file_id=stored.id, kind=checked.kind,
                               source=source, added_by_id=getattr(actor, "id", None), added_at=utcnow())
    application.files.append(attached)
    record_change(attached, "create", actor=actor,
                  summary=f"{application.label}: {FILE_KINDS[checked.kind]}" + (f" — {line.text[:80]}" if line else ""))
    if line is not None and line.state == MISSING:
        line.state = PRESENT
        record_change(line, "update", actor=actor, audit=False)
    return attached


def attach_file(application: Application, upload, *, kind: str = SCAN, line: ChecklistLine | None = None,
                actor, source: str = "upload") -> ApplicationFile:
    """Store an uploaded scan or photo (see check_file) and attach it (to a checklist line, which
    then counts as present)."""
    _require_draft(application)
    if line is not None and line.application_id != application.id:
        raise DomainError(_l("Syarat tidak ditemukan."), field="file")
    attached = _attach_checked(application, check_file(upload, kind=kind, line=line), line, actor, source)
    _update_completeness(application, actor)
    db.session.flush()
    return attached


FILE_LINE_KINDS = frozenset({"document", "photo"})


def _file_problem(application: Application, line: ChecklistLine | None):
    if line is None:
        return None
    if line.application_id != application.id:
        return _l("Syarat tidak ditemukan.")
    return None if line.kind in FILE_LINE_KINDS else _l("Syarat ini tidak memakai berkas.")


def save_checklist(application: Application, states: dict, files: list, *, actor) -> None:
    """The whole checklist in one submission: each line's state ({line: state}) and the files
    ([(line, upload)]: a line's photo or scan, line None for the application's other files).
    Every state and file is checked before the first write; refusals raise IntakeInputError keyed
    "state:<line id>" and "file:<line id>" ("file:" for the other files): nothing is saved."""
    _require_draft(application)
    errors: dict = {}
    for line, state in states.items():
        mine = line.application_id == application.id
        problem = _state_problem(line, state) if mine else _l("Syarat tidak ditemukan.")
        if problem is not None:
            errors[f"state:{line.id}"] = problem
    checked = []
    for line, upload in files:
        key = f"file:{line.id if line is not None else ''}"
        problem = _file_problem(application, line)
        try:
            if problem is not None:
                raise DomainError(problem, field=key)
            checked.append((line, check_file(upload, line=line, field=key)))
        except DomainError as error:
            errors.setdefault(key, error.message)
    if errors:
        raise IntakeInputError(errors)
    for line, state in states.items():
        _apply_state(line, state, actor)
    for line, file in checked:
        _attach_checked(application, file, line, actor, "upload")
    _update_completeness(application, actor)
    db.session.flush()


def files_by_line(application: Application) -> dict:
    found: dict = {}
    for attached in application.files:
        found.setdefault(attached.line_id, []).append(attached)
    return found


# --- evaluation ---------------------------------------------------------------------------------------

@dataclass
class Evaluation:
    assessment: Assessment
    missing: list[str]
    blocking: list[str]
    siak_online: bool
    on_site: bool

    @property
    def eligibility_problems(self) -> list[str]:
        return [str(p) for p in self.assessment.problems] + [str(e) for e in self.assessment.errors.values()]

    @property
    def can_finish_on_site(self) -> bool:
        return (self.on_site and self.siak_online and not self.missing and not self.eligibility_problems
                and not self.blocking)

    @property
    def can_receipt(self) -> bool:
        return self.on_site and not self.missing and not self.eligibility_problems


def evaluate(application: Application, today: date | None = None) -> Evaluation:
    """Eligibility and lateness as of today, what is missing, and what blocks finishing on site."""
    assessment = assess(application.service_code, application.subtype_code,
                        birth_date=application.subject_birth_date, married=application.subject_married,
                        event_date=application.event_date, on=today or wita_today(), rules=settings.values())
    trip = trip_of(application)
    return Evaluation(assessment=assessment, missing=missing_items(application),
                      blocking=application_blocking(application), siak_online=bool(trip and trip.siak_online),
                      on_site=bool(trip and trip.status == ARRIVED))


# --- a data-quality case from the intake ---------------------------------------------------------------

def open_quality_case(application: Application, *, summary: str, kind: str = "anomali", actor):
    """Open a case for the person of this application (it then blocks finishing on site until
    the centre verifies) and link it to the application."""
    trip_checkout.ensure_editable_at_office(application.trip_id)
    if application.status not in (DRAFT, POSTPONED):
        raise DomainError(_l("Permohonan berstatus %(s)s tidak dapat diubah.", s=application.status_label))
    visit = visit_of(application)
    case = quality.open_case(actor=actor, summary=summary, kind=kind,
                             person_keys=[application.person_key] if application.person_key else (),
                             opened_by="petugas", subject_name=application.subject_name,
                             subject_nik=application.subject_nik, desa_code=visit.desa_code if visit else None,
                             request_id=str(visit.request_id) if visit and visit.request_id else None)
    db.session.flush()
    application.quality_case_id = case.id
    record_change(application, "update", actor=actor, summary=f"{application.label}: kasus {case.number} dibuka")
    db.session.flush()
    return case


# --- outcomes ---------------------------------------------------------------------------------------------

def _after_close(application: Application, actor) -> None:
    application.closed_at = utcnow()
    record_change(application, "update", actor=actor, audit=False)
    db.session.flush()
    hook = _field_hook("application_closed")
    if hook is not None:
        hook(visit_of(application), actor)


def _joined(items) -> str:
    return "; ".join(str(i) for i in items)


def _check_finishable(application: Application, trip: Trip) -> None:
    _require_draft(application)
    _require_on_site(trip)
    if not trip.siak_online:
        raise DomainError(_l("SIAK tidak terhubung: selesaikan dengan tanda terima."))
    evaluation = evaluate(application)
    if evaluation.missing:
        raise DomainError(_l("Persyaratan belum lengkap: %(items)s.", items=_joined(evaluation.missing)))
    if evaluation.eligibility_problems:
        raise DomainError(_l("Belum memenuhi syarat: %(items)s", items=_joined(evaluation.eligibility_problems)))
    if evaluation.blocking:
        raise DomainError(_l("Tidak dapat diselesaikan di lokasi: %(items)s.", items=_joined(evaluation.blocking)))


def _check_issue_date(issued_on: date | None, trip: Trip) -> date:
    if issued_on is None:
        raise DomainError(_l("Isi tanggal terbit dokumen."), field="issued_on")
    if issued_on > wita_today():
        raise DomainError(_l("Tanggal terbit belum terjadi."), field="issued_on")
    if issued_on < trip.start_date:
        raise DomainError(_l("Tanggal terbit sebelum perjalanan dimulai."), field="issued_on")
    return issued_on


def _check_spoiled(spoiled) -> int:
    try:
        count = int(str(spoiled if spoiled not in (None, "") else 0).strip(), 10)
    except ValueError:
        raise DomainError(_l("Jumlah blangko rusak harus bilangan bulat, misalnya 0."), field="spoiled") from None
    if not 0 <= count <= MAX_SPOILED:
        raise DomainError(_l("Jumlah blangko rusak 0 sampai %(n)d.", n=MAX_SPOILED), field="spoiled")
    return count


def _check_stock(application: Application, trip: Trip, stock_code: str | None, spoiled: int) -> tuple[str | None, int]:
    """(stock code, blanks per document); the trip must carry them all, spoiled ones included."""
    per_app = SERVICES[application.service_code].stock_per_application
    code = (stock_code or "").strip() or None
    if code is None:
        if per_app:
            raise DomainError(_l("Pilih blangko yang dipakai."), field="stock_code")
        if spoiled:
            raise DomainError(_l("Tanpa blangko tidak ada blangko rusak."), field="spoiled")
        return None, 0
    if code not in STOCK_ITEMS:
        raise DomainError(_l("Jenis blangko tidak dikenal."), field="stock_code")
    if not per_app:
        raise DomainError(_l("Layanan ini tidak memakai blangko."), field="stock_code")
    if code not in per_app:   # as at the office: a KK is never printed on a KIA blank
        raise DomainError(_l("Dokumen ini dicetak pada %(b)s.", b=", ".join(inventory.stock_label(c) for c in per_app)),
                          field="stock_code")
    used = per_app[code]
    left = inventory.trip_stock(trip.id).get(code, inventory.TripStock()).outstanding
    if used + spoiled > left:
        raise DomainError(_l("%(item)s yang dibawa perjalanan ini tinggal %(left)d; dibutuhkan %(need)d "
                             "(%(used)d terpakai + %(spoiled)d rusak).", item=inventory.stock_label(code),
                             left=left, need=used + spoiled, used=used, spoiled=spoiled), field="quantity")
    return code, used


def finish_on_site(application: Application, *, document_number: str, issued_on: date | None,
                   stock_code: str | None, spoiled=0, actor) -> Application:
    """(a) Finished on site: SIAK is reachable, the checklist complete, the person eligible and no
    case blocks. Records the number SIAK issued, the printing and the blank used (and spoiled)
    from the trip's stock. Every check runs before the first write."""
    trip = trip_of(application)
    _check_finishable(application, trip)
    number = clean_text(document_number, "document_number", required=True, limit=MAX_DOCUMENT_NUMBER)
    if not DOCUMENT_NUMBER.fullmatch(number):    # the rule of a SIAK result file, typed on the bus too
        raise DomainError(_l("Nomor dokumen tidak sah: hanya huruf, angka, spasi, titik, garis miring dan tanda "
                             "hubung."), field="document_number")
    issued = _check_issue_date(issued_on, trip)
    count = _check_spoiled(spoiled)
    code, used = _check_stock(application, trip, stock_code, count)

    reason = f"{application.label} {number}"
    if code is not None:
        inventory.record_use(code, used, trip_id=trip.id, actor=actor, reason=reason)
        if count:
            inventory.record_spoiled(code, count, trip_id=trip.id, actor=actor, reason=f"Rusak saat cetak: {reason}")
    now = utcnow()
    application.document_number, application.document_issued_on = number, issued
    application.document_recorded_at = application.printed_at = now
    application.stock_code, application.spoiled_count = code, count
    change_status(application, FINISHED_ON_SITE, actor=actor, workflow=APPLICATION_WORKFLOW, note=number)
    _after_close(application, actor)
    return application


def receipt_problems(applications: list[Application]) -> list[str]:
    """Why these applications cannot be accepted with a receipt (the files are accepted only
    when the requirements are complete, or replaced by an SPTJM)."""
    problems = []
    for application in applications:
        evaluation = evaluate(application)
        who = f"{application.label} ({application.subject_name})"
        if evaluation.missing:
            problems.append(_("%(who)s: persyaratan belum lengkap — %(items)s", who=who,
                              items=_joined(evaluation.missing)))
        if evaluation.eligibility_problems:
            problems.append(_("%(who)s: belum memenuhi syarat — %(items)s", who=who,
                              items=_joined(evaluation.eligibility_problems)))
    return problems


def accept_with_receipt(visit: Visit, applications: list[Application], *, collect_at: str, actor) -> Receipt:
    """(b) Files accepted, finished later at the office: one receipt for the chosen draft
    applications of this visit."""
    applications = list(dict.fromkeys(applications))
    if not applications:
        raise DomainError(_l("Pilih sedikitnya satu permohonan."), field="applications")
    _require_on_site(trip_of(visit))
    for application in applications:
        if application.visit_id != visit.id:
            raise DomainError(_l("Permohonan bukan milik kunjungan ini."), field="applications")
        if application.status != DRAFT:
            raise DomainError(_l("%(label)s berstatus %(s)s: tidak dapat diberi tanda terima.",
                                 label=application.label, s=application.status_label), field="applications")
    if collect_at not in COLLECT_AT:
        raise DomainError(_l("Pilih tempat pengambilan dokumen."), field="collect_at")
    problems = receipt_problems(applications)
    if problems:
        raise DomainError(_joined(problems), field="applications")

    receipt = issue_receipt(visit, applications, collect_at=collect_at, actor=actor)
    for application in applications:
        change_status(application, RECEIPTED, actor=actor, workflow=APPLICATION_WORKFLOW, note=receipt.number)
    for application in applications:
        _after_close(application, actor)
    return receipt


def _close_with_reason(application: Application, to_status: str, reason: str, actor) -> Application:
    _require_draft(application)
    text = clean_text(reason, "reason", required=True, limit=MAX_REASON)
    application.reason = text
    change_status(application, to_status, actor=actor, workflow=APPLICATION_WORKFLOW, note=text)
    _after_close(application, actor)
    return application


def postpone_application(application: Application, *, reason: str, actor) -> Application:
    """(c) Postponed (e.g. a paper missing, a case waiting for the centre), with the reason."""
    return _close_with_reason(application, POSTPONED, reason, actor)


def reject_application(application: Application, *, reason: str, actor) -> Application:
    """(c) Rejected (e.g. not eligible), with the reason."""
    return _close_with_reason(application, REJECTED, reason, actor)


def draft_applications(visit: Visit) -> list[Application]:
    return [a for a in applications_of(visit) if a.status == DRAFT]


def default_stock_code(application: Application) -> str | None:
    per_app = SERVICES[application.service_code].stock_per_application
    return next(iter(per_app), None)


def trip_stock_left(trip: Trip) -> dict[str, int]:
    return {code: row.outstanding for code, row in inventory.trip_stock(trip.id).items()}
