"""Finding a resident by a near spelling of their name (the "Cari Penduduk" lookup).

"siti aisah" should find SITI ASIAH and AISYAH: the spelling variants the duplicate detector
already knows (MOH. → MUHAMMAD, SY → S, KH → H, Banjar F → P and Z → J, doubled letters, a
swapped or mistyped letter). The detector's own normalisation is reused here, not copied.

Each register row stores `Person.name_key`: the sound (duplicates.phonetic_token) of its name's
first significant token — titles dropped, and the prefixes people often leave out (SITI, NUR,
MUHAMMAD, …) skipped. The column is indexed. A search computes the typed name's key and looks up
every key one typo away (a few hundred index probes, never a scan of the 239,471 rows), then
keeps the candidates whose whole name passes the detector's name gate (DuplicateConfig.name_min),
best first. The register import fills the key (importer._person_row); `refresh_name_keys()`
recomputes it for a register imported before, or after the normalisation changed.
"""
from __future__ import annotations

import string
from datetime import date

from sqlalchemy import bindparam, select, update

from webapp.extensions import db
from webapp.quality import services
from webapp.quality.duplicates import _COMMON_PREFIXES, name_similarity, normalize_name, phonetic_token
from webapp.quality.models import Person

NAME_KEY_LENGTH = 40            # Person.name_key's column size
MAX_CANDIDATES = 5000           # rows scored per search at most (a very common first name)
_LETTERS = string.ascii_uppercase


def name_search_key(name: str | None) -> str | None:
    """The sound of a name's first significant token: SITI AISYAH → AISA, M. RIDWAN → RIDWAN."""
    tokens = normalize_name(name)
    significant = [t for t in tokens if len(t) > 1 and t not in _COMMON_PREFIXES]
    significant = significant or [t for t in tokens if len(t) > 1]
    return phonetic_token(significant[0])[:NAME_KEY_LENGTH] if significant else None


def keys_one_typo_away(key: str) -> set[str]:
    """The key and every key one edit away from it (a letter deleted, swapped, replaced or
    inserted). A key shorter than 4 letters stands alone: its neighbours are half the register."""
    if len(key) < 4:
        return {key}
    found = {key}
    for i in range(len(key)):
        found.add(key[:i] + key[i + 1:])
        if i + 1 < len(key):
            found.add(key[:i] + key[i + 1] + key[i] + key[i + 2:])
        found.update(key[:i] + c + key[i + 1:] for c in _LETTERS)
    for i in range(len(key) + 1):
        found.update(key[:i] + c + key[i:] for c in _LETTERS)
    return {k[:NAME_KEY_LENGTH] for k in found if k}


def candidates_statement(key: str, snapshot_id, birth_date: date | None = None):
    """(id, name) of the register rows whose name key is one typo from `key` (index lookups)."""
    stmt = (select(Person.id, Person.name)
            .where(Person.name_key.in_(sorted(keys_one_typo_away(key))), Person.snapshot_id == snapshot_id)
            .limit(MAX_CANDIDATES))
    return stmt.where(Person.birth_date == birth_date) if birth_date else stmt


def near_spellings(text: str, *, birth_date: date | None = None, exclude: set | None = None,
                   limit: int = 50) -> list[Person]:
    """Current register rows whose name the duplicate detector would call the same name as
    `text` (its name gate), best match first, then by name."""
    key = name_search_key(text)
    snapshot_id = services.current_snapshot_id()
    if not key or limit <= 0 or snapshot_id is None:
        return []
    stmt = candidates_statement(key, snapshot_id, birth_date)
    exclude = exclude or set()
    gate = services.duplicate_config().name_min
    scored = sorted(((score, name, pid) for pid, name in db.session.execute(stmt)
                     if pid not in exclude and (score := name_similarity(text, name)) >= gate),
                    key=lambda row: (-row[0], row[1]))[:limit]
    if not scored:
        return []
    ids = [pid for *_, pid in scored]
    people = {p.id: p for p in db.session.execute(select(Person).where(Person.id.in_(ids))).scalars()}
    return [people[pid] for pid in ids if pid in people]


def refresh_name_keys(snapshot_id=None, *, batch: int = 5000) -> int:
    """Recompute `name_key` for one snapshot (default: the current register). Returns the
    number of rows changed; the caller commits (unit of work)."""
    snapshot_id = snapshot_id or services.current_snapshot_id()
    if snapshot_id is None:
        return 0
    rows = db.session.execute(select(Person.id, Person.name, Person.name_key)
                              .where(Person.snapshot_id == snapshot_id)).all()
    changed = [{"pid": pid, "key": key} for pid, name, old in rows if (key := name_search_key(name)) != old]
    table = Person.__table__
    statement = update(table).where(table.c.id == bindparam("pid")).values(name_key=bindparam("key"))
    for start in range(0, len(changed), batch):
        db.session.execute(statement, changed[start:start + batch])
    return len(changed)
