"""Names of the synthetic register: Banjar/Indonesian name pools (SIAK writes names in capitals),
a believable name for a sex and birth year, and the ways one name gets written otherwise
(MUHAMMAD/M./MOH., SITI/ST., NOOR/NOR/NUR, AHMAD/AKHMAD, a typo, a dropped middle name,
a hajj title, a bin/binti patronym)."""
from __future__ import annotations

import random
from itertools import accumulate
from typing import Sequence


class Weighted:
    """A fixed weighted choice (cumulative weights computed once)."""

    def __init__(self, *weighted: tuple[str, float]) -> None:
        self.values = [value for value, _ in weighted]
        self.cumulative = list(accumulate(weight for _, weight in weighted))

    def pick(self, rng: random.Random) -> str:
        return rng.choices(self.values, cum_weights=self.cumulative)[0]


# --------------------------------------------------------------------------------------------
# Name pools

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

MUHAMMAD_FORMS = ("MUHAMMAD", "MUHAMAD", "MOHAMMAD", "MOHAMAD", "M.", "MUH.", "MOH.")
SITI_FORMS = ("SITI", "ST.", "SITTI")
NOOR_FORMS = ("NOOR", "NOR", "NUR")
AHMAD_FORMS = ("AHMAD", "AKHMAD", "ACHMAD")
_MALE_PREFIXES = Weighted(("MUHAMMAD", 60), ("MUHAMAD", 6), ("MOHAMMAD", 3), ("AHMAD", 18), ("AKHMAD", 4),
                          ("ACHMAD", 1), ("NOOR", 4), ("GUSTI", 3))
_FEMALE_PREFIXES = Weighted(("SITI", 50), ("NOOR", 16), ("NOR", 8), ("NUR", 10), ("NURUL", 6), ("GUSTI", 3))
NAME_PREFIXES = frozenset(MUHAMMAD_FORMS + SITI_FORMS + NOOR_FORMS + AHMAD_FORMS + ("NURUL", "ABDUL", "GUSTI"))
HAJJ_TITLES = {"L": Weighted(("H.", 70), ("H", 20), ("HAJI", 10)),
               "P": Weighted(("HJ.", 70), ("HJ", 20), ("HJH.", 10))}
PATRONYMS = {"L": Weighted(("BIN", 100)), "P": Weighted(("BINTI", 85), ("BT.", 15))}
_TITLE_WORDS = frozenset(("H", "H.", "HJ", "HJ.", "HJH", "HJH.", "HAJI", "HAJJAH"))


def person_name(rng: random.Random, sex: str, year: int) -> str:
    """A name as people born in `year` in the regency are named (older: single Banjar names)."""
    r = rng.random()
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


# --------------------------------------------------------------------------------------------
# One name written otherwise (each helper changes one thing, or returns None when it does not apply)

def levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def names_clearly_differ(a: str, b: str) -> bool:
    """Twins get given names no typo could turn into each other (a shared prefix is fine)."""
    given_a = [t for t in a.split() if t not in NAME_PREFIXES]
    given_b = [t for t in b.split() if t not in NAME_PREFIXES]
    return bool(given_a and given_b) and all(levenshtein(x, y) >= 2 for x in given_a for y in given_b)


def replace_form(rng: random.Random, name: str, forms: Sequence[str]) -> str | None:
    tokens = name.split()
    positions = [i for i, t in enumerate(tokens) if t in forms]
    if not positions:
        return None
    i = rng.choice(positions)
    tokens[i] = rng.choice([f for f in forms if f != tokens[i]])
    return " ".join(tokens)


def noor_variant(rng: random.Random, name: str) -> str | None:
    """NOOR/NOR/NUR as a word, a prefix (NORHAYATI) or a suffix (FAHRIANOR)."""
    tokens = name.split()
    options = []
    for i, token in enumerate(tokens):
        for form in NOOR_FORMS:
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
    tokens[i] = head + rng.choice([f for f in NOOR_FORMS if f != form]) + tail
    return " ".join(tokens)


def typo_tokens(name: str) -> list[int]:
    return [i for i, t in enumerate(name.split()) if len(t) >= 4 and t.isalpha()]


def transpose_letter(rng: random.Random, name: str) -> str | None:
    tokens = name.split()
    candidates = [(i, j) for i in typo_tokens(name) for j in range(len(tokens[i]) - 1)
                  if tokens[i][j] != tokens[i][j + 1]]
    if not candidates:
        return None
    i, j = rng.choice(candidates)
    t = tokens[i]
    tokens[i] = t[:j] + t[j + 1] + t[j] + t[j + 2:]
    return " ".join(tokens)


def drop_letter(rng: random.Random, name: str) -> str | None:
    tokens = name.split()
    positions = typo_tokens(name)
    if not positions:
        return None
    i = rng.choice(positions)
    j = rng.randrange(len(tokens[i]))
    tokens[i] = tokens[i][:j] + tokens[i][j + 1:]
    return " ".join(tokens)


def drop_middle_name(rng: random.Random, name: str) -> str | None:
    tokens = name.split()
    if len(tokens) < 3:
        return None
    del tokens[rng.randrange(1, len(tokens) - 1)]
    return " ".join(tokens)


def mother_variant(rng: random.Random, mother: str) -> str | None:
    kinds = ["hajjah", "typo"]
    tokens = mother.split()
    if any(t in SITI_FORMS for t in tokens):
        kinds.append("siti")
    if noor_variant(random.Random(0), mother):
        kinds.append("noor")
    if len(tokens) >= 2 and tokens[0] in SITI_FORMS + NOOR_FORMS:
        kinds.append("drop_prefix")
    kind = rng.choice(kinds)
    if kind == "hajjah":
        return mother if tokens[0] in ("HJ.", "HJ") else "HJ. " + mother
    if kind == "siti":
        return replace_form(rng, mother, SITI_FORMS)
    if kind == "noor":
        return noor_variant(rng, mother)
    if kind == "drop_prefix":
        return " ".join(tokens[1:])
    typo = transpose_letter if rng.random() < 0.5 else drop_letter
    return typo(rng, mother)



NAME_VARIANT_KINDS = ("muhammad", "siti", "noor", "ahmad", "transposed_letter", "dropped_letter",
                      "dropped_middle_name")


def name_variant(rng: random.Random, name: str, kind: str) -> str | None:
    """`name` written with one variant of `kind` (see NAME_VARIANT_KINDS), None if it does not apply."""
    if kind == "muhammad":
        return replace_form(rng, name, MUHAMMAD_FORMS)
    if kind == "siti":
        return replace_form(rng, name, SITI_FORMS)
    if kind == "noor":
        return noor_variant(rng, name)
    if kind == "ahmad":
        return replace_form(rng, name, AHMAD_FORMS)
    if kind == "transposed_letter":
        return transpose_letter(rng, name)
    if kind == "dropped_letter":
        return drop_letter(rng, name)
    if kind == "dropped_middle_name":
        return drop_middle_name(rng, name)
    raise ValueError(f"unknown name variant {kind!r}")


def any_name_variant(rng: random.Random, name: str) -> tuple[str, str] | None:
    """(kind, name) for one variant that applies to `name`, chosen at random; None if none does."""
    kinds = list(NAME_VARIANT_KINDS)
    rng.shuffle(kinds)
    for kind in kinds:
        written = name_variant(rng, name, kind)
        if written is not None and written != name:
            return kind, written
    return None


def has_title(name: str) -> bool:
    return bool(name) and name.split()[0] in _TITLE_WORDS


def add_hajj_title(rng: random.Random, name: str, sex: str) -> str | None:
    """H. / HJ. (or H, HAJI, HJ, HJH.) in front of the name, as the register shows pilgrims."""
    if has_title(name):
        return None
    title = HAJJ_TITLES["P" if sex == "P" else "L"].pick(rng)
    if title.endswith(".") and rng.random() < 0.1:
        return f"{title}{name}"  # "HJ.SITI AMINAH": no space after the dot
    return f"{title} {name}"


def add_patronym(rng: random.Random, name: str, sex: str, father: str | None) -> str | None:
    """`name` BIN/BINTI (or BT.) the father's name, or its first one or two words."""
    if not father or " BIN " in f" {name} " or " BINTI " in f" {name} ":
        return None
    words = [w for w in father.split() if w not in _TITLE_WORDS]
    if not words:
        return None
    if len(words) > 2 and rng.random() < 0.5:
        words = words[:2]
    return f"{name} {PATRONYMS['P' if sex == 'P' else 'L'].pick(rng)} {' '.join(words)}"
