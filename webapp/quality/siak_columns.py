"""The columns of a SIAK export and where they sit in a file: names, the region styles, the
header row and the file-level errors about columns. Part of the SIAK reader
(:mod:`webapp.quality.siak`); the format is documented in ``docs/siak-import-format.md``."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from webapp.core.tabular import TabularError, normalise_header

SIAK_COLUMNS: tuple[str, ...] = (
    "NIK", "NO_KK", "NAMA_LGKP", "JENIS_KLMIN", "TMPT_LHR", "TGL_LHR", "STAT_KWN",
    "STAT_HBKEL", "NAMA_LGKP_IBU", "NAMA_LGKP_AYAH", "ALAMAT", "NO_RT", "NO_RW",
)
"""The person columns, every one required by default (the region comes on top)."""
REGION_COLUMN = "KODE_DESA"
SPLIT_REGION_COLUMNS: tuple[str, ...] = ("NO_PROP", "NO_KAB", "NO_KEC", "NO_KEL")
KNOWN_COLUMNS: frozenset[str] = frozenset(SIAK_COLUMNS + (REGION_COLUMN,) + SPLIT_REGION_COLUMNS)
REGION = "REGION"
"""Pseudo column for ``required``: KODE_DESA, or all of NO_PROP/NO_KAB/NO_KEC/NO_KEL."""
DEFAULT_REQUIRED: tuple[str, ...] = SIAK_COLUMNS + (REGION,)
HEADER_SEARCH_ROWS = 20          # a title line or two above the header is tolerated


class SiakFileError(TabularError):
    """The file as a whole cannot be read. ``code`` is stable: ``empty``, ``format``,
    ``encoding``, ``archive`` (an XLSX refused before opening: a zip bomb or odd parts),
    ``missing_columns``, ``duplicate_columns``, ``no_data``, ``unreadable``. ``missing``
    lists the missing columns for ``missing_columns``."""

    def __init__(self, code: str, message: Any, *, missing: Iterable[str] = ()) -> None:
        super().__init__(code, message)
        self.missing = tuple(missing)


def norm_header(value: Any) -> str:
    """A header cell as a SIAK column name: " nama lgkp " → "NAMA_LGKP"."""
    return normalise_header(value)


@dataclass(slots=True)
class Layout:
    """Where each column sits in a row, decided once from the header."""

    width: int
    index: dict[str, int]
    region_style: str | None         # "kode_desa" | "split" | None
    extra: tuple[tuple[str, int], ...]


def layout(header: list[str], required: tuple[str, ...]) -> Layout:
    """The :class:`Layout` of a header row; SiakFileError ``duplicate_columns`` or
    ``missing_columns`` (every missing one listed)."""
    names = [norm_header(c) for c in header]
    while names and not names[-1]:
        names.pop()
    seen: dict[str, int] = {}
    repeated = []
    for position, name in enumerate(names):
        if not name:
            continue
        if name in seen and name in KNOWN_COLUMNS:
            repeated.append(name)
        seen.setdefault(name, position)
    if repeated:
        raise SiakFileError("duplicate_columns", _l(
            "Kolom berikut muncul lebih dari sekali: %(columns)s. Hapus salah satunya.",
            columns=", ".join(sorted(set(repeated)))))
    region_style = None
    if REGION_COLUMN in seen:
        region_style = "kode_desa"
    elif all(column in seen for column in SPLIT_REGION_COLUMNS):
        region_style = "split"
    missing = [column for column in required if column != REGION and column not in seen]
    if REGION in required and region_style is None:
        split_missing = [c for c in SPLIT_REGION_COLUMNS if c not in seen]
        missing.append(f"{REGION_COLUMN} (atau {'/'.join(split_missing)})")
    if missing:
        raise SiakFileError("missing_columns", _l(
            "Kolom wajib tidak ditemukan: %(columns)s. Kolom yang ada: %(found)s.",
            columns=", ".join(missing), found=", ".join(n for n in names if n) or "-"),
            missing=missing)
    extra = tuple((name, pos) for name, pos in seen.items() if name not in KNOWN_COLUMNS)
    return Layout(len(names), seen, region_style, extra)


def is_header(cells: list[str]) -> bool:
    """Whether a row looks like the header: NIK and NAMA_LGKP, or four known columns."""
    names = {norm_header(c) for c in cells}
    return ("NIK" in names and "NAMA_LGKP" in names) or len(names & KNOWN_COLUMNS) >= 4
