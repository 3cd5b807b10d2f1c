"""Where the synthetic residents live and come from: the regency's desa/kelurahan (with a weight
for how many people live there) and the kecamatan of Indonesia people move in from."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

_DATA_DIR = Path(__file__).resolve().parent.parent / "wilayah" / "data"
WILAYAH_6306_CSV = _DATA_DIR / "wilayah_6306.csv"
WILAYAH_NASIONAL_CSV = _DATA_DIR / "wilayah_nasional.csv"


@dataclass(frozen=True, slots=True)
class Desa:
    code: str        # dotted, 63.06.10.2001
    name: str
    kec6: str        # 630610
    urban: bool


def load_desa() -> tuple[list[Desa], dict[str, str]]:
    """The regency's desa and kelurahan (file order) and its kecamatan names by 6-digit code."""
    desa, kecamatan = [], {}
    with open(WILAYAH_6306_CSV, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            level, code = row["tingkat"], row["kode"]
            if level == "kecamatan":
                kecamatan[code.replace(".", "")] = row["nama"].upper()
            elif level in ("desa", "kelurahan"):
                kec6 = code.rsplit(".", 1)[0].replace(".", "")
                desa.append(Desa(code, row["nama"].upper(), kec6, level == "kelurahan"))
    return desa, kecamatan


def desa_weight(d: Desa) -> float:
    if d.urban:
        return 5.0
    kec = d.kec6[-2:]
    return {"05": 1.4, "10": 0.55, "07": 1.3, "08": 1.2, "11": 1.1}.get(kec, 1.0)


def load_moved_in_regions() -> list[tuple[str, str, float]]:
    """(kecamatan code 6 digits, birth place, weight) of regions people move in from."""
    regencies, rows = {}, []
    with open(WILAYAH_NASIONAL_CSV, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["berlaku"] != "ya":
                continue
            if row["tingkat"] == "kabupaten_kota":
                regencies[row["kode"]] = regency_place(row["nama"])
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


def regency_place(name: str) -> str:
    """"Kabupaten Hulu Sungai Tengah" -> "HULU SUNGAI TENGAH", as a birth place is written."""
    name = name.strip().upper()
    for prefix in ("KABUPATEN ", "KOTA ADMINISTRASI ", "KOTA ", "KAB. "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name
