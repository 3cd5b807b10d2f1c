"""Duplicate detection: one person with two or more records in the population register.

Pipeline: every record is prepared once (names canonicalised for Indonesian/Banjar spelling
variants; hajj titles H./HJ., ALM., and a BIN/BINTI patronym taken off the name — the patronym
stands in for a missing father's name), put into a few blocks, and only records sharing a block
are compared. A duplicate often differs in two ways at once (a name variant and a date typo, a
move to another village and the mother's name spelled otherwise, ...), so for every two of
name, birth date and mother's name some block is keyed on neither:

  1. birth year + {day, month} as an unordered pair: exact dates *and* day/month swapped meet
     (survives any change of the names);
  2. name key (phonetic first + last token) + birth year: a typo in the day or month;
  3. name key + mother-name key: a typo anywhere in the date, or a missing birth date;
  4. mother-name key + father-name key + sex: a typo in the name *and* in the date;
  5. name key + father-name key: a typo in the date *and* the mother's name spelled otherwise;
  6. the same NIK: one NIK on two records is always looked at (and judged on person data).

A pair is compared once, in the first block the two share.

Comparison: field similarities in [0, 1] for name (token-aware), birth date (exact / swapped /
one digit), mother's and father's names, place of birth; gates (name, birth date, mother or
father, sex) and a weighted score against `DuplicateConfig.threshold`. Evidence that only
counts when it agrees corroborates the score: both parents the same, the same NIK, the same
No. KK. A different KK or village never counts against a pair (people move, and are then
often entered again), and no corroboration opens a gate: twins (other names), father and son
of one name (other birth date, other parents) and namesakes born days apart in one village
(other parents) stay apart.
"""
from __future__ import annotations

import gc
import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import date
from functools import lru_cache
from itertools import combinations
from typing import Any, Iterable, Mapping, NamedTuple, Sequence

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, Hamming

from .records import PersonRecord


@dataclass
class DuplicateConfig:
    """Thresholds and weights; the webapp fills it from configuration (see `from_mapping`)."""
    threshold: float = 0.88             # weighted score at or above which a pair is a duplicate
    name_min: float = 0.75              # name similarity below this: never a duplicate
    birth_date_min: float = 0.75        # 1.0 exact, `swapped_date`, `one_digit_date`, else 0
    mother_min: float = 0.60            # when both records have a mother's name
    father_min: float = 0.60            # when both records have a father's name
    missing_date_min: float = 0.92      # name and parent similarity needed without a birth date
    no_parent_name_min: float = 0.95    # name needed (with an exact birth date) when no parent compares
    sex_mismatch_min: float = 0.97      # different sex: only when everything else is this strong
    swapped_date: float = 0.90          # similarity of a day/month swap
    one_digit_date: float = 0.75        # similarity of dates one digit apart (DDMMYYYY)
    weight_name: float = 0.45
    weight_birth_date: float = 0.25
    weight_mother: float = 0.15
    weight_father: float = 0.08
    weight_birth_place: float = 0.07
    # Corroboration: weighed in only when it agrees, so a record entered again elsewhere (another
    # KK, a new NIK) is not held back by it, and it can never lift a pair over a gate.
    both_parents_min: float = 0.90      # mother and father both at least this similar ...
    weight_both_parents: float = 0.10   # ... count once more: siblings share parents, not names and dates
    weight_same_nik: float = 0.10       # the same NIK on both records
    weight_same_kk: float = 0.05        # the same No. KK (a double entry in one family)
    max_block_size: int = 400           # name-keyed blocks larger than this are skipped
    max_date_block_size: int = 2000     # larger birth-date blocks are split by the name's initial
    name_prefilter: float = 45.0        # rapidfuzz ratio on joined names below this: skip at once

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> "DuplicateConfig":
        """Build from a mapping of field names (e.g. app config); unknown keys are an error."""
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"unknown duplicate setting(s): {', '.join(unknown)}")
        converted = {k: (int(v) if known[k].type in ("int", int) else float(v)) for k, v in values.items()}
        return cls(**converted)


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    a: int | str            # the two refs, a < b in string order
    b: int | str
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DuplicateCandidate:
    """A register record that may be the same person as the record checked."""
    ref: int | str
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FieldComparison:
    field: str
    value_a: Any
    value_b: Any
    similarity: float | None   # None when a side is missing or the field is not scored
    verdict: str               # exact | variant | similar | different | missing


@dataclass(frozen=True, slots=True)
class PairExplanation:
    score: float
    is_duplicate: bool
    reasons: tuple[str, ...]
    fields: tuple[FieldComparison, ...]


# --------------------------------------------------------------------------------------------
# Name normalisation

_ALIASES = {
    **dict.fromkeys(("MUHAMMAD", "MUHAMAD", "MOHAMMAD", "MOHAMAD", "MOHAMMED", "MOHAMED", "MUHAMMED",
                     "MUHAMED", "MUCHAMMAD", "MUCHAMAD", "MOCHAMMAD", "MOCHAMAD", "MUHAMMAT", "MUHAMAT",
                     "MOCH", "MUCH", "MOH", "MUH", "MHD", "MHMD", "MUHD", "MOHD", "MD", "M"), "MUHAMMAD"),
    **dict.fromkeys(("SITI", "SITTI", "ST", "SITY"), "SITI"),
    **dict.fromkeys(("NOOR", "NOR", "NUR", "NUUR"), "NUR"),
    **dict.fromkeys(("AHMAD", "AKHMAD", "ACHMAD", "AHMAT", "ACHMAT", "AKHMAT", "AHMED"), "AHMAD"),
    **dict.fromkeys(("ABDUL", "ABD", "ABDOEL", "ABDOL", "ABDL"), "ABDUL"),
}
# canonical -> its written forms (not the short abbreviations), to see a typo in any of them
_SPELLINGS: dict[str, tuple[str, ...]] = {
    canonical: tuple(w for w, c in _ALIASES.items() if c == canonical and (len(w) >= 5 or len(canonical) <= 4))
    for canonical in set(_ALIASES.values())
}
_TITLES = frozenset(("H", "HJ", "HJH", "HAJI", "HAJJAH", "HAJAH"))
# "RIDWAN BIN HUSIN", "SALMAH BINTI ARBAIN", "SALMAH BT. ARBAIN": the name ends before the patronym
_PATRONYM_WORDS = frozenset(("BIN", "BINTI", "BT", "BINT"))
# almarhum / almarhumah, written next to a late parent's name
_LATE = frozenset(("ALM", "ALMH", "ALMARHUM", "ALMARHUMAH"))
# dropping one of these from a name is common ("MUHAMMAD RIDWAN" is often just "RIDWAN")
_COMMON_PREFIXES = frozenset(("MUHAMMAD", "AHMAD", "SITI", "NUR", "NURUL", "ABDUL", "GUSTI"))
_APOSTROPHES = str.maketrans("", "", "'`\u2019\u2018")
_NON_LETTERS = re.compile(r"[^A-Z ]+")
_PHONETIC_LETTERS = str.maketrans("FVZQY", "PPJKI")
_DOUBLE_LETTERS = re.compile(r"(.)\1+")
_PLACE_NOISE = re.compile(r"\b(KAB|KABUPATEN|KOTA|KEC|KECAMATAN|DESA|KEL|KELURAHAN)\b")


@lru_cache(maxsize=65536)
def canonical_token(token: str) -> str:
    """One spelling per Indonesian/Banjar variant: MOH, M, MUHAMAD -> MUHAMMAD; NORHAYATI -> NURHAYATI."""
    if token in _ALIASES:
        return _ALIASES[token]
    if token.startswith("NOOR") and len(token) >= 7:
        return "NUR" + token[4:]
    if token.startswith("NOR") and len(token) >= 6:
        return "NUR" + token[3:]
    if token.endswith("NOOR") and len(token) >= 7:
        return token[:-4] + "NUR"
    if token.endswith("NOR") and len(token) >= 6:
        return token[:-3] + "NUR"
    for spelling in ("AKHMAD", "ACHMAD"):
        if token.startswith(spelling):
            return "AHMAD" + token[len(spelling):]
    return token


@lru_cache(maxsize=65536)
def phonetic_token(token: str) -> str:
    """A coarse sound key: old spelling (OE, DJ, TJ), KH/SY/DZ, Banjar F->P, Z->J, doubled letters."""
    t = token.replace("OE", "U").replace("DJ", "J").replace("TJ", "C").replace("SJ", "S")
    t = t.replace("KH", "H").replace("CH", "H").replace("SY", "S").replace("DZ", "J")
    t = t.replace("TH", "T").replace("DH", "D").replace("PH", "F")
    t = _DOUBLE_LETTERS.sub(r"\1", t.translate(_PHONETIC_LETTERS))
    return t[:-1] if len(t) > 3 and t.endswith("H") else t


class _Name(NamedTuple):
    canon: tuple[str, ...]   # canonical tokens (MUHAMMAD, SITI, NUR, AHMAD, ABDUL unified)
    raw: tuple[str, ...]     # the same tokens as written (cleaned), for typos inside a variant
    joined: str              # canonical tokens without spaces
    key: str                 # blocking key: sound of the first and last canonical token
    patronym: str            # the father's name after BIN / BINTI / BT., as written ("" if none)


_NO_NAME = _Name((), (), "", "", "")


@lru_cache(maxsize=262144)
def _name_forms(text: str | None) -> _Name:
    if not text:
        return _NO_NAME
    text = unicodedata.normalize("NFKD", text.upper().split(",", 1)[0])
    if not text.isascii():
        text = "".join(c for c in text if not unicodedata.combining(c))
    raw = _NON_LETTERS.sub(" ", text.translate(_APOSTROPHES)).split()
    patronym = ""
    for i in range(1, len(raw) - 1):
        if raw[i] in _PATRONYM_WORDS:
            patronym = " ".join(raw[i + 1:])
            del raw[i:]
            break
    raw = [t for t in raw if t not in _LATE] or raw
    while len(raw) > 1 and raw[0] in _TITLES:
        del raw[0]
    canon = tuple(canonical_token(t) for t in raw)
    return _Name(canon, tuple(raw), "".join(canon), name_key(canon), patronym)


def normalize_name(text: str | None) -> tuple[str, ...]:
    """Uppercase canonical tokens: no dots, digits, apostrophes, titles (H., HJ.), patronym
    (BIN/BINTI ...) or ALM./ALMH.; variants unified."""
    return _name_forms(text).canon


def patronym(text: str | None) -> str:
    """The father's name a name carries after BIN / BINTI / BT. ("" if none), as written."""
    return _name_forms(text).patronym


def name_key(tokens: Sequence[str]) -> str:
    """Blocking key of a name: sound of its first and last canonical token."""
    if not tokens:
        return ""
    return phonetic_token(tokens[0]) + (" " + phonetic_token(tokens[-1]) if len(tokens) > 1 else "")


def normalize_place(raw: str | None) -> str:
    if not raw:
        return ""
    text = _NON_LETTERS.sub(" ", raw.upper().translate(_APOSTROPHES))
    return " ".join(_PLACE_NOISE.sub(" ", text).split())


# --------------------------------------------------------------------------------------------
# Field similarities

@lru_cache(maxsize=262144)
def token_similarity(x: str, y: str) -> float:
    """1 equal, 0.92 same sound, 0.85-0.9 one typo (edit or swap), 0.7 or less for anything more."""
    if x == y:
        return 1.0
    px, py = phonetic_token(x), phonetic_token(y)
    if px == py:
        return 0.92
    if len(x) == 1 or len(y) == 1:  # an initial: "A" for ABDUL
        return 0.85 if x[0] == y[0] else 0.0
    distance = OSA.distance(x, y)
    longest = max(len(x), len(y))
    if distance == 1:
        return 0.9 if longest >= 5 else 0.85 if longest == 4 else 0.6
    similarity = 0.7 if distance == 2 and longest >= 8 else 0.5 if distance == 2 else 0.6 * (1 - distance / longest)
    if similarity < 0.7 and OSA.distance(px, py, score_cutoff=1) == 1:
        similarity = 0.7  # sounds nearly alike, but more than one typo apart
    return max(0.0, similarity)


def _token_pair(a: _Name, i: int, b: _Name, j: int) -> float:
    ca, cb = a.canon[i], b.canon[j]
    if ca == cb:
        return 1.0
    similarity = token_similarity(ca, cb)
    ra, rb = a.raw[i], b.raw[j]
    if similarity < 0.9 and (ra != ca or rb != cb):  # a typo inside a variant: ONOR vs NOOR
        similarity = max(similarity, token_similarity(ra, rb))
    if similarity < 0.9:  # a typo in one spelling of a variant: MOHAMMDA vs MUHAMMAD
        if cb in _SPELLINGS and ra not in _ALIASES:
            similarity = max(similarity, _typo_of_spelling(ra, cb))
        if ca in _SPELLINGS and rb not in _ALIASES:
            similarity = max(similarity, _typo_of_spelling(rb, ca))
    return similarity


@lru_cache(maxsize=65536)
def _typo_of_spelling(written: str, canonical: str) -> float:
    return max(token_similarity(written, spelling) for spelling in _SPELLINGS[canonical])


def _aligned(a: _Name, a_order: Sequence[int], b: _Name, b_order: Sequence[int], floor: float = 0.0) -> float:
    similarity = 1.0
    for i, j in zip(a_order, b_order):
        similarity *= _token_pair(a, i, b, j)
        if similarity < floor or similarity == 0.0:
            break  # the product only falls: the caller only needs to know it is below the floor
    return similarity


def _name_sim(a: _Name, b: _Name, floor: float = 0.0) -> float:
    """Token-aware: typos per token multiply; a dropped token costs 8 % (20 % if one token is left).

    With a floor, any value below it may be returned as soon as the result must end below it."""
    if a.canon == b.canon:
        return 1.0 if a.canon else 0.0
    if not a.canon or not b.canon:
        return 0.0
    if a.joined == b.joined:  # ABDULRAHMAN vs ABDUL RAHMAN
        return 0.97
    na, nb = len(a.canon), len(b.canon)
    if na == nb:
        order = range(na)
        similarity = _aligned(a, order, b, order, floor)
        if na > 1 and similarity < 0.9 and a.canon[0] != b.canon[0] and (
                a.canon[0] in b.canon or b.canon[0] in a.canon):  # names written in another order
            by_a = sorted(order, key=a.canon.__getitem__)
            by_b = sorted(order, key=b.canon.__getitem__)
            similarity = max(similarity, 0.95 * _aligned(a, by_a, b, by_b, floor))
        return similarity
    if na > nb:
        a, b, na, nb = b, a, nb, na
    nb = min(nb, 6)
    best, best_kept = 0.0, ()
    for kept in combinations(range(nb), na):
        similarity = _aligned(a, range(na), b, kept, floor)
        if similarity > best:
            best, best_kept = similarity, kept
    for j in range(nb):
        if j not in best_kept:
            best *= 0.92 if na >= 2 or b.canon[j] in _COMMON_PREFIXES else 0.8
    return best


def name_similarity(a: str | None, b: str | None) -> float:
    """Similarity in [0, 1] of two written names, as the detector sees it."""
    return _name_sim(_name_forms(a), _name_forms(b))


def _one_digit_apart(a: str, b: str) -> bool:
    return Hamming.distance(a, b, score_cutoff=1) == 1


# --------------------------------------------------------------------------------------------
# Prepared records

# The blocks after the birth-date block, in the order a pair is compared (module docstring).
_KEY_BLOCKS = ("name+year", "name+mother", "mother+father+sex", "name+father")
_NO_KEYS = ("",) * len(_KEY_BLOCKS)


@dataclass(slots=True)
class _Prepared:
    ref: int | str
    nik: str
    no_kk: str
    desa: str
    sex: str
    raw_name: str
    name: _Name
    born: date | None
    born_digits: str         # DDMMYYYY, for "one digit apart"
    mother: _Name
    father: _Name            # the father's name, or else the patronym of the name (BIN ...)
    place: str
    date_key: int = -1       # block 1: birth year + unordered {day, month}
    keys: tuple[str, ...] = _NO_KEYS  # blocks 2-5 (see _KEY_BLOCKS), "" where a part is missing


@lru_cache(maxsize=4096)
def _place_key(text: str | None) -> str:
    return normalize_place(text)


def _prepare(record: PersonRecord) -> _Prepared:
    name = _name_forms(record.name)
    born = record.birth_date
    mother = _name_forms(record.mother_name)
    father = _name_forms(record.father_name)
    if not father.canon and name.patronym:
        father = _name_forms(name.patronym)
    sex = (record.sex or "").upper()
    prepared = _Prepared(
        record.ref, (record.nik or "").strip(), (record.no_kk or "").strip(), record.desa_code or "", sex,
        record.name or "", name, born,
        f"{born.day:02d}{born.month:02d}{born.year:04d}" if born else "",
        mother, father, _place_key(record.birth_place))
    key = name.key
    if born is not None:
        day, month = born.day, born.month
        prepared.date_key = born.year * 10000 + (day * 100 + month if day < month else month * 100 + day)
    has_mother, has_father = bool(mother.canon), bool(father.canon)
    prepared.keys = (
        f"{key}|{born.year}" if key and born is not None else "",
        f"{key}|{mother.key}" if key and has_mother else "",
        f"{mother.key}|{father.key}|{sex}" if has_mother and has_father else "",
        f"{key}|{father.key}" if key and has_father else "",
    )
    return prepared


@dataclass(slots=True)
class _Comparison:
    score: float
    name: float
    date: float | None
    mother: float | None
    father: float | None
    place: float | None
    date_kind: str


def _date_similarity(a: _Prepared, b: _Prepared, config: DuplicateConfig) -> tuple[float | None, str]:
    if a.born is None or b.born is None:
        return None, "missing"
    if a.date_key == b.date_key:  # same year and the same {day, month}
        return (1.0, "exact") if a.born == b.born else (config.swapped_date, "day_month_swapped")
    if _one_digit_apart(a.born_digits, b.born_digits):
        return config.one_digit_date, "one_digit"
    return 0.0, "different"


def _place_similarity(a: _Prepared, b: _Prepared) -> float | None:
    if not (a.place and b.place):
        return None
    return 1.0 if a.place == b.place else fuzz.ratio(a.place, b.place) / 100


def _parent_similarity(a: _Name, b: _Name, floor: float = 0.0) -> float | None:
    return _name_sim(a, b, floor) if a.canon and b.canon else None


def _scored(a: _Prepared, b: _Prepared, name: float, date_sim: float | None, date_kind: str,
            mother: float | None, father: float | None, place: float | None,
            config: DuplicateConfig) -> _Comparison:
    """Weighted mean of the field similarities (a missing field does not count), plus the
    corroborating evidence that only counts when it agrees (see DuplicateConfig)."""
    total, weights = config.weight_name * name, config.weight_name
    for similarity, weight in ((date_sim, config.weight_birth_date), (mother, config.weight_mother),
                               (father, config.weight_father), (place, config.weight_birth_place)):
        if similarity is not None:
            total += weight * similarity
            weights += weight
    if mother is not None and father is not None and min(mother, father) >= config.both_parents_min:
        total += config.weight_both_parents * min(mother, father)
        weights += config.weight_both_parents
    if a.nik and a.nik == b.nik:
        total += config.weight_same_nik
        weights += config.weight_same_nik
    if a.no_kk and a.no_kk == b.no_kk:
        total += config.weight_same_kk
        weights += config.weight_same_kk
    return _Comparison(total / weights, name, date_sim, mother, father, place, date_kind)


def _similarities(a: _Prepared, b: _Prepared, config: DuplicateConfig) -> _Comparison:
    """All field similarities and the score, no gates (for explanations)."""
    date_sim, date_kind = _date_similarity(a, b, config)
    return _scored(a, b, _name_sim(a.name, b.name), date_sim, date_kind, _parent_similarity(a.mother, b.mother),
                   _parent_similarity(a.father, b.father), _place_similarity(a, b), config)


def _compare(a: _Prepared, b: _Prepared, config: DuplicateConfig) -> _Comparison | None:
    """Like `_similarities`, but None as soon as a gate rules the pair out (the hot path)."""
    if a.date_key == b.date_key and a.date_key >= 0:  # the usual case inside a birth-date block
        date_sim, date_kind = (1.0, "exact") if a.born == b.born else (config.swapped_date, "day_month_swapped")
    elif a.born is None or b.born is None:
        date_sim, date_kind = None, "missing"
    elif Hamming.distance(a.born_digits, b.born_digits, score_cutoff=1) == 1:  # _date_similarity, inlined
        date_sim, date_kind = config.one_digit_date, "one_digit"
    else:
        date_sim, date_kind = 0.0, "different"
    if date_sim is not None and date_sim < config.birth_date_min:
        return None
    na, nb = a.name, b.name
    if na.canon == nb.canon:
        if not na.canon:
            return None
        name = 1.0
    elif fuzz.ratio(na.joined, nb.joined, score_cutoff=config.name_prefilter):
        name = _name_sim(na, nb, config.name_min)
        if name < config.name_min:
            return None
    else:
        return None
    mother = _parent_similarity(a.mother, b.mother, config.mother_min)
    if mother is not None and mother < config.mother_min:
        return None
    father = _parent_similarity(a.father, b.father, config.father_min)
    if father is not None and father < config.father_min:
        return None
    if mother is None and father is None and (name < config.no_parent_name_min or date_kind != "exact"):
        return None  # no parent to compare: only a (nearly) exact name and an exact birth date will do
    if date_sim is None and (name < config.missing_date_min
                             or max(mother or 0.0, father or 0.0) < config.missing_date_min):
        return None
    return _scored(a, b, name, date_sim, date_kind, mother, father, _place_similarity(a, b), config)


def _is_duplicate(a: _Prepared, b: _Prepared, c: _Comparison, config: DuplicateConfig) -> bool:
    if c.score < config.threshold:
        return False
    if a.sex and b.sex and a.sex != b.sex:
        return c.score >= config.sex_mismatch_min
    return True


def _reasons(a: _Prepared, b: _Prepared, c: _Comparison) -> tuple[str, ...]:
    reasons = []
    if c.name == 1.0:
        reasons.append("name_exact" if a.raw_name.strip().upper() == b.raw_name.strip().upper() else "name_variant")
    elif len(a.name.canon) != len(b.name.canon):
        reasons.append("name_part_missing")
    else:
        reasons.append("name_similar")
    reasons.append(f"birth_date_{c.date_kind}")
    for label, similarity in (("mother", c.mother), ("father", c.father)):
        reasons.append(f"{label}_missing" if similarity is None
                       else f"{label}_exact" if similarity == 1.0 else f"{label}_similar")
    if c.place is not None:
        reasons.append("birth_place_same" if c.place == 1.0 else "birth_place_differs")
    if a.nik and a.nik == b.nik:
        reasons.append("same_nik")
    elif a.nik and b.nik:
        reasons.append("different_nik")
    if a.no_kk and a.no_kk == b.no_kk:
        reasons.append("same_kk")
    if a.sex and b.sex and a.sex != b.sex:
        reasons.append("sex_differs")
    return tuple(reasons)


def _ordered_pair(a: _Prepared, b: _Prepared, c: _Comparison) -> DuplicatePair:
    if str(a.ref) > str(b.ref):
        a, b = b, a
    return DuplicatePair(a.ref, b.ref, round(c.score, 4), _reasons(a, b, c))


# --------------------------------------------------------------------------------------------
# Index and public API

@contextmanager
def _gc_paused():
    """While the index is built the cyclic GC rescans the growing (acyclic) index again and
    again; pausing it more than halves the build time. Reference counting still frees everything."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class DuplicateIndex:
    """The register prepared and blocked once; `pairs()` for a full scan, `candidates()` for one."""

    def __init__(self, records: Iterable[PersonRecord], config: DuplicateConfig | None = None) -> None:
        self.config = config or DuplicateConfig()
        self._records: list[_Prepared] = []
        self._by_date: dict[int, list[int]] = {}
        self._by_key: tuple[dict[str, list[int]], ...] = tuple({} for _ in _KEY_BLOCKS)
        self._by_nik: dict[str, list[int]] = {}
        with _gc_paused():
            for record in records:
                self.add(record)

    def __len__(self) -> int:
        return len(self._records)

    def add(self, record: PersonRecord) -> None:
        prepared = _prepare(record)
        i = len(self._records)
        self._records.append(prepared)
        if prepared.date_key >= 0:
            self._by_date.setdefault(prepared.date_key, []).append(i)
        for blocks, key in zip(self._by_key, prepared.keys):
            if key:
                blocks.setdefault(key, []).append(i)
        if prepared.nik:
            self._by_nik.setdefault(prepared.nik, []).append(i)

    def pairs(self) -> list[DuplicatePair]:
        """Every duplicate pair in the register, sorted by (a, b) in string order.

        A pair is compared once, in the first block the two share (a block too large to be
        compared is not shared)."""
        config, records = self.config, self._records
        found: list[DuplicatePair] = []
        split_dates = {k for k, members in self._by_date.items() if len(members) > config.max_date_block_size}
        oversized = [{k for k, members in blocks.items() if len(members) > config.max_block_size}
                     for blocks in self._by_key]

        def shared_before(a: _Prepared, b: _Prepared, level: int) -> bool:
            """Did the two meet in the birth-date block or in one of the first `level` key blocks?"""
            if a.date_key == b.date_key and a.date_key >= 0 and (
                    a.date_key not in split_dates or a.name.joined[:1] == b.name.joined[:1]):
                return True
            for j in range(level):
                key = a.keys[j]
                if key and key == b.keys[j] and key not in oversized[j]:
                    return True
            return False

        for members, level in self._blocks(split_dates, oversized):
            size = len(members)
            for x in range(size - 1):
                a = records[members[x]]
                for y in range(x + 1, size):
                    b = records[members[y]]
                    if level >= 0 and shared_before(a, b, level):
                        continue
                    comparison = _compare(a, b, config)
                    if comparison is not None and _is_duplicate(a, b, comparison, config):
                        found.append(_ordered_pair(a, b, comparison))
        found.sort(key=lambda p: (str(p.a), str(p.b)))
        return found

    def _blocks(self, split_dates: set[int], oversized: list[set[str]]):
        """(members, level) per block: level -1 for the birth-date blocks, then the number of
        key blocks before this one (len(_KEY_BLOCKS) for the NIK blocks)."""
        for key, members in self._by_date.items():
            if key in split_dates:
                yield from ((part, -1) for part in self._by_initial(members).values() if len(part) > 1)
            elif len(members) > 1:
                yield members, -1
        for level, blocks in enumerate(self._by_key):
            for key, members in blocks.items():
                if len(members) > 1 and key not in oversized[level]:
                    yield members, level
        for members in self._by_nik.values():
            if len(members) > 1:
                yield members, len(_KEY_BLOCKS)

    def _by_initial(self, members: list[int]) -> dict[str, list[int]]:
        """A huge birth-date block (a placeholder date such as 01-07) split by the name's first letter."""
        parts: dict[str, list[int]] = {}
        for i in members:
            parts.setdefault(self._records[i].name.joined[:1], []).append(i)
        return parts

    def candidates(self, record: PersonRecord, limit: int | None = None) -> list[DuplicateCandidate]:
        """Register records that may be the same person as `record` (best first); own ref excluded."""
        config = self.config
        probe = _prepare(record)
        seen: set[int] = set()
        same_date = self._by_date.get(probe.date_key, [])
        if len(same_date) > config.max_date_block_size:
            same_date = self._by_initial(same_date).get(probe.name.joined[:1], [])
        seen.update(same_date)
        for blocks, key in zip(self._by_key, probe.keys):
            members = blocks.get(key, ()) if key else ()
            if len(members) <= config.max_block_size:
                seen.update(members)
        if probe.nik:
            seen.update(self._by_nik.get(probe.nik, []))
        matches = []
        for i in sorted(seen):
            other = self._records[i]
            if probe.ref is not None and other.ref == probe.ref:
                continue
            comparison = _compare(probe, other, config)
            if comparison is not None and _is_duplicate(probe, other, comparison, config):
                matches.append(DuplicateCandidate(other.ref, round(comparison.score, 4),
                                                  _reasons(probe, other, comparison)))
        matches.sort(key=lambda m: (-m.score, str(m.ref)))
        return matches[:limit] if limit else matches


def find_duplicate_pairs(records: Sequence[PersonRecord], config: DuplicateConfig | None = None) -> list[DuplicatePair]:
    """All pairs of records that look like one person (see the module docstring for how)."""
    return DuplicateIndex(records, config).pairs()


def _ref_sort_key(ref: int | str) -> tuple[int, int | str]:
    return (0, ref) if isinstance(ref, int) else (1, str(ref))


def group_pairs(pairs: Iterable[DuplicatePair]) -> list[list[int | str]]:
    """Connected components of the pairs: each group sorted, groups sorted by their first ref."""
    parent: dict[Any, Any] = {}

    def root(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for pair in pairs:
        ra, rb = root(pair.a), root(pair.b)
        if ra != rb:
            parent[rb] = ra
    groups: dict[Any, list] = {}
    for ref in parent:
        groups.setdefault(root(ref), []).append(ref)
    result = [sorted(group, key=_ref_sort_key) for group in groups.values()]
    result.sort(key=lambda group: [_ref_sort_key(r) for r in group])
    return result


def explain(a: PersonRecord, b: PersonRecord, config: DuplicateConfig | None = None) -> PairExplanation:
    """Per-field comparison of two records for the side-by-side review page."""
    config = config or DuplicateConfig()
    pa, pb = _prepare(a), _prepare(b)
    c = _similarities(pa, pb, config)
    gated = _compare(pa, pb, config)
    is_duplicate = gated is not None and _is_duplicate(pa, pb, gated, config)
    rows = (
        _field("name", a.name, b.name, c.name, canonical_equal=pa.name.canon == pb.name.canon),
        _field("birth_date", a.birth_date, b.birth_date, c.date),
        _field("sex", a.sex, b.sex, _equality(pa.sex, pb.sex)),
        _field("mother_name", a.mother_name, b.mother_name, c.mother,
               canonical_equal=pa.mother.canon == pb.mother.canon),
        _field("father_name", a.father_name, b.father_name, c.father,
               canonical_equal=pa.father.canon == pb.father.canon),
        _field("birth_place", a.birth_place, b.birth_place, c.place),
        _field("nik", a.nik, b.nik, _equality(pa.nik, pb.nik)),
        _field("no_kk", a.no_kk, b.no_kk, _equality(pa.no_kk, pb.no_kk)),
    )
    return PairExplanation(round(c.score, 4), is_duplicate, _reasons(pa, pb, c), rows)


def _equality(a: str, b: str) -> float | None:
    return float(a == b) if a and b else None


def _field(name: str, value_a, value_b, similarity: float | None, canonical_equal: bool = False) -> FieldComparison:
    if value_a in (None, "") or value_b in (None, ""):
        verdict = "missing"
    elif value_a == value_b:
        verdict = "exact"
    elif canonical_equal or similarity == 1.0:
        verdict = "variant"
    elif similarity is not None and similarity >= 0.6:
        verdict = "similar"
    else:
        verdict = "different"
    return FieldComparison(name, value_a, value_b, None if similarity is None else round(similarity, 4), verdict)
