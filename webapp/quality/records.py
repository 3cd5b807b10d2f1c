"""The plain shape of one population-register record, shared by the reader, the rules,
the duplicate detector and the synthetic generator. No Flask, no database."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(slots=True)
class PersonRecord:
    ref: int | str                 # row number in a file (first data row = 1) or a database id
    nik: str | None
    no_kk: str | None
    name: str
    sex: str | None                # "L" (laki-laki) | "P" (perempuan)
    birth_place: str | None
    birth_date: date | None
    marital_status: str | None     # BELUM KAWIN | KAWIN | KAWIN TERCATAT | KAWIN BELUM TERCATAT | CERAI HIDUP | CERAI MATI
    family_role: str | None        # KEPALA KELUARGA | SUAMI | ISTRI | ANAK | MENANTU | CUCU | ORANG TUA | MERTUA | FAMILI LAIN | LAINNYA
    mother_name: str | None
    father_name: str | None
    address: str | None = None
    rt: str | None = None
    rw: str | None = None
    desa_code: str | None = None   # dotted Kemendagri code, e.g. "63.06.10.2001"
    extra: dict = field(default_factory=dict)
