"""Planted anomalies: numbers and records the register scan must flag (truth kept by pid).

Each planter picks a clean record (no duplicate, hard negative or other anomaly on it), spoils
it in one way and marks it with the anomaly code; `label_nik_side_effects` then marks what the
planting did to others (a NIK kept by a duplicate shows as shared, and so on)."""
from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from .people import OVERSIZED_KK_MIN_MEMBERS, Family, Person, Population, nik_date_part

ANOMALY_CODES = (
    "nik_invalid", "nik_birth_mismatch", "nik_sex_mismatch", "nik_shared", "name_suspicious",
    "kk_oversized", "kk_two_heads", "child_older_than_parent", "mother_missing", "age_over_120",
)


def plant_anomalies(population: Population, per_code: int) -> None:
    _Planter(population).plant_all(per_code)


class _Planter:
    def __init__(self, population: Population) -> None:
        self.p = population

    def plant_all(self, per_code: int) -> None:
        planters = {
            "nik_invalid": self.plant_nik_invalid, "nik_birth_mismatch": self.plant_nik_birth_mismatch,
            "nik_sex_mismatch": self.plant_nik_sex_mismatch, "nik_shared": self.plant_nik_shared,
            "name_suspicious": self.plant_name_suspicious, "kk_two_heads": self.plant_kk_two_heads,
            "child_older_than_parent": self.plant_child_older_than_parent,
            "mother_missing": self.plant_mother_missing, "age_over_120": self.plant_age_over_120,
        }
        for _ in range(max(1, round(per_code / OVERSIZED_KK_MIN_MEMBERS))):
            self.plant_kk_oversized()
        for code, plant in planters.items():
            for _ in range(per_code):
                plant()

    def clean_person(self, predicate=lambda p: True, tries: int = 2000) -> Person | None:
        for _ in range(tries):
            person = self.p.rng.choice(self.p.persons)
            if (person.family is not None and person.pid not in self.p.busy
                    and person.pid not in self.p.anomalies and predicate(person)):
                return person
        return None

    def plant_nik_invalid(self) -> None:
        person = self.clean_person()
        if person is None:
            return
        nik, kind = person.nik, self.p.rng.randrange(6)
        if kind == 0:
            nik = nik[:7] + nik[8:]                          # 15 digits
        elif kind == 1:
            nik = nik[:6] + nik[6:10] + "O" + nik[11:]       # letter O for zero
        elif kind == 2:
            nik = nik[:8] + "13" + nik[10:]                  # month 13
        elif kind == 3:
            nik = nik[:6] + "00" + nik[8:]                   # day 00
        elif kind == 4:
            nik = nik[:12] + "0000"                          # serial 0000
        else:
            nik = self.p.rng.choice(("6399", "6340", "9901", "1999")) + nik[4:]  # never existed
        person.nik = nik
        self.p.mark(person, "nik_invalid")

    def plant_nik_birth_mismatch(self) -> None:
        person = self.clean_person()
        if person is None:
            return
        other = person.birth_date + timedelta(days=self.p.rng.choice((-1, 1)) * self.p.rng.randint(1, 400))
        person.nik = self.p.new_nik(person.nik[:6], other, person.sex)
        self.p.mark(person, "nik_birth_mismatch")

    def plant_nik_sex_mismatch(self) -> None:
        person = self.clean_person()
        if person is None:
            return
        person.nik = self.p.new_nik(person.nik[:6], person.birth_date, "L" if person.sex == "P" else "P")
        self.p.mark(person, "nik_sex_mismatch")

    def plant_nik_shared(self) -> None:
        a = self.clean_person()
        b = self.clean_person(lambda p: a is not None and p.family is not a.family)
        if a is None or b is None:
            return
        b.nik = a.nik
        self.p.mark(a, "nik_shared")
        self.p.mark(b, "nik_shared")

    def plant_name_suspicious(self) -> None:
        rng = self.p.rng
        person = self.clean_person()
        if person is None:
            return
        tokens = person.name.split()
        abbreviations = {"MUHAMMAD": "M.", "SITI": "ST.", "ABDUL": "ABD.", "AHMAD": "A."}
        kind = rng.randrange(4)
        if kind == 0 and tokens[0] in abbreviations and len(tokens) > 1:
            tokens[0] = abbreviations[tokens[0]]
        elif kind == 1:
            tokens.append(str(rng.randint(1, 3)))
        elif kind == 2 and person.mother_name:
            tokens = ["BAYI", "NY."] + person.mother_name.split()[-1:]
        else:
            i = rng.randrange(len(tokens))
            tokens[i] = tokens[i] + "."
            if len(tokens) == 1:
                tokens.append(rng.choice(("S", "AR")))
        person.name = " ".join(tokens)
        self.p.mark(person, "name_suspicious")

    def plant_kk_oversized(self) -> None:
        rng = self.p.rng
        host = self.clean_family(lambda f: len(f.members) <= 4)
        if host is None:
            return
        target = rng.randint(OVERSIZED_KK_MIN_MEMBERS, OVERSIZED_KK_MIN_MEMBERS + 8)
        for _ in range(200):
            if len(host.members) >= target:
                break
            guest = self.clean_family(lambda f: f is not host and len(f.members) <= 3)
            if guest is None:
                break
            for person in guest.members:
                person.family_role = "FAMILI LAIN" if rng.random() < 0.8 else "LAINNYA"
                host.add(person)
            guest.members = []
            self.p.families.remove(guest)
        if len(host.members) >= OVERSIZED_KK_MIN_MEMBERS:
            for person in host.members:
                self.p.mark(person, "kk_oversized")

    def clean_family(self, predicate) -> Family | None:
        for _ in range(2000):
            family = self.p.rng.choice(self.p.families)
            if family.members and predicate(family) and all(
                    p.pid not in self.p.busy and p.pid not in self.p.anomalies for p in family.members):
                return family
        return None

    def plant_kk_two_heads(self) -> None:
        family = self.clean_family(lambda f: len(f.members) >= 2 and f.members[1].family_role == "ISTRI")
        if family is None:
            return
        family.members[1].family_role = "KEPALA KELUARGA"
        self.p.mark(family.members[0], "kk_two_heads")
        self.p.mark(family.members[1], "kk_two_heads")

    def plant_child_older_than_parent(self) -> None:
        rng = self.p.rng
        family = self.clean_family(lambda f: len(f.members) >= 3 and f.members[1].family_role == "ISTRI"
                                   and f.members[2].family_role == "ANAK"
                                   and f.members[0].birth_date.year >= 1945)
        if family is None:
            return
        child = family.members[2]
        oldest_parent = min(family.members[0].birth_date, family.members[1].birth_date)
        child.birth_date = oldest_parent - timedelta(days=rng.randint(200, 10 * 365))
        child.nik = self.p.new_nik(child.nik[:6], child.birth_date, child.sex)
        self.p.mark(child, "child_older_than_parent")

    def plant_mother_missing(self) -> None:
        person = self.clean_person(lambda p: p.mother_name is not None)
        if person is None:
            return
        person.mother_name = None
        self.p.mark(person, "mother_missing")

    def plant_age_over_120(self) -> None:
        rng = self.p.rng
        person = self.clean_person(lambda p: p.family_role in ("ORANG TUA", "MERTUA", "FAMILI LAIN")
                                   or (p.family_role == "KEPALA KELUARGA" and len(p.family.members) == 1))
        if person is None:
            return
        person.birth_date = date(rng.randint(1880, 1903), rng.randint(1, 12), rng.randint(1, 28))
        person.nik = self.p.new_nik(person.nik[:6], person.birth_date, person.sex)
        self.p.mark(person, "age_over_120")


def label_nik_side_effects(population: Population) -> None:
    """A NIK kept by a duplicate or handed to a stranger shows as shared / mismatching."""
    live = [p for p in population.persons if p.family is not None]
    counts = Counter(p.nik for p in live)
    for person in live:
        if counts[person.nik] > 1:
            population.mark(person, "nik_shared")
        if "nik_invalid" in population.anomalies.get(person.pid, ()):
            continue
        expected_date = nik_date_part(person.birth_date, person.sex)
        if person.nik[6:12] == expected_date:
            continue
        opposite = nik_date_part(person.birth_date, "L" if person.sex == "P" else "P")
        population.mark(person, "nik_sex_mismatch" if person.nik[6:12] == opposite else "nik_birth_mismatch")
