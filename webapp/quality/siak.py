"""Reading a SIAK-style population export (CSV or XLSX) into :class:`PersonRecord` rows.

The accepted format is documented for the office in ``docs/siak-import-format.md``; this
module is its single implementation. No Flask app, no database: :func:`read_siak` streams
:class:`RowResult` objects and the caller (the register import, ``flask quality scan``, the
pre-trip check) decides what to store.

Two kinds of failure, kept apart on purpose:

- **File level** — :class:`SiakFileError` with a stable ``code`` and an Indonesian message,
  raised by :func:`read_siak` itself before any row is produced: empty file, not a CSV/XLSX
  (decided by content, never by the extension alone), undecodable text, missing or repeated
  columns, no data row at all.
- **Row level** — a row that cannot be *read* (wrong number of columns, binary junk or broken
  characters, unbalanced quotes, empty name, unreadable or impossible birth date, region that
  is not a desa/kelurahan of Kabupaten Hulu Sungai Selatan, unknown coded value) comes back as
  a :class:`RowResult` without a record and with one :class:`RowError` per problem. A row that
  reads but breaks a NIK or anomaly rule is a normal record: judging it is
  :mod:`webapp.quality.rules`' job.

Row numbers: the first data row after the header is 1, and every spreadsheet row counts, so
``row_no + header row`` is the row number Excel shows. Blank rows are skipped (nothing is
yielded for them) but keep their number.

Encoding decision (CSV): UTF-16/UTF-32 are read when the file starts with their BOM (or, for
UTF-16 without BOM, when every other byte of an ASCII text is NUL); a UTF-8 BOM means UTF-8.
Otherwise the **whole** file is checked as UTF-8 in one fast pass (so a stray byte at row
200,000 is noticed too): UTF-8 is chosen when every byte decodes, or when the well-formed
non-ASCII characters outnumber the broken bytes (a UTF-8 file with a few damaged rows).
Only then is Windows-1252 ("ANSI", Excel's "CSV" on Windows) tried, and only if the decoded
file looks like text: no control characters and at most 10 % of the characters outside
ASCII. Anything else is refused with code ``encoding``. A character that does not decode
becomes U+FFFD and its row is rejected as unreadable, never imported with a broken name.
"""
from __future__ import annotations

import codecs
import csv
import io
import os
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import IO, Any, ClassVar

from flask_babel import lazy_gettext as _l

from webapp.quality.records import PersonRecord

# --- columns ---------------------------------------------------------------------------------

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

REGENCY_CODE = "63.06"
SNIFF_BYTES = 64 * 1024
HEADER_SEARCH_ROWS = 20          # a title line or two above the header is tolerated
MAX_QUOTED_LINES = 5             # a quoted cell may span at most this many physical lines
PREVIEW_CHARS = 40
MAX_NON_ASCII_SHARE = 0.10       # Windows-1252 is accepted only for text that is mostly ASCII
_CACHE_LIMIT = 200_000


# --- results ----------------------------------------------------------------------------------


class SiakFileError(Exception):
    """The file as a whole cannot be read. ``code`` is stable: ``empty``, ``format``,
    ``encoding``, ``missing_columns``, ``duplicate_columns``, ``no_data``, ``unreadable``.
    ``missing`` lists the missing columns for ``missing_columns``."""

    def __init__(self, code: str, message: Any, *, missing: Iterable[str] = ()) -> None:
        self.code = code
        self.message = str(message)
        self.missing = tuple(missing)
        super().__init__(self.message)


@dataclass(frozen=True, slots=True)
class RowError:
    """Why one row was rejected. ``column`` is None for the row as a whole; ``value_preview``
    is short, with NIK/No. KK and any long digit run masked."""

    row_no: int
    column: str | None
    message: str
    value_preview: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row_no, "column": self.column, "message": self.message,
                "value": self.value_preview}


@dataclass(slots=True)
class RowResult:
    """One data row: a record, or (record None) the errors that made it unreadable."""

    row_no: int
    record: PersonRecord | None
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.record is not None


@dataclass(frozen=True, slots=True)
class SiakFormat:
    """What :func:`read_siak` found: ``kind`` csv | xlsx, ``encoding`` and ``delimiter``
    (CSV), ``sheet`` (XLSX), ``region_style`` kode_desa | split | None, ``header_row`` (the
    1-based physical row of the header) and the normalised ``columns``.

    ``SiakFormat.DOC`` is a short Indonesian description of the accepted format for upload
    pages; the full one is ``docs/siak-import-format.md``.
    """

    kind: str
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    region_style: str | None
    header_row: int
    columns: tuple[str, ...]

    DOC: ClassVar[str] = (
        "Berkas ekspor SIAK dalam format CSV (UTF-8, UTF-16 atau Windows-1252; pemisah koma, "
        "titik koma, tab atau |) atau XLSX (lembar pertama yang berisi judul kolom). Kolom "
        "wajib: " + ", ".join(SIAK_COLUMNS) + ", ditambah wilayah sebagai KODE_DESA (mis. "
        "63.06.10.2001 atau 6306102001) atau NO_PROP, NO_KAB, NO_KEC, NO_KEL. Nama kolom "
        "tidak membedakan huruf besar/kecil. TGL_LHR: DD-MM-YYYY, DD/MM/YYYY, YYYY-MM-DD atau "
        "sel tanggal Excel. JENIS_KLMIN, STAT_KWN dan STAT_HBKEL boleh berupa kode angka SIAK "
        "atau labelnya. Baris yang tidak terbaca ditolak dan dilaporkan per baris; baris yang "
        "terbaca tetapi melanggar aturan NIK/anomali tetap dibaca."
    )


SIAK_FORMAT_DOC = SiakFormat.DOC


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


def _lookup_coded(mapping: dict[str, str], raw: str) -> str | None:
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


def _number_part(text: str) -> str:
    text = text.strip()
    if text.endswith(".0") and text[:-2].isdigit():  # 10.0 from a spreadsheet
        text = text[:-2]
    return text


def _region_key(parts: list[str]) -> str | None:
    """Zero-padded undotted code from its four parts; None if a part is not a number."""
    if len(parts) != 4:
        return None
    out = []
    for part, width in zip(parts, _REGION_WIDTHS):
        part = _number_part(part)
        if not (part.isascii() and part.isdigit()) or len(part) > width:
            return None
        out.append(part.zfill(width))
    return "".join(out)


def _kode_desa_key(raw: str) -> str | None:
    text = _number_part(raw).replace(" ", "")
    if "." in text:
        return _region_key(text.split("."))
    if text.isascii() and text.isdigit() and len(text) == 10:
        return text
    return None


def _split_key(prop: str, kab: str, kec: str, kel: str) -> str | None:
    kel_text = _number_part(kel)
    if len(kel_text) == 10 and kel_text.isdigit():  # NO_KEL given as the full code
        return kel_text
    return _region_key([prop, kab, kec, kel])


# --- dates ------------------------------------------------------------------------------------

_DATE_SPLIT = re.compile(r"[-/.]")
_EXCEL_EPOCH = date(1899, 12, 30)
_YEAR_ONLY = (1800, 2100)  # numbers that are years, never read as Excel serials (1904–1905)


class _BadValue(ValueError):
    """A cell value that cannot be read; ``str()`` is the Indonesian message."""


def parse_birth_date(value: str) -> date | None:
    """DD-MM-YYYY, DD/MM/YYYY, DD.MM.YYYY, YYYY-MM-DD (day and month may have one digit; a
    time part after a space or ``T`` is ignored). None for an empty value. Raises ValueError
    (an Indonesian message) for anything unreadable or impossible. DD/MM is always assumed
    before MM (Indonesian order), never the US order."""
    text = value.strip()
    if not text:
        return None
    if len(text) > 10 and text[10] in " T":
        text = text[:10]
    elif " " in text:
        text = text.split(" ", 1)[0]
    parts = _DATE_SPLIT.split(text)
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in parts):
        raise _BadValue(str(_l(
            "Tanggal lahir tidak terbaca; gunakan DD-MM-YYYY (mis. 17-08-1985).")))
    if len(parts[0]) == 4 and len(parts[1]) <= 2 and len(parts[2]) <= 2:
        year, month, day = parts
    elif len(parts[2]) == 4 and len(parts[0]) <= 2 and len(parts[1]) <= 2:
        day, month, year = parts
    elif len(parts[2]) == 2:
        raise _BadValue(str(_l("Tahun lahir harus 4 angka (DD-MM-YYYY).")))
    else:
        raise _BadValue(str(_l(
            "Tanggal lahir tidak terbaca; gunakan DD-MM-YYYY (mis. 17-08-1985).")))
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise _BadValue(str(_l("Tanggal lahir tidak ada di kalender."))) from None


def _excel_cell_date(value: Any) -> str:
    """An XLSX TGL_LHR cell as text parse_birth_date reads: date cells and date serials."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if _YEAR_ONLY[0] <= value <= _YEAR_ONLY[1]:
            return _cell_text(value)  # 1985 is a year typed as a number, not serial 1985
        if 1 <= value < 2_958_466:  # Excel's serial range (1900-01-01 .. 9999-12-31)
            return (_EXCEL_EPOCH + timedelta(days=int(value))).isoformat()
        return _cell_text(value)
    return _cell_text(value)


def _cell_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


# --- text helpers -----------------------------------------------------------------------------

_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd\ufffe\uffff\ud800-\udfff]")
_LONG_DIGITS = re.compile(r"\d{12,}")  # NIK/No. KK-like runs; region codes (10) stay


def _clean(text: str) -> str | None:
    """Trimmed, single-spaced, NFC; None when empty."""
    if not text:
        return None
    if not text.isascii():
        text = unicodedata.normalize("NFC", text).replace("\u00a0", " ")
    text = " ".join(text.split())
    return text or None


def _clean_number(text: str) -> str | None:
    """NIK / No. KK: trimmed, a leading apostrophe (Excel's "keep as text") dropped."""
    text = text.strip().lstrip("'").strip()
    return text or None


def _mask_value(value: str) -> str:
    from webapp.identity.nik import mask

    return mask(value.strip()) if value.strip() else ""


def _preview(column: str | None, value: str | None) -> str | None:
    if value is None:
        return None
    if column in ("NIK", "NO_KK"):
        return _mask_value(value)
    text = _BAD_CHARS.sub("\ufffd", value)
    text = _LONG_DIGITS.sub(lambda m: _mask_value(m.group()), text)
    if len(text) > PREVIEW_CHARS:
        text = text[:PREVIEW_CHARS] + "…"
    return text


def _norm_header(value: Any) -> str:
    text = _cell_text(value).replace("\ufeff", "").strip().strip('"').strip()
    return re.sub(r"[\s\-]+", "_", text.upper())


# --- file sniffing ----------------------------------------------------------------------------

_SIGNATURES: tuple[tuple[bytes, Any], ...] = (
    (b"%PDF", _l("dokumen PDF")),
    (b"\x89PNG", _l("gambar PNG")),
    (b"\xff\xd8\xff", _l("gambar JPEG")),
    (b"GIF8", _l("gambar GIF")),
    (b"BM", None),  # checked below: too short to trust alone
    (b"\x1f\x8b", _l("arsip GZIP")),
    (b"Rar!", _l("arsip RAR")),
    (b"7z\xbc\xaf", _l("arsip 7-Zip")),
    (b"\xd0\xcf\x11\xe0", _l("Excel lama (.xls) atau dokumen Office lama/terenkripsi")),
)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)


def _format_error(kind: Any) -> SiakFileError:
    return SiakFileError("format", _l(
        "Berkas ini bukan CSV atau XLSX (terdeteksi: %(kind)s). Simpan data dari SIAK/Excel "
        "sebagai CSV atau XLSX (Excel Workbook), lalu unggah ulang.", kind=kind))


def _sniff_kind(head: bytes, fileobj: IO[bytes]) -> str:
    """"xlsx" or "text"; raises SiakFileError for anything else."""
    if not head.strip(b" \t\r\n\x00"):
        raise SiakFileError("empty", _l("Berkas kosong: tidak ada data sama sekali."))
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(fileobj)
    for magic, label in _SIGNATURES:
        if head.startswith(magic) and label is not None:
            raise _format_error(label)
    if head.startswith(b"BM") and b"\x00" in head[:64]:
        raise _format_error(_l("gambar BMP"))
    for bom, _encoding in _BOMS:
        if head.startswith(bom):
            return "text"
    if _looks_binary(head) and _utf16_without_bom(head) is None:
        raise _format_error(_l("data biner"))
    start = head.lstrip()[:200].lower()
    if start.startswith((b"<html", b"<!doctype html", b"<table")):
        raise _format_error(_l("halaman HTML (tabel web yang diberi nama .xls/.csv)"))
    if start.startswith(b"<?xml"):
        raise _format_error(_l("berkas XML (mis. 'XML Spreadsheet 2003')"))
    if start.startswith(b"{\\rtf"):
        raise _format_error(_l("dokumen RTF"))
    return "text"


_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 13))


def _looks_binary(head: bytes) -> bool:
    """NUL in the first line (a header never has one), or more than 2 % control bytes. A few
    junk rows further down stay a row-level matter."""
    if b"\x00" in head[:1024].split(b"\n", 1)[0]:
        return True
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls > 0.02 * len(head)


def _sniff_zip(fileobj: IO[bytes]) -> str:
    try:
        with zipfile.ZipFile(fileobj) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise SiakFileError("unreadable", _l(
            "Berkas XLSX/ZIP rusak atau terpotong; simpan ulang dari Excel lalu unggah ulang."))
    finally:
        fileobj.seek(0)
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "xl/workbook.bin" in names:
        raise _format_error(_l("Excel biner (.xlsb)"))
    if "content.xml" in names:
        raise _format_error(_l("lembar kerja OpenDocument (.ods)"))
    if "word/document.xml" in names:
        raise _format_error(_l("dokumen Word (.docx)"))
    raise _format_error(_l("arsip ZIP"))


def _utf16_without_bom(head: bytes) -> str | None:
    """utf-16-le/-be for ASCII text stored as UTF-16 without a BOM (NUL in every other byte)."""
    sample = head[: len(head) - len(head) % 2][:4096]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _choose_encoding(fileobj: IO[bytes], head: bytes) -> str:
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    utf16 = _utf16_without_bom(head)
    if utf16:
        return utf16
    try:
        invalid, multibyte = _utf8_stats(fileobj)
        if invalid == 0 or 0 < invalid <= multibyte:
            return "utf-8"  # UTF-8, perhaps with a few broken bytes: only those rows fail
        if _looks_like_text(fileobj, "cp1252"):
            return "cp1252"
    finally:
        fileobj.seek(0)
    raise SiakFileError("encoding", _l(
        "Encoding berkas tidak dikenali (bukan UTF-8 maupun Windows-1252 yang wajar). Di Excel "
        "pilih Simpan Sebagai → 'CSV UTF-8 (Comma delimited)', lalu unggah ulang."))


def _chunks(fileobj: IO[bytes], size: int = 1 << 20) -> Iterator[bytes]:
    fileobj.seek(0)
    while True:
        chunk = fileobj.read(size)
        if not chunk:
            return
        yield chunk


def _utf8_stats(fileobj: IO[bytes]) -> tuple[int, int]:
    """(undecodable bytes, well-formed non-ASCII characters) over the whole file as UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
    invalid = multibyte = 0
    for chunk in _chunks(fileobj):
        if chunk.isascii():
            continue
        text = decoder.decode(chunk)
        bad = len(_ESCAPED.findall(text))
        invalid += bad
        multibyte += len(text) - len(text.encode("ascii", "ignore")) - bad
    invalid += len(_ESCAPED.findall(decoder.decode(b"", final=True)))
    return invalid, multibyte


_ESCAPED = re.compile("[\udc80-\udcff]")


def _looks_like_text(fileobj: IO[bytes], encoding: str) -> bool:
    total = non_ascii = 0
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        for chunk in _chunks(fileobj):
            text = decoder.decode(chunk)
            if _BAD_CHARS.search(text):
                return False
            total += len(text)
            non_ascii += len(text) - len(text.encode("ascii", "ignore"))
    except UnicodeDecodeError:
        return False
    return total > 0 and non_ascii <= MAX_NON_ASCII_SHARE * total


# --- row sources ------------------------------------------------------------------------------


class _Bad:
    """A physical row the splitter could not turn into cells."""

    __slots__ = ("message", "raw")

    def __init__(self, message: str, raw: str) -> None:
        self.message, self.raw = message, raw


def _split_quoted(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter, strict=False), [])


def _csv_rows(lines: Iterator[str], delimiter: str, width: int) -> Iterator[list[str] | _Bad]:
    """Cells per spreadsheet row. Fast path for lines without quotes; a quoted cell may span
    up to MAX_QUOTED_LINES lines, otherwise the line is reported and the following lines are
    read again on their own (one stray quote never swallows the rest of the file)."""
    pending: list[str] = []
    while True:
        line = pending.pop() if pending else next(lines, None)
        if line is None:
            return
        if '"' not in line:
            yield line.rstrip("\r\n").split(delimiter)
            continue
        if line.count('"') % 2 == 0:
            yield _split_quoted(line, delimiter)
            continue
        cells = _split_quoted(line, delimiter)
        if len(cells) == width:  # a literal quote inside an unquoted cell
            yield cells
            continue
        joined = [line]
        while len(joined) < MAX_QUOTED_LINES:
            nxt = pending.pop() if pending else next(lines, None)
            if nxt is None:
                break
            joined.append(nxt)
            if "".join(joined).count('"') % 2 == 0:
                break
        text = "".join(joined)
        if text.count('"') % 2 == 0:
            yield _split_quoted(text, delimiter)
        else:
            yield _Bad(str(_l("Tanda kutip (\") tidak berpasangan; baris tidak terbaca.")), line)
            pending.extend(reversed(joined[1:]))


def _guess_delimiter(line: str) -> tuple[str, int]:
    """(delimiter, number of known column names it yields) for one candidate header line."""
    best = (",", -1)
    for delimiter in (",", ";", "\t", "|"):
        names = [_norm_header(c) for c in _split_quoted(line, delimiter)]
        hits = sum(name in KNOWN_COLUMNS for name in names)
        if hits > best[1] or (hits == best[1] == 0 and line.count(delimiter) > line.count(best[0])):
            best = (delimiter, hits)
    return best


# --- the reader -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Layout:
    """Where each column sits in a row, decided once from the header."""

    width: int
    index: dict[str, int]
    region_style: str | None
    extra: tuple[tuple[str, int], ...]


def _layout(header: list[str], required: tuple[str, ...]) -> _Layout:
    names = [_norm_header(c) for c in header]
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
    return _Layout(len(names), seen, region_style, extra)


def _is_header(cells: list[str]) -> bool:
    names = {_norm_header(c) for c in cells}
    return ("NIK" in names and "NAMA_LGKP" in names) or len(names & KNOWN_COLUMNS) >= 4


class SiakReader:
    """Iterator of :class:`RowResult`, made by :func:`read_siak`. ``format`` says what was
    detected; ``progress()`` is the share of the file read so far (0.0–1.0); use it as a
    context manager, or call ``close()``, to release a file it opened."""

    def __init__(self, rows: Iterator[list[str] | _Bad], layout: _Layout, fmt: SiakFormat,
                 progress, close) -> None:
        self.format = fmt
        self._rows = rows
        self._layout = layout
        self._progress = progress
        self._close = close
        self._row_no = 0
        self._dates: dict[str, date | None | _BadValue] = {}
        self._regions: dict[Any, str | _BadValue] = {}
        self._coded = coded_values()
        self._desa = regency_desa_codes()
        self._width_messages: dict[int, str] = {}
        self._peeked: RowResult | None = None
        self._peek()

    # iteration ---------------------------------------------------------------------------------
    def __iter__(self) -> SiakReader:
        return self

    def __next__(self) -> RowResult:
        if self._peeked is not None:
            result, self._peeked = self._peeked, None
            return result
        for cells in self._rows:
            self._row_no += 1
            result = self._read_row(self._row_no, cells)
            if result is not None:
                return result
        self.close()
        raise StopIteration

    def _peek(self) -> None:
        try:
            self._peeked = next(self)
        except StopIteration:
            raise SiakFileError("no_data", _l(
                "Berkas hanya berisi judul kolom, tanpa satu pun baris data.")) from None

    def progress(self) -> float:
        return self._progress()

    def close(self) -> None:
        if self._close is not None:
            self._close()
            self._close = None

    def __enter__(self) -> SiakReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # one row -----------------------------------------------------------------------------------
    def _read_row(self, row_no: int, cells: list[str] | _Bad) -> RowResult | None:
        if isinstance(cells, _Bad):
            return RowResult(row_no, None, [RowError(row_no, None, cells.message,
                                                     _preview(None, cells.raw))])
        layout = self._layout
        if len(cells) != layout.width:
            cells = self._fit(cells)
            if cells is None:
                return None
            if isinstance(cells, tuple):
                return RowResult(row_no, None, [RowError(row_no, *cells)])
        elif not "".join(cells).strip():
            return None
        joined = "".join(cells)
        if _BAD_CHARS.search(joined):
            return RowResult(row_no, None, [RowError(row_no, None, str(_l(
                "Baris berisi karakter yang tidak terbaca (data biner atau encoding rusak).")),
                _preview(None, joined))])
        return self._build(row_no, cells)

    def _fit(self, cells: list[str]):
        """Cells cut or padded to the header width; None for a blank row; a (column, message,
        preview) tuple when the row has the wrong number of cells."""
        width = self._layout.width
        if not "".join(cells).strip():
            return None
        if len(cells) > width and (self.format.kind == "xlsx"
                                   or not "".join(cells[width:]).strip()):
            return cells[:width]  # XLSX: cells right of the last named column are ignored
        if self.format.kind == "xlsx" and len(cells) < width:
            return cells + [""] * (width - len(cells))
        message = self._width_messages.get(len(cells))
        if message is None:
            message = self._width_messages[len(cells)] = str(_l(
                "Jumlah kolom %(found)s, seharusnya %(expected)s (pemisah kolom dalam data atau "
                "baris rusak).", found=len(cells), expected=width))
        return (None, message, _preview(None, (self.format.delimiter or ",").join(cells)))

    def _cell(self, cells: list[str], name: str) -> str:
        position = self._layout.index.get(name)
        return cells[position] if position is not None else ""

    def _build(self, row_no: int, cells: list[str]) -> RowResult:
        errors: list[RowError] = []
        cell = self._cell

        name = _clean(cell(cells, "NAMA_LGKP"))
        if name is None:
            errors.append(RowError(row_no, "NAMA_LGKP", str(_l("Nama lengkap kosong.")), ""))
        birth_date = self._birth_date(row_no, cell(cells, "TGL_LHR"), errors)
        desa_code = self._region(row_no, cells, errors)
        sex = self._coded_value(row_no, "JENIS_KLMIN", cell(cells, "JENIS_KLMIN"), errors)
        marital = self._coded_value(row_no, "STAT_KWN", cell(cells, "STAT_KWN"), errors)
        role = self._coded_value(row_no, "STAT_HBKEL", cell(cells, "STAT_HBKEL"), errors)
        if errors:
            return RowResult(row_no, None, errors)

        extra = {}
        for column, position in self._layout.extra:
            value = cells[position].strip() if position < len(cells) else ""
            if value:
                extra[column] = value
        record = PersonRecord(
            ref=row_no,
            nik=_clean_number(cell(cells, "NIK")),
            no_kk=_clean_number(cell(cells, "NO_KK")),
            name=name,
            sex=sex,
            birth_place=_clean(cell(cells, "TMPT_LHR")),
            birth_date=birth_date,
            marital_status=marital,
            family_role=role,
            mother_name=_clean(cell(cells, "NAMA_LGKP_IBU")),
            father_name=_clean(cell(cells, "NAMA_LGKP_AYAH")),
            address=_clean(cell(cells, "ALAMAT")),
            rt=_number_part(cell(cells, "NO_RT")) or None,
            rw=_number_part(cell(cells, "NO_RW")) or None,
            desa_code=desa_code,
            extra=extra,
        )
        return RowResult(row_no, record, [])

    def _birth_date(self, row_no: int, raw: str, errors: list[RowError]) -> date | None:
        cached = self._dates.get(raw, _MISSING)
        if cached is _MISSING:
            try:
                cached = parse_birth_date(raw)
            except _BadValue as exc:
                cached = exc
            if len(self._dates) > _CACHE_LIMIT:
                self._dates.clear()
            self._dates[raw] = cached
        if isinstance(cached, _BadValue):
            errors.append(RowError(row_no, "TGL_LHR", str(cached), _preview("TGL_LHR", raw)))
            return None
        return cached

    def _coded_value(self, row_no: int, column: str, raw: str, errors: list[RowError]):
        if column not in self._layout.index:
            return None
        try:
            return _lookup_coded(self._coded[column], raw)
        except KeyError:
            errors.append(RowError(row_no, column, str(_l(
                "Nilai %(column)s tidak dikenal; gunakan kode angka SIAK atau labelnya.",
                column=column)), _preview(column, raw)))
            return None

    def _region(self, row_no: int, cells: list[str], errors: list[RowError]) -> str | None:
        style = self._layout.region_style
        if style is None:
            return None
        if style == "kode_desa":
            column = REGION_COLUMN
            raw: Any = self._cell(cells, REGION_COLUMN)
            if not raw.strip() and all(c in self._layout.index for c in SPLIT_REGION_COLUMNS):
                column, raw = "/".join(SPLIT_REGION_COLUMNS), self._split_raw(cells)
        else:
            column, raw = "/".join(SPLIT_REGION_COLUMNS), self._split_raw(cells)
        cached = self._regions.get(raw)
        if cached is None:
            cached = self._resolve_region(raw)
            if len(self._regions) > _CACHE_LIMIT:
                self._regions.clear()
            self._regions[raw] = cached
        if isinstance(cached, _BadValue):
            shown = raw if isinstance(raw, str) else ".".join(p.strip() for p in raw)
            errors.append(RowError(row_no, column, str(cached), _preview(column, shown)))
            return None
        return cached

    def _split_raw(self, cells: list[str]) -> tuple[str, ...]:
        return tuple(self._cell(cells, c) for c in SPLIT_REGION_COLUMNS)

    def _resolve_region(self, raw: str | tuple[str, ...]) -> str | _BadValue:
        if isinstance(raw, str):
            empty = not raw.strip()
            key = None if empty else _kode_desa_key(raw)
            shown = raw.strip()
        else:
            empty = not "".join(raw).strip()
            key = None if empty else _split_key(*raw)
            shown = ".".join(p.strip() for p in raw)
        if empty:
            return _BadValue(str(_l("Kode wilayah desa/kelurahan kosong.")))
        if key is None:
            return _BadValue(str(_l(
                "Kode wilayah %(code)s tidak terbaca; gunakan 63.06.KK.DDDD atau 10 angka.",
                code=shown)))
        dotted = self._desa.get(key)
        if dotted is None:
            return _BadValue(str(_l(
                "Kode wilayah %(code)s bukan desa/kelurahan di Kabupaten Hulu Sungai Selatan.",
                code=f"{key[:2]}.{key[2:4]}.{key[4:6]}.{key[6:]}")))
        return dotted


_MISSING: Any = object()


# --- opening ----------------------------------------------------------------------------------


def _open_source(source: Any, filename: str | None):
    """(binary seekable file, name, close function or None, size or None) — or, for a text
    stream, (text stream, name, None, None)."""
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        handle = open(path, "rb")
        return handle, filename or os.path.basename(path), handle.close, os.path.getsize(path)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        return io.BytesIO(data), filename or "data", None, len(data)
    if hasattr(source, "stream") and hasattr(source, "filename"):  # werkzeug FileStorage
        filename = filename or source.filename
        source = source.stream
    name = filename or os.path.basename(str(getattr(source, "name", "") or "")) or "upload"
    if isinstance(source, io.TextIOBase):
        return source, name, None, None
    seekable = getattr(source, "seekable", lambda: False)()
    if not seekable or not isinstance(source, (io.BufferedIOBase, io.RawIOBase)):
        data = source.read()
        if isinstance(data, str):
            return io.StringIO(data), name, None, None
        return io.BytesIO(data), name, None, len(data)
    start = source.tell()
    size = source.seek(0, io.SEEK_END) - start
    source.seek(start)
    if start:
        data = source.read()
        return io.BytesIO(data), name, None, len(data)
    return source, name, None, size


def read_siak(source: Any, *, filename: str | None = None,
              required: Iterable[str] | None = None) -> SiakReader:
    """Open a SIAK export and return a :class:`SiakReader` (an iterator of RowResult).

    ``source``: a path, bytes, a binary file object (an upload's stream, a werkzeug
    FileStorage) or a text stream (CSV). ``filename`` is only for messages. ``required``:
    the columns that must be present (default all of :data:`SIAK_COLUMNS` plus ``REGION``);
    absent optional columns read as empty. Raises :class:`SiakFileError` at once for any
    file-level problem, including a file with a header but no data row.
    """
    required_columns = tuple(required) if required is not None else DEFAULT_REQUIRED
    handle, _name, close, size = _open_source(source, filename)
    text: io.TextIOWrapper | None = None
    finished = False

    def finish() -> None:
        nonlocal finished
        if finished:
            return
        finished = True
        if text is not None:
            text.detach()  # never let the wrapper close a file object the caller owns
        if close is not None:
            close()

    try:
        if isinstance(handle, io.TextIOBase):
            return _open_text(handle, None, required_columns, finish, lambda: 0.0)
        head = handle.read(SNIFF_BYTES)
        handle.seek(0)
        kind = _sniff_kind(head, handle)
        if kind == "xlsx":
            return _open_xlsx(handle, required_columns, finish)
        encoding = _choose_encoding(handle, head)
        text = io.TextIOWrapper(handle, encoding=encoding, errors="replace", newline="")

        def progress() -> float:
            return min(1.0, handle.tell() / size) if size else 0.0

        return _open_text(text, encoding, required_columns, finish, progress)
    except BaseException:
        finish()
        raise


def _open_text(text: IO[str], encoding: str | None, required: tuple[str, ...], close,
               progress) -> SiakReader:
    first: list[str] = []
    for line in text:
        first.append(line)
        if len(first) >= HEADER_SEARCH_ROWS:
            break
    if not "".join(first).strip():
        raise SiakFileError("empty", _l("Berkas kosong: tidak ada data sama sekali."))
    header_at, delimiter, best_hits = 0, ",", -1
    for position, line in enumerate(first):
        if not line.strip():
            continue
        guess, hits = _guess_delimiter(line)
        if hits > best_hits:
            header_at, delimiter, best_hits = position, guess, hits
        if hits >= 4:
            break
    if best_hits <= 0:  # nothing known anywhere: report against the first non-blank line
        header_at = next(i for i, line in enumerate(first) if line.strip())
        delimiter = _guess_delimiter(first[header_at])[0]
    header = _split_quoted(first[header_at], delimiter)
    layout = _layout(header, required)
    lines = _chain(first[header_at + 1:], text)
    rows = _csv_rows(lines, delimiter, layout.width)
    fmt = SiakFormat("csv", encoding, delimiter, None, layout.region_style, header_at + 1,
                     tuple(_norm_header(c) for c in header))
    return SiakReader(rows, layout, fmt, progress, close)


def _chain(first: list[str], rest: Iterator[str]) -> Iterator[str]:
    yield from first
    yield from rest


def _open_xlsx(handle: IO[bytes], required: tuple[str, ...], close) -> SiakReader:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(handle)
    except Exception:  # calamine raises its own error types for any broken workbook
        raise SiakFileError("unreadable", _l(
            "Berkas XLSX rusak atau tidak dapat dibaca; buka di Excel, simpan ulang sebagai "
            "XLSX, lalu unggah ulang.")) from None
    first_rows: list[list[Any]] = []
    for sheet_name in workbook.sheet_names:
        try:
            sheet = workbook.get_sheet_by_name(sheet_name)
        except Exception:
            continue
        rows = sheet.iter_rows()
        head: list[list[Any]] = []
        for row in rows:
            head.append(row)
            if _is_header([_cell_text(c) for c in row]):
                return _xlsx_reader(sheet, head, rows, required, close)
            if len(head) >= HEADER_SEARCH_ROWS:
                break
        if not first_rows and any(any(_cell_text(c).strip() for c in r) for r in head):
            first_rows = head
    if not first_rows:
        raise SiakFileError("empty", _l("Berkas XLSX kosong: tidak ada data di lembar mana pun."))
    header = next(r for r in first_rows if any(_cell_text(c).strip() for c in r))
    _layout([_cell_text(c) for c in header], required)  # raises missing_columns
    raise SiakFileError("missing_columns", _l("Judul kolom tidak ditemukan."))  # pragma: no cover


def _xlsx_reader(sheet, head: list[list[Any]], rows: Iterator[list[Any]],
                 required: tuple[str, ...], close) -> SiakReader:
    header = [_cell_text(c) for c in head[-1]]
    layout = _layout(header, required)
    date_at = layout.index.get("TGL_LHR")
    total = max(1, sheet.height)
    done = [len(head)]

    def cells() -> Iterator[list[str]]:
        for row in rows:
            done[0] += 1
            out = [c if type(c) is str else _cell_text(c) for c in row]
            if date_at is not None and date_at < len(row) and type(row[date_at]) is not str:
                out[date_at] = _excel_cell_date(row[date_at])
            yield out

    start = sheet.start[0] if sheet.start else 0
    fmt = SiakFormat("xlsx", None, None, sheet.name, layout.region_style, start + len(head),
                     tuple(_norm_header(c) for c in header))
    return SiakReader(cells(), layout, fmt, lambda: min(1.0, done[0] / total), close)
