"""Reading the values of SIAK cells: coded columns (JENIS_KLMIN, STAT_KWN, STAT_HBKEL: SIAK
code or label, see :mod:`webapp.quality.siak_codes`), region codes of the regency, birth dates,
cleaned text and masked previews for row errors. Part of the SIAK reader
(:mod:`webapp.quality.siak`)."""
from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from webapp.core.tabular import UNREADABLE_CHARS, DateError, parse_date

REGENCY_CODE = "63.06"
PREVIEW_CHARS = 40


class BadValue(ValueError):
    """A cell value that cannot be read; ``str()`` is the Indonesian message."""


# --- coded values -----------------------------------------------------------------------------


def _norm_label(value: str) -> str:
    """Upper case, ``_`` as space, single spaces: "kepala_keluarga " → "KEPALA KELUARGA"."""
    return " ".join(value.replace("_", " ").upper().split())


def _code_keys(code: Any) -> set[str]:
    text = str(code).strip()
    keys = {text}
    if text.isdigit():
        keys |= {str(int(text)), str(int(text)).zfill(2)}
    return keys


def _coded_map(column: str, to_value, aliases: dict[str, str]) -> dict[str, str]:
    """Every accepted spelling (code, label, alias) → the stored value."""
    from webapp.quality.siak_codes import SIAK_CODES

    mapping: dict[str, str] = {}
    for code, label in dict(SIAK_CODES[column]).items():
        value = to_value(_norm_label(str(label)))
        for key in _code_keys(code):
            mapping[key] = value
        mapping[_norm_label(str(label))] = value
    for alias, label in aliases.items():
        mapping[_norm_label(alias)] = to_value(label)
    return mapping


_SEX_ALIASES = {"L": "LAKI-LAKI", "P": "PEREMPUAN", "LK": "LAKI-LAKI", "PR": "PEREMPUAN",
                "LAKI LAKI": "LAKI-LAKI", "LAKI": "LAKI-LAKI", "PRIA": "LAKI-LAKI",
                "WANITA": "PEREMPUAN"}


def _sex_value(label: str) -> str:
    if label.startswith("LAKI"):
        return "L"
    if label == "PEREMPUAN":
        return "P"
    raise ValueError(f"unexpected JENIS_KLMIN label {label!r}")


_CODED: dict[str, dict[str, str]] | None = None


def coded_values() -> dict[str, dict[str, str]]:
    """Accepted spellings per coded column, built once from ``SIAK_CODES``:
    ``{"JENIS_KLMIN": {"1": "L", "LAKI-LAKI": "L", "L": "L", ...}, "STAT_KWN": {...}, ...}``.
    STAT_KWN and STAT_HBKEL values are stored as their SIAK labels."""
    global _CODED
    if _CODED is None:
        _CODED = {
            "JENIS_KLMIN": _coded_map("JENIS_KLMIN", _sex_value, _SEX_ALIASES),
            "STAT_KWN": _coded_map("STAT_KWN", str, {}),
            "STAT_HBKEL": _coded_map("STAT_HBKEL", str, {}),
        }
    return _CODED


def lookup_coded(mapping: dict[str, str], raw: str) -> str | None:
    """The stored value for ``raw``; KeyError when unknown; None when empty."""
    value = mapping.get(raw)
    if value is not None:
        return value
    text = raw.strip()
    if not text:
        return None
    if text.endswith(".0") and text[:-2].isdigit():  # 2.0 from a spreadsheet
        text = text[:-2]
    value = mapping.get(text)
    return value if value is not None else mapping[_norm_label(text)]


# --- regions ----------------------------------------------------------------------------------

_DESA: dict[str, str] | None = None


def regency_desa_codes() -> dict[str, str]:
    """Undotted code → dotted code of every desa/kelurahan of the regency (148)."""
    global _DESA
    if _DESA is None:
        from webapp.wilayah.reference import regency_regions

        _DESA = {
            region.code.replace(".", ""): region.code
            for region in regency_regions()
            if region.level in ("desa", "kelurahan") and region.code.startswith(REGENCY_CODE + ".")
        }
    return _DESA


_REGION_WIDTHS = (2, 2, 2, 4)


def number_part(text: str) -> str:
    """A number typed in a cell: trimmed, ``10.0`` (from a spreadsheet) as ``10``."""
    text = text.strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return text


def _region_key(parts: list[str]) -> str | None:
    """Zero-padded undotted code from its four parts; None if a part is not a number."""
    if len(parts) != 4:
        return None
    out = []
    for part, width in zip(parts, _REGION_WIDTHS):
        part = number_part(part)
        if not (part.isascii() and part.isdigit()) or len(part) > width:
            return None
        out.append(part.zfill(width))
    return "".join(out)


def kode_desa_key(raw: str) -> str | None:
    """Undotted code from a KODE_DESA cell (dotted, or 10 digits); None when unreadable."""
    text = number_part(raw).replace(" ", "")
    if "." in text:
        return _region_key(text.split("."))
    if text.isascii() and text.isdigit() and len(text) == 10:
        return text
    return None


def split_key(prop: str, kab: str, kec: str, kel: str) -> str | None:
    """Undotted code from NO_PROP/NO_KAB/NO_KEC/NO_KEL (lost leading zeros tolerated)."""
    kel_text = number_part(kel)
    if len(kel_text) == 10 and kel_text.isdigit():  # NO_KEL given as the full code
        return kel_text
    return _region_key([prop, kab, kec, kel])


# --- dates ------------------------------------------------------------------------------------


def parse_birth_date(value: str) -> date | None:
    """DD-MM-YYYY, DD/MM/YYYY, DD.MM.YYYY, YYYY-MM-DD (day and month may have one digit; a
    time part after a space or ``T`` is ignored). None for an empty value. Raises ValueError
    (an Indonesian message) for anything unreadable or impossible. DD/MM is always assumed
    before MM (Indonesian order), never the US order. The parsing is
    :func:`webapp.core.tabular.parse_date`'s; the messages are the register's."""
    try:
        return parse_date(value)
    except DateError as error:
        if error.reason == "short_year":
            raise BadValue(str(_l("Tahun lahir harus 4 angka (DD-MM-YYYY)."))) from None
        if error.reason == "calendar":
            raise BadValue(str(_l("Tanggal lahir tidak ada di kalender."))) from None
        raise BadValue(str(_l(
            "Tanggal lahir tidak terbaca; gunakan DD-MM-YYYY (mis. 17-08-1985)."))) from None


# --- text -------------------------------------------------------------------------------------

_LONG_DIGITS = re.compile(r"\d{12,}")  # NIK/No. KK-like runs; region codes (10) stay


def clean(text: str) -> str | None:
    """Trimmed, single-spaced, NFC; None when empty."""
    if not text:
        return None
    if not text.isascii():
        text = unicodedata.normalize("NFC", text).replace("\u00a0", " ")
    text = " ".join(text.split())
    return text or None


def clean_number(text: str) -> str | None:
    """NIK / No. KK: trimmed, a leading apostrophe (Excel's "keep as text") dropped."""
    text = text.strip().lstrip("'").strip()
    return text or None


def _mask_value(value: str) -> str:
    from webapp.identity.nik import mask

    return mask(value.strip()) if value.strip() else ""


def preview(column: str | None, value: str | None) -> str | None:
    """A short, safe view of a rejected value: NIK/No. KK and any long digit run masked,
    unreadable characters as U+FFFD, at most PREVIEW_CHARS characters."""
    if value is None:
        return None
    if column in ("NIK", "NO_KK"):
        return _mask_value(value)
    text = UNREADABLE_CHARS.sub("\ufffd", value)
    text = _LONG_DIGITS.sub(lambda m: _mask_value(m.group()), text)
    if len(text) > PREVIEW_CHARS:
        text = text[:PREVIEW_CHARS] + "…"
    return text
