"""The synthetic register written as a SIAK-style export: CSV (labels or numeric codes, one
region column or four) and XLSX (every cell text, so NIKs keep all 16 digits)."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterable, Iterator

from webapp.quality.records import PersonRecord
from webapp.quality.siak_codes import SEX_TO_LABEL, SIAK_LABEL_TO_CODE

SIAK_COLUMNS = (
    "NIK", "NO_KK", "NAMA_LGKP", "JENIS_KLMIN", "TMPT_LHR", "TGL_LHR", "STAT_KWN", "STAT_HBKEL",
    "NAMA_LGKP_IBU", "NAMA_LGKP_AYAH", "ALAMAT", "NO_RT", "NO_RW",
)
REGION_COLUMNS = {"kode_desa": ("KODE_DESA",), "split": ("NO_PROP", "NO_KAB", "NO_KEC", "NO_KEL")}


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
