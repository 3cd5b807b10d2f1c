"""Kemendagri region codes (kode wilayah) shipped with the package.

Read-only CSV files live in ``webapp/wilayah/data`` (MIT notices in ``LICENSE-wilayah``):

- ``wilayah_nasional.csv``: every province, kabupaten/kota and kecamatan in Indonesia, today's
  codes (``berlaku = ya``) plus codes that existed in the 2016–2023 editions only
  (``berlaku = tidak (terakhir YEAR)``). NIK and No. KK prefixes are checked against it.
- ``wilayah_lama_kaltara.csv``: the codes Kalimantan Utara's regencies and kecamatan carried
  under Kalimantan Timur until 2011 (64.04 Bulungan, 64.05 Nunukan, 64.06 Malinau, 64.10 Tana
  Tidung, 64.73 Tarakan), same columns; ``wilayah_lama_kaltara_map.csv`` maps each to today's
  code (``kode_lama,kode_baru,nama``). People registered there before 2012 keep such a NIK.
  :func:`national_regions` includes them as historical codes with a ``successor``.
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
KALTARA_OLD_FILE = "wilayah_lama_kaltara.csv"
KALTARA_OLD_MAP_FILE = "wilayah_lama_kaltara_map.csv"

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
    edition that still had it (2016–2023; 2011 for Kalimantan Utara's old Kaltim codes).
    ``successor`` is today's dotted code of a renumbered region (``64.04`` → ``65.01``), when
    the reference knows it.
    """

    code: str  # dotted, e.g. "63.06.10"
    name: str
    level: str
    current: bool
    last_year: int | None
    successor: str | None = None

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
    """All national codes keyed by the undotted code (``"6306"``, ``"630610"``): the national
    file, then Kalimantan Utara's old Kaltim codes (historical, with their successor).

    Read-only (a mapping proxy over the cached dict) so no caller can spoil the cache. Should a
    code ever appear both as current and historical, the current row wins.
    """
    regions: dict[str, Region] = {}
    for row in _read_rows(NATIONAL_FILE):
        _keep(regions, Region(row["kode"], row["nama"], row["tingkat"], *_parse_berlaku(row["berlaku"])))
    for region in _kaltara_old_regions(regions):
        _keep(regions, region)
    return MappingProxyType(regions)


def successor_of(code: str | None) -> Region | None:
    """Today's region for a renumbered code (``"64.04"`` or ``"6404"`` → 65.01 Kabupaten
    Bulungan); ``None`` for a current code, an unknown one, or an old code without a known
    successor."""
    region = find_region(code)
    if region is None or region.successor is None:
        return None
    return national_regions().get(undot(region.successor))


def _keep(regions: dict[str, Region], region: Region) -> None:
    previous = regions.get(region.key)
    if previous is None or not previous.current:
        regions[region.key] = region


def _kaltara_old_regions(national: Mapping[str, Region]) -> list[Region]:
    """The old Kaltim codes of Kalimantan Utara with their successors, checked against today's
    list: a successor that is not a current code is a broken data file, not a lookup miss."""
    successors = {row["kode_lama"]: (row["kode_baru"], row["nama"]) for row in _read_rows(KALTARA_OLD_MAP_FILE)}
    regions = []
    for row in _read_rows(KALTARA_OLD_FILE):
        current, last_year = _parse_berlaku(row["berlaku"])
        successor, successor_name = successors.pop(row["kode"], (None, None))
        if current or successor is None:
            raise ValueError(f"{KALTARA_OLD_FILE}: {row['kode']} must be an old code with a successor "
                             f"in {KALTARA_OLD_MAP_FILE}")
        today = national.get(undot(successor))
        if today is None or not today.current or today.level != row["tingkat"] or today.name != successor_name:
            raise ValueError(f"{KALTARA_OLD_MAP_FILE}: {row['kode']} -> {successor} {successor_name} is not "
                             f"a current {row['tingkat']} of that name")
        regions.append(Region(row["kode"], row["nama"], row["tingkat"], current, last_year, successor))
    if successors:
        raise ValueError(f"{KALTARA_OLD_MAP_FILE}: old codes missing from {KALTARA_OLD_FILE}: "
                         f"{', '.join(sorted(successors))}")
    return regions


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
        raise ValueError(f"unexpected berlaku value in the region list: {value!r}")
    return False, int(match.group(1))


def _read_rows(filename: str) -> Iterator[dict[str, str]]:
    resource = files(__package__).joinpath("data").joinpath(filename)
    with resource.open("r", encoding="utf-8-sig", newline="") as handle:
        yield from csv.DictReader(handle)
