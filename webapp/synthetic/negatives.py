"""Hard negatives: pairs of records that look alike but are two people, which a duplicate
detector must leave apart. Twins come with the families (`Population.twin_of`); planted here:

- ``common_name``: strangers of one name (other birth date, other parents);
- ``father_son``: a son given his father's name, in his father's KK;
- ``namesakes_in_village``: two people of one name and sex in one desa, born a few days apart,
  with other parents (two families who named their babies after the same figure).
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from datetime import timedelta

from .names import names_clearly_differ
from .people import Person, Population

HARD_NEGATIVE_KINDS = ("twins", "common_name", "father_son", "namesakes_in_village")


def plant_hard_negatives(population: Population, count: int) -> None:
    """`count` of each planted kind (fewer when the register is too small to find them)."""
    _plant_common_names(population, count)
    _plant_father_son(population, count)
    _plant_namesakes_in_village(population, count)


def _plant_common_names(population: Population, count: int) -> None:
    rng, persons = population.rng, population.persons
    planted = 0
    for _ in range(count * 20):
        if planted >= count:
            break
        a, b = rng.choice(persons), rng.choice(persons)
        if not could_share_a_name(population, a, b):
            continue
        b.name = a.name
        population.hard_negatives[frozenset((a.pid, b.pid))] = "common_name"
        population.busy.update((a.pid, b.pid))
        planted += 1


def _plant_father_son(population: Population, count: int) -> None:
    rng, busy = population.rng, population.busy
    planted = 0
    for _ in range(count * 20):
        if planted >= count:
            break
        family = rng.choice(population.families)
        head = family.members[0]
        sons = [p for p in family.members if p.family_role == "ANAK" and p.sex == "L"
                and p.father_name == head.name and p.pid not in busy]
        if head.sex != "L" or head.pid in busy or not sons:
            continue
        son = rng.choice(sons)
        son.name = head.name
        population.hard_negatives[frozenset((head.pid, son.pid))] = "father_son"
        busy.update((head.pid, son.pid))
        planted += 1


def could_share_a_name(population: Population, a: Person, b: Person) -> bool:
    """b (an unmarried child nobody else names) can take a's name without it looking odd."""
    busy = population.busy
    return (a.family is not None and b.family is not None and a.family is not b.family
            and a.sex == b.sex and a.pid not in busy and b.pid not in busy
            and a.birth_date != b.birth_date and b.family_role == "ANAK"
            and b.marital_status == "BELUM KAWIN" and abs(a.birth_date.year - b.birth_date.year) <= 15)


def _plant_namesakes_in_village(population: Population, count: int) -> None:
    """b, a child of another family in a's desa born within months of a, gets a's name and a
    birth date 1-9 days off a's."""
    rng, busy = population.rng, population.busy
    children_by_desa: dict[str, list[Person]] = defaultdict(list)
    for person in population.persons:
        if person.family is not None and person.family_role == "ANAK" and person.marital_status == "BELUM KAWIN":
            children_by_desa[person.family.desa.code].append(person)
    villages = sorted(children_by_desa)
    for children in children_by_desa.values():
        children.sort(key=lambda p: (p.birth_date, p.pid))
    planted = 0
    for _ in range(count * 20):
        if planted >= count or not villages:
            break
        children = children_by_desa[rng.choice(villages)]
        a = rng.choice(children)
        if a.pid in busy:
            continue
        born_dates = [p.birth_date for p in children]
        low = bisect_left(born_dates, a.birth_date - timedelta(days=_NAMESAKE_WINDOW_DAYS))
        high = bisect_right(born_dates, a.birth_date + timedelta(days=_NAMESAKE_WINDOW_DAYS))
        candidates = [b for b in children[low:high] if _could_be_namesakes(population, a, b)]
        if not candidates:
            continue
        b = rng.choice(candidates)
        offset = rng.choice((-1, 1)) * rng.randint(1, 9)
        born = a.birth_date + timedelta(days=offset)
        if born >= population.as_of or (born.day, born.month) == (a.birth_date.month, a.birth_date.day):
            continue
        b.name, b.birth_date = a.name, born
        b.nik = population.new_nik(b.nik[:6], born, b.sex)
        population.hard_negatives[frozenset((a.pid, b.pid))] = "namesakes_in_village"
        busy.update((a.pid, b.pid))
        planted += 1


_NAMESAKE_WINDOW_DAYS = 120


def _could_be_namesakes(population: Population, a: Person, b: Person) -> bool:
    """Same sex, other family, parents nothing alike."""
    return (b.family is not a.family and b.sex == a.sex and b.pid not in population.busy
            and a.mother_name is not None and b.mother_name is not None
            and names_clearly_differ(a.mother_name, b.mother_name)
            and (a.father_name is None or b.father_name is None
                 or names_clearly_differ(a.father_name, b.father_name)))
