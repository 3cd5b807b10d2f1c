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

Before the near spellings, `token_matches` finds the names that contain every typed token, in
any order — "masitah" finds ALUH MASITAH, "masitah aluh" too, "masit" as a prefix — through the
database's own text index (quality/name_index.py: FTS5 on SQLite, full-text GIN on PostgreSQL), never
a LIKE walk over the register. Exact tokens rank before prefixes, then by name; each tier reads
at most `limit` index hits, so a token as common as MUHAMMAD costs what a rare one does.
"""
from __future__ import annotations

import re
import string
import unicodedata
from datetime import date

from sqlalchemy import bindparam, column, literal_column, select, table, text, update

from webapp.extensions import db
from webapp.quality import services
from webapp.quality.duplicates import _COMMON_PREFIXES, _name_forms, _name_sim, normalize_name, phonetic_token
from webapp.quality.models import Person

NAME_KEY_LENGTH = 40            # Person.name_key's column size
MAX_CANDIDATES = 5000           # names scored per search at most (a very common first name)
MAX_TOKENS = 6
NAMES_PER_FETCH = 10            # near-spelling names whose rows are read per query
EXACT, PREFIX = 0, 1            # token match tiers, best first
_TOKEN = re.compile(r"[A-Z0-9]+")
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


_PG_CANDIDATES = text(
    # One index probe per key (LATERAL): with `name_key IN (…300 keys…)` PostgreSQL's estimate
    # (rows per key = rows / distinct keys) makes a common first name look like half the register
    # and it scans the table (120 ms); per key it takes the index.
    "SELECT DISTINCT p.name FROM unnest(CAST(:keys AS varchar[])) AS k(key) CROSS JOIN LATERAL "
    "(SELECT name FROM person WHERE name_key = k.key AND snapshot_id = :snapshot"
    " AND (CAST(:born AS date) IS NULL OR birth_date = CAST(:born AS date)) LIMIT :cap) AS p LIMIT :cap")


def _candidate_names(key: str, snapshot_id, birth_date: date | None):
    """(statement, parameters) reading the names of the candidates (candidates_statement's rows;
    distinct on PostgreSQL, deduped by the caller on SQLite): a common name is scored once, not
    once per resident who bears it."""
    if db.session.get_bind().dialect.name == "postgresql":
        return _PG_CANDIDATES, {"keys": sorted(keys_one_typo_away(key)), "snapshot": snapshot_id,
                                "born": birth_date, "cap": MAX_CANDIDATES}
    # (SQLite: DISTINCT here makes its planner walk the whole index in name order; the caller
    # dedupes instead.)
    return candidates_statement(key, snapshot_id, birth_date).with_only_columns(Person.name), {}


def near_spellings(text: str, *, birth_date: date | None = None, exclude: set | None = None,
                   limit: int = 50) -> list[Person]:
    """Current register rows whose name the duplicate detector would call the same name as
    `text` (its name gate), best match first, then by name and birth date."""
    key = name_search_key(text)
    snapshot_id = services.current_snapshot_id()
    if not key or limit <= 0 or snapshot_id is None:
        return []
    exclude = exclude or set()
    gate = services.duplicate_config().name_min
    typed = _name_forms(text)
    scores: dict[str, float] = {}
    # distinct names only (a Core read: plain strings, no ORM rows); with the gate as floor a
    # hopeless name stops early
    for name in set(db.session.connection().execute(*_candidate_names(key, snapshot_id, birth_date)).scalars().all()):
        scores[name] = _name_sim(typed, _name_forms(name), gate)
    passing = sorted((n for n, score in scores.items() if score >= gate), key=lambda n: (-scores[n], n))
    chosen: list = []
    for start in range(0, len(passing), NAMES_PER_FETCH):   # the best names' rows, until the limit
        chunk = passing[start:start + NAMES_PER_FETCH]
        rows = select(Person.id, Person.name, Person.birth_date).where(
            Person.snapshot_id == snapshot_id, Person.name.in_(chunk))
        if birth_date:
            rows = rows.where(Person.birth_date == birth_date)
        rank = {name: i for i, name in enumerate(chunk)}
        found = sorted((r for r in db.session.execute(rows) if r.id not in exclude),
                       key=lambda r: (rank[r.name], r.birth_date or date.min))
        chosen.extend(r.id for r in found[:limit - len(chosen)])
        if len(chosen) >= limit:
            break
    if not chosen:
        return []
    people = {p.id: p for p in db.session.execute(select(Person).where(Person.id.in_(chosen))).scalars()}
    return [people[pid] for pid in chosen if pid in people]


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


# --- tokens and prefixes through the text index --------------------------------------------------

def name_tokens(name: str | None) -> list[str]:
    """Upper-case letter/digit runs, accents dropped: what the FTS5 tokenizer (unicode61,
    remove_diacritics) and the trigram word boundaries see as tokens. "Ma'ruf" → MA, RUF."""
    folded = unicodedata.normalize("NFKD", (name or "").upper())
    return _TOKEN.findall("".join(c for c in folded if not unicodedata.combining(c)))


def query_tokens(text: str | None) -> list[str]:
    seen: list[str] = []
    for token in name_tokens(text):
        if token not in seen:
            seen.append(token)
    return seen[:MAX_TOKENS]


def match_tier(tokens: list[str], name: str | None) -> int | None:
    """EXACT when every typed token is a token of the name, PREFIX when each begins one (a
    one-letter token must stand alone: M is not a prefix of every M-name), else None."""
    have = set(name_tokens(name))
    if all(t in have for t in tokens):
        return EXACT
    if all(t in have or (len(t) > 1 and any(h.startswith(t) for h in have)) for t in tokens):
        return PREFIX
    return None


_FTS = table("person_name_fts", column("rowid"))


def _fts_query(tokens: list[str], tier: int) -> str:
    return " AND ".join(f'"{t}"*' if tier == PREFIX and len(t) > 1 else f'"{t}"' for t in tokens)


def _tsquery(tokens: list[str], tier: int) -> str:
    return " & ".join(f"{t.lower()}:*" if tier == PREFIX and len(t) > 1 else t.lower() for t in tokens)


# name_index.TSV_EXPRESSION, as the planner must see it to use the index
_TSV_MATCH = "to_tsvector('simple', person.name) @@ to_tsquery('simple', :tsq)"


def _indexed(tokens: list[str], snapshot_id, tier: int, limit: int):
    """(id, name, birth_date) of at most `limit` current rows the text index matches for `tier`
    (a superset of the tier, checked by the caller), in the index's order: the first hits of the
    index, so a common token (MUHAMMAD, SITI) costs no more than a rare one."""
    columns = (Person.id, Person.name, Person.birth_date)
    if db.session.get_bind().dialect.name == "sqlite":
        # FTS5 yields rowids in ascending order and stops at the LIMIT; it holds the current
        # snapshot only (the join's snapshot test is a guard against a stale entry).
        found = (select(_FTS.c.rowid.label("rid")).where(text("person_name_fts MATCH :match"))
                 .limit(limit).subquery())
        stmt = (select(*columns).join(found, literal_column("person.rowid") == found.c.rid)
                .where(Person.snapshot_id == snapshot_id))
        return db.session.execute(stmt, {"match": _fts_query(tokens, tier)}).all()
    stmt = (select(*columns).where(Person.snapshot_id == snapshot_id,
                                   text(_TSV_MATCH).bindparams(tsq=_tsquery(tokens, tier)))
            .limit(limit))
    return db.session.execute(stmt).all()


def token_matches(text: str, *, birth_date: date | None = None, limit: int = 50) -> list[Person]:
    """Current register rows whose name holds every token of `text`: the exact tokens first,
    then prefixes, each by name and birth date; at most `limit`. When a tier has more rows than
    the limit, the first ones the index yields are taken (then sorted by name): the page says
    the list is cut and asks for a birth date."""
    tokens = query_tokens(text)
    snapshot_id = services.current_snapshot_id()
    if not tokens or max(len(t) for t in tokens) < 3 or limit <= 0 or snapshot_id is None:
        return []
    chosen: dict = {}

    def keep(rows, tier: int, room: int) -> None:
        for row in rows:
            if len(chosen) >= room:
                return
            if row.id not in chosen and match_tier(tokens, row.name) == tier:
                chosen[row.id] = (tier, row.name, row.birth_date or date.min, row.id)

    if birth_date:   # few rows share a birth date: found through its index, ranked here
        like = Person.name.like if db.session.get_bind().dialect.name == "sqlite" else Person.name.ilike
        rows = db.session.execute(select(Person.id, Person.name, Person.birth_date).where(
            Person.snapshot_id == snapshot_id, Person.birth_date == birth_date,
            *[like(f"%{t}%") for t in tokens])).all()
        keep(rows, EXACT, limit)
        keep(rows, PREFIX, limit)
    else:
        keep(_indexed(tokens, snapshot_id, EXACT, limit), EXACT, limit)
        if len(chosen) < limit:
            # the first `limit` prefix hits hold at most len(chosen) exact ones: enough to fill
            keep(_indexed(tokens, snapshot_id, PREFIX, limit), PREFIX, limit)
    if not chosen:
        return []
    ranked = sorted(chosen.values())
    ids = [r[3] for r in ranked]
    people = {p.id: p for p in db.session.execute(select(Person).where(Person.id.in_(ids))).scalars()}
    return [people[pid] for pid in ids if pid in people]
