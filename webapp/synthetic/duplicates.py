"""Planted duplicates: a second (or third) record of one person, written otherwise.

Two ways to plant them (`generate_register(duplicate_changes=...)`):

- one change each (the default): the record differs from the original in exactly one of
  VARIANTS, as issue 4 listed them;
- two changes each: the record differs in a pair of CHANGES, the kinds of change real
  registers show, cycling through every pair (CHANGE_PAIRS). The truth labels such a pair
  ``"name_variant+birth_date"`` and `duplicate_details` says what exactly changed.

Besides the changes a planted record gets its own NIK most of the time (a second registration),
and a KK of its own when it was entered elsewhere.
"""
from __future__ import annotations

import random
from datetime import date, timedelta
from itertools import combinations

from .names import (
    AHMAD_FORMS,
    MUHAMMAD_FORMS,
    SITI_FORMS,
    add_hajj_title,
    add_patronym,
    any_name_variant,
    drop_letter,
    drop_middle_name,
    mother_variant,
    noor_variant,
    replace_form,
    transpose_letter,
)
from .people import NORMAL_KK_MAX_MEMBERS, Family, Person, Population

VARIANTS = (
    "muhammad", "siti", "noor", "ahmad", "transposed_letter", "dropped_letter",
    "dropped_middle_name", "day_month_swapped", "second_nik", "mother_name_variant",
)
CHANGES = (
    "name_variant",     # MUHAMMAD/M., SITI/ST., NOOR/NUR, AHMAD/AKHMAD, a typo, a dropped middle name
    "hajj_title",       # H. / HJ. (H, HAJI, HJ, HJH.) written in front of the name
    "patronym",         # BIN / BINTI (BT.) and the father's name after it
    "birth_date",       # one digit of the date mistyped, or day and month swapped
    "moved",            # entered again in another desa, under a new KK
    "mother_variant",   # the mother's name spelled otherwise (HJ., SITI/ST., NOOR/NUR, a typo, no SITI)
)
CHANGE_PAIRS = tuple(f"{a}+{b}" for a, b in combinations(CHANGES, 2))
HAJJ_MIN_AGE = 30  # pilgrims in the register are adults; most go late in life
_DATE_DIGITS = (0, 1, 2, 3, 6, 7)  # DDMMYYYY positions people mistype (not the century)
_DATE_DIGIT_WEIGHTS = (1, 3, 1, 2, 1, 3)


# --------------------------------------------------------------------------------------------
# One change each

def plant_duplicates(population: Population, count: int) -> None:
    rng = population.rng
    sources: list[Person] = []
    for i in range(count):
        variant = VARIANTS[i % len(VARIANTS)]
        source = None
        if sources and rng.random() < 0.03:  # a third record of an already duplicated person
            source = rng.choice(sources)
        copy = _variant_copy(population, source, variant) if source else None
        for _ in range(5000):
            if copy is not None:
                break
            source = rng.choice(population.persons)
            if source.pid in population.busy or source.family is None:
                continue
            copy = _variant_copy(population, source, variant)
        if copy is None:
            continue
        _place_duplicate(population, source, copy, variant)
        pair = frozenset((source.pid, copy.pid))
        population.duplicate_pairs[pair] = population.duplicate_details[pair] = variant
        population.busy.update((source.pid, copy.pid))
        sources.append(source)


def _variant_copy(population: Population, source: Person, variant: str) -> Person | None:
    rng = population.rng
    name, born, mother = source.name, source.birth_date, source.mother_name
    if variant == "muhammad":
        name = replace_form(rng, name, MUHAMMAD_FORMS)
    elif variant == "siti":
        name = replace_form(rng, name, SITI_FORMS)
    elif variant == "noor":
        name = noor_variant(rng, name)
    elif variant == "ahmad":
        name = replace_form(rng, name, AHMAD_FORMS)
    elif variant == "transposed_letter":
        name = transpose_letter(rng, name)
    elif variant == "dropped_letter":
        name = drop_letter(rng, name)
    elif variant == "dropped_middle_name":
        name = drop_middle_name(rng, name)
    elif variant == "day_month_swapped":
        if born.day > 12 or born.day == born.month:
            return None
        born = date(born.year, born.day, born.month)
    elif variant == "mother_name_variant":
        mother = mother_variant(rng, mother) if mother else None
        if mother is None:
            return None
    if name is None:
        return None
    return _new_copy(population, source, name, born, mother)


def _new_copy(population: Population, source: Person, name: str, born: date, mother: str | None) -> Person:
    copy = Person(len(population.persons), name, source.sex, born, source.birth_place,
                  source.marital_status, source.family_role, mother, source.father_name,
                  nik_region=source.nik_region, nik=source.nik)
    population.persons.append(copy)
    return copy


def _place_duplicate(population: Population, source: Person, copy: Person, variant: str) -> None:
    """Double entry in the same KK, or a record in another KK (moved, split, relative)."""
    rng = population.rng
    family = source.family
    age = population.age(source)
    same_kk = (source.family_role != "KEPALA KELUARGA" and len(family.members) < NORMAL_KK_MAX_MEMBERS
               and rng.random() < (0.7 if age < 17 else 0.4))
    if same_kk:
        family.add(copy)
    elif age < 17 or rng.random() < 0.5:
        host = _host_family(population, source)
        copy.family_role = "CUCU" if age < 17 and rng.random() < 0.5 else "FAMILI LAIN"
        host.add(copy)
    else:
        desa = family.desa if rng.random() < 0.6 else population.random_desa()
        copy.family_role = "KEPALA KELUARGA"
        population.new_family(desa, copy.birth_date + timedelta(days=17 * 366)).add(copy)
    keep_nik = variant not in ("second_nik", "day_month_swapped") and rng.random() < 0.15
    if not keep_nik:
        region = copy.nik_region
        if rng.random() < 0.3:
            region = copy.family.desa.kec6
        copy.nik = population.new_nik(region, copy.birth_date, copy.sex)
    _mark_dotted_name(population, copy)


def _host_family(population: Population, source: Person) -> Family:
    rng = population.rng
    for _ in range(100):
        family = rng.choice(population.families)
        if family is not source.family and len(family.members) < NORMAL_KK_MAX_MEMBERS - 1:
            return family
    return population.new_family(source.family.desa, source.birth_date)


def _mark_dotted_name(population: Population, copy: Person) -> None:
    if any(token.endswith(".") for token in copy.name.split()):
        population.mark(copy, "name_suspicious")


# --------------------------------------------------------------------------------------------
# Two changes each

def plant_changed_duplicates(population: Population, count: int, combos: tuple[str, ...] = CHANGE_PAIRS) -> None:
    """`count` duplicates, the i-th with the changes of combos[i % len(combos)] ("a+b")."""
    rng = population.rng
    by_desa: dict[str, list[Family]] = {}
    for family in population.families:
        by_desa.setdefault(family.desa.code, []).append(family)
    for i in range(count):
        combo = combos[i % len(combos)]
        changes = combo.split("+")
        for _ in range(5000):
            source = rng.choice(population.persons)
            if source.pid in population.busy or source.family is None:
                continue
            made = _changed_copy(population, source, changes)
            if made is not None:
                break
        else:
            continue
        copy, details = made
        details.append(_place_changed(population, source, copy, moved="moved" in changes, by_desa=by_desa))
        pair = frozenset((source.pid, copy.pid))
        population.duplicate_pairs[pair] = combo
        population.duplicate_details[pair] = ", ".join(d for d in details if d)
        population.busy.update((source.pid, copy.pid))


def _changed_copy(population: Population, source: Person, changes: list[str]) -> tuple[Person, list[str]] | None:
    """A copy of `source` with `changes` applied (all but "moved", done when it is placed)."""
    rng = population.rng
    name, born, mother, details = source.name, source.birth_date, source.mother_name, []
    for change in CHANGES:
        if change not in changes:
            continue
        if change == "name_variant":
            made = any_name_variant(rng, name)
            if made is None:
                return None
            details.append(f"name_variant:{made[0]}")
            name = made[1]
        elif change == "hajj_title":
            titled = add_hajj_title(rng, name, source.sex) if population.age(source) >= HAJJ_MIN_AGE else None
            if titled is None:
                return None
            details.append("hajj_title")
            name = titled
        elif change == "patronym":
            extended = add_patronym(rng, name, source.sex, source.father_name)
            if extended is None:
                return None
            details.append("patronym")
            name = extended
        elif change == "birth_date":
            made = changed_birth_date(rng, born, population.as_of)
            if made is None:
                return None
            details.append(f"birth_date:{made[0]}")
            born = made[1]
        elif change == "mother_variant":
            spelled = mother_variant(rng, mother) if mother else None
            if spelled is None or spelled == mother:
                return None
            details.append("mother_variant")
            mother = spelled
    return _new_copy(population, source, name, born, mother), details


def changed_birth_date(rng: random.Random, born: date, as_of: date) -> tuple[str, date] | None:
    """("day_month_swapped" | "one_digit", the date as mistyped), or None if nothing fits."""
    if born.day <= 12 and born.day != born.month and rng.random() < 0.35:
        return "day_month_swapped", date(born.year, born.day, born.month)
    written = f"{born.day:02d}{born.month:02d}{born.year:04d}"
    for _ in range(20):
        position = rng.choices(_DATE_DIGITS, _DATE_DIGIT_WEIGHTS)[0]
        digit = int(written[position])
        typed = digit + rng.choice((-1, 1)) if rng.random() < 0.8 else rng.randrange(10)
        if not 0 <= typed <= 9 or typed == digit:
            continue
        text = written[:position] + str(typed) + written[position + 1:]
        try:
            mistyped = date(int(text[4:]), int(text[2:4]), int(text[:2]))
        except ValueError:
            continue
        if mistyped < as_of and (mistyped.day, mistyped.month) != (born.month, born.day):
            return "one_digit", mistyped
    return None


def _place_changed(population: Population, source: Person, copy: Person, *, moved: bool,
                   by_desa: dict[str, list[Family]]) -> str:
    """Put the copy in a KK: its own desa (same KK or another), or, moved, another desa."""
    rng = population.rng
    family = source.family
    adult = population.age(source) >= 17
    if moved:
        desa = population.random_desa()
        while desa.code == family.desa.code:
            desa = population.random_desa()
    else:
        desa = family.desa
    placed = ""
    if not moved and source.family_role != "KEPALA KELUARGA" and len(family.members) < NORMAL_KK_MAX_MEMBERS \
            and rng.random() < 0.5:
        family.add(copy)
        placed = "same_kk"
    elif adult and rng.random() < 0.6:
        copy.family_role = "KEPALA KELUARGA"
        new = population.new_family(desa, copy.birth_date + timedelta(days=17 * 366))
        by_desa.setdefault(desa.code, []).append(new)
        new.add(copy)
    else:
        host = _host_family_in(population, desa, family, by_desa)
        copy.family_role = "CUCU" if not adult and rng.random() < 0.5 else "FAMILI LAIN"
        host.add(copy)
    if rng.random() < (0.9 if moved else 0.85):
        region = copy.family.desa.kec6 if rng.random() < (0.7 if moved else 0.3) else copy.nik_region
        copy.nik = population.new_nik(region, copy.birth_date, copy.sex)
    else:
        placed = ", ".join(filter(None, (placed, "same_nik")))
    _mark_dotted_name(population, copy)
    return placed


def _host_family_in(population: Population, desa, other_than: Family, by_desa: dict[str, list[Family]]) -> Family:
    rng = population.rng
    families = by_desa.get(desa.code, [])
    for _ in range(50 if families else 0):
        family = rng.choice(families)
        if family is not other_than and family.members and len(family.members) < NORMAL_KK_MAX_MEMBERS - 1:
            return family
    new = population.new_family(desa, other_than.members[0].birth_date if other_than.members else population.as_of)
    by_desa.setdefault(desa.code, []).append(new)
    return new


# --------------------------------------------------------------------------------------------
# Stress test of a finished register

SECOND_CHANGES = ("name_typo", "mother_variant", "date_one_digit", "father_missing", "birth_place_other")


def add_second_change(register, seed: int = 1) -> dict[frozenset, str]:
    """Stress test: give the later record of every planted pair one more change (in place).

    Returns the change per pair. The truth stays as it was: they are still one person."""
    rng = random.Random(seed)
    by_ref = {r.ref: r for r in register.records}
    changes = {}
    for pair in sorted(register.duplicate_pairs, key=sorted):
        record = by_ref[max(pair)]
        change = rng.choice(SECOND_CHANGES)
        if change == "name_typo":
            record.name = (transpose_letter if rng.random() < 0.5 else drop_letter)(rng, record.name) or record.name
        elif change == "mother_variant" and record.mother_name:
            record.mother_name = mother_variant(rng, record.mother_name) or record.mother_name
        elif change == "date_one_digit" and record.birth_date:
            born = record.birth_date
            record.birth_date = born.replace(day=born.day + 1 if born.day % 10 != 9 and born.day < 28 else born.day - 1)
        elif change == "father_missing":
            record.father_name = None
        elif change == "birth_place_other":
            record.birth_place = "BARABAI" if record.birth_place != "BARABAI" else "AMUNTAI"
        changes[pair] = change
    return changes
