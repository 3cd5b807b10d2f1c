"""Reading tabular uploads (CSV and XLSX): the one implementation every importer uses.

The register import (:mod:`webapp.quality.siak`, SIAK exports) and the resident lists villages
send (:mod:`webapp.requests.importer`) read their files through this module; each keeps only
its own columns and row rules. No database and no domain import: plain values in, plain values
(or a :class:`TabularError`) out.

    source = open_source(upload_or_path_or_bytes)      # a seekable binary handle
    kind = sniff_kind(source.handle, limits=limits)     # "xlsx" | "text", by content
    # text:  encoding = choose_encoding(handle, head) → lines → sniff_delimiter → csv_rows
    # xlsx:  workbook = open_workbook(handle) → sheets(workbook) → rows of cell values
    normalise_header(" Nama Lgkp ")   # "NAMA_LGKP"
    parse_date("17/08/1985")          # date(1985, 8, 17); DateError(reason) when unreadable

**Zip bombs.** An XLSX is a zip archive: 1 MB on the wire can inflate to gigabytes, and the
spreadsheet parsers hold a sheet in memory. :func:`sniff_kind` therefore checks the archive
against :class:`ArchiveLimits` (:func:`check_archive`: number of members, declared inflated size
per member and in total, compression ratio, odd member names) *before* any parser opens it,
and raises :class:`ArchiveRefused` (code ``archive``) with an Indonesian message. Both parsers
(Python's ``zipfile`` and python-calamine's Rust ``zip``) refuse a member that inflates beyond
its declared size, so the declared sizes are the ones to check.

**Encoding (CSV).** UTF-16/UTF-32 when the file starts with their BOM (or, for UTF-16 without
BOM, when every other byte of an ASCII text is NUL); a UTF-8 BOM means UTF-8. Otherwise the
*whole* file is checked as UTF-8 in one fast pass: UTF-8 is chosen when every byte decodes, or
when the well-formed non-ASCII characters outnumber the broken bytes (a UTF-8 file with a few
damaged rows: only those rows get U+FFFD, and importers reject rows with
:data:`UNREADABLE_CHARS`). Only then Windows-1252, and only when the decoded file looks like
text (no control characters, at most 10 % non-ASCII). Anything else: code ``encoding``.
"""
from __future__ import annotations

import codecs
import csv
import io
import os
import re
import struct
import zipfile
from collections.abc import Container, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import IO, Any

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

SNIFF_BYTES = 64 * 1024
MAX_QUOTED_LINES = 5             # a quoted cell may span at most this many physical lines
MAX_NON_ASCII_SHARE = 0.10       # Windows-1252 is accepted only for text that is mostly ASCII
DELIMITERS = (",", ";", "\t", "|")
RATIO_FLOOR = 1024 * 1024        # members (and archives) smaller than this are never "bombs"
MAX_MEMBER_DEPTH = 12            # path components in a member name
NESTED_ARCHIVES = (".zip", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".tar", ".cab", ".jar")

UNREADABLE_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd\ufffe\uffff\ud800-\udfff]")
"""Control characters, U+FFFD (a byte that did not decode) and non-characters: a cell holding
one of them is binary junk or broken text and its row is never imported."""


# --- errors -----------------------------------------------------------------------------------


class TabularError(Exception):
    """The file as a whole cannot be read. ``code``: ``empty``, ``format``, ``encoding``,
    ``unreadable``, ``archive``. For ``format``, ``kind`` names what the file is instead
    (``pdf``, ``png``, ``ole`` for old .xls, ``docx``, ``binary``…) and ``label`` says it in
    Indonesian. ``message`` is a complete Indonesian sentence for the user."""

    def __init__(self, code: str, message: Any, *, kind: str | None = None,
                 label: Any = None) -> None:
        self.code = code
        self.message = str(message)
        self.kind = kind
        self.label = str(label) if label is not None else None
        super().__init__(self.message)


class ArchiveRefused(TabularError):
    """An XLSX refused before it is opened: it would inflate beyond :class:`ArchiveLimits`
    or has members no spreadsheet has. ``reason``: ``size``, ``ratio``, ``members``, ``odd``."""

    def __init__(self, reason: str, message: Any) -> None:
        super().__init__("archive", message)
        self.reason = reason


class DateError(ValueError):
    """A date that cannot be read. ``reason``: ``unreadable``, ``short_year`` (two-digit year)
    or ``calendar`` (no such day); ``text`` is the value as read. Importers word the message."""

    def __init__(self, reason: str, text: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.text = text


# --- the zip-bomb guard -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """What an XLSX may inflate to. ``max_uncompressed``: declared inflated bytes, per member
    and in total; ``max_ratio``: inflated / compressed, per member and in total (only above
    :data:`RATIO_FLOOR`); ``max_members``: entries in the archive."""

    max_uncompressed: int
    max_ratio: float
    max_members: int

    @classmethod
    def from_config(cls, uncompressed_key: str) -> ArchiveLimits:
        """The limits of one importer: ``uncompressed_key`` (e.g.
        ``REGISTER_XLSX_MAX_UNCOMPRESSED_BYTES``) plus the shared ``XLSX_MAX_COMPRESSION_RATIO``
        and ``XLSX_MAX_MEMBERS``; the app's config when there is one, else the defaults of
        :class:`webapp.config.Config`."""
        from webapp.config import Config

        config = current_app.config if has_app_context() else {}

        def value(key: str):
            found = config.get(key)
            return getattr(Config, key) if found is None else found

        return cls(max_uncompressed=int(value(uncompressed_key)),
                   max_ratio=float(value("XLSX_MAX_COMPRESSION_RATIO")),
                   max_members=int(value("XLSX_MAX_MEMBERS")))


def _thousands(number: float) -> str:
    """12345.6 → "12.346" (Indonesian thousands separator)."""
    return format(round(number), ",").replace(",", ".")


def _megabytes(size: float) -> str:
    return _thousands(max(1, round(size / (1024 * 1024))))


def _too_big(size: int, limits: ArchiveLimits) -> ArchiveRefused:
    return ArchiveRefused("size", _l(
        "Berkas XLSX ini mengembang menjadi %(size)s MB saat dibuka; batasnya %(limit)s MB. "
        "Simpan sebagai CSV (atau bagi datanya ke beberapa berkas), lalu unggah ulang.",
        size=_megabytes(size), limit=_megabytes(limits.max_uncompressed)))


def _too_compressed(ratio: float, limits: ArchiveLimits) -> ArchiveRefused:
    shown, limit = _thousands(ratio), _thousands(limits.max_ratio)
    return ArchiveRefused("ratio", _l(
        "Berkas XLSX ini tidak wajar: isinya %(ratio)s kali lebih besar daripada berkasnya "
        "(batas %(limit)s kali), ciri 'bom zip'. Berkas tidak dibuka. Buka di Excel, simpan "
        "ulang sebagai XLSX atau CSV, lalu unggah ulang.",
        ratio=shown, limit=limit))


def _odd_member(name: str) -> ArchiveRefused:
    shown = "".join(ch if ch.isprintable() else "?" for ch in name)[:60]
    return ArchiveRefused("odd", _l(
        "Berkas XLSX ini berisi bagian yang tidak wajar untuk lembar kerja (%(name)s); berkas "
        "tidak dibuka. Buka di Excel, simpan ulang sebagai XLSX atau CSV, lalu unggah ulang.",
        name=shown or "?"))


def _declared_entries(fileobj: IO[bytes]) -> int | None:
    """The entry count the end-of-central-directory record declares (ZIP64 included), read
    before ``zipfile`` builds one object per entry; None when there is no such record."""
    end = fileobj.seek(0, io.SEEK_END)
    tail_size = min(end, 22 + 0xFFFF)
    fileobj.seek(end - tail_size)
    tail = fileobj.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or tail_size - at < 22:
        return None
    entries = struct.unpack_from("<H", tail, at + 10)[0]
    locator = at - 20
    if entries == 0xFFFF and locator >= 0 and tail[locator:locator + 4] == b"PK\x06\x07":
        (record_at,) = struct.unpack_from("<Q", tail, locator + 8)
        fileobj.seek(record_at)
        record = fileobj.read(56)
        if len(record) == 56 and record[:4] == b"PK\x06\x06":
            entries = struct.unpack_from("<Q", record, 32)[0]
    return entries


def _odd_name(name: str) -> bool:
    parts = name.split("/")
    return (not name or name.startswith("/") or "\\" in name or "\x00" in name
            or ":" in parts[0] or ".." in parts or len(parts) > MAX_MEMBER_DEPTH
            or name.lower().endswith(NESTED_ARCHIVES))


def check_archive(archive: zipfile.ZipFile, limits: ArchiveLimits) -> None:
    """Raise :class:`ArchiveRefused` unless every member of ``archive`` is within ``limits``:
    member count, declared inflated size per member and in total, compression ratio per member
    and in total, plain member names (no absolute path, ``..``, backslash, nested archive,
    repeated name), no encryption, stored or deflated only. Reads the central directory only."""
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise _too_many(len(infos), limits)
    names: set[str] = set()
    total = compressed_total = 0
    for info in infos:
        name = info.filename
        if name in names or _odd_name(name) or info.flag_bits & 0x1:
            raise _odd_member(name)
        names.add(name)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or (
                info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size):
            raise _odd_member(name)
        if info.file_size > limits.max_uncompressed:
            raise _too_big(info.file_size, limits)
        if info.file_size > RATIO_FLOOR and info.file_size > limits.max_ratio * max(1, info.compress_size):
            raise _too_compressed(info.file_size / max(1, info.compress_size), limits)
        total += info.file_size
        compressed_total += info.compress_size
    if total > limits.max_uncompressed:
        raise _too_big(total, limits)
    if total > RATIO_FLOOR and total > limits.max_ratio * max(1, compressed_total):
        raise _too_compressed(total / max(1, compressed_total), limits)


def _too_many(count: int, limits: ArchiveLimits) -> ArchiveRefused:
    return ArchiveRefused("members", _l(
        "Berkas XLSX ini berisi terlalu banyak bagian (%(n)s; batasnya %(limit)s); berkas tidak "
        "dibuka. Simpan ulang lembar datanya saja sebagai XLSX atau CSV, lalu unggah ulang.",
        n=_thousands(count), limit=limits.max_members))


# --- sources ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Source:
    """An opened upload. ``handle`` is a seekable binary file, or a text stream when the
    caller passed one (``text`` True); ``close`` releases what :func:`open_source` opened
    (None when the caller owns the file); ``size`` in bytes when known."""

    handle: Any
    name: str
    close: Any
    size: int | None
    text: bool = False


def open_source(source: Any, filename: str | None = None) -> Source:
    """A path, bytes, a binary file object (an upload's stream, a werkzeug FileStorage) or a
    text stream, as a :class:`Source`. A non-seekable stream is read into memory."""
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        handle = open(path, "rb")
        return Source(handle, filename or os.path.basename(path), handle.close, os.path.getsize(path))
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        return Source(io.BytesIO(data), filename or "data", None, len(data))
    if hasattr(source, "stream") and hasattr(source, "filename"):  # werkzeug FileStorage
        filename = filename or source.filename
        source = source.stream
    name = filename or os.path.basename(str(getattr(source, "name", "") or "")) or "upload"
    if isinstance(source, io.TextIOBase):
        return Source(source, name, None, None, text=True)
    seekable = getattr(source, "seekable", lambda: False)()
    if not seekable or not isinstance(source, (io.BufferedIOBase, io.RawIOBase)):
        data = source.read()
        if isinstance(data, str):
            return Source(io.StringIO(data), name, None, None, text=True)
        return Source(io.BytesIO(data), name, None, len(data))
    start = source.tell()
    size = source.seek(0, io.SEEK_END) - start
    source.seek(start)
    if start:
        data = source.read()
        return Source(io.BytesIO(data), name, None, len(data))
    return Source(source, name, None, size)


# --- what kind of file ------------------------------------------------------------------------

_SIGNATURES: tuple[tuple[bytes, str, Any], ...] = (
    (b"%PDF", "pdf", _l("dokumen PDF")),
    (b"\x89PNG", "png", _l("gambar PNG")),
    (b"\xff\xd8\xff", "jpeg", _l("gambar JPEG")),
    (b"GIF8", "gif", _l("gambar GIF")),
    (b"\x1f\x8b", "gzip", _l("arsip GZIP")),
    (b"Rar!", "rar", _l("arsip RAR")),
    (b"7z\xbc\xaf", "7z", _l("arsip 7-Zip")),
    (b"\xd0\xcf\x11\xe0", "ole", _l("Excel lama (.xls) atau dokumen Office lama/terenkripsi")),
)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 13))


def format_error(kind: str, label: Any) -> TabularError:
    return TabularError("format", _l(
        "Berkas ini bukan CSV atau XLSX (terdeteksi: %(kind)s). Simpan data dari SIAK/Excel "
        "sebagai CSV atau XLSX (Excel Workbook), lalu unggah ulang.", kind=label),
        kind=kind, label=label)


def empty_error() -> TabularError:
    return TabularError("empty", _l("Berkas kosong: tidak ada data sama sekali."))


def sniff_kind(fileobj: IO[bytes], *, limits: ArchiveLimits) -> str:
    """"xlsx" or "text", decided by content (never the name); the file is left at offset 0.
    An XLSX is checked against ``limits`` here, before anything parses it. Raises
    :class:`TabularError` (``empty``, ``format``, ``unreadable``, ``archive``)."""
    fileobj.seek(0)
    head = fileobj.read(SNIFF_BYTES)
    fileobj.seek(0)
    if not head.strip(b" \t\r\n\x00"):
        raise empty_error()
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(fileobj, limits)
    for magic, kind, label in _SIGNATURES:
        if head.startswith(magic):
            raise format_error(kind, label)
    if head.startswith(b"BM") and b"\x00" in head[:64]:
        raise format_error("bmp", _l("gambar BMP"))
    if any(head.startswith(bom) for bom, _encoding in _BOMS):
        return "text"
    if _looks_binary(head) and utf16_without_bom(head) is None:
        raise format_error("binary", _l("data biner"))
    start = head.lstrip()[:200].lower()
    if start.startswith((b"<html", b"<!doctype html", b"<table")):
        raise format_error("html", _l("halaman HTML (tabel web yang diberi nama .xls/.csv)"))
    if start.startswith(b"<?xml"):
        raise format_error("xml", _l("berkas XML (mis. 'XML Spreadsheet 2003')"))
    if start.startswith(b"{\\rtf"):
        raise format_error("rtf", _l("dokumen RTF"))
    return "text"


def _looks_binary(head: bytes) -> bool:
    """NUL in the first line (a header never has one), or more than 2 % control bytes. A few
    junk rows further down stay a row-level matter."""
    if b"\x00" in head[:1024].split(b"\n", 1)[0]:
        return True
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls > 0.02 * len(head)


def _broken_zip() -> TabularError:
    return TabularError("unreadable", _l(
        "Berkas XLSX/ZIP rusak atau terpotong; simpan ulang dari Excel lalu unggah ulang."))


def _sniff_zip(fileobj: IO[bytes], limits: ArchiveLimits) -> str:
    try:
        entries = _declared_entries(fileobj)
        if entries is not None and entries > limits.max_members:
            raise _too_many(entries, limits)
        fileobj.seek(0)
        try:
            with zipfile.ZipFile(fileobj) as archive:
                names = set(archive.namelist())
                if "xl/workbook.xml" in names:
                    check_archive(archive, limits)
                    return "xlsx"
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
            raise _broken_zip() from None
    finally:
        fileobj.seek(0)
    if "xl/workbook.bin" in names:
        raise format_error("xlsb", _l("Excel biner (.xlsb)"))
    if "content.xml" in names:
        raise format_error("ods", _l("lembar kerja OpenDocument (.ods)"))
    if "word/document.xml" in names:
        raise format_error("docx", _l("dokumen Word (.docx)"))
    raise format_error("zip", _l("arsip ZIP"))


# --- encodings --------------------------------------------------------------------------------


def utf16_without_bom(head: bytes) -> str | None:
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


def choose_encoding(fileobj: IO[bytes]) -> str:
    """The encoding of a text file (see the module doc); the file is left at offset 0.
    Raises :class:`TabularError` ``encoding``."""
    fileobj.seek(0)
    head = fileobj.read(SNIFF_BYTES)
    fileobj.seek(0)
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    utf16 = utf16_without_bom(head)
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
    raise TabularError("encoding", _l(
        "Encoding berkas tidak dikenali (bukan UTF-8 maupun Windows-1252 yang wajar). Di Excel "
        "pilih Simpan Sebagai → 'CSV UTF-8 (Comma delimited)', lalu unggah ulang."))


def text_stream(fileobj: IO[bytes], encoding: str) -> io.TextIOWrapper:
    """The file as text lines (line ends kept, for :func:`csv_rows`); undecodable bytes become
    U+FFFD. ``detach()`` it rather than closing it when the caller owns ``fileobj``."""
    return io.TextIOWrapper(fileobj, encoding=encoding, errors="replace", newline="")


def _chunks(fileobj: IO[bytes], size: int = 1 << 20) -> Iterator[bytes]:
    fileobj.seek(0)
    while True:
        chunk = fileobj.read(size)
        if not chunk:
            return
        yield chunk


_ESCAPED = re.compile("[\udc80-\udcff]")


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


def _looks_like_text(fileobj: IO[bytes], encoding: str) -> bool:
    total = non_ascii = 0
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        for chunk in _chunks(fileobj):
            text = decoder.decode(chunk)
            if UNREADABLE_CHARS.search(text):
                return False
            total += len(text)
            non_ascii += len(text) - len(text.encode("ascii", "ignore"))
    except UnicodeDecodeError:
        return False
    return total > 0 and non_ascii <= MAX_NON_ASCII_SHARE * total


# --- CSV rows ---------------------------------------------------------------------------------


class BadRow:
    """A physical CSV row that could not be split into cells (an unbalanced quote)."""

    __slots__ = ("message", "raw")

    def __init__(self, message: str, raw: str) -> None:
        self.message, self.raw = message, raw


def split_line(line: str, delimiter: str) -> list[str]:
    """One CSV line (quotes honoured) as cells."""
    return next(csv.reader([line], delimiter=delimiter, strict=False), [])


def sniff_delimiter(line: str, known: Container[str] = (), *, case: str = "upper") -> tuple[str, int]:
    """(delimiter, known column names it yields) for a candidate header line: the delimiter
    among ``, ; tab |`` that yields the most names in ``known`` (compared after
    :func:`normalise_header` with ``case``); with no known name at all, the most frequent."""
    best = (",", -1)
    for delimiter in DELIMITERS:
        names = [normalise_header(cell, case=case) for cell in split_line(line, delimiter)]
        hits = sum(name in known for name in names)
        if hits > best[1] or (hits == best[1] == 0 and line.count(delimiter) > line.count(best[0])):
            best = (delimiter, hits)
    return best


def csv_rows(lines: Iterator[str], delimiter: str, width: int) -> Iterator[list[str] | BadRow]:
    """Cells per spreadsheet row (``width``: the header's). Fast path for lines without
    quotes; a quoted cell may span up to MAX_QUOTED_LINES lines, otherwise the line comes back
    as a :class:`BadRow` and the following lines are read again on their own (one stray quote
    never swallows the rest of the file). A blank line is a row of one empty cell."""
    pending: list[str] = []
    unbalanced = None   # its message, translated once per file
    while True:
        line = pending.pop() if pending else next(lines, None)
        if line is None:
            return
        if '"' not in line:
            yield line.rstrip("\r\n").split(delimiter)
            continue
        if line.count('"') % 2 == 0:
            yield split_line(line, delimiter)
            continue
        cells = split_line(line, delimiter)
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
            yield split_line(text, delimiter)
        else:
            if unbalanced is None:
                unbalanced = str(_l("Tanda kutip (\") tidak berpasangan; baris tidak terbaca."))
            yield BadRow(unbalanced, line)
            pending.extend(reversed(joined[1:]))


# --- XLSX rows --------------------------------------------------------------------------------


@dataclass(slots=True)
class Sheet:
    """One worksheet: ``rows`` yields lists of cell values (str, int, float, bool, date,
    datetime; "" for an empty cell), the first one being spreadsheet row ``first_row``
    (1-based); ``height`` is the number of rows it yields."""

    name: str
    rows: Iterator[list[Any]]
    first_row: int
    height: int


def open_workbook(fileobj: IO[bytes]):
    """A python-calamine workbook. Call only after :func:`sniff_kind` said "xlsx" (the archive
    limits are checked there). Raises :class:`TabularError` ``unreadable``."""
    from python_calamine import CalamineWorkbook

    fileobj.seek(0)
    try:
        return CalamineWorkbook.from_filelike(fileobj)
    except Exception:  # calamine raises its own error types for any broken workbook
        raise _unreadable_workbook() from None


def _unreadable_workbook() -> TabularError:
    return TabularError("unreadable", _l(
        "Berkas XLSX rusak atau tidak dapat dibaca; buka di Excel, simpan ulang sebagai "
        "XLSX, lalu unggah ulang."))


def sheets(workbook) -> Iterator[Sheet]:
    """The workbook's worksheets in order. A sheet that cannot be loaded (a chart sheet, a
    damaged part, a part inflating beyond its declared size) is skipped; when none can be,
    :class:`TabularError` ``unreadable``."""
    loaded = failed = 0
    for name in workbook.sheet_names:
        try:
            sheet = workbook.get_sheet_by_name(name)
        except Exception:  # calamine raises its own error types
            failed += 1
            continue
        loaded += 1
        # iter_rows() starts at the sheet's first row (blank rows above the data included), so
        # the rows are numbered from 1, as Excel shows them.
        height = sheet.end[0] + 1 if sheet.end else sheet.height
        yield Sheet(name, iter(sheet.iter_rows()), 1, height)
    if failed and not loaded:
        raise _unreadable_workbook()


# --- cells and headers ------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A cell value as text: whole floats without ``.0`` (Excel stores numbers as floats),
    dates as ISO, None as ""."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


_HEADER_GAPS = re.compile(r"[\s\-]+")


def normalise_header(value: Any, *, case: str = "upper") -> str:
    """A column name as importers compare it: BOM and quotes dropped, trimmed, runs of spaces
    or ``-`` as one ``_``, upper (or ``case="lower"``) case: " Nama Lgkp" → "NAMA_LGKP"."""
    text = cell_text(value).replace("\ufeff", "").replace("\u00a0", " ").strip().strip('"').strip()
    text = _HEADER_GAPS.sub("_", text).strip("_")
    return text.lower() if case == "lower" else text.upper()


# --- dates ------------------------------------------------------------------------------------

_DATE_SPLIT = re.compile(r"[-/.]")
EXCEL_EPOCH = date(1899, 12, 30)
EXCEL_SERIALS = (1, 2_958_466)   # 1900-01-01 .. 9999-12-31
BARE_YEARS = (1800, 2100)        # numbers that are years typed as numbers, never serials


def parse_date(value: Any, *, text_serials: bool = False) -> date | None:
    """A date from a cell: a date/datetime cell, an Excel serial number, or text in
    DD-MM-YYYY, DD/MM/YYYY, DD.MM.YYYY or YYYY-MM-DD (day and month may have one digit; a time
    after a space or ``T`` is ignored). Day before month always (Indonesian order, never the
    US one). ``text_serials``: also read five digits of text ("31276") as a serial. None for
    an empty value; :class:`DateError` for anything else."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise DateError("unreadable", str(value))
    if isinstance(value, (int, float)):
        return _serial(value, cell_text(value))
    text = cell_text(value).strip()
    if not text:
        return None
    if len(text) > 10 and text[10] in " T":
        text = text[:10]
    elif " " in text:
        text = text.split(" ", 1)[0]
    if text_serials and len(text) == 5 and text.isascii() and text.isdigit():
        return _serial(int(text), text)
    parts = _DATE_SPLIT.split(text)
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in parts):
        raise DateError("unreadable", text)
    if len(parts[0]) == 4 and len(parts[1]) <= 2 and len(parts[2]) <= 2:
        year, month, day = parts
    elif len(parts[2]) == 4 and len(parts[0]) <= 2 and len(parts[1]) <= 2:
        day, month, year = parts
    elif len(parts[2]) == 2:
        raise DateError("short_year", text)
    else:
        raise DateError("unreadable", text)
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise DateError("calendar", text) from None


def _serial(number: float, text: str) -> date:
    if BARE_YEARS[0] <= number <= BARE_YEARS[1]:
        raise DateError("unreadable", text)  # 1985 is a year typed as a number, not serial 1985
    if not EXCEL_SERIALS[0] <= number < EXCEL_SERIALS[1]:
        raise DateError("unreadable", text)
    return EXCEL_EPOCH + timedelta(days=int(number))


def date_cell_text(value: Any) -> str:
    """A non-text XLSX date cell as the text :func:`parse_date` reads back to the same date
    (date cells and serials as ISO); anything else as :func:`cell_text`."""
    if isinstance(value, str):
        return value
    try:
        parsed = parse_date(value)
    except DateError:
        return cell_text(value)
    return parsed.isoformat() if parsed is not None else ""
