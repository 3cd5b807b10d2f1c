"""People and families of the synthetic register: the working model (mutable while planting,
turned into PersonRecord at the end), NIK and No. KK numbers per DOMAIN.md, and `Population`,
which grows families under a No. KK (head, spouse, children, sometimes a grandparent or a
married child with in-law and grandchildren; twins now and then) over the regency's desa."""
from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate

from .names import Weighted, names_clearly_differ, person_name
from .regions import Desa, desa_weight, load_desa, load_moved_in_regions

NORMAL_KK_MAX_MEMBERS = 10   # ordinary families (a planted duplicate included) stay at or below
OVERSIZED_KK_MIN_MEMBERS = 16  # planted "holding" KKs have at least this many members

_PLACES_OTHER = ("BANJARMASIN", "BARABAI", "AMUNTAI", "RANTAU", "MARTAPURA", "BANJARBARU",
                 "TANJUNG", "PARINGIN", "PELAIHARI", "KOTABARU", "MARABAHAN", "BATULICIN")
_STREETS = ("MUKHTAR", "JEND. SUDIRMAN", "A. YANI", "PAHLAWAN", "ANTASARI", "HASAN BASRY",
            "ABDUL MUIS REDHANI", "AES NASUTION", "SINGAKARSA", "GAMBAH RAYA", "MANDIRI",
            "BUDI UTOMO", "DAHLIA", "MERDEKA", "PERINTIS KEMERDEKAAN", "KETAPING")
_ROMAN = ("I", "II", "III", "IV", "V")
_KECAMATAN_TOWN = {"07": "NEGARA", "08": "PASUNGKAN", "11": "BAJAYAU"}  # else the kecamatan name
MARRIED = Weighted(("KAWIN", 60), ("KAWIN TERCATAT", 30), ("KAWIN BELUM TERCATAT", 10))
ROLE_ORDER = {"KEPALA KELUARGA": 0, "SUAMI": 1, "ISTRI": 1, "ANAK": 2, "MENANTU": 3, "CUCU": 4,
              "ORANG TUA": 5, "MERTUA": 5, "FAMILI LAIN": 6, "LAINNYA": 7}


@dataclass(slots=True, eq=False)
class Person:
    pid: int
    name: str
    sex: str
    birth_date: date
    birth_place: str
    marital_status: str
    family_role: str
    mother_name: str | None
    father_name: str | None
    nik_region: str = ""
    nik: str = ""
    family: "Family | None" = None


@dataclass(slots=True, eq=False)
class Family:
    no_kk: str
    desa: Desa
    address: str
    rt: str
    rw: str
    members: list[Person] = field(default_factory=list)

    def add(self, person: Person) -> Person:
        person.family = self
        self.members.append(person)
        return person


def nik_date_part(birth_date: date, sex: str) -> str:
    day = birth_date.day + (40 if sex == "P" else 0)
    return f"{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}"


class Population:
    """Everybody generated so far, and what was planted among them (by pid)."""

    def __init__(self, seed: int, as_of: date) -> None:
        self.rng = random.Random(seed)
        self.as_of = as_of
        self.desa, self.kecamatan = load_desa()
        self.desa_weights = list(accumulate(desa_weight(d) for d in self.desa))
        self.moved_in = load_moved_in_regions()
        self.moved_in_weights = list(accumulate(w for _, _, w in self.moved_in))
        self.families: list[Family] = []
        self.persons: list[Person] = []
        self.nik_serials: Counter = Counter()
        self.kk_serials: Counter = Counter()
        self.duplicate_pairs: dict[frozenset, str] = {}      # {pid, pid} -> variant or "change+change"
        self.duplicate_details: dict[frozenset, str] = {}    # {pid, pid} -> what exactly changed
        self.hard_negatives: dict[frozenset, str] = {}
        self.anomalies: dict[int, set[str]] = defaultdict(set)
        self.busy: set[int] = set()   # pids already used by a duplicate or hard negative

    def mark(self, person: Person, code: str) -> None:
        self.anomalies[person.pid].add(code)

    def random_desa(self) -> Desa:
        return self.rng.choices(self.desa, cum_weights=self.desa_weights)[0]

    def age(self, person: Person) -> float:
        return (self.as_of - person.birth_date).days / 365.25

    # ---- identifiers -------------------------------------------------------------------
    def new_nik(self, region6: str, birth_date: date, sex: str) -> str:
        part = nik_date_part(birth_date, sex)
        self.nik_serials[(region6, part)] += 1
        return f"{region6}{part}{self.nik_serials[(region6, part)]:04d}"

    def new_kk_number(self, area6: str, issued: date) -> str:
        part = f"{issued.day:02d}{issued.month:02d}{issued.year % 100:02d}"
        self.kk_serials[(area6, part)] += 1
        return f"{area6}{part}{self.kk_serials[(area6, part)]:04d}"

    # ---- names, places, dates ----------------------------------------------------------
    def person_name(self, sex: str, year: int) -> str:
        return person_name(self.rng, sex, year)

    def birth_place(self, desa: Desa) -> str:
        r = self.rng.random()
        if r < 0.30:
            return "KANDANGAN"
        if r < 0.65:
            kec = desa.kec6[-2:]
            return _KECAMATAN_TOWN.get(kec, self.kecamatan[desa.kec6])
        if r < 0.90:
            return desa.name
        return self.rng.choice(_PLACES_OTHER)

    def birth_date_for_age(self, age: float) -> date:
        born = self.as_of - timedelta(days=int(age * 365.25) + self.rng.randint(0, 364))
        if born.year < 1975 and self.rng.random() < 0.15:
            # unknown birthdays of older residents were recorded on a few default dates
            day, month = self.rng.choice(((1, 1), (1, 7), (31, 12)))
            born = date(born.year, month, day)
        return born

    def child_birth_date(self, mother_birth: date, mother_age_at_birth: float) -> date | None:
        born = mother_birth + timedelta(days=int(mother_age_at_birth * 365.25) + self.rng.randint(0, 300))
        return born if born < self.as_of else None

    # ---- families ----------------------------------------------------------------------
    def new_family(self, desa: Desa, issued_after: date) -> Family:
        rng = self.rng
        start = max(issued_after, date(2005, 1, 1))
        issued = start + timedelta(days=rng.randint(0, max((self.as_of - start).days, 0)))
        if desa.urban or rng.random() < 0.25:
            address = f"JL. {rng.choice(_STREETS)}" + (f" NO. {rng.randint(1, 120)}" if rng.random() < 0.6 else "")
        else:
            address = rng.choice((f"DESA {desa.name}", f"DUSUN {rng.choice(_ROMAN)}", f"KAMPUNG {desa.name}"))
        rw = "000" if not desa.urban and rng.random() < 0.6 else f"{rng.randint(1, 5):03d}"
        family = Family(self.new_kk_number(desa.kec6, issued), desa, address,
                         f"{rng.randint(1, 15):03d}", rw)
        self.families.append(family)
        return family

    def new_person(self, sex: str, birth_date: date, role: str, marital: str, desa: Desa,
                   mother: str | None, father: str | None, name: str | None = None,
                   nik_region: str | None = None, birth_place: str | None = None) -> Person:
        rng = self.rng
        if nik_region is None:
            nik_region = desa.kec6
            if rng.random() < 0.10:  # first registered in another kecamatan of the regency
                nik_region = rng.choice(sorted(self.kecamatan))
        person = Person(
            pid=len(self.persons), name=name or self.person_name(sex, birth_date.year), sex=sex,
            birth_date=birth_date, birth_place=birth_place or self.birth_place(desa),
            marital_status=marital, family_role=role, mother_name=mother, father_name=father,
            nik_region=nik_region)
        person.nik = self.new_nik(nik_region, birth_date, sex)
        self.persons.append(person)
        return person

    def add_family(self) -> None:
        rng = self.rng
        desa = self.random_desa()
        r = rng.random()
        if r < 0.80:
            self.couple_family(desa)
        elif r < 0.92:
            self.single_parent_family(desa)
        else:
            self.single_person_family(desa)

    def moved_in_region(self) -> tuple[str | None, str | None]:
        if self.rng.random() < 0.03:
            region, place, _ = self.rng.choices(self.moved_in, cum_weights=self.moved_in_weights)[0]
            return region, place
        return None, None

    def adult(self, sex: str, age: float, role: str, marital: str, desa: Desa,
              mother: str | None = None, father: str | None = None) -> Person:
        born = self.birth_date_for_age(age)
        region, place = self.moved_in_region()
        mother = mother or self.person_name("P", born.year - 25)
        father = father or self.person_name("L", born.year - 30)
        return self.new_person(sex, born, role, marital, desa, mother, father,
                               nik_region=region, birth_place=place)

    def couple_family(self, desa: Desa) -> None:
        rng = self.rng
        head_age = min(max(rng.triangular(20, 80, 36), 20), 80)
        wife_age = max(17.0, head_age - rng.uniform(-3, 8))
        marital = MARRIED.pick(rng)
        parents: dict[str, dict[str, str]] = {"head": {}, "wife": {}}
        grandparent = None
        if head_age < 55 and rng.random() < 0.10:
            grandparent, side = self.grandparent(head_age, desa)
            parents[side]["mother" if grandparent.sex == "P" else "father"] = grandparent.name
        head = self.adult("L", head_age, "KEPALA KELUARGA", marital, desa, **parents["head"])
        wife = self.adult("P", wife_age, "ISTRI", marital, desa, **parents["wife"])
        members = [head, wife]
        children = self.children(wife, head.name, desa)
        members += children
        if grandparent:
            members.append(grandparent)
        if head_age >= 50 and rng.random() < 0.12:
            members += self.married_child_household(wife, head.name, desa)
        self.settle(desa, members)

    def grandparent(self, head_age: float, desa: Desa) -> tuple[Person, str]:
        rng = self.rng
        side = "head" if rng.random() < 0.6 else "wife"
        sex = "P" if rng.random() < 0.7 else "L"
        age = min(head_age + rng.uniform(20, 36), 97)
        role = "ORANG TUA" if side == "head" else "MERTUA"
        return self.adult(sex, age, role, "CERAI MATI", desa), side

    def children(self, mother: Person, father_name: str, desa: Desa, role: str = "ANAK",
                 max_age: float = 26) -> list[Person]:
        rng = self.rng
        mother_age = (self.as_of - mother.birth_date).days / 365.25
        count = rng.choices((0, 1, 2, 3, 4, 5, 6), (8, 18, 28, 22, 13, 7, 4))[0]
        kids, at = [], rng.uniform(18, 27)
        for _ in range(count):
            if at > min(43, mother_age):
                break
            born = self.child_birth_date(mother.birth_date, at)
            at += rng.uniform(1.3, 5)
            if born is None or (self.as_of - born).days / 365.25 > max_age:
                continue
            kids.append(self.child(mother, father_name, born, role, desa))
            if rng.random() < 0.012:
                kids.append(self.twin_of(kids[-1], desa))
        return kids

    def child(self, mother: Person, father_name: str, born: date, role: str, desa: Desa,
              name: str | None = None, sex: str | None = None) -> Person:
        sex = sex or ("L" if self.rng.random() < 0.503 else "P")
        age = (self.as_of - born).days / 365.25
        marital = "BELUM KAWIN" if age < 22 or self.rng.random() < 0.85 else "CERAI HIDUP"
        return self.new_person(sex, born, role, marital, desa, mother.name, father_name, name=name)

    def twin_of(self, sibling: Person, desa: Desa) -> Person:
        sex = "L" if self.rng.random() < 0.5 else "P"
        name = self.person_name(sex, sibling.birth_date.year)
        while not names_clearly_differ(name, sibling.name):
            name = self.person_name(sex, sibling.birth_date.year)
        twin = self.new_person(sex, sibling.birth_date, sibling.family_role, sibling.marital_status,
                               desa, sibling.mother_name, sibling.father_name, name=name,
                               birth_place=sibling.birth_place)
        self.hard_negatives[frozenset((sibling.pid, twin.pid))] = "twins"
        self.busy.update((sibling.pid, twin.pid))
        return twin

    def married_child_household(self, mother: Person, father_name: str, desa: Desa) -> list[Person]:
        rng = self.rng
        born = self.child_birth_date(mother.birth_date, rng.uniform(19, 30))
        if born is None or (self.as_of - born).days / 365.25 < 20:
            return []
        marital = MARRIED.pick(rng)
        child = self.child(mother, father_name, born, "ANAK", desa)
        child.marital_status = marital
        in_law_sex = "P" if child.sex == "L" else "L"
        in_law = self.adult(in_law_sex, (self.as_of - born).days / 365.25 + rng.uniform(-3, 3),
                            "MENANTU", marital, desa)
        wife, husband = (in_law, child) if child.sex == "L" else (child, in_law)
        grandchildren = self.children(wife, husband.name, desa, role="CUCU", max_age=12)
        return [child, in_law] + grandchildren[:2]

    def single_parent_family(self, desa: Desa) -> None:
        rng = self.rng
        sex = "P" if rng.random() < 0.8 else "L"
        head = self.adult(sex, rng.uniform(28, 75), "KEPALA KELUARGA",
                          "CERAI MATI" if rng.random() < 0.65 else "CERAI HIDUP", desa)
        if sex == "P":
            kids = self.children(head, self.person_name("L", head.birth_date.year - 3), desa)
        else:
            late_wife = Person(-1, self.person_name("P", head.birth_date.year + 3), "P",
                                head.birth_date + timedelta(days=rng.randint(0, 2500)), "", "", "", None, None)
            kids = self.children(late_wife, head.name, desa)
        self.settle(desa, [head] + kids)

    def single_person_family(self, desa: Desa) -> None:
        rng = self.rng
        sex = "L" if rng.random() < 0.5 else "P"
        if rng.random() < 0.5:
            head = self.adult(sex, rng.uniform(20, 38), "KEPALA KELUARGA", "BELUM KAWIN", desa)
        else:
            head = self.adult(sex, rng.uniform(60, 90), "KEPALA KELUARGA", "CERAI MATI", desa)
        self.settle(desa, [head])

    def settle(self, desa: Desa, members: list[Person]) -> Family:
        youngest = max(p.birth_date for p in members)
        family = self.new_family(desa, youngest)
        for person in members[: NORMAL_KK_MAX_MEMBERS - 1]:
            family.add(person)
        for person in members[NORMAL_KK_MAX_MEMBERS - 1:]:
            person.family = None  # would make an oversized KK by accident: left out of the register
        return family

