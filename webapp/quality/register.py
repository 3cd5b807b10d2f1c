"""Looking a resident up in the current register: by NIK (exact) or by name, and one person's
full record with family, cases and what other domains know of them (the village requests
they appear on: `links.resident_section`).

Searches travel in POST bodies (a NIK never sits in a URL or an access log), lists show masked
NIKs, and opening a full record writes an audit entry."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from webapp.core.changes import audit
from webapp.core.errors import DomainError
from webapp.extensions import db
from webapp.identity.nik import mask, normalise
from webapp.quality import links, services
from webapp.quality.links import LinkSection
from webapp.quality.models import CasePerson, Person, QualityCase
from webapp.quality.name_search import near_spellings, token_matches

MAX_RESULTS = 50


@dataclass
class PersonSearch:
    query: str
    birth_date: date | None = None
    results: list[Person] = field(default_factory=list)
    truncated: bool = False
    by_nik: bool = False
    near: set = field(default_factory=set)        # ids of the results found by a near spelling


def search_register(query: str, *, birth_date: date | None = None) -> PersonSearch:
    """16 digits → that NIK (or No. KK); otherwise a name (at least 3 letters), optionally
    narrowed by birth date: the rows holding every typed token (exact tokens, then prefixes, by
    name), then the near spellings. At most MAX_RESULTS rows."""
    text = (query or "").strip()
    digits = normalise(text)
    if digits.isdigit() and len(digits) == 16:
        # Two indexed lookups (an OR across columns would scan the register).
        by_nik = services.current_persons().where(Person.nik == digits)
        by_kk = services.current_persons().where(Person.no_kk == digits)
        if birth_date:
            by_nik, by_kk = by_nik.where(Person.birth_date == birth_date), by_kk.where(Person.birth_date == birth_date)
        rows = {p.id: p for q in (by_nik, by_kk) for p in db.session.execute(q.limit(MAX_RESULTS + 1)).scalars()}
        ordered = sorted(rows.values(), key=lambda p: (p.name, p.birth_date or date.min))
        return PersonSearch(query=text, birth_date=birth_date, by_nik=True, results=ordered[:MAX_RESULTS],
                            truncated=len(ordered) > MAX_RESULTS)
    if len(services.normalise_name(text).replace(" ", "")) < 3:
        raise DomainError(_l("Ketik NIK/No. KK 16 angka, atau minimal 3 huruf nama."), field="query")
    search = PersonSearch(query=text, birth_date=birth_date)
    # Every typed token, in any order, as a whole token or a prefix (the database's text index:
    # name_search.token_matches), exact tokens first; then the near spellings (SITI AISAH →
    # SITI ASIAH, AISYAH).
    rows = token_matches(text, birth_date=birth_date, limit=MAX_RESULTS + 1)
    if len(rows) <= MAX_RESULTS:
        near = near_spellings(text, birth_date=birth_date, exclude={p.id for p in rows},
                              limit=MAX_RESULTS + 1 - len(rows))
        search.near = {p.id for p in near}
        rows = [*rows, *near]
    search.results, search.truncated = rows[:MAX_RESULTS], len(rows) > MAX_RESULTS
    return search


def get_current_person(person_id) -> Person | None:
    try:
        person_id = person_id if isinstance(person_id, uuid.UUID) else uuid.UUID(str(person_id))
    except ValueError:
        return None
    person = db.session.get(Person, person_id)
    if person is None or person.snapshot_id != services.current_snapshot_id():
        return None
    return person


@dataclass
class PersonRecordView:
    person: Person
    family: list[Person]
    cases: list[QualityCase]
    sections: list[LinkSection]   # what other domains know of the resident (links.resident_section)


def open_record(person: Person, *, actor) -> PersonRecordView:
    """Everything the office knows of one resident; the view is audited."""
    family = []
    if person.no_kk:
        family = db.session.execute(services.current_persons().where(Person.no_kk == person.no_kk)
                                    .order_by(Person.birth_date)).scalars().all()
    cases = db.session.execute(
        select(QualityCase).join(CasePerson, CasePerson.case_id == QualityCase.id)
        .where(CasePerson.person_key == person.person_key).order_by(QualityCase.created_at.desc())).scalars().all()
    audit("view", actor=actor, entity_type="person", entity_id=person.person_key,
          summary=f"Rekaman penduduk {person.name} (NIK {mask(person.nik)})")
    return PersonRecordView(person=person, family=[p for p in family if p.id != person.id],
                            cases=list(cases), sections=links.sections_for_resident(person.nik))


def reveal_person_nik(person: Person, *, actor) -> str | None:
    audit("view_nik", actor=actor, entity_type="person", entity_id=person.person_key,
          summary=f"NIK lengkap ditampilkan: {person.name} (NIK {mask(person.nik)})")
    return person.nik
