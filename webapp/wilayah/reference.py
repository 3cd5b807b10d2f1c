"""Kemendagri region codes (kode wilayah) shipped with the package.

Two read-only CSV files live in ``webapp/wilayah/data`` (MIT notice in ``LICENSE-wilayah``):

- ``wilayah_nasional.csv``: every province, kabupaten/kota and kecamatan in Indonesia, today's
  codes (``berlaku = ya``) plus codes that existed in the 2016–2023 editions only
  (``berlaku = tidak (terakhir YEAR)``). NIK and No. KK prefixes are checked against it.
- ``wilayah_6306.csv``: Kabupaten Hulu Sungai Selatan down to desa/kelurahan.

Codes are dotted in the files and in :class:`Region` (``63.06.10.2001``); NIK digits carry them
without dots (``630610``). The files are read once per process (``lru_cache``); nothing here
touches Flask or the database.
"""
from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from types import MappingProxyType

NATIONAL_FILE = "wilayah_nasional.csv"
REGENCY_FILE = "wilayah_6306.csv"

# Lengths of the dotted segments: province, regency, kecamatan, desa/kelurahan.
_SEGMENT_LENGTHS = (2, 2, 2, 4)
_VALID_LENGTHS = {2: 1, 4: 2, 6: 3, 10: 4}  # undotted length -> number of segments
_HISTORICAL = re.compile(r"tidak \(terakhir (\d{4})\)")
_SEPARATORS = str.maketrans("", "", ". \t")


@dataclass(frozen=True, slots=True)
class Region:
    """One region code.

    ``level`` is the file's ``tingkat``: provinsi | kabupaten_kota | kecamatan in the national
    file; provinsi | kabupaten | kecamatan | desa | kelurahan in the regency file.
    ``current`` is False for a code that no longer exists; ``last_year`` is then the last
    edition (2016–2023) that still had it.
    """

    code: str  # dotted, e.g. "63.06.10"
    name: str
    level: str
    current: bool
    last_year: int | None

    @property
    def key(self) -> str:
        """The code without dots, as it appears inside a NIK (``630610``)."""
        return undot(self.code)


def undot(code: str) -> str:
    """``"63.06.10"`` → ``"630610"``; spaces are dropped too, digits are not checked."""
    return code.translate(_SEPARATORS)


def dot(code: str) -> str:
    """Any spelling of a 2-, 4-, 6- or 10-digit code → the dotted form (2.2.2.4).

    ``"6306102001"`` and ``"63061020 01"`` both give ``"63.06.10.2001"``.
    Raises ``ValueError`` for anything that is not such a code.
    """
    digits = undot(code)
    segments = _VALID_LENGTHS.get(len(digits))
    if segments is None or not (digits.isascii() and digits.isdigit()):
        raise ValueError(f"not a region code: {code!r}")
    parts, start = [], 0
    for length in _SEGMENT_LENGTHS[:segments]:
        parts.append(digits[start:start + length])
        start += length
    return ".".join(parts)


@lru_cache(maxsize=1)
def national_regions() -> Mapping[str, Region]:
    """All national codes keyed by the undotted code (``"6306"``, ``"630610"``).

    Read-only (a mapping proxy over the cached dict) so no caller can spoil the cache. Should a
    code ever appear both as current and historical, the current row wins.
    """
    regions: dict[str, Region] = {}
    for row in _read_rows(NATIONAL_FILE):
        region = Region(row["kode"], row["nama"], row["tingkat"], *_parse_berlaku(row["berlaku"]))
        previous = regions.get(region.key)
        if previous is None or not previous.current:
            regions[region.key] = region
    return MappingProxyType(regions)


def regency_regions() -> list[Region]:
    """The rows of ``wilayah_6306.csv`` in file order (provinsi, kabupaten, kecamatan, desa,
    kelurahan). A fresh list each call; the Region objects themselves are shared."""
    return list(_regency_tuple())


def find_region(code: str | None) -> Region | None:
    """Look a code up in either file, dotted or not; ``None`` if unknown or not a code.

    The national file answers first (it knows whether a code is still current); the regency
    file adds the desa and kelurahan of Hulu Sungai Selatan.
    """
    if not code:
        return None
    key = undot(code)
    return national_regions().get(key) or _regency_index().get(key)


@lru_cache(maxsize=1)
def _regency_tuple() -> tuple[Region, ...]:
    return tuple(
        Region(row["kode"], row["nama"], row["tingkat"], True, None)
        for row in _read_rows(REGENCY_FILE)
    )


@lru_cache(maxsize=1)
def _regency_index() -> Mapping[str, Region]:
    return MappingProxyType({region.key: region for region in _regency_tuple()})


def _parse_berlaku(value: str) -> tuple[bool, int | None]:
    """``"ya"`` → (True, None); ``"tidak (terakhir 2023)"`` → (False, 2023)."""
    value = value.strip()
    if value == "ya":
        return True, None
    match = _HISTORICAL.fullmatch(value)
    if match is None:
        raise ValueError(f"unexpected berlaku value in {NATIONAL_FILE}: {value!r}")
    return False, int(match.group(1))


def _read_rows(filename: str) -> Iterator[dict[str, str]]:
    resource = files(__package__).joinpath("data").joinpath(filename)
    with resource.open("r", encoding="utf-8-sig", newline="") as handle:
        yield from csv.DictReader(handle)
