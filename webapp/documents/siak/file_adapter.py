"""The file-based SIAK adapter: ready applications out as CSV and JSON, SIAK's results in from
CSV or JSON. The formats are documented in docs/siak-exchange-format.md.

No database here: plain values in and out (unit tested in tests/unit/test_siak_files.py).
CSV is read through webapp.core.tabular (encoding, delimiter, quotes), like every other upload.
"""
from __future__ import annotations

import bisect
import csv
import io
import json
import json.scanner
from datetime import date, datetime, timezone
from typing import Any, Iterator, Sequence

from flask_babel import lazy_gettext as _l

from webapp.core import tabular
from webapp.core.timefmt import to_wita, wita_today
from webapp.documents.siak.adapter import (Correction, ExportFile, ExportRow, LineError, ParsedResults,
                                           ResultRow, SiakAdapter, SiakFileError, check_result,
                                           parse_application_id)

FORMAT_VERSION = 1
EXPORT_FORMAT = "ketupat-pecel/siak-ekspor"
RESULT_FORMAT = "ketupat-pecel/siak-hasil"
MAX_RESULT_BYTES = 2 * 1024 * 1024
HEADER_SEARCH_LINES = 20
CSV_DELIMITER = ";"          # Excel in Indonesian opens it in columns; the reader takes , ; tab | too

# Export columns (CSV header; JSON keys are the same names in lower case).
EXPORT_COLUMNS = ("ID_PERMOHONAN", "NO_TANDA_TERIMA", "KODE_LAYANAN", "SUBJENIS", "LAYANAN", "NAMA_LGKP",
                  "NIK", "NO_KK", "JENIS_KLMIN", "TMPT_LHR", "TGL_LHR", "ALAMAT", "TGL_PERISTIWA",
                  "TERLAMBAT", "HARI_TERLAMBAT", "KOREKSI_DATA")
# Result columns: the export's last three, filled in (so an export file can come back as results).
ID_COLUMN, NUMBER_COLUMN, DATE_COLUMN, REASON_COLUMN = "ID_PERMOHONAN", "NO_DOKUMEN", "TGL_TERBIT", "ALASAN_TOLAK"
RESULT_COLUMNS = (ID_COLUMN, NUMBER_COLUMN, DATE_COLUMN, REASON_COLUMN)
# The array of results in a JSON file: "hasil", or an export file's "permohonan" filled in.
JSON_LISTS = ("hasil", "permohonan")
# A cell starting with one of these is a formula to a spreadsheet: a quote keeps it text.
FORMULA_START = ("=", "+", "@", "\t", "\r")


class FileSiakAdapter(SiakAdapter):
    name = "berkas"

    def export_ready(self, applications: Sequence[ExportRow], *, exported_at: datetime) -> list[ExportFile]:
        stem = "siak-ekspor-" + to_wita(exported_at).strftime("%Y%m%d-%H%M%S")
        return [
            ExportFile("csv", stem + ".csv", export_csv(applications), "text/csv; charset=utf-8"),
            ExportFile("json", stem + ".json", export_json(applications, exported_at=exported_at),
                       "application/json"),
        ]

    def read_results(self, data: bytes, *, filename: str = "", file_format: str | None = None,
                     today: date | None = None) -> ParsedResults:
        return read_results(data, filename=filename, file_format=file_format, today=today)


# --- export ---------------------------------------------------------------------------------------

def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _corrections_text(corrections: tuple[Correction, ...]) -> str:
    return "; ".join(f"{c.field}: {c.register_value or '-'} -> {c.new_value or '-'}" for c in corrections)


def _spreadsheet_safe(value: str | None) -> str:
    """Free text as a spreadsheet cell: a leading formula character is quoted away."""
    text = value or ""
    if text.startswith(FORMULA_START) or (len(text) > 1 and text[0] == "-" and not text[1].isdigit()
                                          and not text[1].isspace()):
        return "'" + text
    return text


def _csv_values(row: ExportRow) -> list[str]:
    safe = _spreadsheet_safe
    return [str(row.application_id), row.receipt_number or "", row.service_code, row.subtype_code,
            safe(row.service_label), safe(row.subject_name), row.nik or "", row.no_kk or "", row.sex or "",
            safe(row.birth_place), _iso(row.birth_date) or "", safe(row.address), _iso(row.event_date) or "",
            "ya" if row.late else "tidak", "" if row.late_days is None else str(row.late_days),
            safe(_corrections_text(row.corrections)), "", "", ""]


def export_csv(applications: Sequence[ExportRow]) -> bytes:
    """UTF-8 with a BOM (Excel then shows names right), `;` between columns, one row per
    application, the three result columns left empty for SIAK's answer."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS + (NUMBER_COLUMN, DATE_COLUMN, REASON_COLUMN))
    for row in applications:
        writer.writerow(_csv_values(row))
    return out.getvalue().encode("utf-8-sig")


def _json_item(row: ExportRow) -> dict:
    return {
        "id_permohonan": str(row.application_id), "no_tanda_terima": row.receipt_number,
        "kode_layanan": row.service_code, "subjenis": row.subtype_code, "layanan": row.service_label,
        "nama_lgkp": row.subject_name, "nik": row.nik, "no_kk": row.no_kk, "jenis_klmin": row.sex,
        "tmpt_lhr": row.birth_place, "tgl_lhr": _iso(row.birth_date), "alamat": row.address,
        "tgl_peristiwa": _iso(row.event_date), "terlambat": row.late, "hari_terlambat": row.late_days,
        "koreksi_data": [{"kolom": c.field, "nilai_register": c.register_value, "nilai_baru": c.new_value}
                         for c in row.corrections],
        "no_dokumen": None, "tgl_terbit": None, "alasan_tolak": None,
    }


def export_json(applications: Sequence[ExportRow], *, exported_at: datetime) -> bytes:
    document = {
        "format": EXPORT_FORMAT, "versi": FORMAT_VERSION,
        "dibuat": exported_at.astimezone(timezone.utc).isoformat(timespec="seconds"),
        "jumlah": len(applications), "permohonan": [_json_item(row) for row in applications],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# --- reading results ------------------------------------------------------------------------------

def detect_format(data: bytes, filename: str = "") -> str:
    """"json" or "csv": by the name's extension when it says, else by the first character."""
    name = (filename or "").lower()
    if name.endswith(".json"):
        return "json"
    if name.endswith((".csv", ".txt", ".tsv")):
        return "csv"
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return "json" if head[:1] in (b"{", b"[") else "csv"


def read_results(data: bytes, *, filename: str = "", file_format: str | None = None,
                 today: date | None = None) -> ParsedResults:
    """Read SIAK's result file. Raises SiakFileError when it is not a result file at all;
    otherwise every problem comes back as a LineError (the file's physical line numbers)."""
    if not data or not data.strip(b" \t\r\n\x00\xef\xbb\xbf"):
        raise SiakFileError(_l("Berkas kosong: tidak ada hasil sama sekali."))
    if len(data) > MAX_RESULT_BYTES:
        raise SiakFileError(_l("Berkas hasil SIAK paling besar %(mb)s MB.", mb=MAX_RESULT_BYTES // (1024 * 1024)))
    file_format = file_format or detect_format(data, filename)
    today = today or wita_today()
    if file_format == "json":
        parsed = ParsedResults("json")
        items = _json_items(data, parsed)
    else:
        parsed = ParsedResults("csv")
        items = _csv_items(data, parsed)
    _read_items(items, parsed, today=today)
    if not parsed.rows and not parsed.errors:
        parsed.errors.append(LineError(None, str(_l("Berkas tidak berisi satu baris hasil pun."))))
    parsed.errors.sort(key=lambda e: (e.line or 0))
    return parsed


# One item: (line, {COLUMN: value}) or (line, LineError-message) for a line that cannot be read.
Item = tuple[int, "dict[str, Any] | str"]


def _read_items(items: Iterator[Item], parsed: ParsedResults, *, today: date) -> None:
    first_line: dict = {}
    for line, values in items:
        parsed.read_count += 1
        if isinstance(values, str):
            parsed.errors.append(LineError(line, values))
            continue
        row, problems = _result_row(line, values, today=today)
        for message in problems:
            parsed.errors.append(LineError(line, message))
        if row is None:
            continue
        if row.application_id in first_line:
            parsed.errors.append(LineError(line, str(_l(
                "Permohonan %(id)s sudah ada di baris %(first)s: baris ganda.", id=row.application_id,
                first=first_line[row.application_id]))))
            continue
        first_line[row.application_id] = line
        if not problems:
            parsed.rows.append(row)


def _result_row(line: int, values: dict[str, Any], *, today: date) -> tuple[ResultRow | None, list[str]]:
    raw_id = values.get(ID_COLUMN)
    application_id = parse_application_id(raw_id)
    problems: list[str] = []
    if application_id is None:
        shown = tabular.cell_text(raw_id).strip()[:40] if raw_id is not None else ""
        problems.append(str(_l("%(col)s kosong.", col=ID_COLUMN)) if not shown else str(_l(
            "%(col)s \"%(v)s\" bukan ID permohonan (UUID dari berkas ekspor).", col=ID_COLUMN, v=shown)))
    texts = [values.get(c) for c in (NUMBER_COLUMN, DATE_COLUMN, REASON_COLUMN)]
    if any(isinstance(v, str) and tabular.UNREADABLE_CHARS.search(v) for v in texts):
        problems.append(str(_l("Baris berisi karakter yang tidak terbaca.")))
        return None, problems
    (number, issued_on, rejection), found = check_result(*texts, today=today)
    problems.extend(message for _field, message in found)
    if application_id is None:
        return None, problems
    return ResultRow(line, application_id, number, issued_on, rejection), problems


# --- CSV ------------------------------------------------------------------------------------------

def _csv_items(data: bytes, parsed: ParsedResults) -> Iterator[Item]:
    handle = io.BytesIO(data)
    try:
        kind = tabular.sniff_kind(handle, limits=tabular.ArchiveLimits(MAX_RESULT_BYTES, 100, 50))
        if kind == "xlsx":
            raise SiakFileError(_l("Berkas XLSX tidak diterima: di Excel pilih Simpan Sebagai → "
                                   "\"CSV UTF-8\", atau unggah berkas JSON."))
        encoding = tabular.choose_encoding(handle)
    except tabular.TabularError as error:
        if error.code == "format":
            raise SiakFileError(_l("Berkas ini bukan CSV atau JSON (terdeteksi: %(kind)s).", kind=error.label)) \
                from None
        raise SiakFileError(error.message) from None
    lines = tabular.text_stream(handle, encoding).readlines()
    header_at = _header_line(lines)
    if header_at is None:
        raise SiakFileError(_l("Berkas kosong: tidak ada hasil sama sekali."))
    delimiter, _hits = tabular.sniff_delimiter(lines[header_at], RESULT_COLUMNS + EXPORT_COLUMNS)
    header = [tabular.normalise_header(cell) for cell in tabular.split_line(lines[header_at], delimiter)]
    missing = [c for c in RESULT_COLUMNS if c not in header]
    header_line = header_at + 1
    if missing:
        parsed.errors.append(LineError(header_line, str(_l(
            "Kolom %(cols)s tidak ada di baris judul (wajib: %(all)s).", cols=", ".join(missing),
            all=", ".join(RESULT_COLUMNS)))))
        return iter(())
    positions = {name: header.index(name) for name in RESULT_COLUMNS}
    rows = tabular.csv_rows(iter(lines[header_at + 1:]), delimiter, len(header))
    return _csv_values_of(rows, positions, header_line + 1)


def _header_line(lines: list[str]) -> int | None:
    """The header: the first of the first lines that names ID_PERMOHONAN (a report title may
    stand above the table), else the first line that is not blank."""
    filled = [i for i, text in enumerate(lines[:HEADER_SEARCH_LINES]) if text.strip()]
    named = next((i for i in filled if ID_COLUMN in lines[i].upper().replace(" ", "_")), None)
    return named if named is not None else (filled[0] if filled else None)


def _csv_values_of(rows, positions: dict[str, int], first_line: int) -> Iterator[Item]:
    for line, cells in enumerate(rows, start=first_line):
        if isinstance(cells, tabular.BadRow):
            yield line, cells.message
            continue
        if not any(cell.strip() for cell in cells):
            continue   # a blank line
        yield line, {name: cells[at].strip() if at < len(cells) else "" for name, at in positions.items()}


# --- JSON -----------------------------------------------------------------------------------------

class _Located(dict):
    """A JSON object that knows the line it starts on."""

    line = 0


def _decoder_with_lines(text: str) -> json.JSONDecoder:
    """A decoder whose objects carry their starting line (the pure-Python scanner, whose
    object parser can be wrapped; result files are small)."""
    newlines = [i for i, ch in enumerate(text) if ch == "\n"]
    decoder = json.JSONDecoder()
    parse_object = decoder.parse_object

    def located(s_and_end, *args, **kwargs):
        _s, end = s_and_end
        value, after = parse_object(s_and_end, *args, **kwargs)
        result = _Located(value)
        result.line = bisect.bisect_left(newlines, end - 1) + 1
        return result, after

    decoder.parse_object = located
    decoder.scan_once = json.scanner.py_make_scanner(decoder)
    return decoder


def _json_items(data: bytes, parsed: ParsedResults) -> Iterator[Item]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SiakFileError(_l("Berkas JSON harus ber-encoding UTF-8.")) from None
    if text.lstrip()[:1] not in ("{", "["):
        raise SiakFileError(_l("Berkas ini bukan JSON: JSON diawali { atau [. Untuk CSV pilih format CSV."))
    try:
        document = _decoder_with_lines(text).decode(text)
    except json.JSONDecodeError as error:
        parsed.errors.append(LineError(error.lineno, str(_l(
            "JSON tidak sah di kolom %(c)s: periksa tanda kutip, koma, titik dua dan kurung di sekitarnya.",
            c=error.colno))))
        return iter(())
    except RecursionError:
        raise SiakFileError(_l("Berkas JSON terlalu dalam bersarang: bukan berkas hasil SIAK.")) from None
    items = document
    if isinstance(document, dict):
        items = next((document[key] for key in JSON_LISTS if isinstance(document.get(key), list)), None)
        if items is None:
            parsed.errors.append(LineError(1, str(_l(
                "Berkas JSON harus berisi daftar \"hasil\": [ … ] (atau daftar objek saja)."))))
            return iter(())
    if not isinstance(items, list):
        parsed.errors.append(LineError(1, str(_l("Berkas JSON harus berisi daftar hasil."))))
        return iter(())
    return _json_values_of(items)


def _json_values_of(items: list) -> Iterator[Item]:
    for position, item in enumerate(items, start=1):
        if not isinstance(item, _Located):
            yield 1, str(_l("Data ke-%(n)s bukan objek JSON ({…}).", n=position))
            continue
        values = {tabular.normalise_header(key): value for key, value in item.items()}
        if ID_COLUMN not in values:
            yield item.line, str(_l("Kolom %(col)s tidak ada.", col=ID_COLUMN.lower()))
            continue
        wrong = [name.lower() for name in RESULT_COLUMNS
                 if values.get(name) is not None and not isinstance(values[name], (str, int))
                 or isinstance(values.get(name), bool)]
        if wrong:
            yield item.line, str(_l("Kolom %(cols)s harus berisi teks.", cols=", ".join(wrong)))
            continue
        yield item.line, {name: values.get(name) for name in RESULT_COLUMNS}
