"""Pre-trip check: a village's resident list against the register, the rules and the cases.

    check_residents([ResidentInput(...), ...]) -> {key: ResidentCheck(level, reasons, case_ids)}
    open_precheck_cases(request_id, residents, actor=) -> [QualityCase]   # caller commits

Levels: "blocked" — cannot be finished on the spot (invalid NIK; an open or submitted case of
severity error: waiting for verification by the centre); "warning" — worth a look before the
trip (NIK not in the register, name or birth date differs from it, a likely duplicate, a rule
finding, a case of lower severity); "ok" otherwise. Template macro: quality/_flags.html (it
writes the reasons out as text: no tooltips, they must show on a touch screen and on paper).

A newborn applying for an akta kelahiran is expected to be missing from the register: without
a NIK yet, or under a year old (a NIK given with the new KK, after the register export). That
is a note on the flag, not a reason to check ("Perlu dicek"). An older child or an adult with a
NIK the register does not know is still flagged.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Hashable, Sequence

from flask_babel import gettext as _
from sqlalchemy import select

from webapp.core.timefmt import wita_today
from webapp.extensions import db
from webapp.identity.nik import check_nik, mask, normalise
from webapp.quality import services
from webapp.quality.models import ACTIVE_CASE_STATUSES, Person, QualityCase
from webapp.quality.records import PersonRecord

LEVELS = ("ok", "warning", "blocked")
# A newborn applying for one of these may be missing from the register (a birth being registered).
BIRTH_SERVICES = frozenset({"AKTA_LAHIR"})
NEWBORN_DAYS = 365
# Said already ("NIK tidak sah", "Tanpa NIK"), or about fields a village's list does not carry.
SKIPPED_RULES = {"nik.invalid", "nik.missing", "kk.missing", "birth_date.missing", "mother_name.missing",
                 "data.incomplete", "role.sex_mismatch", "role.marital_mismatch", "marriage.underage"}


@dataclass(frozen=True)
class ResidentInput:
    key: Hashable              # the caller's id of the resident row
    name: str
    nik: str | None = None
    no_kk: str | None = None
    sex: str | None = None     # "L" | "P"
    birth_date: date | None = None
    services: tuple[str, ...] = ()   # service codes applied for (AKTA_LAHIR, KTP_EL, …)

    def registers_birth(self) -> bool:
        return bool(BIRTH_SERVICES.intersection(self.services))

    def is_newborn(self, today: date) -> bool:
        return self.birth_date is not None and 0 <= (today - self.birth_date).days <= NEWBORN_DAYS


@dataclass
class ResidentCheck:
    level: str = "ok"
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)    # shown with the flag, never raise its level
    case_ids: list = field(default_factory=list)
    case_numbers: list[str] = field(default_factory=list)
    person_key: str | None = None          # the register record matched by NIK, if any
    nik_valid: bool = True
    register_issue: bool = False           # the list and the register disagree: worth a case

    def raise_to(self, level: str, reason: str | None = None) -> None:
        if LEVELS.index(level) > LEVELS.index(self.level):
            self.level = level
        if reason and reason not in self.reasons:
            self.reasons.append(reason)

    @property
    def blocked(self) -> bool:
        return self.level == "blocked"


def _clean_nik(value: str | None) -> str | None:
    if not value:
        return None
    value = normalise(str(value))
    return value or None


def _sex(value: str | None) -> str | None:
    return value if value in ("L", "P") else None


def check_residents(residents: Sequence[ResidentInput], *, today: date | None = None) -> dict[Any, ResidentCheck]:
    from webapp.quality.rules import check_record

    snapshot_id = services.current_snapshot_id()
    niks = {n for r in residents if (n := _clean_nik(r.nik))}
    by_nik: dict[str, list[Person]] = {}
    if niks and snapshot_id is not None:
        rows = db.session.execute(select(Person).where(Person.snapshot_id == snapshot_id,
                                                       Person.nik.in_(sorted(niks)))).scalars()
        for person in rows:
            by_nik.setdefault(person.nik, []).append(person)
    matched_keys = [p.person_key for people in by_nik.values() for p in people]
    cases = services.active_cases_for_keys(matched_keys)
    index = services.duplicate_index(snapshot_id) if snapshot_id is not None else None
    decided = None
    rule_config = services.rule_config()

    results: dict[Any, ResidentCheck] = {}
    for resident in residents:
        check = ResidentCheck()
        results[resident.key] = check
        nik = _clean_nik(resident.nik)
        sex = _sex(resident.sex)
        if nik is None and resident.registers_birth():
            check.notes.append(_("Belum punya NIK: wajar untuk permohonan akta kelahiran"))
        elif nik is None:
            check.raise_to("warning", _("Tanpa NIK: data tidak dapat dicocokkan dengan database"))
        else:
            nik_check = check_nik(nik, sex=sex, birth_date=resident.birth_date, today=today)
            if not nik_check.valid:
                check.nik_valid = False
                problems = "; ".join(str(p.message) for p in nik_check.errors)
                check.raise_to("blocked", _("NIK tidak sah") + (f" — {problems}" if problems else ""))
        people = by_nik.get(nik, []) if nik else []
        person = _best_match(people, resident)
        if nik and check.nik_valid and person is None and resident.registers_birth() \
                and resident.is_newborn(today or wita_today()):
            check.notes.append(_("Bayi baru lahir, belum ada di database: wajar untuk permohonan akta kelahiran"))
        elif nik and check.nik_valid and person is None:
            check.raise_to("warning", _("NIK tidak ditemukan di database"))
            check.register_issue = True
        if person is not None:
            check.person_key = person.person_key
            if services.normalise_name(person.name) != services.normalise_name(resident.name):
                check.raise_to("warning", _("Nama berbeda dengan database (%(n)s)", n=person.name))
                check.register_issue = True
            if resident.birth_date and person.birth_date and resident.birth_date != person.birth_date:
                check.raise_to("warning", _("Tanggal lahir berbeda dengan database (%(d)s)",
                                            d=person.birth_date.strftime("%d-%m-%Y")))
                check.register_issue = True
            for other in people:
                for case in cases.get(other.person_key, []):
                    _apply_case(check, case)
        record = PersonRecord(ref=person.person_key if person else f"input:{resident.key}", nik=nik,
                              no_kk=_clean_nik(resident.no_kk), name=resident.name or "", sex=sex,
                              birth_place=person.birth_place if person else None,
                              birth_date=resident.birth_date, marital_status=None, family_role=None,
                              mother_name=person.mother_name if person else None,
                              father_name=person.father_name if person else None)
        if index is not None and resident.name:
            candidates = index.candidates(record, limit=3)
            if candidates and decided is None:
                decided = services.decided_pair_keys()
            own = person.person_key if person else None
            for candidate in candidates:
                if own and services.pair_key(own, str(candidate.ref)) in (decided or set()):
                    continue
                check.raise_to("warning", _("Kemungkinan data ganda di database (kecocokan %(s)s%%)",
                                            s=round(candidate.score * 100)))
                check.register_issue = True
                break
        for finding in check_record(record, today=today, config=rule_config):
            if finding.rule_code in SKIPPED_RULES or finding.severity == "info":
                continue
            check.raise_to("warning", finding.message)
    _apply_cases_of_unmatched(residents, results)
    return results


def outside_key(resident: ResidentInput) -> str:
    """The key a case uses for a resident the register does not know (see open_precheck_cases)."""
    return "ext:" + services.person_key(_clean_nik(resident.nik), resident.name, resident.birth_date)[:28]


def _apply_cases_of_unmatched(residents: Sequence[ResidentInput], results: dict) -> None:
    """Cases opened earlier for residents missing from the register flag them too."""
    keys = {outside_key(r): r.key for r in residents
            if _clean_nik(r.nik) and results[r.key].person_key is None}
    for key, cases in services.active_cases_for_keys(list(keys)).items():
        for case in cases:
            _apply_case(results[keys[key]], case)


def _best_match(people: list[Person], resident: ResidentInput) -> Person | None:
    if not people:
        return None
    name = services.normalise_name(resident.name)
    for person in people:
        if services.normalise_name(person.name) == name:
            return person
    return people[0]


def _apply_case(check: ResidentCheck, case: QualityCase) -> None:
    if case.id in check.case_ids:
        return
    check.case_ids.append(case.id)
    check.case_numbers.append(case.number)
    if case.severity == "error":
        check.raise_to("blocked", _("Tidak dapat diselesaikan di lokasi — menunggu verifikasi pusat (%(n)s)",
                                    n=case.number))
    else:
        check.raise_to("warning", _("Ada kasus kualitas data yang belum selesai (%(n)s)", n=case.number))


def open_precheck_cases(request_id, residents: Sequence[ResidentInput], *, actor,
                        checks: dict | None = None, desa_code: str | None = None) -> list[QualityCase]:
    """Open a case (opened_by "pra-perjalanan") for each resident not already covered by an
    active case who is blocked (an error case) or whose list entry disagrees with the register
    (not found, other name or birth date, a likely duplicate: a warning case). The caller commits."""
    checks = checks if checks is not None else check_residents(residents)
    opened: list[QualityCase] = []
    known = {c.finding_key for c in db.session.execute(select(QualityCase).where(
        QualityCase.status.in_(ACTIVE_CASE_STATUSES))).scalars()}
    for resident in residents:
        check = checks.get(resident.key)
        if check is None or check.case_ids or not (check.blocked or check.register_issue):
            continue
        nik = _clean_nik(resident.nik)
        keys = [check.person_key] if check.person_key else [outside_key(resident)]
        rule = "nik.invalid" if not check.nik_valid else "pra-perjalanan"
        if services.finding_key(rule, keys) in known:
            continue
        summary = _("Pemeriksaan pra-perjalanan (permohonan %(r)s): %(n)s (NIK %(k)s) — %(why)s",
                    r=request_id, n=resident.name, k=mask(nik), why="; ".join(check.reasons))
        case = services.open_case(actor=actor, summary=summary, kind="anomali", rule_code=rule,
                                  severity="error" if check.blocked else "warning", person_keys=keys,
                                  opened_by="pra-perjalanan", subject_name=resident.name, subject_nik=nik,
                                  request_id=str(request_id), desa_code=desa_code)
        known.add(case.finding_key)
        check.case_ids.append(case.id)
        check.case_numbers.append(case.number)
        opened.append(case)
    return opened


def inputs_from_rows(rows) -> list[ResidentInput]:
    """Resident rows of any kind (a request's list, a trip's roster): objects with id, name,
    nik, no_kk, sex and birth_date, and optionally `services` (rows with a service_code)."""
    return [ResidentInput(key=r.id, name=r.name, nik=r.nik, no_kk=r.no_kk, sex=r.sex, birth_date=r.birth_date,
                          services=tuple(s.service_code for s in getattr(r, "services", None) or ()))
            for r in rows]


def check_rows(rows) -> dict[Any, ResidentCheck]:
    """check_residents() for resident rows, keyed by the row's id."""
    return check_residents(inputs_from_rows(rows))


def summarise(checks: dict[Any, ResidentCheck]) -> dict[str, int]:
    counts = {level: 0 for level in LEVELS}
    for check in checks.values():
        counts[check.level] += 1
    return counts
