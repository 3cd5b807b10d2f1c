"""Reading SIAK exports: webapp/quality/siak.py (and its siak_* modules)."""
from __future__ import annotations

import codecs
import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from webapp.quality.siak import (
    SIAK_COLUMNS,
    SiakFileError,
    SiakFormat,
    parse_birth_date,
    read_siak,
)

HEADER = list(SIAK_COLUMNS) + ["KODE_DESA"]
SPLIT_HEADER = list(SIAK_COLUMNS) + ["NO_PROP", "NO_KAB", "NO_KEC", "NO_KEL"]
NIK = "6306101708850012"
KK = "6306100101100001"
BASE = {
    "NIK": NIK, "NO_KK": KK, "NAMA_LGKP": "AHMAD JUMBERI", "JENIS_KLMIN": "LAKI-LAKI",
    "TMPT_LHR": "KANDANGAN", "TGL_LHR": "17-08-1985", "STAT_KWN": "KAWIN",
    "STAT_HBKEL": "KEPALA KELUARGA", "NAMA_LGKP_IBU": "SITI AMINAH",
    "NAMA_LGKP_AYAH": "UDIN", "ALAMAT": "JL. MERATUS", "NO_RT": "001", "NO_RW": "002",
    "KODE_DESA": "63.06.10.2001",
    "NO_PROP": "63", "NO_KAB": "06", "NO_KEC": "10", "NO_KEL": "2001",
}


def line(header=HEADER, delimiter=",", **values) -> str:
    row = {**BASE, **values}
    return delimiter.join(str(row[column]) for column in header)


def csv_text(*rows: dict, header=HEADER, delimiter=",") -> str:
    lines = [delimiter.join(header)] + [line(header, delimiter, **r) for r in rows]
    return "\n".join(lines) + "\n"


def read(data, **kwargs):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return list(read_siak(data, filename="test.csv", **kwargs))


def one(**values):
    [result] = read(csv_text(values))
    return result


def only_record(**values):
    result = one(**values)
    assert result.errors == [] and result.record is not None, result.errors
    return result.record


def rejected(**values):
    result = one(**values)
    assert result.record is None
    return result.errors


# --- a normal row ---------------------------------------------------------------------------


def test_a_row_becomes_a_person_record():
    record = only_record()
    assert record.ref == 1
    assert (record.nik, record.no_kk, record.name) == (NIK, KK, "AHMAD JUMBERI")
    assert (record.sex, record.birth_date, record.birth_place) == ("L", date(1985, 8, 17),
                                                                    "KANDANGAN")
    assert (record.marital_status, record.family_role) == ("KAWIN", "KEPALA KELUARGA")
    assert (record.mother_name, record.father_name) == ("SITI AMINAH", "UDIN")
    assert (record.address, record.rt, record.rw) == ("JL. MERATUS", "001", "002")
    assert record.desa_code == "63.06.10.2001"
    assert record.extra == {}


def test_values_are_trimmed_and_spaces_collapsed_and_empty_optional_is_none():
    record = only_record(NAMA_LGKP="  AHMAD   JUMBERI ", NAMA_LGKP_AYAH="", TMPT_LHR=" ",
                         NIK="'" + NIK)  # Excel's leading apostrophe
    assert record.name == "AHMAD JUMBERI"
    assert record.father_name is None and record.birth_place is None
    assert record.nik == NIK


# --- coded values and labels ----------------------------------------------------------------


@pytest.mark.parametrize("value, sex", [
    ("1", "L"), ("2", "P"), ("L", "L"), ("P", "P"), ("LAKI-LAKI", "L"),
    ("PEREMPUAN", "P"), ("laki-laki", "L"), (" Perempuan ", "P"), ("LAKI LAKI", "L"),
    ("1.0", "L"),
])
def test_sex_codes_and_labels(value, sex):
    assert only_record(JENIS_KLMIN=value).sex == sex


@pytest.mark.parametrize("value, label", [
    ("1", "BELUM KAWIN"), ("2", "KAWIN"), ("3", "CERAI HIDUP"),
    ("4", "CERAI MATI"), ("5", "KAWIN TERCATAT"), ("6", "KAWIN BELUM TERCATAT"),
    ("BELUM KAWIN", "BELUM KAWIN"), ("cerai mati", "CERAI MATI"),
    ("KAWIN_TERCATAT", "KAWIN TERCATAT"),
])
def test_marital_status_codes_and_labels(value, label):
    assert only_record(STAT_KWN=value).marital_status == label


ROLES = ["KEPALA KELUARGA", "SUAMI", "ISTRI", "ANAK", "MENANTU", "CUCU", "ORANG TUA",
         "MERTUA", "FAMILI LAIN", "LAINNYA"]


@pytest.mark.parametrize("code, label", list(enumerate(ROLES, start=1)))
def test_family_role_codes_and_labels(code, label):
    assert only_record(STAT_HBKEL=str(code)).family_role == label
    assert only_record(STAT_HBKEL=label.lower()).family_role == label


def test_empty_coded_values_read_as_none():
    record = only_record(JENIS_KLMIN="", STAT_KWN="", STAT_HBKEL="")
    assert (record.sex, record.marital_status, record.family_role) == (None, None, None)


@pytest.mark.parametrize("column, value", [
    ("JENIS_KLMIN", "3"), ("JENIS_KLMIN", "X"), ("STAT_KWN", "7"), ("STAT_KWN", "JANDA"),
    ("STAT_HBKEL", "11"), ("STAT_HBKEL", "PEMBANTU"),
])
def test_unknown_coded_value_rejects_the_row(column, value):
    [error] = rejected(**{column: value})
    assert error.column == column
    assert column in error.message and "tidak dikenal" in error.message
    assert error.value_preview == value


# --- regions -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["63.06.10.2001", "6306102001", " 63.06.10.2001 ",
                                   "63.6.10.2001"])
def test_kode_desa_dotted_or_not(value):
    assert only_record(KODE_DESA=value).desa_code == "63.06.10.2001"


def test_kelurahan_is_accepted():
    assert only_record(KODE_DESA="6306051001").desa_code == "63.06.05.1001"  # Kandangan Kota


@pytest.mark.parametrize("parts", [
    ("63", "06", "10", "2001"), ("63", "6", "10", "2001"), ("63.0", "6.0", "10.0", "2001.0"),
    ("63", "6", "10", "6306102001"),  # NO_KEL holding the full code
])
def test_split_region_columns_tolerate_lost_leading_zeros(parts):
    values = dict(zip(("NO_PROP", "NO_KAB", "NO_KEC", "NO_KEL"), parts))
    [result] = read(csv_text(values, header=SPLIT_HEADER))
    assert result.record is not None, result.errors
    assert result.record.desa_code == "63.06.10.2001"


def test_split_style_is_reported_in_the_format():
    reader = read_siak(csv_text({}, header=SPLIT_HEADER).encode())
    assert reader.format.region_style == "split"
    assert read_siak(csv_text({}).encode()).format.region_style == "kode_desa"


@pytest.mark.parametrize("value, fragment", [
    ("63.06.10.2999", "bukan desa/kelurahan"),   # no such desa in Loksado
    ("63.07.01.2001", "bukan desa/kelurahan"),   # another regency
    ("63.06.10", "tidak terbaca"),                # a kecamatan, not a desa
    ("630610200", "tidak terbaca"),
    ("LOKSADO", "tidak terbaca"),
    ("", "kosong"),
])
def test_unknown_or_missing_region_rejects_the_row(value, fragment):
    [error] = rejected(KODE_DESA=value)
    assert error.column == "KODE_DESA"
    assert fragment in error.message


def test_unknown_split_region_rejects_the_row():
    [result] = read(csv_text({"NO_KEC": "99"}, header=SPLIT_HEADER))
    [error] = result.errors
    assert result.record is None
    assert error.column == "NO_PROP/NO_KAB/NO_KEC/NO_KEL"
    assert "63.06.99.2001" in error.message


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["17-08-1985", "17/08/1985", "1985-08-17", "17.08.1985",
                                   "17-8-1985", "1985-08-17 00:00:00", "1985-08-17T00:00:00"])
def test_birth_date_formats(value):
    assert only_record(TGL_LHR=value).birth_date == date(1985, 8, 17)


def test_29_february_only_in_leap_years():
    assert only_record(TGL_LHR="29-02-2000").birth_date == date(2000, 2, 29)
    [error] = rejected(TGL_LHR="29-02-1999")
    assert error.column == "TGL_LHR" and "kalender" in error.message


@pytest.mark.parametrize("value, fragment", [
    ("31-02-1990", "kalender"), ("00-01-1990", "kalender"), ("17-13-1985", "kalender"),
    ("17-08-85", "4 angka"), ("kemarin", "tidak terbaca"), ("17081985", "tidak terbaca"),
    ("1985/17/08", "kalender"),
])
def test_unreadable_or_impossible_date_rejects_the_row(value, fragment):
    [error] = rejected(TGL_LHR=value)
    assert error.column == "TGL_LHR"
    assert fragment in error.message
    assert error.value_preview == value


def test_empty_birth_date_reads_as_none_for_the_rules_to_flag():
    assert only_record(TGL_LHR="").birth_date is None


def test_parse_birth_date_directly():
    assert parse_birth_date("01/02/2003") == date(2003, 2, 1)  # day first, never US order
    assert parse_birth_date("  ") is None


def test_all_problems_of_a_row_are_reported_together():
    errors = rejected(NAMA_LGKP=" ", TGL_LHR="32-01-1990", KODE_DESA="63.06.99.2001",
                      JENIS_KLMIN="9")
    assert {e.column for e in errors} == {"NAMA_LGKP", "TGL_LHR", "KODE_DESA", "JENIS_KLMIN"}
    assert all(e.row_no == 1 for e in errors)


# --- encodings, delimiters, headers -------------------------------------------------------


def test_utf8_bom_is_stripped_from_the_first_header():
    reader = read_siak(codecs.BOM_UTF8 + csv_text({"NAMA_LGKP": "NUR'AINI"}).encode())
    assert reader.format.encoding == "utf-8-sig"
    [result] = list(reader)
    assert result.record.nik == NIK and result.record.name == "NUR'AINI"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_is_decoded_with_or_without_bom(encoding):
    text = csv_text({"NAMA_LGKP": "SITI ÄISYAH"})
    data = text.encode(encoding)  # "utf-16" writes a BOM; -le/-be do not
    [result] = read(data)
    assert result.record is not None, result.errors
    assert result.record.name == "SITI ÄISYAH"
    assert result.record.birth_date == date(1985, 8, 17)


def test_windows_1252_text_is_decoded():
    data = csv_text({"NAMA_LGKP": "MA’RUF"}).encode("cp1252")
    reader = read_siak(data)
    assert reader.format.encoding == "cp1252"
    [result] = list(reader)
    assert result.record.name == "MA’RUF"


def test_undecodable_binary_like_text_is_a_file_error():
    data = csv_text({}).encode() + bytes(range(0x80, 0x100)) * 50 + b"\x01\x02\x03\n"
    with pytest.raises(SiakFileError) as info:
        read_siak(data)
    assert info.value.code == "encoding"
    assert "UTF-8" in info.value.message


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_other_delimiters(delimiter):
    text = csv_text({}, {"NIK": "6306105708850013", "JENIS_KLMIN": "P"}, delimiter=delimiter)
    reader = read_siak(text.encode())
    assert reader.format.delimiter == delimiter
    results = list(reader)
    assert [r.record.sex for r in results] == ["L", "P"]


def test_header_names_are_case_insensitive_and_trimmed():
    header = [f"  {name.lower()} " for name in HEADER]
    text = ",".join(header) + "\n" + line() + "\n"
    [result] = read(text)
    assert result.record.name == "AHMAD JUMBERI"


def test_quoted_cells_with_delimiters_and_newlines():
    text = csv_text({}) + line(ALAMAT='"JL. A, RT 1\nDESA X"', NAMA_LGKP='"MA\'RUF"') + "\n" \
        + line(NAMA_LGKP="SESUDAH") + "\n"
    results = read(text)
    assert [r.row_no for r in results] == [1, 2, 3]
    assert results[1].record.address == "JL. A, RT 1 DESA X"
    assert results[2].record.name == "SESUDAH"


def test_title_lines_above_the_header_are_skipped():
    text = "DATA PENDUDUK DESA LOKSADO\n\n" + csv_text({})
    reader = read_siak(text.encode())
    assert reader.format.header_row == 3
    [result] = list(reader)
    assert result.row_no == 1 and result.record is not None


def test_extra_columns_go_to_extra():
    header = HEADER + ["AGAMA"]
    text = ",".join(header) + "\n" + line() + ",ISLAM\n"
    [result] = read(text)
    assert result.record.extra == {"AGAMA": "ISLAM"}


# --- file-level errors ----------------------------------------------------------------------


def test_missing_columns_are_all_listed():
    header = [c for c in HEADER if c not in ("NIK", "TGL_LHR", "KODE_DESA")]
    with pytest.raises(SiakFileError) as info:
        read_siak((",".join(header) + "\n" + "x," * 10 + "\n").encode())
    error = info.value
    assert error.code == "missing_columns"
    assert error.missing[:2] == ("NIK", "TGL_LHR")
    assert "KODE_DESA" in error.missing[2] and "NO_PROP" in error.missing[2]
    assert "NIK" in error.message and "TGL_LHR" in error.message and "KODE_DESA" in error.message


def test_partial_split_region_columns_name_the_missing_ones():
    header = [c for c in SPLIT_HEADER if c != "NO_KEL"]
    with pytest.raises(SiakFileError) as info:
        read_siak((",".join(header) + "\n").encode())
    assert info.value.missing == ("KODE_DESA (atau NO_KEL)",)


def test_required_columns_can_be_narrowed():
    text = "NIK,NAMA_LGKP,TGL_LHR\n" + NIK + ",AHMAD,17-08-1985\n"
    [result] = read(text, required=("NIK", "NAMA_LGKP", "TGL_LHR"))
    assert result.record.name == "AHMAD" and result.record.desa_code is None


def test_duplicate_column_is_a_file_error():
    with pytest.raises(SiakFileError) as info:
        read_siak((",".join(HEADER + ["NIK"]) + "\n" + line() + f",{NIK}\n").encode())
    assert info.value.code == "duplicate_columns"


@pytest.mark.parametrize("data, fragment", [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "PDF"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40, "PNG"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
    (b"<html><body><table><tr><td>NIK</td></tr></table></body></html>", "HTML"),
    (b"\x00\x01\x02\x03\xff\xfe\xfd" * 100, "biner"),
])
def test_wrong_format_is_found_by_content_not_extension(data, fragment):
    with pytest.raises(SiakFileError) as info:
        read_siak(data, filename="penduduk.csv")
    assert info.value.code == "format"
    assert fragment in info.value.message
    assert "CSV atau XLSX" in info.value.message


def test_a_pdf_file_named_csv_on_disk(tmp_path):
    path = tmp_path / "penduduk.csv"
    path.write_bytes(b"%PDF-1.4\n" + b"\x00\x01binary" * 100)
    with pytest.raises(SiakFileError) as info:
        read_siak(path)
    assert info.value.code == "format"


def test_a_docx_is_not_an_xlsx():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(SiakFileError) as info:
        read_siak(buffer.getvalue(), filename="data.xlsx")
    assert info.value.code == "format" and "Word" in info.value.message


def test_broken_zip_is_unreadable():
    with pytest.raises(SiakFileError) as info:
        read_siak(b"PK\x03\x04" + b"\x00garbage" * 20)
    assert info.value.code == "unreadable"


@pytest.mark.parametrize("data", [b"", b"\n\n  \r\n", codecs.BOM_UTF8])
def test_empty_file(data):
    with pytest.raises(SiakFileError) as info:
        read_siak(data)
    assert info.value.code == "empty"
    assert "kosong" in info.value.message


def test_header_without_data_rows_is_a_file_error():
    with pytest.raises(SiakFileError) as info:
        read_siak((",".join(HEADER) + "\n\n,,,,\n").encode())
    assert info.value.code == "no_data"


def test_plain_text_that_is_not_a_register_reports_missing_columns():
    with pytest.raises(SiakFileError) as info:
        read_siak("Surat permohonan pelayanan\nKepada Yth. Kepala Dinas\n".encode())
    assert info.value.code == "missing_columns"
    assert len(info.value.missing) == len(SIAK_COLUMNS) + 1


# --- row-level garbage ---------------------------------------------------------------------


def test_garbage_rows_are_rejected_while_the_others_read():
    text = (
        csv_text({"NAMA_LGKP": "PERTAMA"})
        + "SAMPAH,TANPA,CUKUP,KOLOM\n"                                   # row 2: too few cells
        + line(NAMA_LGKP="AB\x00\x01\x02CD") + "\n"                      # row 3: binary junk
        + line(NAMA_LGKP="") + "\n"                                      # row 4: empty name
        + "\n"                                                           # row 5: blank, skipped
        + line(NAMA_LGKP="KETIGA", ALAMAT="JL. A,B") + "\n"              # row 6: extra cell
        + line(NAMA_LGKP='"TERBUKA') + "\n"                              # row 7: open quote
        + line(NAMA_LGKP="TERAKHIR") + "\n"                              # row 8
    )
    results = read(text)
    assert [r.row_no for r in results] == [1, 2, 3, 4, 6, 7, 8]
    good = [r.record.name for r in results if r.record is not None]
    assert good == ["PERTAMA", "TERAKHIR"]
    errors = {r.row_no: r.errors for r in results if r.record is None}
    assert "Jumlah kolom 4, seharusnya 14" in errors[2][0].message
    assert "karakter yang tidak terbaca" in errors[3][0].message
    assert errors[4][0].column == "NAMA_LGKP"
    assert "Jumlah kolom 15" in errors[6][0].message
    assert "kutip" in errors[7][0].message


def test_trailing_empty_cells_are_tolerated():
    [result] = read(csv_text({}).rstrip("\n") + ",,,\n")
    assert result.record is not None


def test_nik_never_appears_unmasked_in_a_row_error():
    [result] = read(csv_text({}).rstrip("\n") + ",EXTRA\n")
    [error] = result.errors
    assert NIK not in error.value_preview and "•" in error.value_preview


def test_replacement_characters_from_a_late_bad_byte_reject_only_that_row():
    # UTF-8 decided on the whole file; a lone surrogate escape cannot occur, but a U+FFFD can
    text = csv_text({}, {"NAMA_LGKP": "RUSAK \ufffd"}, {"NAMA_LGKP": "BAIK"})
    results = read(text)
    assert [r.record is not None for r in results] == [True, False, True]


def test_100000_unreadable_rows_are_all_reported_and_the_good_ones_read():
    # How long this takes is measured in bench/bench_import.py (step 5), not here.
    good = line()
    bad = line(TGL_LHR="99-99-1999", KODE_DESA="63.06.99.9999")
    rows = [bad] * 100_000
    rows[500] = rows[99_999] = good
    text = ",".join(HEADER) + "\n" + "\n".join(rows) + "\n"
    results = read(text)
    assert len(results) == 100_000
    ok = [r.row_no for r in results if r.record is not None]
    assert ok == [501, 100_000]
    assert sum(len(r.errors) for r in results) == 2 * 99_998


# --- sources and progress -----------------------------------------------------------------


def test_reads_a_path_and_a_caller_owned_file_object_it_does_not_close(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(csv_text({}, {}), encoding="utf-8")
    assert len(list(read_siak(path))) == 2
    with open(path, "rb") as handle:
        reader = read_siak(handle)
        assert len(list(reader)) == 2
        assert not handle.closed
        assert reader.progress() == 1.0


def test_format_doc_is_indonesian_text():
    assert "KODE_DESA" in SiakFormat.DOC and "Kolom wajib" in SiakFormat.DOC


# --- XLSX -------------------------------------------------------------------------------------


def make_xlsx(rows: list[list], title: str | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_with_excel_cells():
    header = [c.lower() for c in SPLIT_HEADER] + ["Agama"]
    base = [BASE[c] for c in SPLIT_HEADER]

    def row(**changes):
        values = dict(zip(SPLIT_HEADER, base), **changes)
        return [values[c] for c in SPLIT_HEADER] + ["ISLAM"]

    data = make_xlsx([
        header,
        row(TGL_LHR=datetime(1985, 8, 17), NO_PROP=63, NO_KAB=6, NO_KEC=10, NO_KEL=2001,
            JENIS_KLMIN=1, STAT_KWN=2, STAT_HBKEL=1, NO_RT=1),
        row(TGL_LHR=date(1990, 1, 2), NIK=6306104201900001, JENIS_KLMIN=2, STAT_HBKEL=3),
        [None] * len(header),
        row(TGL_LHR=31276),                     # an Excel serial: 17-08-1985
        row(TGL_LHR="32-01-1990"),
        row(TGL_LHR=1985),                      # a bare year, not serial 1985 (1905)
    ], title="EKSPOR SIAK DESA LOKSADO")
    reader = read_siak(data, filename="penduduk.xlsx")
    assert reader.format.kind == "xlsx" and reader.format.region_style == "split"
    assert reader.format.header_row == 2
    results = list(reader)
    assert [r.row_no for r in results] == [1, 2, 4, 5, 6]
    first, second, serial, bad, year_only = results
    assert first.record.birth_date == date(1985, 8, 17)
    assert first.record.desa_code == "63.06.10.2001"
    assert (first.record.sex, first.record.marital_status, first.record.family_role) == (
        "L", "KAWIN", "KEPALA KELUARGA")
    assert first.record.rt == "1" and first.record.extra == {"AGAMA": "ISLAM"}
    assert second.record.nik == "6306104201900001" and second.record.sex == "P"
    assert serial.record.birth_date == date(1985, 8, 17)
    assert bad.record is None and bad.errors[0].column == "TGL_LHR"
    assert year_only.record is None and "tidak terbaca" in year_only.errors[0].message
    assert reader.progress() == 1.0


def test_xlsx_missing_columns():
    data = make_xlsx([["NIK", "NAMA_LGKP", "TGL_LHR"], [NIK, "A", "01-01-1990"]])
    with pytest.raises(SiakFileError) as info:
        read_siak(data)
    assert info.value.code == "missing_columns"
    assert "NO_KK" in info.value.missing


def test_empty_xlsx():
    with pytest.raises(SiakFileError) as info:
        read_siak(make_xlsx([]))
    assert info.value.code == "empty"


def test_a_utf8_file_with_one_damaged_row_stays_utf8_and_rejects_only_that_row():
    text = csv_text({"NAMA_LGKP": "SITI ÄISYAH"}, {"NAMA_LGKP": "XX"}, {"NAMA_LGKP": "NUR ÉLIA"})
    data = text.encode("utf-8").replace(b",XX,", b",X\xffX,")
    reader = read_siak(data)
    assert reader.format.encoding == "utf-8"
    results = list(reader)
    assert [r.record.name if r.record else None for r in results] == [
        "SITI ÄISYAH", None, "NUR ÉLIA"]
    assert "karakter yang tidak terbaca" in results[1].errors[0].message
