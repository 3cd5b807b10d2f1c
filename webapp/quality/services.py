"""Data-quality services on plain arguments: the current register, the scan, cases and
duplicate decisions. Callable without a request (the import thread, the CLI, the demo).

The import pipeline itself is in `importer.py`, the pre-trip check in `precheck.py`.
"""
from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Iterable, Mapping, Sequence

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from webapp.core.args import arg_int, arg_page
from webapp.core.timefmt import wita_today
from webapp.core.bulk import paused_gc
from webapp.core.changes import Workflow, audit, change_status, record_change
from webapp.core.counters import human_number
from webapp.core.db import utcnow
from webapp.core.errors import DomainError
from webapp.core.paging import Page, paginate
from webapp.extensions import db
from webapp.identity.nik import mask
from webapp.quality.models import (
    ACTIVE_CASE_STATUSES,
    CASE_KINDS,
    CASE_STATUS_LABELS,
    CASE_STATUSES,
    CasePerson,
    DuplicateDecision,
    Person,
    QualityCase,
    RegisterState,
)
from webapp.quality.permissions import MANAGE, OPEN
from webapp.quality.records import PersonRecord

log = logging.getLogger("webapp.quality")

MANAGE_ROLES = frozenset(MANAGE)
OPEN_ROLES = frozenset(OPEN)
DUPLICATE_RULE = "duplicate"
CASE_SEVERITIES = ("error", "warning")      # scan findings of these severities open cases
CASE_BATCH = 1000                            # cases per commit while a scan opens cases
CASE_PREFIX, CASE_COUNTER = "KAS", "quality_case"

CASE_WORKFLOW = Workflow(
    "quality_case",
    {
        None: {"terbuka": frozenset()},                     # scan, pre-trip check, officers
        "terbuka": {"diputuskan": MANAGE_ROLES, "diajukan": MANAGE_ROLES, "selesai": MANAGE_ROLES},
        "diputuskan": {"diajukan": MANAGE_ROLES, "selesai": MANAGE_ROLES},
        "diajukan": {"selesai": MANAGE_ROLES, "ditolak": MANAGE_ROLES},
        "ditolak": {"terbuka": MANAGE_ROLES},              # taken up again, with a reason
        "selesai": {"terbuka": frozenset()},               # the scan: the records changed since
    },
    CASE_STATUS_LABELS,
)


# --- keys -------------------------------------------------------------------------------------

_NAME_NOISE = re.compile(r"[^A-Z0-9' ]+")


def normalise_name(name: str | None) -> str:
    """Upper case, punctuation as space, single spaces: the name part of the person key."""
    return " ".join(_NAME_NOISE.sub(" ", (name or "").upper()).split())


def person_key(nik: str | None, name: str | None, birth_date: date | None) -> str:
    """Stable across register snapshots: NIK + normalised name + birth date, hashed (so the key
    carries no NIK and may appear in forms)."""
    raw = f"{(nik or '').strip()}|{normalise_name(name)}|{birth_date.isoformat() if birth_date else ''}"
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:32]


def pair_key(a: str, b: str) -> str:
    x, y = sorted((str(a), str(b)))
    return f"{x}|{y}"


def finding_key(rule_code: str, keys: Iterable[str]) -> str:
    raw = rule_code + "|" + "|".join(sorted(set(keys)))
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()


# The fields of a register record that the rules and the duplicate detector read.
FINGERPRINT_FIELDS = ("nik", "no_kk", "name", "sex", "birth_place", "birth_date", "marital_status",
                      "family_role", "mother_name", "father_name", "address", "rt", "rw", "desa_code")


def record_fingerprint(keys: Iterable[str], records: Mapping[str, PersonRecord]) -> str:
    """A hash of a case's records as the register has them (`records`: person key → record; a
    key missing from it counts as "not in the register"). Same records, same fingerprint."""
    parts = []
    for key in sorted(set(str(k) for k in keys)):
        record = records.get(key)
        values = "-" if record is None else "|".join(
            "" if getattr(record, name) is None else str(getattr(record, name)) for name in FINGERPRINT_FIELDS)
        parts.append(f"{key}={values}")
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def case_fingerprint(case: QualityCase) -> str:
    """The fingerprint of a case's records in the current register."""
    persons = persons_by_keys([k for k in case.person_keys if not k.startswith("ext:")])
    return record_fingerprint(case.person_keys, {k: person_record(p) for k, p in persons.items()})


# --- the current register -------------------------------------------------------------------


def register_state() -> RegisterState:
    state = db.session.get(RegisterState, 1)
    if state is None:
        state = RegisterState(id=1, current_snapshot_id=None, persons=0)
        db.session.add(state)
        db.session.flush()
    return state


def current_snapshot_id() -> uuid.UUID | None:
    return db.session.execute(select(RegisterState.current_snapshot_id)
                              .where(RegisterState.id == 1)).scalar()


def current_persons():
    """A select() of the current register's Person rows (add filters to it)."""
    return select(Person).where(Person.snapshot_id == current_snapshot_id())


def persons_by_keys(keys: Sequence[str]) -> dict[str, Person]:
    if not keys:
        return {}
    rows = db.session.execute(current_persons().where(Person.person_key.in_(list(keys)))).scalars()
    return {p.person_key: p for p in rows}


def person_record(person: Person, ref: Any = None) -> PersonRecord:
    return PersonRecord(
        ref=person.person_key if ref is None else ref, nik=person.nik, no_kk=person.no_kk,
        name=person.name, sex=person.sex, birth_place=person.birth_place,
        birth_date=person.birth_date, marital_status=person.marital_status,
        family_role=person.family_role, mother_name=person.mother_name,
        father_name=person.father_name, address=person.address, rt=person.rt, rw=person.rw,
        desa_code=person.desa_code)


_RECORD_COLUMNS = (Person.person_key, Person.nik, Person.no_kk, Person.name, Person.sex,
                   Person.birth_place, Person.birth_date, Person.marital_status,
                   Person.family_role, Person.mother_name, Person.father_name, Person.address,
                   Person.rt, Person.rw, Person.desa_code)


def load_register_records(snapshot_id: uuid.UUID | None = None) -> list[PersonRecord]:
    """Every record of a snapshot (the current one by default) as PersonRecord, ref = person_key."""
    snapshot_id = snapshot_id or current_snapshot_id()
    if snapshot_id is None:
        return []
    rows = db.session.execute(select(*_RECORD_COLUMNS).where(Person.snapshot_id == snapshot_id)
                              .order_by(Person.row_no))
    return [PersonRecord(*row) for row in rows]


# --- duplicate index cache (shared with the pre-trip check) -----------------------------------

_INDEX_LOCK = threading.Lock()
_INDEX_CACHE: dict[str, Any] = {}


def duplicate_config():
    from webapp.quality.duplicates import DuplicateConfig
    thresholds = current_app.config.get("DUPLICATE_THRESHOLDS") or {}
    return DuplicateConfig.from_mapping(thresholds) if thresholds else DuplicateConfig()


def rule_config():
    """Rule thresholds: the office's settings page first (KK size), then QUALITY_RULES."""
    from webapp.quality.rules import RuleConfig
    from webapp.settings import services as settings
    mapping = {"max_kk_members": settings.get_int("kk_max_members")}
    mapping.update(current_app.config.get("QUALITY_RULES") or {})
    return RuleConfig.from_mapping(mapping)


def _index_key(snapshot_id) -> str:
    return f"{current_app.config['SQLALCHEMY_DATABASE_URI']}|{snapshot_id}"


def remember_duplicate_index(snapshot_id, index) -> None:
    with _INDEX_LOCK:
        _INDEX_CACHE.clear()  # one register per process is enough; the old one is stale
        _INDEX_CACHE[_index_key(snapshot_id)] = index


def duplicate_index(snapshot_id=None):
    """The DuplicateIndex of the current register, built once per process and snapshot."""
    from webapp.quality.duplicates import DuplicateIndex
    snapshot_id = snapshot_id or current_snapshot_id()
    if snapshot_id is None:
        return None
    key = _index_key(snapshot_id)
    with _INDEX_LOCK:
        index = _INDEX_CACHE.get(key)
        if index is None:
            index = DuplicateIndex(load_register_records(snapshot_id), duplicate_config())
            _INDEX_CACHE.clear()
            _INDEX_CACHE[key] = index
        return index


def warm_duplicate_index(app) -> bool:
    """Build the current register's index now, before a check-in or a pre-trip check needs it
    (a gunicorn worker's start, in a thread: at the regency's scale the build takes ~9 s, which the
    first resident checked in after a restart would otherwise wait). False without a register."""
    with app.app_context():
        started = time.monotonic()
        try:
            built = duplicate_index() is not None
            if built:
                log.info("duplicate index ready in %.1f s (worker start)", time.monotonic() - started)
            return built
        except Exception:  # a worker must start even when the register cannot be read
            log.exception("building the duplicate index at worker start failed")
            return False
        finally:
            db.session.remove()


# --- cases -------------------------------------------------------------------------------------


def _new_case(*, kind: str, rule_code: str, severity: str, keys: Sequence[str], summary: str,
              opened_by: str, actor, subject_name: str | None = None, subject_nik: str | None = None,
              desa_code: str | None = None, request_id: str | None = None,
              import_id=None, note: str | None = None, number: str | None = None) -> QualityCase:
    keys = list(dict.fromkeys(str(k) for k in keys))
    case = QualityCase(
        number=number or human_number(CASE_PREFIX, CASE_COUNTER), kind=kind, rule_code=rule_code,
        severity=severity, finding_key=finding_key(rule_code, keys), person_keys=keys,
        summary=summary[:2000], opened_by=opened_by, subject_name=subject_name,
        subject_nik=subject_nik, desa_code=desa_code, request_id=request_id, import_id=import_id)
    case.status = None
    case.persons = [CasePerson(person_key=k) for k in keys]
    change_status(case, "terbuka", actor=actor, workflow=CASE_WORKFLOW,
                  note=note or str(_l("Dibuka: %(s)s", s=summary[:200])))
    for link in case.persons:
        record_change(link, "create", actor=actor, audit=False)   # the case's audit entry covers them
    db.session.add(case)
    return case


def _reserve_case_numbers(count: int) -> list[str]:
    """`count` consecutive case numbers in one counter update (a scan opens thousands of
    cases; one next_value() per case costs an UPDATE + SELECT each). Same format as
    human_number(); numbers of a scan that fails later are skipped, never reused."""
    if count <= 0:
        return []
    from webapp.core.counters import NodeCounter, next_value
    from webapp.core.db import current_node
    node = current_node()
    first = next_value(CASE_COUNTER, node)
    if count > 1:
        table = NodeCounter.__table__
        db.session.execute(table.update().where(table.c.node == node, table.c.name == CASE_COUNTER)
                           .values(value=table.c.value + (count - 1)))
    return [f"{CASE_PREFIX}-{node.replace('-', '')}-{value:06d}" for value in range(first, first + count)]


def open_case(*, actor, summary: str, kind: str = "anomali", rule_code: str = "petugas",
              severity: str = "error", person_keys: Sequence[str] = (), opened_by: str = "petugas",
              subject_name: str | None = None, subject_nik: str | None = None,
              desa_code: str | None = None, request_id: str | None = None) -> QualityCase:
    """Open a case by hand (an officer on the bus) or from the pre-trip check. The caller commits."""
    summary = (summary or "").strip()
    if len(summary) < 5:
        raise DomainError(_("Tuliskan uraian masalahnya (minimal 5 karakter)."), field="summary")
    if kind not in CASE_KINDS:
        raise DomainError(_("Jenis kasus tidak dikenal."), field="kind")
    keys = list(person_keys)
    persons = persons_by_keys(keys)
    if not keys and subject_nik:
        match = db.session.execute(current_persons().where(Person.nik == subject_nik).limit(1)).scalar()
        if match is not None:
            keys, persons = [match.person_key], {match.person_key: match}
    if not keys:
        keys = ["ext:" + person_key(subject_nik, subject_name, None)[:28]]
    first = persons.get(keys[0])
    if first is not None:
        subject_name = subject_name or first.name
        subject_nik = subject_nik or first.nik
        desa_code = desa_code or first.desa_code
    if not subject_name:
        raise DomainError(_("Isi nama penduduk."), field="name")
    return _new_case(kind=kind, rule_code=rule_code, severity=severity, keys=keys, summary=summary,
                     opened_by=opened_by, actor=actor, subject_name=subject_name,
                     subject_nik=subject_nik, desa_code=desa_code, request_id=request_id)


def submit_case(case: QualityCase, *, reference_number: str, reference_date: date | None, actor,
                note: str | None = None) -> QualityCase:
    """terbuka → diajukan: sent to the centre for verification; reference and date required."""
    reference_number = (reference_number or "").strip()
    if not reference_number:
        raise DomainError(_("Isi nomor surat/rujukan pengajuan ke pusat."), field="reference_number")
    if reference_date is None:
        raise DomainError(_("Isi tanggal pengajuan ke pusat."), field="reference_date")
    if reference_date > wita_today() + timedelta(days=1):
        raise DomainError(_("Tanggal pengajuan tidak boleh di masa depan."), field="reference_date")
    if case.created_at and reference_date < case.created_at.date() - timedelta(days=1):
        raise DomainError(_("Tanggal pengajuan tidak boleh sebelum kasus dibuka."), field="reference_date")
    text = _("Diajukan ke pusat, rujukan %(r)s tanggal %(d)s", r=reference_number,
             d=reference_date.strftime("%d-%m-%Y"))
    if note and note.strip():
        text += ". " + note.strip()
    change_status(case, "diajukan", actor=actor, workflow=CASE_WORKFLOW, note=text)
    case.reference_number = reference_number[:80]
    case.reference_date = reference_date
    return case


def resolve_case(case: QualityCase, *, note: str, actor) -> QualityCase:
    """→ selesai (fixed locally from terbuka, or verified by the centre from diajukan)."""
    note = (note or "").strip()
    if len(note) < 3:
        raise DomainError(_("Tuliskan bagaimana kasus ini diselesaikan."), field="note")
    change_status(case, "selesai", actor=actor, workflow=CASE_WORKFLOW, note=note)
    case.resolution_note = note
    case.closed_at = utcnow()
    case.record_fingerprint = case_fingerprint(case)   # the scan reopens it only if these change
    return case


def reject_case(case: QualityCase, *, reason: str, actor) -> QualityCase:
    """diajukan → ditolak (the centre refused the request); the reason is required."""
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise DomainError(_("Alasan penolakan wajib diisi."), field="note")
    change_status(case, "ditolak", actor=actor, workflow=CASE_WORKFLOW, note=reason)
    case.resolution_note = reason
    case.closed_at = utcnow()
    return case


def reopen_case(case: QualityCase, *, reason: str, actor) -> QualityCase:
    """ditolak → terbuka: the office takes a case the centre refused up again (new documents, a
    corrected request); the reason is required and kept in the case's history."""
    if case.status != "ditolak":
        raise DomainError(_("Hanya kasus yang ditolak pusat yang dapat dibuka kembali."))
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise DomainError(_("Tuliskan alasan membuka kembali kasus ini."), field="note")
    change_status(case, "terbuka", actor=actor, workflow=CASE_WORKFLOW, note=reason)
    case.resolution_note = None
    case.closed_at = None
    return case


def get_case(case_id) -> QualityCase | None:
    try:
        return db.session.get(QualityCase, uuid.UUID(str(case_id)))
    except ValueError:
        return None


MAX_CASE_AGE_DAYS = 9999          # the filter form's limit; a larger "age" would overflow a date


@dataclass
class CaseFilters:
    kind: str | None = None
    status: str | None = None
    rule: str | None = None
    desa: str | None = None
    min_age_days: int | None = None
    q: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args) -> CaseFilters:
        def pick(name, allowed):
            value = (args.get(name) or "").strip()
            return value if value in allowed else None
        age = arg_int(args, "umur", lo=0, hi=MAX_CASE_AGE_DAYS) or None
        page = arg_page(args, "hal")
        rule = (args.get("aturan") or "").strip()[:60] or None
        desa = (args.get("desa") or "").strip()[:16] or None
        status = (args.get("status") or "").strip()
        return cls(kind=pick("jenis", CASE_KINDS),
                   status=status if status in CASE_STATUSES or status == "aktif" else None,
                   rule=rule, desa=desa, min_age_days=age,
                   q=(args.get("q") or "").strip()[:60], page=page)


def list_cases(filters: CaseFilters, per_page: int = 50) -> Page:
    query = select(QualityCase)
    if filters.kind:
        query = query.where(QualityCase.kind == filters.kind)
    if filters.status == "aktif":
        query = query.where(QualityCase.status.in_(ACTIVE_CASE_STATUSES))
    elif filters.status:
        query = query.where(QualityCase.status == filters.status)
    if filters.rule:
        query = query.where(QualityCase.rule_code == filters.rule)
    if filters.desa:
        query = query.where(QualityCase.desa_code == filters.desa)
    if filters.min_age_days:
        query = query.where(QualityCase.created_at <= utcnow() - timedelta(days=filters.min_age_days))
    if filters.q:
        like = f"%{filters.q.upper()}%"
        query = query.where(or_(func.upper(QualityCase.subject_name).like(like),
                                QualityCase.number.like(f"%{filters.q.upper()}%")))
    return paginate(query.order_by(QualityCase.created_at.desc(), QualityCase.number.desc()),
                    page=filters.page, per_page=per_page)


def case_rule_codes() -> list[str]:
    return list(db.session.execute(select(QualityCase.rule_code).distinct()
                                   .order_by(QualityCase.rule_code)).scalars())


def case_counts() -> dict[str, int]:
    rows = db.session.execute(select(QualityCase.status, func.count()).group_by(QualityCase.status))
    return {status: n for status, n in rows}


def rule_title(code: str) -> str:
    from webapp.quality.rules import RULES
    if code == DUPLICATE_RULE:
        return _("Kemungkinan satu orang dengan dua rekaman atau lebih")
    if code == "petugas":
        return _("Dilaporkan petugas")
    if code == "pra-perjalanan":
        return _("Pemeriksaan pra-perjalanan: data di daftar desa berbeda dengan database")
    rule = RULES.get(code)
    return str(rule.title) if rule else code


def rule_doc(code: str) -> str | None:
    from webapp.quality.rules import RULES
    rule = RULES.get(code)
    return str(rule.doc) if rule else None


def active_cases_for_keys(keys: Sequence[str]) -> dict[str, list[QualityCase]]:
    """{person_key: active cases} — the flag lookup."""
    if not keys:
        return {}
    # Two indexed steps: SQLite's planner otherwise walks the case table by status for the join.
    links = db.session.execute(select(CasePerson.person_key, CasePerson.case_id)
                               .where(CasePerson.person_key.in_(list(keys)))).all()
    if not links:
        return {}
    cases = {c.id: c for c in db.session.execute(
        select(QualityCase).where(QualityCase.id.in_({case_id for _key, case_id in links}),
                                  QualityCase.status.in_(ACTIVE_CASE_STATUSES))).scalars()}
    found: dict[str, list[QualityCase]] = {}
    for key, case_id in links:
        if case_id in cases:
            found.setdefault(key, []).append(cases[case_id])
    for items in found.values():
        items.sort(key=lambda c: c.created_at)
    return found


# --- duplicate decisions -------------------------------------------------------------------------


def decided_pair_keys() -> set[str]:
    return set(db.session.execute(select(DuplicateDecision.pair_key)).scalars())


def decisions_for(keys: Sequence[str]) -> list[DuplicateDecision]:
    keys = sorted(set(keys))
    wanted = {pair_key(a, b) for i, a in enumerate(keys) for b in keys[i + 1:]}
    if not wanted:
        return []
    return list(db.session.execute(select(DuplicateDecision)
                                   .where(DuplicateDecision.pair_key.in_(wanted))
                                   .order_by(DuplicateDecision.at)).scalars())


def decide_duplicate(case: QualityCase, *, decision: str, reason: str, actor,
                     kept_person_key: str | None = None) -> list[DuplicateDecision]:
    """Record a person's verdict on a duplicate case (every pair of its records), audited and
    remembered so the pairs are never raised again. "bukan_ganda" closes the case (selesai);
    "ganda" moves it to "diputuskan" with the record that stays named: next, the other records
    are submitted to the centre for deletion (diajukan), and the case ends when the centre has
    acted (selesai) or refused (ditolak)."""
    if case.kind != "ganda":
        raise DomainError(_("Keputusan data ganda hanya untuk kasus data ganda."))
    if not case.active:
        raise DomainError(_("Kasus ini sudah ditutup."))
    reason = (reason or "").strip()
    if decision not in ("ganda", "bukan_ganda"):
        raise DomainError(_("Pilih keputusan: ganda atau bukan ganda."), field="decision")
    if len(reason) < 5:
        raise DomainError(_("Tuliskan alasan keputusan (minimal 5 karakter)."), field="reason")
    keys = list(case.person_keys)
    if decision == "ganda":
        if kept_person_key not in keys:
            raise DomainError(_("Pilih rekaman yang dipertahankan."), field="kept_person_key")
    else:
        kept_person_key = None
    if decisions_for(keys):
        raise DomainError(_("Pasangan rekaman ini sudah diputuskan."))
    made = []
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            made.append(_remember(a, b, decision, kept_person_key, reason, case, actor))
    persons = persons_by_keys(keys)
    if decision == "ganda":
        kept = persons.get(kept_person_key)
        text = _("Diputuskan GANDA; rekaman yang dipertahankan: %(n)s (NIK %(k)s). Rekaman lain "
                 "diajukan ke pusat untuk dihapus. Alasan: %(r)s",
                 n=kept.name if kept else "—", k=mask(kept.nik) if kept else "—", r=reason)
        case.resolution_note = text
        change_status(case, "diputuskan", actor=actor, workflow=CASE_WORKFLOW, note=text[:1000])
    else:
        resolve_case(case, note=_("Bukan data ganda: %(r)s", r=reason), actor=actor)
    return made


def _remember(a: str, b: str, decision: str, kept: str | None, reason: str, case, actor) -> DuplicateDecision:
    actor_id = getattr(actor, "id", None) if getattr(actor, "is_authenticated", False) else None
    item = DuplicateDecision(pair_key=pair_key(a, b), decision=decision, kept_person_key=kept,
                             reason=reason[:1000], case_id=case.id, actor_id=actor_id,
                             actor_name=getattr(actor, "username", None) or "system", at=utcnow())
    db.session.add(item)
    record_change(item, "create", actor=actor,
                  summary=f"{case.number}: {decision} — {reason[:200]}")
    return item


def reveal_nik(case: QualityCase, person: Person, *, actor) -> str:
    """The full NIK of one record of a case, audited."""
    audit("view_nik", actor=actor, entity_type="person", entity_id=person.person_key,
          summary=f"NIK {mask(person.nik)} ditampilkan pada kasus {case.number}")
    return person.nik or ""


# --- the scan ------------------------------------------------------------------------------------


@dataclass
class ScanResult:
    persons: int = 0
    findings: int = 0
    duplicate_pairs: int = 0
    duplicate_groups: int = 0
    cases_opened: int = 0
    cases_reopened: int = 0       # resolved cases whose records changed since they were closed
    seconds: float = 0.0
    by_rule: dict[str, int] = field(default_factory=dict)


def _active_finding_keys() -> set[str]:
    # A rejected case ("ditolak") is not raised again either: the centre has answered.
    return set(db.session.execute(select(QualityCase.finding_key).where(
        QualityCase.status.in_(ACTIVE_CASE_STATUSES + ("ditolak",)))).scalars())


def _resolved_cases() -> dict[str, tuple[uuid.UUID, str | None]]:
    """finding key → (id, record fingerprint) of the last case resolved ("selesai") for it."""
    rows = db.session.execute(select(QualityCase.finding_key, QualityCase.id, QualityCase.record_fingerprint)
                              .where(QualityCase.status == "selesai")
                              .order_by(QualityCase.closed_at, QualityCase.number))
    return {fkey: (case_id, fingerprint) for fkey, case_id, fingerprint in rows}


def _active_duplicate_sets() -> list[set[str]]:
    rows = db.session.execute(select(QualityCase.person_keys).where(
        QualityCase.kind == "ganda", QualityCase.status.in_(ACTIVE_CASE_STATUSES + ("ditolak",))))
    return [set(keys) for (keys,) in rows]


def _plain_actor(actor):
    """The actor as plain values: the scan expunges what it wrote, batch by batch."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    from types import SimpleNamespace
    return SimpleNamespace(id=actor.id, username=actor.username, role=actor.role, is_authenticated=True)


def _commit_batch() -> None:
    """Commit, then let go of the rows just written (`new` before the flush): thousands of
    cases kept in the session make every later flush slower."""
    written = list(db.session.new)
    db.session.flush()
    for obj in written:
        if obj in db.session:
            db.session.expunge(obj)


@paused_gc()
def scan_register(actor=None, *, today: date | None = None, import_id=None,
                  progress=None) -> ScanResult:
    """Run the anomaly rules and the duplicate detector on the current register and open a
    case for every new finding (error/warning severity) and every duplicate group. Skips what
    an active or rejected case already covers and pairs already decided; a finding of a resolved
    case stays closed while the case's records are unchanged (`record_fingerprint`) and reopens
    that case when they have changed. Commits in batches."""
    from webapp.quality.duplicates import DuplicateIndex, group_pairs
    from webapp.quality.rules import count_by_rule, run_rules

    started = time.perf_counter()
    snapshot_id = current_snapshot_id()
    result = ScanResult()
    if snapshot_id is None:
        return result
    records = load_register_records(snapshot_id)
    result.persons = len(records)
    by_key = {r.ref: r for r in records}
    if progress:
        progress("aturan", 0.1)
    findings = run_rules(records, today=today, config=rule_config())
    result.findings = len(findings)
    result.by_rule = {k: v for k, v in count_by_rule(findings).items() if v}
    if progress:
        progress("data ganda", 0.4)
    index = DuplicateIndex(records, duplicate_config())
    pairs = index.pairs()
    remember_duplicate_index(snapshot_id, index)
    decided = decided_pair_keys()
    pairs = [p for p in pairs if pair_key(p.a, p.b) not in decided]
    result.duplicate_pairs = len(pairs)
    groups = group_pairs(pairs)
    result.duplicate_groups = len(groups)
    if progress:
        progress("membuka kasus", 0.7)

    known = _active_finding_keys()
    resolved = _resolved_cases()
    reopen: list[uuid.UUID] = []
    baselines: list[dict] = []

    def settled(fkey: str, keys: list[str]) -> bool:
        """A resolved case covers the finding: it stays closed while its records are as they were
        when it was closed, and is reopened (not doubled by a new case) when they have changed."""
        if fkey not in resolved:
            return False
        case_id, fingerprint = resolved.pop(fkey)
        now = record_fingerprint(keys, by_key)
        if fingerprint is None:       # resolved before fingerprints were kept: today's records
            baselines.append({"id": case_id, "record_fingerprint": now})
        elif fingerprint != now:
            reopen.append(case_id)
        return True

    covered: dict[str, list[set[str]]] = {}   # person key -> active duplicate cases' key sets
    for keys in _active_duplicate_sets():
        for k in keys:
            covered.setdefault(k, []).append(keys)
    to_open: list[dict] = []
    for found in findings:
        if found.severity not in CASE_SEVERITIES:
            continue
        keys = [str(r) for r in found.refs]
        fkey = finding_key(found.rule_code, keys)
        if fkey in known:
            continue
        known.add(fkey)
        if settled(fkey, keys):
            continue
        first = by_key.get(keys[0])
        to_open.append(dict(kind="anomali", rule_code=found.rule_code, severity=found.severity, keys=keys,
                            summary=found.message, first=first))
    for group in groups:
        keys = [str(k) for k in group]
        group_set = set(keys)
        if any(len(existing & group_set) >= 2 for k in keys for existing in covered.get(k, ())):
            continue
        for k in keys:
            covered.setdefault(k, []).append(group_set)
        if settled(finding_key(DUPLICATE_RULE, keys), keys):
            continue
        members = [by_key[k] for k in keys if k in by_key]
        names = ", ".join(f"{m.name} ({mask(m.nik)})" for m in members[:4])
        summary = _("Kemungkinan satu orang dengan %(n)s rekaman: %(names)s", n=len(keys), names=names)
        to_open.append(dict(kind="ganda", rule_code=DUPLICATE_RULE, severity="error", keys=keys,
                            summary=summary, first=members[0] if members else None))

    actor = _plain_actor(actor)
    for baseline in baselines:   # through the ORM, so each case sends its change event (quality_case syncs)
        case = db.session.get(QualityCase, baseline["id"])
        case.record_fingerprint = baseline["record_fingerprint"]
        record_change(case, "update", actor=actor, audit=False)
    for case_id in reopen:
        case = db.session.get(QualityCase, case_id)
        change_status(case, "terbuka", actor=actor, workflow=CASE_WORKFLOW,
                      note=_("Dibuka kembali oleh pemindaian: rekaman register berubah sejak kasus diselesaikan."))
        case.closed_at = None
        case.record_fingerprint = None
        result.cases_reopened += 1
    numbers = _reserve_case_numbers(len(to_open))
    with db.session.no_autoflush:
        for position, item in enumerate(to_open, start=1):
            first = item.pop("first")
            _new_case(**item, opened_by="scan", actor=actor, number=numbers[position - 1],
                      subject_name=first.name if first else None, subject_nik=first.nik if first else None,
                      desa_code=first.desa_code if first else None, import_id=import_id)
            result.cases_opened += 1
            if position % CASE_BATCH == 0:
                _commit_batch()
    _commit_batch()
    result.seconds = round(time.perf_counter() - started, 3)
    log.info("quality scan: %s persons, %s findings, %s duplicate pairs, %s cases opened, %s reopened in %.1f s",
             result.persons, result.findings, result.duplicate_pairs, result.cases_opened, result.cases_reopened,
             result.seconds)
    return result


def case_records(case: QualityCase) -> list[tuple[str, Person | None]]:
    """(person_key, current Person or None when no longer in the register) per case key."""
    persons = persons_by_keys([k for k in case.person_keys if not k.startswith("ext:")])
    return [(k, persons.get(k)) for k in case.person_keys]


def case_age_days(case: QualityCase, now: datetime | None = None) -> int:
    end = case.closed_at or now or utcnow()
    return max(0, (end - case.created_at).days) if case.created_at else 0
