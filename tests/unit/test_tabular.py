"""The shared CSV/XLSX reader (webapp/core/tabular.py): kind by content, the zip-bomb guard,
encodings, delimiters, CSV rows, header names, dates."""
from __future__ import annotations

import codecs
import io
import struct
import warnings
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from tests.xlsx_files import inflated_size, parser_calls, zip_bomb_xlsx  # noqa: F401 (fixture)
from webapp.config import Config
from webapp.core import tabular
from webapp.core.tabular import ArchiveLimits, ArchiveRefused, BadRow, DateError, TabularError

LIMITS = ArchiveLimits(max_uncompressed=64 * 1024 * 1024, max_ratio=100, max_members=500)


def workbook_bytes(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sniff(data: bytes, limits: ArchiveLimits = LIMITS) -> str:
    return tabular.sniff_kind(io.BytesIO(data), limits=limits)


def encoding_of(data: bytes) -> str:
    return tabular.choose_encoding(io.BytesIO(data))


def zip_with(*members: tuple[str | zipfile.ZipInfo, bytes]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about a repeated name: that is the point
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("xl/workbook.xml", "<workbook/>")
            for name, content in members:
                archive.writestr(name, content)
    return buffer.getvalue()


# --- kind, by content ----------------------------------------------------------------------


def test_an_xlsx_is_recognised_by_its_content_and_a_csv_is_text():
    assert sniff(workbook_bytes([["NIK", "NAMA"]])) == "xlsx"
    assert sniff(b"NIK;NAMA\n1;A\n") == "text"
    assert sniff(codecs.BOM_UTF16_LE + "NIK,NAMA\n".encode("utf-16-le")) == "text"
    assert sniff("NIK,NAMA\n".encode("utf-16-le")) == "text"  # UTF-16 without BOM is text, not binary


@pytest.mark.parametrize("data, kind, label", [
    (b"%PDF-1.7\n...", "pdf", "PDF"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "png", "PNG"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50, "ole", ".xls"),
    (b"<!DOCTYPE html><table><tr><td>NIK</td></tr></table>", "html", "HTML"),
    (bytes(range(256)) * 4, "binary", "biner"),
])
def test_other_files_are_named_by_what_they_are(data, kind, label):
    with pytest.raises(TabularError) as info:
        sniff(data)
    assert (info.value.code, info.value.kind) == ("format", kind)
    assert label in info.value.label and "bukan CSV atau XLSX" in info.value.message


def test_a_zip_that_is_not_a_workbook_and_a_broken_zip():
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(TabularError) as info:
        sniff(docx.getvalue())
    assert info.value.kind == "docx"
    with pytest.raises(TabularError) as info:
        sniff(b"PK\x03\x04 cut off here")
    assert info.value.code == "unreadable"


@pytest.mark.parametrize("data", [b"", b" \r\n\t", b"\x00\x00\n"])
def test_empty_files(data):
    with pytest.raises(TabularError) as info:
        sniff(data)
    assert info.value.code == "empty" and "kosong" in info.value.message


# --- the zip-bomb guard ---------------------------------------------------------------------


def test_a_zip_bomb_is_refused_before_any_parser_opens_it(parser_calls):
    bomb = zip_bomb_xlsx(["NIK", "NAMA_LGKP"], ["6306101708850012", "AHMAD JUMBERI"])
    assert inflated_size(bomb) > 100 * len(bomb)          # what makes it a bomb
    with pytest.raises(ArchiveRefused) as info:
        sniff(bomb)
    assert info.value.code == "archive" and info.value.reason == "ratio"
    assert "bom zip" in info.value.message and "tidak dibuka" in info.value.message
    assert parser_calls == []


def test_an_xlsx_inflating_beyond_the_size_limit_is_refused():
    data = workbook_bytes([[f"WARGA {i}", i, "KTP_EL:baru"] for i in range(3000)])
    small = ArchiveLimits(max_uncompressed=inflated_size(data) - 1, max_ratio=100, max_members=500)
    with pytest.raises(ArchiveRefused) as info:
        sniff(data, small)
    assert info.value.reason == "size" and "batasnya" in info.value.message
    assert sniff(data, ArchiveLimits(inflated_size(data), 100, 500)) == "xlsx"


def test_too_many_members_are_refused_from_the_end_record_alone():
    members = [(f"xl/media/image{i}.png", b"x") for i in range(12)]
    data = zip_with(*members)
    with pytest.raises(ArchiveRefused) as info:
        sniff(data, ArchiveLimits(LIMITS.max_uncompressed, LIMITS.max_ratio, max_members=10))
    assert info.value.reason == "members" and "13" in info.value.message
    # the count is read from the end-of-central-directory record, before zipfile lists them
    end = data.rfind(b"PK\x05\x06")
    lying = bytearray(data)
    struct.pack_into("<H", lying, end + 10, 60_000)
    with pytest.raises(ArchiveRefused) as info:
        sniff(bytes(lying))
    assert info.value.reason == "members"


@pytest.mark.parametrize("name", [
    "../../etc/passwd", "/xl/worksheets/sheet1.xml", "xl\\worksheets\\sheet1.xml",
    "xl/embeddings/nested.zip", "xl/media/archive.7z", "xl/workbook.xml",   # the last: repeated
    "/".join(["d"] * 20) + "/sheet.xml",
])
def test_odd_members_are_refused(name):
    with pytest.raises(ArchiveRefused) as info:
        sniff(zip_with((name, b"<x/>")))
    assert info.value.reason == "odd" and "tidak wajar" in info.value.message


def central_entry(data: bytes, name: str) -> int:
    """Where ``name``'s central-directory entry starts."""
    position = data.find(b"PK\x01\x02")
    while position >= 0:
        length = struct.unpack_from("<H", data, position + 28)[0]
        if data[position + 46:position + 46 + length] == name.encode():
            return position
        position = data.find(b"PK\x01\x02", position + 4)
    raise LookupError(name)


def test_encrypted_or_oddly_compressed_members_are_refused():
    encrypted = bytearray(zip_with(("xl/worksheets/sheet1.xml", b"<x/>")))
    entry = central_entry(bytes(encrypted), "xl/worksheets/sheet1.xml")
    struct.pack_into("<H", encrypted, entry + 8, 0x1)          # "encrypted" flag
    with pytest.raises(ArchiveRefused):
        sniff(bytes(encrypted))
    bzip = zipfile.ZipInfo("xl/worksheets/sheet1.xml")
    bzip.compress_type = zipfile.ZIP_BZIP2
    with pytest.raises(ArchiveRefused):
        sniff(zip_with((bzip, b"<x/>")))


def declare_size(data: bytes, name: str, size: int) -> bytes:
    """The archive with ``name``'s inflated size changed to ``size`` in both of its headers."""
    patched = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    struct.pack_into("<I", patched, info.header_offset + 22, size)            # local header
    struct.pack_into("<I", patched, central_entry(data, name) + 24, size)     # central directory
    return bytes(patched)


def test_a_member_inflating_beyond_its_declared_size_is_refused_by_the_parser():
    """Why the guard may trust the declared sizes: the parser refuses a member that inflates
    beyond them (here: 60 MB declared as 1 kB)."""
    lying = declare_size(zip_bomb_xlsx(["NIK"], ["1"]), "xl/worksheets/sheet1.xml", 1000)
    handle = io.BytesIO(lying)
    assert tabular.sniff_kind(handle, limits=LIMITS) == "xlsx"       # the declared sizes look fine
    with pytest.raises(TabularError) as error:
        for sheet in tabular.sheets(tabular.open_workbook(handle)):
            list(sheet.rows)
        raise AssertionError("the lying member was read")
    assert error.value.code == "unreadable"


def test_the_default_limits_let_a_regency_size_register_export_through(tmp_path):
    """A 239,471-row SIAK export (bench/bench_import.py) inflates to ~215 MB at a ratio of ~10;
    measured here on a sample and scaled up, it stays well inside the defaults."""
    from webapp.synthetic import generate_register, write_siak_xlsx

    register = generate_register(2000, seed=1)
    path = tmp_path / "sample.xlsx"
    write_siak_xlsx(register.records, path, coded=True, region_style="split", dotted=False)
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
    inflated = sum(i.file_size for i in infos)
    compressed = sum(i.compress_size for i in infos)
    regency = inflated * 239_471 / len(register.records)
    assert regency < Config.REGISTER_XLSX_MAX_UNCOMPRESSED_BYTES / 2
    assert inflated / compressed < Config.XLSX_MAX_COMPRESSION_RATIO / 4
    assert len(infos) < Config.XLSX_MAX_MEMBERS / 10
    limits = ArchiveLimits.from_config("REGISTER_XLSX_MAX_UNCOMPRESSED_BYTES")
    with open(path, "rb") as handle:
        assert tabular.sniff_kind(handle, limits=limits) == "xlsx"


def test_limits_come_from_the_config(app):
    app.config["RESIDENT_XLSX_MAX_UNCOMPRESSED_BYTES"] = 1234
    app.config["XLSX_MAX_COMPRESSION_RATIO"] = 7
    assert ArchiveLimits.from_config("RESIDENT_XLSX_MAX_UNCOMPRESSED_BYTES") == ArchiveLimits(
        1234, 7.0, Config.XLSX_MAX_MEMBERS)


# --- encodings ------------------------------------------------------------------------------

TEXT = "NIK;NAMA\n1;SITI ÄISYAH\n2;MA’RUF\n"


@pytest.mark.parametrize("data, expected", [
    (TEXT.encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
    (TEXT.encode("utf-16"), "utf-16"),
    (TEXT.replace("’", "'").encode("utf-16-le"), "utf-16-le"),
    (TEXT.replace("’", "'").encode("utf-16-be"), "utf-16-be"),
    (TEXT.encode("cp1252"), "cp1252"),
    ("NIK;NAMA\n1;SITI\n".encode("latin-1"), "utf-8"),          # plain ASCII is UTF-8
])
def test_encodings(data, expected):
    assert encoding_of(data) == expected
    text = tabular.text_stream(io.BytesIO(data), expected).read().lstrip("\ufeff")
    assert text.splitlines()[0] == "NIK;NAMA"


def test_a_utf8_file_with_one_broken_byte_stays_utf8_and_only_that_character_breaks():
    data = TEXT.encode("utf-8").replace(b"2;", b"2;\xff")
    assert encoding_of(data) == "utf-8"
    text = tabular.text_stream(io.BytesIO(data), "utf-8").read()
    assert "SITI ÄISYAH" in text and tabular.UNREADABLE_CHARS.search(text.splitlines()[2])


def test_undecodable_bytes_are_an_encoding_error():
    with pytest.raises(TabularError) as info:
        encoding_of(bytes([0x81, 0x8d, 0x8f, 0x90, 0x9d]) * 50)
    assert info.value.code == "encoding" and "UTF-8" in info.value.message


# --- delimiters and CSV rows -----------------------------------------------------------------

KNOWN = {"NIK", "NAMA_LGKP", "TGL_LHR"}


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_the_one_that_yields_known_columns(delimiter):
    line = delimiter.join(["NIK", "Nama Lgkp", "TGL_LHR", "ALAMAT, RT"]) + "\n"
    assert tabular.sniff_delimiter(line, KNOWN) == (delimiter, 3)


def test_without_known_columns_the_most_frequent_delimiter_wins():
    assert tabular.sniff_delimiter("a;b;c,d\n") == (";", 0)
    assert tabular.sniff_delimiter("nama;jenis_kelamin\n", {"nama"}, case="lower") == (";", 1)


def test_csv_rows_quoted_cells_and_an_unbalanced_quote():
    lines = iter(['A,"JL. A, RT 1\n', 'DESA X",3\n', '"TERBUKA,2,3\n', "B,2,3\n", "\n"])
    rows = list(tabular.csv_rows(lines, ",", 3))
    assert rows[0] == ["A", "JL. A, RT 1\nDESA X", "3"]
    assert isinstance(rows[1], BadRow) and "kutip" in rows[1].message
    assert rows[2:] == [["B", "2", "3"], [""]]


# --- XLSX sheets ------------------------------------------------------------------------------


def test_sheet_rows_start_at_spreadsheet_row_1_even_below_blank_rows():
    workbook = Workbook()
    workbook.active["B3"] = "NIK"
    workbook.active["C4"] = date(1985, 8, 17)
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert sniff(buffer.getvalue()) == "xlsx"
    [sheet] = list(tabular.sheets(tabular.open_workbook(buffer)))
    rows = list(sheet.rows)
    assert sheet.first_row == 1 and sheet.height == len(rows) == 4
    assert rows[2] == ["NIK", ""] and rows[3] == ["", date(1985, 8, 17)]


# --- headers and cells ------------------------------------------------------------------------


@pytest.mark.parametrize("raw, upper, lower", [
    (" Nama Lgkp ", "NAMA_LGKP", "nama_lgkp"),
    ("\ufeffNIK", "NIK", "nik"),
    ('"TGL-LAHIR"', "TGL_LAHIR", "tgl_lahir"),
    ("Tanggal  Lahir\u00a0", "TANGGAL_LAHIR", "tanggal_lahir"),
    ("no_kk_", "NO_KK", "no_kk"),
    (None, "", ""),
])
def test_header_names_are_normalised(raw, upper, lower):
    assert tabular.normalise_header(raw) == upper
    assert tabular.normalise_header(raw, case="lower") == lower


@pytest.mark.parametrize("value, text", [
    ("A", "A"), (None, ""), (2.0, "2"), (1.5, "1.5"), (6306101708850012.0, "6306101708850012"),
    (date(1985, 8, 17), "1985-08-17"), (True, "True"),
])
def test_cell_text(value, text):
    assert tabular.cell_text(value) == text


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [
    "17-08-1985", "17/08/1985", "17.08.1985", "1985-08-17", "1985/08/17", "17-8-1985",
    "17-08-1985 00:00:00", "1985-08-17T00:00:00", " 17-08-1985 ",
    date(1985, 8, 17), datetime(1985, 8, 17, 10, 30), 31276, 31276.0,
])
def test_dates_in_every_accepted_form(value):
    assert tabular.parse_date(value) == date(1985, 8, 17)


def test_day_always_comes_before_month():
    assert tabular.parse_date("01/02/2003") == date(2003, 2, 1)


@pytest.mark.parametrize("value, reason", [
    ("31-02-1990", "calendar"), ("1985/17/08", "calendar"), ("17-08-85", "short_year"),
    ("kemarin", "unreadable"), ("17081985", "unreadable"), ("31276", "unreadable"),
    (1985, "unreadable"), (0, "unreadable"), (True, "unreadable"),
])
def test_unreadable_dates_say_why(value, reason):
    with pytest.raises(DateError) as info:
        tabular.parse_date(value)
    assert info.value.reason == reason


def test_text_serials_only_when_asked_and_empty_is_none():
    assert tabular.parse_date("31276", text_serials=True) == date(1985, 8, 17)
    assert tabular.parse_date("") is None and tabular.parse_date(None) is None


def test_date_cells_as_text_read_back_to_the_same_date():
    assert tabular.date_cell_text(datetime(1985, 8, 17, 10, 30)) == "1985-08-17"
    assert tabular.date_cell_text(31276.0) == "1985-08-17"
    assert tabular.date_cell_text(1985) == "1985"                # a year, left for the importer
