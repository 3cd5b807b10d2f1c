"""Deterministic synthetic population register of a regency like Hulu Sungai Selatan.

`generate_register(n, seed)` builds families under a No. KK (head, spouse, children, sometimes a
grandparent or a married child with in-law and grandchildren) spread over the regency's desa,
with Banjar/Indonesian names, NIK and No. KK numbers built per the rules in shared/DOMAIN.md.
It then plants true duplicates (one variant each), hard negatives (twins, same-name strangers,
father and son of the same name) and anomalies, and keeps the truth apart from the records.

`write_siak_csv` / `write_siak_xlsx` write the records as a SIAK-style export.
Everything is seeded: the same (n, seed, rates) gives the same register, byte for byte.
"""
from __future__ import annotations

import csv
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import accumulate
from datetime import date, timedelta
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from .records import PersonRecord
from .siak_codes import SEX_TO_LABEL, SIAK_LABEL_TO_CODE

REFERENCE_DATE = date(2025, 7, 1)  # "today" of the synthetic register: keeps ages deterministic

_DATA_DIR = Path(__file__).resolve().parent.parent / "wilayah" / "data"
WILAYAH_6306_CSV = _DATA_DIR / "wilayah_6306.csv"
WILAYAH_NASIONAL_CSV = _DATA_DIR / "wilayah_nasional.csv"

VARIANTS = (
    "muhammad", "siti", "noor", "ahmad", "transposed_letter", "dropped_letter",
    "dropped_middle_name", "day_month_swapped", "second_nik", "mother_name_variant",
)
ANOMALY_CODES = (
    "nik_invalid", "nik_birth_mismatch", "nik_sex_mismatch", "nik_shared", "name_suspicious",
    "kk_oversized", "kk_two_heads", "child_older_than_parent", "mother_missing", "age_over_120",
)
HARD_NEGATIVE_KINDS = ("twins", "common_name", "father_son")

NORMAL_KK_MAX_MEMBERS = 10   # ordinary families (a planted duplicate included) stay at or below
OVERSIZED_KK_MIN_MEMBERS = 16  # planted "holding" KKs have at least this many members

SIAK_COLUMNS = (
    "NIK", "NO_KK", "NAMA_LGKP", "JENIS_KLMIN", "TMPT_LHR", "TGL_LHR", "STAT_KWN", "STAT_HBKEL",
    "NAMA_LGKP_IBU", "NAMA_LGKP_AYAH", "ALAMAT", "NO_RT", "NO_RW",
)
REGION_COLUMNS = {"kode_desa": ("KODE_DESA",), "split": ("NO_PROP", "NO_KAB", "NO_KEC", "NO_KEL")}


@dataclass
class SyntheticTruth:
    """What the generator planted; refs are the records' 1-based row numbers."""
    duplicate_pairs: dict[frozenset, str] = field(default_factory=dict)  # {ref_a, ref_b} -> variant
    anomalies: dict[int, set[str]] = field(default_factory=dict)         # ref -> anomaly codes
    hard_negatives: dict[frozenset, str] = field(default_factory=dict)   # {ref_a, ref_b} -> kind


@dataclass
class SyntheticRegister:
    records: list[PersonRecord]
    truth: SyntheticTruth
    seed: int
    as_of: date = REFERENCE_DATE

    @property
    def duplicate_pairs(self) -> dict[frozenset, str]:
        return self.truth.duplicate_pairs

    @property
    def anomalies(self) -> dict[int, set[str]]:
        return self.truth.anomalies


class _Weighted:
    """A fixed weighted choice (cumulative weights computed once)."""

    def __init__(self, *weighted: tuple[str, float]) -> None:
        self.values = [value for value, _ in weighted]
        self.cumulative = list(accumulate(weight for _, weight in weighted))

    def pick(self, rng: random.Random) -> str:
        return rng.choices(self.values, cum_weights=self.cumulative)[0]


# --------------------------------------------------------------------------------------------
# Name pools (SIAK stores names in capitals)

_MALE_OLD = """JUMBERI AMBERI TAMBERI SANBERI HUSIN MAHMUD SALEH ASNAWI MA'RUF ARBAIN JUHRI SAPRUDIN
BAHRUDIN HAMDANI SAHRANI SYAHRANI JAMHURI MISRANI KASRANI SARBINI JAILANI MASRANI IDRUS ZAINUDIN
GAZALI ISMAIL IBRAHIM YUSUF ARSYAD JAMALUDIN NORDIN BASRI HASAN HUSAIN ALI UMAR USMAN ANANG UTUH
SAMSUL SYAMSUDIN MUKHTAR MAKMUR RUSLAN RASYID JUMRI JUNAIDI ASRANI MAHLAN MARHAN BAHRANI ABDULLAH
SAMAN SUPIAN ARDANI RAMLI SYARKAWI MASRAN ILMI SAHLAN BURHAN MUHRAN JAHRI ASMUNI SAMSURI SAIDI
SANUSI TAJUDIN HAMBERI JAPERI SA'DULLAH ARSAD MUHDAR ASPIANOR KHAIRANI MAS'UD SYARIFUDIN""".split()
_MALE_MID = """RUSDIANSYAH ARDIANSYAH HERIANSYAH RAHMAT RAHMADI FAHRIANOR NORHADI SUPRIADI RUSMADI
RIDUAN MUKHLIS FAUZAN HAMDAN SAIFUL RIZALI RAHMAN AHMADI ZAINAL ARIFIN SYAMSUL FAHMI HERI MULYADI
ANWAR HAIRUL KHAIRUL AHYAR RIDWAN JUMADI ISNAINI HIDAYAT SAPUAN ALFIAN SUFIAN BAYU AGUS BUDIMAN
HENDRA NASRULLAH NORMAN NURDIN SYARIF FIRDAUS MAULANA HAMIDAN ASTERIANSYAH YUDI MISBAH HELMI
IRWANSYAH JUNAIDI SAHRIL WAHYUDI ZULKIFLI RIFANI SYAHRUDIN MUJAHID ANSHARI KAMARUDIN""".split()
_MALE_YOUNG = """RIZKY RIZKI ALFI HAFIZ ZAKI AZKA RIDHO FIRMANSYAH RIZALDI ALDI REZA FADLI FAJAR ILHAM
ARYA RAFI DIMAS NAUFAL FARHAN ZIKRI HABIBI IQBAL RAIHAN GHIFARI AKBAR FATHIR ARKAN FAUZI NABIL
SYAUQI HAIKAL RAFFA ABRAR DZAKY ALIF ADITYA AZRIL FAIZ HAFIDZ ZIDAN KEVIN RASYA ARFAN AHSAN
GIBRAN SATRIA YAZID FAHRI ALVIN RAZAN DAFFA RAMA""".split()
_MALE_LAST = """RAMADHAN HIDAYAT SAPUTRA PRATAMA MAULANA FIRDAUS ALFARIZI AKBAR ARIFIN FADILLAH RAHMAN
NOOR ANSHARI HIDAYATULLAH RIDHO FAUZAN SYAHPUTRA ALAMSYAH HAKIM RIZKI FIRMANSYAH""".split()
_ABDUL_SECOND = """HAMID GANI KADIR WAHAB SAMAD RAHMAN MUIS HADI AZIS MANAN JALIL HALIM KARIM SALAM
RAHIM MAJID LATIF SYUKUR""".split()

_FEMALE_OLD = """ALUH GALUH ZAINAB MASLIANI NURHAYATI NORHAYATI JAHRAH MASRAH ASIAH SALMAH HALIMAH
JAMILAH RUSMIATI NORJANAH MURNI RAHMAH SAPIAH KAMSIAH HADIJAH MARLIANI JULAIHA SALASIAH PARIDAH
FATIMAH AMINAH AISYAH MASLIAH ASNAH JUBAIDAH RUKAYAH MASNAH SAUDAH BAHRIAH HAMIDAH NORSIDAH
MAHRITA JUMIATI ARBAYAH INUR IDAH SANAH MAIDAH ASPIAH NORLAILA SARIAH JARIAH MARIAM MUNAWARAH
KHADIJAH RABIAH RUSNAH HAMSIAH JAMIAH MULIANI ZUBAIDAH SALBIAH MAS'ADAH NAFSIAH""".split()
_FEMALE_MID = """FITRI FITRIANI RAHMAWATI NORMALASARI NORLIANI YULIANTI HERLINA MASITAH SARIPAH
RAHMANIAH NOVIANTI HASANAH HIDAYAH MAULIDA NORLATIPAH JUMAIDAH MUSLIMAH HAYATI MAHMUDAH
NORHALIMAH NORMAH ERNAWATI WAHYUNI LISDA RINA NURLAILA SRIWAHYUNI MASYITAH RUSMALINA HERIYANI
NORLIA SYARIFAH HALIDA ISTIQOMAH MARDIANA NURJANAH RAHMADANI NORAINI""".split()
_FEMALE_YOUNG = """AULIA NAJWA NAYLA ZAHRA SALSABILA AZZAHRA KHAIRUNNISA HIKMAH RIZKA AMELIA ANNISA
NADIA PUTRI SYIFA AFIFAH HUSNA NAILA ZAKIA ALYA RAISA HANIFA ADELIA KEISHA FARAH INAYAH NABILA
SAKINAH QONITA AQILA HASNA ZAHIRA ALIFAH MUTIARA SHAFA NAURA KAYLA ANINDYA HILYA FAIZAH""".split()
_FEMALE_LAST = """AULIA RAHMADANI RAMADHANI PUTRI SALSABILA ZAHRA AZZAHRA HASANAH FITRIANI
KHAIRUNNISA AMALIA FEBRIANTI MAULIDA HIDAYAH RAHMAWATI NAFISA SAFITRI ANGGRAINI""".split()

_PLACES_OTHER = ("BANJARMASIN", "BARABAI", "AMUNTAI", "RANTAU", "MARTAPURA", "BANJARBARU",
                 "TANJUNG", "PARINGIN", "PELAIHARI", "KOTABARU", "MARABAHAN", "BATULICIN")
_STREETS = ("MUKHTAR", "JEND. SUDIRMAN", "A. YANI", "PAHLAWAN", "ANTASARI", "HASAN BASRY",
            "ABDUL MUIS REDHANI", "AES NASUTION", "SINGAKARSA", "GAMBAH RAYA", "MANDIRI",
            "BUDI UTOMO", "DAHLIA", "MERDEKA", "PERINTIS KEMERDEKAAN", "KETAPING")
_ROMAN = ("I", "II", "III", "IV", "V")
_KECAMATAN_TOWN = {"07": "NEGARA", "08": "PASUNGKAN", "11": "BAJAYAU"}  # else the kecamatan name
_MUHAMMAD_FORMS = ("MUHAMMAD", "MUHAMAD", "MOHAMMAD", "MOHAMAD", "M.", "MUH.", "MOH.")
_SITI_FORMS = ("SITI", "ST.", "SITTI")
_NOOR_FORMS = ("NOOR", "NOR", "NUR")
_AHMAD_FORMS = ("AHMAD", "AKHMAD", "ACHMAD")
_MALE_PREFIXES = _Weighted(("MUHAMMAD", 60), ("MUHAMAD", 6), ("MOHAMMAD", 3), ("AHMAD", 18), ("AKHMAD", 4),
                           ("ACHMAD", 1), ("NOOR", 4), ("GUSTI", 3))
_FEMALE_PREFIXES = _Weighted(("SITI", 50), ("NOOR", 16), ("NOR", 8), ("NUR", 10), ("NURUL", 6), ("GUSTI", 3))
_MARRIED = _Weighted(("KAWIN", 60), ("KAWIN TERCATAT", 30), ("KAWIN BELUM TERCATAT", 10))
_ROLE_ORDER = {"KEPALA KELUARGA": 0, "SUAMI": 1, "ISTRI": 1, "ANAK": 2, "MENANTU": 3, "CUCU": 4,
               "ORANG TUA": 5, "MERTUA": 5, "FAMILI LAIN": 6, "LAINNYA": 7}


# --------------------------------------------------------------------------------------------
# Region data

@dataclass(frozen=True, slots=True)
class _Desa:
    code: str        # dotted, 63.06.10.2001
    name: str
    kec6: str        # 630610
    urban: bool


def _load_desa() -> tuple[list[_Desa], dict[str, str]]:
    desa, kecamatan = [], {}
    with open(WILAYAH_6306_CSV, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            level, code = row["tingkat"], row["kode"]
            if level == "kecamatan":
                kecamatan[code.replace(".", "")] = row["nama"].upper()
            elif level in ("desa", "kelurahan"):
                kec6 = code.rsplit(".", 1)[0].replace(".", "")
                desa.append(_Desa(code, row["nama"].upper(), kec6, level == "kelurahan"))
    return desa, kecamatan


def _desa_weight(d: _Desa) -> float:
    if d.urban:
        return 5.0
    kec = d.kec6[-2:]
    return {"05": 1.4, "10": 0.55, "07": 1.3, "08": 1.2, "11": 1.1}.get(kec, 1.0)


def _load_moved_in_regions() -> list[tuple[str, str, float]]:
    """(kecamatan code 6 digits, birth place, weight) of regions people move in from."""
    regencies, rows = {}, []
    with open(WILAYAH_NASIONAL_CSV, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["berlaku"] != "ya":
                continue
            if row["tingkat"] == "kabupaten_kota":
                regencies[row["kode"]] = _regency_place(row["nama"])
            elif row["tingkat"] == "kecamatan":
                rows.append(row["kode"])
    regions = []
    for kode in rows:
        regency = kode.rsplit(".", 1)[0]
        if regency == "63.06" or regency not in regencies:
            continue
        province = kode[:2]
        weight = 40.0 if province == "63" else 6.0 if province in ("31", "32", "33", "34", "35") \
            else 3.0 if province in ("62", "64", "65") else 0.4
        regions.append((kode.replace(".", ""), regencies[regency], weight))
    return regions


def _regency_place(name: str) -> str:
    name = name.strip().upper()
    for prefix in ("KABUPATEN ", "KOTA ADMINISTRASI ", "KOTA ", "KAB. "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


# --------------------------------------------------------------------------------------------
# Working model (mutable while planting; turned into PersonRecord at the end)

@dataclass(slots=True, eq=False)
class _Person:
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
    family: "_Family | None" = None


@dataclass(slots=True, eq=False)
class _Family:
    no_kk: str
    desa: _Desa
    address: str
    rt: str
    rw: str
    members: list[_Person] = field(default_factory=list)

    def add(self, person: _Person) -> _Person:
        person.family = self
        self.members.append(person)
        return person


def _nik_date_part(birth_date: date, sex: str) -> str:
    day = birth_date.day + (40 if sex == "P" else 0)
    return f"{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}"


def _levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


class _Builder:
    def __init__(self, seed: int, as_of: date) -> None:
        self.rng = random.Random(seed)
        self.as_of = as_of
        self.desa, self.kecamatan = _load_desa()
        self.desa_weights = list(accumulate(_desa_weight(d) for d in self.desa))
        self.moved_in = _load_moved_in_regions()
        self.moved_in_weights = list(accumulate(w for _, _, w in self.moved_in))
        self.families: list[_Family] = []
        self.persons: list[_Person] = []
        self.nik_serials: Counter = Counter()
        self.kk_serials: Counter = Counter()
        self.duplicate_pairs: dict[frozenset, str] = {}
        self.hard_negatives: dict[frozenset, str] = {}
        self.anomalies: dict[int, set[str]] = defaultdict(set)
        self.busy: set[int] = set()   # pids already used by a duplicate or hard negative

    # ---- identifiers -------------------------------------------------------------------
    def new_nik(self, region6: str, birth_date: date, sex: str) -> str:
        part = _nik_date_part(birth_date, sex)
        self.nik_serials[(region6, part)] += 1
        return f"{region6}{part}{self.nik_serials[(region6, part)]:04d}"

    def new_kk_number(self, area6: str, issued: date) -> str:
        part = f"{issued.day:02d}{issued.month:02d}{issued.year % 100:02d}"
        self.kk_serials[(area6, part)] += 1
        return f"{area6}{part}{self.kk_serials[(area6, part)]:04d}"

    # ---- names, places, dates ----------------------------------------------------------
    def person_name(self, sex: str, year: int) -> str:
        rng, r = self.rng, self.rng.random()
        if sex == "L":
            if year < 1975:
                if r < 0.55:
                    return rng.choice(_MALE_OLD)
                if r < 0.68:
                    return f"ABDUL {rng.choice(_ABDUL_SECOND)}"
                if r < 0.92:
                    return f"{_MALE_PREFIXES.pick(rng)} {rng.choice(_MALE_OLD)}"
                return f"{rng.choice(_MALE_OLD)} {rng.choice(_MALE_MID)}"
            if year < 1995:
                pool = _MALE_MID if rng.random() < 0.7 else _MALE_OLD
                if r < 0.30:
                    return rng.choice(pool)
                if r < 0.65:
                    return f"{_MALE_PREFIXES.pick(rng)} {rng.choice(pool)}"
                if r < 0.80:
                    return f"{rng.choice(pool)} {rng.choice(_MALE_LAST)}"
                if r < 0.94:
                    return f"{_MALE_PREFIXES.pick(rng)} {rng.choice(pool)} {rng.choice(_MALE_LAST)}"
                return f"ABDUL {rng.choice(_ABDUL_SECOND)}"
            pool = _MALE_YOUNG if rng.random() < 0.8 else _MALE_MID
            if r < 0.10:
                return rng.choice(pool)
            if r < 0.45:
                return f"{_MALE_PREFIXES.pick(rng)} {rng.choice(pool)}"
            if r < 0.78:
                return f"{_MALE_PREFIXES.pick(rng)} {rng.choice(pool)} {rng.choice(_MALE_LAST)}"
            return f"{rng.choice(pool)} {rng.choice(_MALE_LAST)}"
        if year < 1975:
            if r < 0.62:
                return rng.choice(_FEMALE_OLD)
            if r < 0.95:
                return f"{_FEMALE_PREFIXES.pick(rng)} {rng.choice(_FEMALE_OLD)}"
            return f"{rng.choice(_FEMALE_OLD)} {rng.choice(_FEMALE_MID)}"
        if year < 1995:
            pool = _FEMALE_MID if rng.random() < 0.7 else _FEMALE_OLD
            if r < 0.35:
                return rng.choice(pool)
            if r < 0.75:
                return f"{_FEMALE_PREFIXES.pick(rng)} {rng.choice(pool)}"
            if r < 0.90:
                return f"{rng.choice(pool)} {rng.choice(_FEMALE_LAST)}"
            return f"{_FEMALE_PREFIXES.pick(rng)} {rng.choice(pool)} {rng.choice(_FEMALE_LAST)}"
        pool = _FEMALE_YOUNG if rng.random() < 0.8 else _FEMALE_MID
        if r < 0.12:
            return rng.choice(pool)
        if r < 0.45:
            return f"{_FEMALE_PREFIXES.pick(rng)} {rng.choice(pool)}"
        if r < 0.75:
            return f"{_FEMALE_PREFIXES.pick(rng)} {rng.choice(pool)} {rng.choice(_FEMALE_LAST)}"
        return f"{rng.choice(pool)} {rng.choice(_FEMALE_LAST)}"

    def birth_place(self, desa: _Desa) -> str:
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
    def new_family(self, desa: _Desa, issued_after: date) -> _Family:
        rng = self.rng
        start = max(issued_after, date(2005, 1, 1))
        issued = start + timedelta(days=rng.randint(0, max((self.as_of - start).days, 0)))
        if desa.urban or rng.random() < 0.25:
            address = f"JL. {rng.choice(_STREETS)}" + (f" NO. {rng.randint(1, 120)}" if rng.random() < 0.6 else "")
        else:
            address = rng.choice((f"DESA {desa.name}", f"DUSUN {rng.choice(_ROMAN)}", f"KAMPUNG {desa.name}"))
        rw = "000" if not desa.urban and rng.random() < 0.6 else f"{rng.randint(1, 5):03d}"
        family = _Family(self.new_kk_number(desa.kec6, issued), desa, address,
                         f"{rng.randint(1, 15):03d}", rw)
        self.families.append(family)
        return family

    def new_person(self, sex: str, birth_date: date, role: str, marital: str, desa: _Desa,
                   mother: str | None, father: str | None, name: str | None = None,
                   nik_region: str | None = None, birth_place: str | None = None) -> _Person:
        rng = self.rng
        if nik_region is None:
            nik_region = desa.kec6
            if rng.random() < 0.10:  # first registered in another kecamatan of the regency
                nik_region = rng.choice(sorted(self.kecamatan))
        person = _Person(
            pid=len(self.persons), name=name or self.person_name(sex, birth_date.year), sex=sex,
            birth_date=birth_date, birth_place=birth_place or self.birth_place(desa),
            marital_status=marital, family_role=role, mother_name=mother, father_name=father,
            nik_region=nik_region)
        person.nik = self.new_nik(nik_region, birth_date, sex)
        self.persons.append(person)
        return person

    def add_family(self) -> None:
        rng = self.rng
        desa = rng.choices(self.desa, cum_weights=self.desa_weights)[0]
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

    def adult(self, sex: str, age: float, role: str, marital: str, desa: _Desa,
              mother: str | None = None, father: str | None = None) -> _Person:
        born = self.birth_date_for_age(age)
        region, place = self.moved_in_region()
        mother = mother or self.person_name("P", born.year - 25)
        father = father or self.person_name("L", born.year - 30)
        return self.new_person(sex, born, role, marital, desa, mother, father,
                               nik_region=region, birth_place=place)

    def couple_family(self, desa: _Desa) -> None:
        rng = self.rng
        head_age = min(max(rng.triangular(20, 80, 36), 20), 80)
        wife_age = max(17.0, head_age - rng.uniform(-3, 8))
        marital = _MARRIED.pick(rng)
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

    def grandparent(self, head_age: float, desa: _Desa) -> tuple[_Person, str]:
        rng = self.rng
        side = "head" if rng.random() < 0.6 else "wife"
        sex = "P" if rng.random() < 0.7 else "L"
        age = min(head_age + rng.uniform(20, 36), 97)
        role = "ORANG TUA" if side == "head" else "MERTUA"
        return self.adult(sex, age, role, "CERAI MATI", desa), side

    def children(self, mother: _Person, father_name: str, desa: _Desa, role: str = "ANAK",
                 max_age: float = 26) -> list[_Person]:
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

    def child(self, mother: _Person, father_name: str, born: date, role: str, desa: _Desa,
              name: str | None = None, sex: str | None = None) -> _Person:
        sex = sex or ("L" if self.rng.random() < 0.503 else "P")
        age = (self.as_of - born).days / 365.25
        marital = "BELUM KAWIN" if age < 22 or self.rng.random() < 0.85 else "CERAI HIDUP"
        return self.new_person(sex, born, role, marital, desa, mother.name, father_name, name=name)

    def twin_of(self, sibling: _Person, desa: _Desa) -> _Person:
        sex = "L" if self.rng.random() < 0.5 else "P"
        name = self.person_name(sex, sibling.birth_date.year)
        while not _names_clearly_differ(name, sibling.name):
            name = self.person_name(sex, sibling.birth_date.year)
        twin = self.new_person(sex, sibling.birth_date, sibling.family_role, sibling.marital_status,
                               desa, sibling.mother_name, sibling.father_name, name=name,
                               birth_place=sibling.birth_place)
        self.hard_negatives[frozenset((sibling.pid, twin.pid))] = "twins"
        self.busy.update((sibling.pid, twin.pid))
        return twin

    def married_child_household(self, mother: _Person, father_name: str, desa: _Desa) -> list[_Person]:
        rng = self.rng
        born = self.child_birth_date(mother.birth_date, rng.uniform(19, 30))
        if born is None or (self.as_of - born).days / 365.25 < 20:
            return []
        marital = _MARRIED.pick(rng)
        child = self.child(mother, father_name, born, "ANAK", desa)
        child.marital_status = marital
        in_law_sex = "P" if child.sex == "L" else "L"
        in_law = self.adult(in_law_sex, (self.as_of - born).days / 365.25 + rng.uniform(-3, 3),
                            "MENANTU", marital, desa)
        wife, husband = (in_law, child) if child.sex == "L" else (child, in_law)
        grandchildren = self.children(wife, husband.name, desa, role="CUCU", max_age=12)
        return [child, in_law] + grandchildren[:2]

    def single_parent_family(self, desa: _Desa) -> None:
        rng = self.rng
        sex = "P" if rng.random() < 0.8 else "L"
        head = self.adult(sex, rng.uniform(28, 75), "KEPALA KELUARGA",
                          "CERAI MATI" if rng.random() < 0.65 else "CERAI HIDUP", desa)
        if sex == "P":
            kids = self.children(head, self.person_name("L", head.birth_date.year - 3), desa)
        else:
            late_wife = _Person(-1, self.person_name("P", head.birth_date.year + 3), "P",
                                head.birth_date + timedelta(days=rng.randint(0, 2500)), "", "", "", None, None)
            kids = self.children(late_wife, head.name, desa)
        self.settle(desa, [head] + kids)

    def single_person_family(self, desa: _Desa) -> None:
        rng = self.rng
        sex = "L" if rng.random() < 0.5 else "P"
        if rng.random() < 0.5:
            head = self.adult(sex, rng.uniform(20, 38), "KEPALA KELUARGA", "BELUM KAWIN", desa)
        else:
            head = self.adult(sex, rng.uniform(60, 90), "KEPALA KELUARGA", "CERAI MATI", desa)
        self.settle(desa, [head])

    def settle(self, desa: _Desa, members: list[_Person]) -> _Family:
        youngest = max(p.birth_date for p in members)
        family = self.new_family(desa, youngest)
        for person in members[: NORMAL_KK_MAX_MEMBERS - 1]:
            family.add(person)
        for person in members[NORMAL_KK_MAX_MEMBERS - 1:]:
            person.family = None  # would make an oversized KK by accident: left out of the register
        return family

    # ---- hard negatives ----------------------------------------------------------------
    def plant_hard_negatives(self, count: int) -> None:
        """Same-name strangers and father/son of the same name (twins come with the families)."""
        rng, persons = self.rng, self.persons
        planted = 0
        for _ in range(count * 20):
            if planted >= count:
                break
            a, b = rng.choice(persons), rng.choice(persons)
            if not self.could_share_a_name(a, b):
                continue
            b.name = a.name
            self.hard_negatives[frozenset((a.pid, b.pid))] = "common_name"
            self.busy.update((a.pid, b.pid))
            planted += 1
        planted = 0
        for _ in range(count * 20):
            if planted >= count:
                break
            family = rng.choice(self.families)
            head = family.members[0]
            sons = [p for p in family.members if p.family_role == "ANAK" and p.sex == "L"
                    and p.father_name == head.name and p.pid not in self.busy]
            if head.sex != "L" or head.pid in self.busy or not sons:
                continue
            son = rng.choice(sons)
            son.name = head.name
            self.hard_negatives[frozenset((head.pid, son.pid))] = "father_son"
            self.busy.update((head.pid, son.pid))
            planted += 1

    def could_share_a_name(self, a: _Person, b: _Person) -> bool:
        """b (an unmarried child nobody else names) can take a's name without it looking odd."""
        return (a.family is not None and b.family is not None and a.family is not b.family
                and a.sex == b.sex and a.pid not in self.busy and b.pid not in self.busy
                and a.birth_date != b.birth_date and b.family_role == "ANAK"
                and b.marital_status == "BELUM KAWIN" and abs(a.birth_date.year - b.birth_date.year) <= 15)

    # ---- duplicates --------------------------------------------------------------------
    def plant_duplicates(self, count: int) -> None:
        rng = self.rng
        sources: list[_Person] = []
        for i in range(count):
            variant = VARIANTS[i % len(VARIANTS)]
            source = None
            if sources and rng.random() < 0.03:  # a third record of an already duplicated person
                source = rng.choice(sources)
            copy = self.variant_copy(source, variant) if source else None
            for _ in range(5000):
                if copy is not None:
                    break
                source = rng.choice(self.persons)
                if source.pid in self.busy or source.family is None:
                    continue
                copy = self.variant_copy(source, variant)
            if copy is None:
                continue
            self.place_duplicate(source, copy, variant)
            self.duplicate_pairs[frozenset((source.pid, copy.pid))] = variant
            self.busy.update((source.pid, copy.pid))
            sources.append(source)

    def variant_copy(self, source: _Person, variant: str) -> _Person | None:
        rng = self.rng
        name, born, mother = source.name, source.birth_date, source.mother_name
        if variant == "muhammad":
            name = _replace_form(rng, name, _MUHAMMAD_FORMS)
        elif variant == "siti":
            name = _replace_form(rng, name, _SITI_FORMS)
        elif variant == "noor":
            name = _noor_variant(rng, name)
        elif variant == "ahmad":
            name = _replace_form(rng, name, _AHMAD_FORMS)
        elif variant == "transposed_letter":
            name = _transpose_letter(rng, name)
        elif variant == "dropped_letter":
            name = _drop_letter(rng, name)
        elif variant == "dropped_middle_name":
            name = _drop_middle_name(rng, name)
        elif variant == "day_month_swapped":
            if born.day > 12 or born.day == born.month:
                return None
            born = date(born.year, born.day, born.month)
        elif variant == "mother_name_variant":
            mother = _mother_variant(rng, mother) if mother else None
            if mother is None:
                return None
        if name is None:
            return None
        copy = _Person(len(self.persons), name, source.sex, born, source.birth_place,
                       source.marital_status, source.family_role, mother, source.father_name,
                       nik_region=source.nik_region, nik=source.nik)
        self.persons.append(copy)
        return copy

    def place_duplicate(self, source: _Person, copy: _Person, variant: str) -> None:
        """Double entry in the same KK, or a record in another KK (moved, split, relative)."""
        rng = self.rng
        family = source.family
        age = (self.as_of - source.birth_date).days / 365.25
        same_kk = (source.family_role != "KEPALA KELUARGA" and len(family.members) < NORMAL_KK_MAX_MEMBERS
                   and rng.random() < (0.7 if age < 17 else 0.4))
        if same_kk:
            family.add(copy)
        elif age < 17 or rng.random() < 0.5:
            host = self.host_family(source)
            copy.family_role = "CUCU" if age < 17 and rng.random() < 0.5 else "FAMILI LAIN"
            host.add(copy)
        else:
            desa = family.desa if rng.random() < 0.6 else rng.choices(self.desa, cum_weights=self.desa_weights)[0]
            copy.family_role = "KEPALA KELUARGA"
            self.new_family(desa, copy.birth_date + timedelta(days=17 * 366)).add(copy)
        keep_nik = variant not in ("second_nik", "day_month_swapped") and rng.random() < 0.15
        if not keep_nik:
            region = copy.nik_region
            if rng.random() < 0.3:
                region = copy.family.desa.kec6
            copy.nik = self.new_nik(region, copy.birth_date, copy.sex)
        if any(token.endswith(".") for token in copy.name.split()):
            self.anomalies[copy.pid].add("name_suspicious")

    def host_family(self, source: _Person) -> _Family:
        rng = self.rng
        for _ in range(100):
            family = rng.choice(self.families)
            if family is not source.family and len(family.members) < NORMAL_KK_MAX_MEMBERS - 1:
                return family
        return self.new_family(source.family.desa, source.birth_date)

    # ---- anomalies ---------------------------------------------------------------------
    def clean_person(self, predicate=lambda p: True, tries: int = 2000) -> _Person | None:
        for _ in range(tries):
            person = self.rng.choice(self.persons)
            if (person.family is not None and person.pid not in self.busy
                    and person.pid not in self.anomalies and predicate(person)):
                return person
        return None

    def plant_anomalies(self, per_code: int) -> None:
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

    def mark(self, person: _Person, code: str) -> None:
        self.anomalies[person.pid].add(code)

    def plant_nik_invalid(self) -> None:
        person = self.clean_person()
        if person is None:
            return
        nik, kind = person.nik, self.rng.randrange(6)
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
            nik = self.rng.choice(("6399", "6340", "9901", "1999")) + nik[4:]  # never existed
        person.nik = nik
        self.mark(person, "nik_invalid")

    def plant_nik_birth_mismatch(self) -> None:
        person = self.clean_person()
        if person is None:
            return
        other = person.birth_date + timedelta(days=self.rng.choice((-1, 1)) * self.rng.randint(1, 400))
        person.nik = self.new_nik(person.nik[:6], other, person.sex)
        self.mark(person, "nik_birth_mismatch")

    def plant_nik_sex_mismatch(self) -> None:
        person = self.clean_person()
        if person is None:
            return
        person.nik = self.new_nik(person.nik[:6], person.birth_date, "L" if person.sex == "P" else "P")
        self.mark(person, "nik_sex_mismatch")

    def plant_nik_shared(self) -> None:
        a = self.clean_person()
        b = self.clean_person(lambda p: a is not None and p.family is not a.family)
        if a is None or b is None:
            return
        b.nik = a.nik
        self.mark(a, "nik_shared")
        self.mark(b, "nik_shared")

    def plant_name_suspicious(self) -> None:
        rng = self.rng
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
        self.mark(person, "name_suspicious")

    def plant_kk_oversized(self) -> None:
        rng = self.rng
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
            self.families.remove(guest)
        if len(host.members) >= OVERSIZED_KK_MIN_MEMBERS:
            for person in host.members:
                self.mark(person, "kk_oversized")

    def clean_family(self, predicate) -> _Family | None:
        for _ in range(2000):
            family = self.rng.choice(self.families)
            if family.members and predicate(family) and all(
                    p.pid not in self.busy and p.pid not in self.anomalies for p in family.members):
                return family
        return None

    def plant_kk_two_heads(self) -> None:
        family = self.clean_family(lambda f: len(f.members) >= 2 and f.members[1].family_role == "ISTRI")
        if family is None:
            return
        family.members[1].family_role = "KEPALA KELUARGA"
        self.mark(family.members[0], "kk_two_heads")
        self.mark(family.members[1], "kk_two_heads")

    def plant_child_older_than_parent(self) -> None:
        rng = self.rng
        family = self.clean_family(lambda f: len(f.members) >= 3 and f.members[1].family_role == "ISTRI"
                                   and f.members[2].family_role == "ANAK"
                                   and f.members[0].birth_date.year >= 1945)
        if family is None:
            return
        child = family.members[2]
        oldest_parent = min(family.members[0].birth_date, family.members[1].birth_date)
        child.birth_date = oldest_parent - timedelta(days=rng.randint(200, 10 * 365))
        child.nik = self.new_nik(child.nik[:6], child.birth_date, child.sex)
        self.mark(child, "child_older_than_parent")

    def plant_mother_missing(self) -> None:
        person = self.clean_person(lambda p: p.mother_name is not None)
        if person is None:
            return
        person.mother_name = None
        self.mark(person, "mother_missing")

    def plant_age_over_120(self) -> None:
        rng = self.rng
        person = self.clean_person(lambda p: p.family_role in ("ORANG TUA", "MERTUA", "FAMILI LAIN")
                                   or (p.family_role == "KEPALA KELUARGA" and len(p.family.members) == 1))
        if person is None:
            return
        person.birth_date = date(rng.randint(1880, 1903), rng.randint(1, 12), rng.randint(1, 28))
        person.nik = self.new_nik(person.nik[:6], person.birth_date, person.sex)
        self.mark(person, "age_over_120")

    def label_nik_side_effects(self) -> None:
        """A NIK kept by a duplicate or handed to a stranger shows as shared / mismatching."""
        live = [p for p in self.persons if p.family is not None]
        counts = Counter(p.nik for p in live)
        for person in live:
            if counts[person.nik] > 1:
                self.mark(person, "nik_shared")
            if "nik_invalid" in self.anomalies.get(person.pid, ()):
                continue
            expected_date = _nik_date_part(person.birth_date, person.sex)
            if person.nik[6:12] == expected_date:
                continue
            opposite = _nik_date_part(person.birth_date, "L" if person.sex == "P" else "P")
            self.mark(person, "nik_sex_mismatch" if person.nik[6:12] == opposite else "nik_birth_mismatch")

    # ---- output ------------------------------------------------------------------------
    def build(self, seed: int) -> SyntheticRegister:
        self.label_nik_side_effects()
        records: list[PersonRecord] = []
        ref_of: dict[int, int] = {}
        for family in sorted(self.families, key=lambda f: (f.desa.code, f.no_kk)):
            members = sorted(family.members, key=lambda p: (_ROLE_ORDER[p.family_role], p.birth_date, p.pid))
            for person in members:
                ref = len(records) + 1
                ref_of[person.pid] = ref
                records.append(PersonRecord(
                    ref=ref, nik=person.nik, no_kk=family.no_kk, name=person.name, sex=person.sex,
                    birth_place=person.birth_place, birth_date=person.birth_date,
                    marital_status=person.marital_status, family_role=person.family_role,
                    mother_name=person.mother_name, father_name=person.father_name,
                    address=family.address, rt=family.rt, rw=family.rw, desa_code=family.desa.code))

        def refs(pids: frozenset) -> frozenset | None:
            mapped = frozenset(ref_of[p] for p in pids if p in ref_of)
            return mapped if len(mapped) == 2 else None

        truth = SyntheticTruth()
        for pids, variant in self.duplicate_pairs.items():
            if (pair := refs(pids)) is not None:
                truth.duplicate_pairs[pair] = variant
        for pids, kind in self.hard_negatives.items():
            if (pair := refs(pids)) is not None:
                truth.hard_negatives[pair] = kind
        for pid, codes in sorted(self.anomalies.items()):
            if pid in ref_of and codes:
                truth.anomalies[ref_of[pid]] = set(codes)
        return SyntheticRegister(records=records, truth=truth, seed=seed, as_of=self.as_of)


# --------------------------------------------------------------------------------------------
# Variant helpers (each changes exactly one thing, or returns None when it does not apply)

_NAME_PREFIXES = frozenset(_MUHAMMAD_FORMS + _SITI_FORMS + _NOOR_FORMS + _AHMAD_FORMS
                           + ("NURUL", "ABDUL", "GUSTI"))


def _names_clearly_differ(a: str, b: str) -> bool:
    """Twins get given names no typo could turn into each other (a shared prefix is fine)."""
    given_a = [t for t in a.split() if t not in _NAME_PREFIXES]
    given_b = [t for t in b.split() if t not in _NAME_PREFIXES]
    return bool(given_a and given_b) and all(_levenshtein(x, y) >= 2 for x in given_a for y in given_b)


def _replace_form(rng: random.Random, name: str, forms: Sequence[str]) -> str | None:
    tokens = name.split()
    positions = [i for i, t in enumerate(tokens) if t in forms]
    if not positions:
        return None
    i = rng.choice(positions)
    tokens[i] = rng.choice([f for f in forms if f != tokens[i]])
    return " ".join(tokens)


def _noor_variant(rng: random.Random, name: str) -> str | None:
    """NOOR/NOR/NUR as a word, a prefix (NORHAYATI) or a suffix (FAHRIANOR)."""
    tokens = name.split()
    options = []
    for i, token in enumerate(tokens):
        for form in _NOOR_FORMS:
            if token == form:
                options.append((i, "", form, ""))
            elif token.startswith(form) and len(token) >= len(form) + 3 and not token.startswith("NURUL"):
                options.append((i, "", form, token[len(form):]))
            elif token.endswith(form) and len(token) >= len(form) + 3:
                options.append((i, token[: -len(form)], form, ""))
    # "NOORHAYATI" starts with NOOR and NOR-less forms: keep the longest matching form per token
    best: dict[int, tuple] = {}
    for option in options:
        if option[0] not in best or len(option[2]) > len(best[option[0]][2]):
            best[option[0]] = option
    if not best:
        return None
    i, head, form, tail = best[rng.choice(sorted(best))]
    tokens[i] = head + rng.choice([f for f in _NOOR_FORMS if f != form]) + tail
    return " ".join(tokens)


def _typo_tokens(name: str) -> list[int]:
    return [i for i, t in enumerate(name.split()) if len(t) >= 4 and t.isalpha()]


def _transpose_letter(rng: random.Random, name: str) -> str | None:
    tokens = name.split()
    candidates = [(i, j) for i in _typo_tokens(name) for j in range(len(tokens[i]) - 1)
                  if tokens[i][j] != tokens[i][j + 1]]
    if not candidates:
        return None
    i, j = rng.choice(candidates)
    t = tokens[i]
    tokens[i] = t[:j] + t[j + 1] + t[j] + t[j + 2:]
    return " ".join(tokens)


def _drop_letter(rng: random.Random, name: str) -> str | None:
    tokens = name.split()
    positions = _typo_tokens(name)
    if not positions:
        return None
    i = rng.choice(positions)
    j = rng.randrange(len(tokens[i]))
    tokens[i] = tokens[i][:j] + tokens[i][j + 1:]
    return " ".join(tokens)


def _drop_middle_name(rng: random.Random, name: str) -> str | None:
    tokens = name.split()
    if len(tokens) < 3:
        return None
    del tokens[rng.randrange(1, len(tokens) - 1)]
    return " ".join(tokens)


def _mother_variant(rng: random.Random, mother: str) -> str | None:
    kinds = ["hajjah", "typo"]
    tokens = mother.split()
    if any(t in _SITI_FORMS for t in tokens):
        kinds.append("siti")
    if _noor_variant(random.Random(0), mother):
        kinds.append("noor")
    if len(tokens) >= 2 and tokens[0] in _SITI_FORMS + _NOOR_FORMS:
        kinds.append("drop_prefix")
    kind = rng.choice(kinds)
    if kind == "hajjah":
        return mother if tokens[0] in ("HJ.", "HJ") else "HJ. " + mother
    if kind == "siti":
        return _replace_form(rng, mother, _SITI_FORMS)
    if kind == "noor":
        return _noor_variant(rng, mother)
    if kind == "drop_prefix":
        return " ".join(tokens[1:])
    typo = _transpose_letter if rng.random() < 0.5 else _drop_letter
    return typo(rng, mother)


# --------------------------------------------------------------------------------------------
# Public API

def generate_register(n: int, seed: int = 1, *, duplicate_rate: float = 0.02,
                      anomaly_rate: float = 0.01, as_of: date = REFERENCE_DATE) -> SyntheticRegister:
    """A register of exactly `n` records with planted duplicates and anomalies (truth apart)."""
    if n < 50:
        raise ValueError("n must be at least 50")
    builder = _Builder(seed, as_of)
    n_duplicates = round(n * duplicate_rate)
    if duplicate_rate > 0:
        n_duplicates = max(n_duplicates, len(VARIANTS))
    live = 0
    while live < n - n_duplicates:
        before = len(builder.families)
        builder.add_family()
        live += sum(len(f.members) for f in builder.families[before:])
    builder.plant_hard_negatives(max(1, n // 1000))
    builder.plant_duplicates(max(0, n - live))
    if anomaly_rate > 0:
        builder.plant_anomalies(max(1, round(n * anomaly_rate / len(ANOMALY_CODES))))
    register = builder.build(seed)
    del register.records[n:]  # the last family may overshoot by a few members
    _drop_truth_beyond(register, n)
    return register


def _drop_truth_beyond(register: SyntheticRegister, n: int) -> None:
    truth = register.truth
    truth.duplicate_pairs = {k: v for k, v in truth.duplicate_pairs.items() if max(k) <= n}
    truth.hard_negatives = {k: v for k, v in truth.hard_negatives.items() if max(k) <= n}
    truth.anomalies = {k: v for k, v in truth.anomalies.items() if k <= n}


SECOND_CHANGES = ("name_typo", "mother_variant", "date_one_digit", "father_missing", "birth_place_other")


def add_second_change(register: SyntheticRegister, seed: int = 1) -> dict[frozenset, str]:
    """Stress test: give the later record of every planted pair one more change (in place).

    Returns the change per pair. The truth stays as it was: they are still one person."""
    rng = random.Random(seed)
    by_ref = {r.ref: r for r in register.records}
    changes = {}
    for pair in sorted(register.duplicate_pairs, key=sorted):
        record = by_ref[max(pair)]
        change = rng.choice(SECOND_CHANGES)
        if change == "name_typo":
            record.name = (_transpose_letter if rng.random() < 0.5 else _drop_letter)(rng, record.name) or record.name
        elif change == "mother_variant" and record.mother_name:
            record.mother_name = _mother_variant(rng, record.mother_name) or record.mother_name
        elif change == "date_one_digit" and record.birth_date:
            born = record.birth_date
            record.birth_date = born.replace(day=born.day + 1 if born.day % 10 != 9 and born.day < 28 else born.day - 1)
        elif change == "father_missing":
            record.father_name = None
        elif change == "birth_place_other":
            record.birth_place = "BARABAI" if record.birth_place != "BARABAI" else "AMUNTAI"
        changes[pair] = change
    return changes


def siak_header(region_style: str = "kode_desa") -> list[str]:
    if region_style not in REGION_COLUMNS:
        raise ValueError(f"region_style must be one of {sorted(REGION_COLUMNS)}")
    return [*SIAK_COLUMNS, *REGION_COLUMNS[region_style]]


def siak_rows(records: Iterable[PersonRecord], *, coded: bool = False, region_style: str = "kode_desa",
              dotted: bool = True) -> Iterator[list[str]]:
    """SIAK export rows (strings) for the records, in the column order of `siak_header`."""
    marital_codes = SIAK_LABEL_TO_CODE["STAT_KWN"]
    role_codes = SIAK_LABEL_TO_CODE["STAT_HBKEL"]
    sex_codes = SIAK_LABEL_TO_CODE["JENIS_KLMIN"]
    split = region_style == "split"
    for r in records:
        sex = SEX_TO_LABEL.get(r.sex or "", "")
        marital, role = r.marital_status or "", r.family_role or ""
        if coded:
            sex = str(sex_codes.get(sex, ""))
            marital = str(marital_codes.get(marital, marital))
            role = str(role_codes.get(role, role))
        born = r.birth_date.strftime("%d-%m-%Y") if r.birth_date else ""
        row = [r.nik or "", r.no_kk or "", r.name or "", sex, r.birth_place or "", born, marital, role,
               r.mother_name or "", r.father_name or "", r.address or "", r.rt or "", r.rw or ""]
        code = r.desa_code or ""
        if split:
            parts = code.split(".") if code else ["", "", "", ""]
            row += [str(int(p)) if p.isdigit() else p for p in parts]  # SIAK writes them unpadded
        else:
            row.append(code if dotted else code.replace(".", ""))
        yield row


def write_siak_csv(records: Iterable[PersonRecord], path: str | Path, *, coded: bool = False,
                   region_style: str = "kode_desa", delimiter: str = ",", dotted: bool = True) -> None:
    """Write a SIAK-style CSV export (UTF-8, header row, TGL_LHR as DD-MM-YYYY)."""
    header = siak_header(region_style)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(siak_rows(records, coded=coded, region_style=region_style, dotted=dotted))


def write_siak_xlsx(records: Iterable[PersonRecord], path: str | Path, *, coded: bool = False,
                    region_style: str = "kode_desa", dotted: bool = True) -> None:
    """Write a SIAK-style XLSX export; every cell is text so NIKs keep all 16 digits."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("DATA")
    sheet.append(siak_header(region_style))
    for row in siak_rows(records, coded=coded, region_style=region_style, dotted=dotted):
        sheet.append(row)
    workbook.save(path)
