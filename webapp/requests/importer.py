"""Reading the resident list a village sends (CSV or XLSX); see docs/resident-list-format.md.

`read_resident_file(data, filename)` never raises on bad content: it returns every row it
could read and every problem at once (row number as the spreadsheet shows it, column, message).
Problems block the import; warnings (NIK vs record, eligibility) do not. The one exception is
an XLSX that would inflate beyond the configured limits (a zip bomb): it is refused with a
DomainError on the upload field before anything parses it. The file itself (kind, encoding,
delimiter, XLSX sheets, dates) is read by webapp.core.tabular, shared with the register import.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date

from flask import has_app_context
from flask_babel import lazy_gettext as _l

from webapp.core import tabular
from webapp.core.timefmt import wita_today
from webapp.core.errors import DomainError
from webapp.identity.nik import check_kk, check_nik, normalise
from webapp.layanan.catalog import parse_service_token

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000

COLUMNS = ("nama", "nik", "no_kk", "jenis_kelamin", "tanggal_lahir", "layanan", "keterangan")
REQUIRED_COLUMNS = ("nama", "jenis_kelamin", "tanggal_lahir", "layanan")
COLUMN_ALIASES = {
    "nama_lengkap": "nama", "nama_warga": "nama", "name": "nama",
    "nomor_kk": "no_kk", "nokk": "no_kk", "kk": "no_kk", "no_kartu_keluarga": "no_kk",
    "jk": "jenis_kelamin", "kelamin": "jenis_kelamin", "l/p": "jenis_kelamin", "sex": "jenis_kelamin",
    "tgl_lahir": "tanggal_lahir", "tanggal_lahir_(dd_mm_yyyy)": "tanggal_lahir", "tgl._lahir": "tanggal_lahir",
    "jenis_layanan": "layanan", "catatan": "keterangan", "ket": "keterangan",
    "no_hp": "telepon", "hp": "telepon", "no_telepon": "telepon",
}
SEX_VALUES = {"L": "L", "LK": "L", "LAKI-LAKI": "L", "LAKI LAKI": "L", "LAKI": "L", "1": "L", "PRIA": "L",
              "P": "P", "PR": "P", "PEREMPUAN": "P", "WANITA": "P", "2": "P"}
KNOWN_HEADERS = frozenset(COLUMNS) | frozenset(COLUMN_ALIASES) | {"telepon"}
ARCHIVE_LIMIT_SETTING = "RESIDENT_XLSX_MAX_UNCOMPRESSED_BYTES"


@dataclass
class ResidentRow:
    """A row read from the file (or typed in a form), ready to be saved."""

    row: int
    name: str
    sex: str
    birth_date: date
    services: list[tuple[str, str]]
    nik: str | None = None
    no_kk: str | None = None
    phone: str | None = None
    note: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RowProblem:
    row: int | None          # None: the file as a whole
    column: str | None
    message: str


@dataclass
class ImportResult:
    rows: list[ResidentRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows)

    @property
    def warning_count(self) -> int:
        return sum(1 for r in self.rows if r.warnings)


def _file_problem(message) -> ImportResult:
    return ImportResult(problems=[RowProblem(None, None, str(message))])


# --- reading the container ---------------------------------------------------------------------

Table = list[tuple[int, "list[object] | tabular.BadRow"]]


def read_resident_file(data: bytes, filename: str = "", *, today: date | None = None,
                       service_date: date | None = None,
                       limits: tabular.ArchiveLimits | None = None) -> ImportResult:
    """`service_date` (the requested date) is the day ages are counted on for eligibility.
    `limits`: what an XLSX may inflate to (default from the config,
    RESIDENT_XLSX_MAX_UNCOMPRESSED_BYTES); beyond them DomainError(field="resident_file")."""
    if not data:
        return _file_problem(_l("Berkas kosong."))
    if len(data) > MAX_IMPORT_BYTES:
        return _file_problem(_l("Ukuran berkas daftar warga maksimal 2 MB."))
    handle = io.BytesIO(data)
    try:
        kind = tabular.sniff_kind(handle, limits=limits or tabular.ArchiveLimits.from_config(ARCHIVE_LIMIT_SETTING))
        table = _xlsx_rows(handle) if kind == "xlsx" else _csv_rows(handle)
    except tabular.ArchiveRefused as refused:
        raise DomainError(refused.message, field="resident_file") from None
    except tabular.TabularError as error:
        return _file_problem(_file_message(error))
    if isinstance(table, ImportResult):
        return table
    today = today or wita_today()
    return _read_table(table, today=today, service_date=service_date or today)


def _file_message(error: tabular.TabularError):
    """The resident-list wording of a file-level problem found by the shared reader."""
    if error.code == "empty":
        return _l("Berkas kosong.")
    if error.code == "encoding":
        return _l("Pengodean teks berkas tidak dikenali. Simpan sebagai \"CSV UTF-8\" lalu unggah lagi.")
    if error.code == "unreadable":
        return _l("Berkas XLSX tidak dapat dibaca (rusak atau bukan buku kerja Excel).")
    if error.code == "format" and error.kind == "ole":
        return _l("Format Excel lama (.xls) tidak didukung. Simpan sebagai XLSX atau CSV, lalu unggah lagi.")
    if error.code == "format":
        return _l("Berkas ini bukan CSV atau XLSX (isinya %(kind)s). Unggah daftar warga dalam format CSV atau XLSX.",
                  kind=error.label)
    return error.message


def _csv_rows(handle: io.BytesIO) -> Table | ImportResult:
    """Physical rows numbered as a spreadsheet shows them (blank lines count), header included."""
    encoding = tabular.choose_encoding(handle)
    lines = tabular.text_stream(handle, encoding).readlines()
    header_at = next((i for i, line in enumerate(lines) if line.strip()), None)
    if header_at is None:
        return _file_problem(_l("Berkas kosong."))
    delimiter, _hits = tabular.sniff_delimiter(lines[header_at], KNOWN_HEADERS, case="lower")
    if delimiter not in lines[header_at]:
        return _file_problem(_l("Baris judul kolom tidak terbaca: pisahkan kolom dengan koma (,) atau titik koma (;)."))
    header = tabular.split_line(lines[header_at], delimiter)
    rows = tabular.csv_rows(iter(lines[header_at + 1:]), delimiter, len(header))
    return [(header_at + 1, header)] + list(enumerate(rows, start=header_at + 2))


def _xlsx_rows(handle: io.BytesIO) -> Table:
    """The first worksheet's rows, numbered as Excel shows them."""
    sheet = next(tabular.sheets(tabular.open_workbook(handle)), None)
    if sheet is None:
        return []
    rows: Table = []
    for number, values in enumerate(sheet.rows, start=sheet.first_row):
        rows.append((number, list(values)))
        if len(rows) > MAX_ROWS + 50:
            break
    return rows


# --- reading the rows -----------------------------------------------------------------------------

def _header_key(value: object) -> str:
    key = tabular.normalise_header(value, case="lower")
    return COLUMN_ALIASES.get(key, key)


def _text(value: object) -> str:
    return tabular.cell_text(value).replace("\u00a0", " ").strip()


def _filled(values) -> bool:
    return isinstance(values, tabular.BadRow) or any(_text(v) for v in values)


def _has_unreadable_text(values: list[object]) -> bool:
    """A cell holds control characters or a byte that did not decode (U+FFFD)."""
    return any(isinstance(v, str) and tabular.UNREADABLE_CHARS.search(v) for v in values)


def _read_table(table: Table, *, today: date, service_date: date) -> ImportResult:
    result = ImportResult()
    header_at = next((i for i, (_n, values) in enumerate(table) if _filled(values)), None)
    if header_at is None:
        return _file_problem(_l("Berkas tidak berisi data."))
    _n, header = table[header_at]
    columns = {}
    for index, value in enumerate(header):
        key = _header_key(value)
        if key and key not in columns:
            columns[key] = index
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        return _file_problem(_l("Kolom wajib tidak ada: %(cols)s. Gunakan templat yang disediakan.",
                                cols=", ".join(missing)))
    data_rows = [(n, values) for n, values in table[header_at + 1:] if _filled(values)]
    if len(data_rows) > MAX_ROWS:
        return _file_problem(_l("Paling banyak %(n)s warga per berkas.", n=MAX_ROWS))
    if not data_rows:
        return _file_problem(_l("Berkas hanya berisi judul kolom; belum ada data warga."))

    def cell(values: list[object], name: str) -> object:
        index = columns.get(name)
        return values[index] if index is not None and index < len(values) else None

    seen_nik: dict[str, int] = {}
    for number, values in data_rows:
        if isinstance(values, tabular.BadRow):
            result.problems.append(RowProblem(number, None, values.message))
            continue
        if _has_unreadable_text(values):
            result.problems.append(RowProblem(number, None, str(_l(
                "Baris berisi karakter yang tidak terbaca (data biner atau encoding rusak)."))))
            continue
        row, problems = read_row(number, {name: cell(values, name) for name in (*COLUMNS, "telepon")},
                                 today=today, service_date=service_date)
        result.problems.extend(problems)
        if row is not None:
            if row.nik:
                if row.nik in seen_nik:
                    # One resident, one row (several services go in one cell): a repeated NIK is
                    # a mistake in the list, or one NIK carried by two people — both need fixing.
                    result.problems.append(RowProblem(number, "nik", str(_l(
                        "NIK sama dengan baris %(n)s. Satu warga satu baris; beberapa layanan dipisah "
                        "titik koma.", n=seen_nik[row.nik]))))
                else:
                    seen_nik[row.nik] = number
            result.rows.append(row)
    return result


def read_row(number: int, raw: dict[str, object], *, today: date,
             service_date: date | None = None) -> tuple[ResidentRow | None, list[RowProblem]]:
    """Read one row of the file: (row, []) or (None, every problem of the row)."""
    problems: list[RowProblem] = []

    def problem(column: str, message) -> None:
        problems.append(RowProblem(number, column, str(message)))

    name = re.sub(r"\s+", " ", _text(raw.get("nama")))
    if not name:
        problem("nama", _l("Nama wajib diisi."))
    elif len(name) > 120:
        problem("nama", _l("Nama terlalu panjang (maksimal 120 karakter)."))

    sex_raw = _text(raw.get("jenis_kelamin")).upper()
    sex = SEX_VALUES.get(sex_raw)
    if sex is None:
        problem("jenis_kelamin", _l("Jenis kelamin \"%(v)s\" tidak dikenal: isi L atau P.", v=sex_raw[:20]) if sex_raw
                else _l("Jenis kelamin wajib diisi (L atau P)."))

    birth_date, date_error = parse_birth_date(raw.get("tanggal_lahir"), today=today)
    if date_error:
        problem("tanggal_lahir", date_error)

    services, service_errors = parse_services(_text(raw.get("layanan")))
    for message in service_errors:
        problem("layanan", message)

    warnings: list[str] = []
    nik = _number(raw.get("nik"))
    if nik:
        if "E+" in nik.upper():
            problem("nik", _l("NIK terbaca sebagai angka ilmiah (%(v)s): format kolom NIK sebagai Teks.", v=nik[:20]))
        else:
            check = check_nik(nik, sex=sex, birth_date=birth_date)
            if check.errors:
                problem("nik", check.errors[0].message)
            else:
                nik = check.value
                warnings.extend(str(w.message) for w in check.warnings)
    no_kk = _number(raw.get("no_kk"))
    if no_kk:
        kk_check = check_kk(no_kk)
        if kk_check.errors:
            problem("no_kk", kk_check.errors[0].message)
        else:
            no_kk = kk_check.value
            warnings.extend(str(w.message) for w in kk_check.warnings)

    if problems:
        return None, problems
    warnings.extend(eligibility_warnings(services, birth_date, today=service_date or today))
    return ResidentRow(row=number, name=name, sex=sex, birth_date=birth_date, services=services,
                       nik=nik or None, no_kk=no_kk or None, phone=_text(raw.get("telepon"))[:30] or None,
                       note=_text(raw.get("keterangan"))[:1000], warnings=warnings), []


def _number(value: object) -> str:
    if isinstance(value, (int,)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    text = _text(value)
    return normalise(text) if text and "E+" not in text.upper() else text


def parse_birth_date(value: object, *, today: date) -> tuple[date | None, object | None]:
    """(date, None) or (None, message). DD-MM-YYYY, YYYY-MM-DD, Excel dates and serials (also
    five digits of text); the parsing is webapp.core.tabular.parse_date's."""
    try:
        parsed = tabular.parse_date(value, text_serials=True)
    except tabular.DateError as error:
        if not isinstance(value, str):
            return None, _l("Tanggal lahir \"%(v)s\" tidak dapat dibaca.", v=error.text)
        if error.reason == "calendar":
            return None, _l("Tanggal lahir %(v)s tidak ada di kalender.", v=error.text)
        return None, _l("Tanggal lahir \"%(v)s\" tidak dapat dibaca: tulis HH-BB-TTTT, misalnya 17-08-2008.",
                        v=error.text[:30])
    if parsed is None:
        return None, _l("Tanggal lahir wajib diisi (HH-BB-TTTT).")
    if parsed > today:
        return None, _l("Tanggal lahir %(v)s belum terjadi.", v=parsed.strftime("%d-%m-%Y"))
    if parsed.year < today.year - 130:
        return None, _l("Tanggal lahir %(v)s tidak masuk akal.", v=parsed.strftime("%d-%m-%Y"))
    return parsed, None


def parse_services(text: str) -> tuple[list[tuple[str, str]], list]:
    pairs: list[tuple[str, str]] = []
    errors = []
    tokens = [t.strip() for t in re.split(r"[;,\n]", text or "") if t.strip()]
    if not tokens:
        return [], [_l("Layanan wajib diisi, misalnya KTP_EL:baru atau KIA:5_17.")]
    for token in tokens:
        pair = parse_service_token(token)
        if pair is None:
            errors.append(_l("Layanan \"%(t)s\" tidak dikenal. Lihat daftar kode layanan pada petunjuk format.",
                             t=token[:40]))
        elif pair not in pairs:
            pairs.append(pair)
    return pairs, errors


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def eligibility_warnings(services: list[tuple[str, str]], birth_date: date | None, *, today: date,
                         married: bool | None = None) -> list[str]:
    """Warnings from the requirements engineer's eligibility rules (guarded: absent → none)."""
    if birth_date is None or not has_app_context():   # the rules live in the database
        return []
    try:
        from webapp.requirements.services import eligibility_problems
    except ImportError:
        return []
    age = age_on(birth_date, today)
    messages: list[str] = []
    for code, sub in services:
        try:
            found = eligibility_problems(code, sub, age_years=age, married=married)
        except (LookupError, ValueError):  # a service the rule table does not know yet
            found = []
        messages.extend(str(m) for m in found if str(m) not in messages)
    return messages
