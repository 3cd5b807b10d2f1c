"""Reading a SIAK-style population export (CSV or XLSX) into :class:`PersonRecord` rows.

The accepted format is documented for the office in ``docs/siak-import-format.md``; this
module is its single implementation. No Flask app, no database: :func:`read_siak` streams
:class:`RowResult` objects and the caller (the register import, ``flask quality scan``, the
pre-trip check) decides what to store.

The reader is split along its seams:

- :mod:`webapp.core.tabular` — the file itself, shared with the resident-list import: kind by
  content, the zip-bomb guard, encodings, delimiters, CSV splitting, XLSX sheets, dates;
- :mod:`webapp.quality.siak_columns` — SIAK column names, the header and its layout;
- :mod:`webapp.quality.siak_values` — coded values, region codes, birth dates, text cleaning;
- :mod:`webapp.quality.siak_rows` — one row → a record or its :class:`RowError` list;
- this module — finding the header, :class:`SiakReader` and :func:`read_siak`.

Every public name of the reader stays importable from here.

Two kinds of failure, kept apart on purpose:

- **File level** — :class:`SiakFileError` with a stable ``code`` and an Indonesian message,
  raised by :func:`read_siak` itself before any row is produced: empty file, not a CSV/XLSX
  (decided by content, never by the extension alone), an XLSX that would inflate beyond the
  configured limits (``archive``, checked before the workbook is opened), undecodable text,
  missing or repeated columns, no data row at all.
- **Row level** — a row that cannot be *read* comes back as a :class:`RowResult` without a
  record and with one :class:`RowError` per problem (see :mod:`webapp.quality.siak_rows`).

Row numbers: the first data row after the header is 1, and every spreadsheet row counts, so
``row_no + header row`` is the row number Excel shows. Blank rows are skipped (nothing is
yielded for them) but keep their number.

Encoding decision (CSV): see :mod:`webapp.core.tabular`. A character that does not decode
becomes U+FFFD and its row is rejected as unreadable, never imported with a broken name.
"""
from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any, ClassVar

from flask_babel import lazy_gettext as _l

from webapp.core import tabular
from webapp.core.tabular import ArchiveLimits, BadRow, TabularError
from webapp.quality.siak_columns import (  # noqa: F401 (public names of the reader)
    DEFAULT_REQUIRED,
    HEADER_SEARCH_ROWS,
    KNOWN_COLUMNS,
    REGION,
    REGION_COLUMN,
    SIAK_COLUMNS,
    SPLIT_REGION_COLUMNS,
    Layout,
    SiakFileError,
    is_header,
    layout,
    norm_header,
)
from webapp.quality.siak_rows import RowError, RowParser, RowResult  # noqa: F401
from webapp.quality.siak_values import (  # noqa: F401
    REGENCY_CODE,
    coded_values,
    parse_birth_date,
    regency_desa_codes,
)

__all__ = [
    "DEFAULT_REQUIRED", "KNOWN_COLUMNS", "REGENCY_CODE", "REGION", "REGION_COLUMN", "SIAK_COLUMNS",
    "SIAK_FORMAT_DOC", "SPLIT_REGION_COLUMNS", "RowError", "RowResult", "SiakFileError",
    "SiakFormat", "SiakReader", "coded_values", "parse_birth_date", "read_siak",
    "regency_desa_codes",
]

ARCHIVE_LIMIT_SETTING = "REGISTER_XLSX_MAX_UNCOMPRESSED_BYTES"


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


class SiakReader:
    """Iterator of :class:`RowResult`, made by :func:`read_siak`. ``format`` says what was
    detected; ``progress()`` is the share of the file read so far (0.0–1.0); use it as a
    context manager, or call ``close()``, to release a file it opened."""

    def __init__(self, rows: Iterator[list[str] | BadRow], layout: Layout, fmt: SiakFormat,
                 progress, close) -> None:
        self.format = fmt
        self._rows = rows
        self._parser = RowParser(layout, kind=fmt.kind, delimiter=fmt.delimiter)
        self._progress = progress
        self._close = close
        self._row_no = 0
        self._peeked: RowResult | None = None
        self._peek()

    def __iter__(self) -> SiakReader:
        return self

    def __next__(self) -> RowResult:
        if self._peeked is not None:
            result, self._peeked = self._peeked, None
            return result
        for cells in self._rows:
            self._row_no += 1
            result = self._parser.parse(self._row_no, cells)
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


def read_siak(source: Any, *, filename: str | None = None,
              required: Iterable[str] | None = None,
              limits: ArchiveLimits | None = None) -> SiakReader:
    """Open a SIAK export and return a :class:`SiakReader` (an iterator of RowResult).

    ``source``: a path, bytes, a binary file object (an upload's stream, a werkzeug
    FileStorage) or a text stream (CSV). ``filename`` is only for messages. ``required``:
    the columns that must be present (default all of :data:`SIAK_COLUMNS` plus ``REGION``);
    absent optional columns read as empty. ``limits``: what an XLSX may inflate to (default
    from the config, ``REGISTER_XLSX_MAX_UNCOMPRESSED_BYTES``). Raises :class:`SiakFileError`
    at once for any file-level problem, including a file with a header but no data row.
    """
    required_columns = tuple(required) if required is not None else DEFAULT_REQUIRED
    limits = limits or ArchiveLimits.from_config(ARCHIVE_LIMIT_SETTING)
    source_ = tabular.open_source(source, filename)
    handle = source_.handle
    text: io.TextIOWrapper | None = None
    finished = False

    def finish() -> None:
        nonlocal finished
        if finished:
            return
        finished = True
        if text is not None:
            text.detach()  # never let the wrapper close a file object the caller owns
        if source_.close is not None:
            source_.close()

    try:
        if source_.text:
            return _open_text(handle, None, required_columns, finish, lambda: 0.0)
        if tabular.sniff_kind(handle, limits=limits) == "xlsx":
            return _open_xlsx(handle, required_columns, finish)
        encoding = tabular.choose_encoding(handle)
        text = tabular.text_stream(handle, encoding)
        size = source_.size

        def progress() -> float:
            return min(1.0, handle.tell() / size) if size else 0.0

        return _open_text(text, encoding, required_columns, finish, progress)
    except SiakFileError:
        finish()
        raise
    except TabularError as error:
        finish()
        raise SiakFileError(error.code, error.message) from None
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
        guess, hits = tabular.sniff_delimiter(line, KNOWN_COLUMNS)
        if hits > best_hits:
            header_at, delimiter, best_hits = position, guess, hits
        if hits >= 4:
            break
    if best_hits <= 0:  # nothing known anywhere: report against the first non-blank line
        header_at = next(i for i, line in enumerate(first) if line.strip())
        delimiter = tabular.sniff_delimiter(first[header_at], KNOWN_COLUMNS)[0]
    header = tabular.split_line(first[header_at], delimiter)
    row_layout = layout(header, required)
    lines = _chain(first[header_at + 1:], text)
    rows = tabular.csv_rows(lines, delimiter, row_layout.width)
    fmt = SiakFormat("csv", encoding, delimiter, None, row_layout.region_style, header_at + 1,
                     tuple(norm_header(c) for c in header))
    return SiakReader(rows, row_layout, fmt, progress, close)


def _chain(first: list[str], rest: Iterator[str]) -> Iterator[str]:
    yield from first
    yield from rest


def _open_xlsx(handle: IO[bytes], required: tuple[str, ...], close) -> SiakReader:
    workbook = tabular.open_workbook(handle)
    first_rows: list[list[Any]] = []
    for sheet in tabular.sheets(workbook):
        head: list[list[Any]] = []
        for row in sheet.rows:
            head.append(row)
            if is_header([tabular.cell_text(c) for c in row]):
                return _xlsx_reader(sheet, head, required, close)
            if len(head) >= HEADER_SEARCH_ROWS:
                break
        if not first_rows and any(any(tabular.cell_text(c).strip() for c in r) for r in head):
            first_rows = head
    if not first_rows:
        raise SiakFileError("empty", _l("Berkas XLSX kosong: tidak ada data di lembar mana pun."))
    header = next(r for r in first_rows if any(tabular.cell_text(c).strip() for c in r))
    layout([tabular.cell_text(c) for c in header], required)  # raises missing_columns
    raise SiakFileError("missing_columns", _l("Judul kolom tidak ditemukan."))  # pragma: no cover


def _xlsx_reader(sheet: tabular.Sheet, head: list[list[Any]], required: tuple[str, ...],
                 close) -> SiakReader:
    header = [tabular.cell_text(c) for c in head[-1]]
    row_layout = layout(header, required)
    date_at = row_layout.index.get("TGL_LHR")
    total = max(1, sheet.height)
    done = [len(head)]
    cell_text, date_cell_text = tabular.cell_text, tabular.date_cell_text

    def cells() -> Iterator[list[str]]:
        for row in sheet.rows:
            done[0] += 1
            out = [c if type(c) is str else cell_text(c) for c in row]
            if date_at is not None and date_at < len(row) and type(row[date_at]) is not str:
                out[date_at] = date_cell_text(row[date_at])
            yield out

    fmt = SiakFormat("xlsx", None, None, sheet.name, row_layout.region_style,
                     sheet.first_row - 1 + len(head), tuple(norm_header(c) for c in header))
    return SiakReader(cells(), row_layout, fmt, lambda: min(1.0, done[0] / total), close)
