"""The SIAK file adapter on its own: export files, result files in CSV and JSON, and every kind
of bad line reported with its line number (no database)."""
from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import date, datetime, timezone

import pytest

from webapp.documents.siak.adapter import Correction, ExportRow, SiakFileError, check_result
from webapp.documents.siak.file_adapter import (EXPORT_COLUMNS, MAX_RESULT_BYTES, FileSiakAdapter, detect_format,
                                                export_csv, export_json, read_results)

TODAY = date(2026, 6, 15)
A = uuid.UUID("0190f0f0-0000-7000-8000-00000000000a")
B = uuid.UUID("0190f0f0-0000-7000-8000-00000000000b")
C = uuid.UUID("0190f0f0-0000-7000-8000-00000000000c")
HEADER = "ID_PERMOHONAN;NO_DOKUMEN;TGL_TERBIT;ALASAN_TOLAK"


def _csv(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join((header,) + lines) + "\n").encode()


def _read(data: bytes, **kwargs):
    return read_results(data, today=TODAY, **kwargs)


def _lines(parsed) -> dict[int | None, str]:
    return {e.line: e.message for e in parsed.errors}


def _row(**overrides) -> ExportRow:
    values = dict(application_id=A, receipt_number="KP-BUS01-000001", service_code="KIA", subtype_code="5_17",
                  service_label="Kartu Identitas Anak — 5 sampai di bawah 17 tahun", subject_name="Galuh Rahmah",
                  nik="6306104512150003", no_kk="6306100101100001", sex="P", birth_place="Kandangan",
                  birth_date=date(2015, 12, 5), address="Jl. Loksado; RT 01", event_date=None, late=False,
                  late_days=None, corrections=(Correction("alamat", "RT 1", "RT 2"),))
    values.update(overrides)
    return ExportRow(**values)


# --- export -----------------------------------------------------------------------------------------------

def test_export_csv_has_one_row_per_application_with_empty_result_columns():
    content = export_csv([_row(), _row(application_id=B, late=True, late_days=3, event_date=date(2026, 1, 2))])
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == list(EXPORT_COLUMNS) + ["NO_DOKUMEN", "TGL_TERBIT", "ALASAN_TOLAK"]
    first = dict(zip(rows[0], rows[1]))
    assert first["ID_PERMOHONAN"] == str(A) and first["NIK"] == "6306104512150003"
    assert first["ALAMAT"] == "Jl. Loksado; RT 01" and first["TGL_LHR"] == "2015-12-05"
    assert first["KOREKSI_DATA"] == "alamat: RT 1 -> RT 2" and first["TERLAMBAT"] == "tidak"
    assert (first["NO_DOKUMEN"], first["TGL_TERBIT"], first["ALASAN_TOLAK"]) == ("", "", "")
    second = dict(zip(rows[0], rows[2]))
    assert (second["TERLAMBAT"], second["HARI_TERLAMBAT"], second["TGL_PERISTIWA"]) == ("ya", "3", "2026-01-02")


def test_export_csv_keeps_formulas_out_of_spreadsheets():
    content = export_csv([_row(subject_name="=HYPERLINK(\"x\")", address="+62 RT 1")]).decode("utf-8-sig")
    row = list(csv.reader(io.StringIO(content), delimiter=";"))[1]
    assert "'=HYPERLINK(\"x\")" in row and "'+62 RT 1" in row


def test_export_json_document():
    moment = datetime(2026, 6, 15, 2, 30, tzinfo=timezone.utc)
    document = json.loads(export_json([_row()], exported_at=moment))
    assert document["format"] == "ketupat-pecel/siak-ekspor" and document["versi"] == 1
    assert document["dibuat"] == "2026-06-15T02:30:00+00:00" and document["jumlah"] == 1
    item = document["permohonan"][0]
    assert item["id_permohonan"] == str(A) and item["terlambat"] is False and item["tgl_peristiwa"] is None
    assert item["koreksi_data"] == [{"kolom": "alamat", "nilai_register": "RT 1", "nilai_baru": "RT 2"}]
    assert (item["no_dokumen"], item["tgl_terbit"], item["alasan_tolak"]) == (None, None, None)


def test_adapter_names_the_files_by_the_wita_time():
    files = FileSiakAdapter().export_ready([_row()], exported_at=datetime(2026, 6, 15, 23, 5, tzinfo=timezone.utc))
    assert [f.filename for f in files] == ["siak-ekspor-20260616-070500.csv", "siak-ekspor-20260616-070500.json"]


# --- reading results: what is right -----------------------------------------------------------------------

def test_csv_results_numbers_and_rejections():
    parsed = _read(_csv(f"{A};6306-LU-15062026-0001;2026-06-15;", f"{B};;;Data ibu tidak cocok",
                        f"{C};KIA 12/2026;15-06-2026;"))
    assert parsed.ok and parsed.file_format == "csv" and parsed.read_count == 3
    first, second, third = parsed.rows
    assert (first.line, first.application_id, first.document_number, first.issued_on) == \
        (2, A, "6306-LU-15062026-0001", TODAY)
    assert second.rejected and second.rejection == "Data ibu tidak cocok" and second.line == 3
    assert third.issued_on == TODAY and third.document_number == "KIA 12/2026"


def test_csv_reader_takes_other_delimiters_quotes_blank_lines_and_extra_columns():
    data = (f"\ufeffCatatan,ID_PERMOHONAN,NO_DOKUMEN,TGL_TERBIT,ALASAN_TOLAK\n"
            f"x,{A},KK-1,2026-06-14,\n\n"
            f"y,{B},,,\"Ditolak, data ganda\"\n").encode()
    parsed = _read(data)
    assert parsed.ok and [r.line for r in parsed.rows] == [2, 4]
    assert parsed.rows[1].rejection == "Ditolak, data ganda"


def test_an_export_file_filled_in_is_a_result_file():
    content = export_csv([_row()]).decode("utf-8-sig").replace(";;;\r\n", ";KIA-1;2026-06-01;\r\n")
    parsed = _read(content.encode("utf-8-sig"))
    assert parsed.ok and parsed.rows[0].document_number == "KIA-1"


def test_json_results_with_their_line_numbers():
    data = json.dumps({"format": "ketupat-pecel/siak-hasil", "hasil": [
        {"id_permohonan": str(A), "no_dokumen": "KIA-1", "tgl_terbit": "2026-06-15"},
        {"ID_PERMOHONAN": str(B), "alasan_tolak": "Foto tidak jelas"},
    ]}, indent=2).encode()
    parsed = _read(data, filename="hasil.json")
    assert parsed.ok and parsed.file_format == "json"
    assert [(r.line, r.application_id) for r in parsed.rows] == [(4, A), (9, B)]
    assert parsed.rows[1].rejection == "Foto tidak jelas"


def test_json_may_be_a_bare_list_and_numbers_may_be_numbers():
    data = f'[{{"id_permohonan": "{A}", "no_dokumen": 6306100101100001, "tgl_terbit": "15-06-2026"}}]'.encode()
    parsed = _read(data)
    assert parsed.ok and parsed.rows[0].document_number == "6306100101100001"


# --- each kind of bad line ----------------------------------------------------------------------------------

def test_duplicate_rows_are_reported_at_the_later_line():
    parsed = _read(_csv(f"{A};K-1;2026-06-15;", f"{B};K-2;2026-06-15;", f"{A};K-1;2026-06-15;"))
    assert list(_lines(parsed)) == [4]
    assert "baris 2" in parsed.errors[0].message and "ganda" in parsed.errors[0].message


@pytest.mark.parametrize("line, expected", [
    (f"{A};K-1;31-02-2026;", "tidak ada di kalender"),
    (f"{A};K-1;15-06-26;", "4 angka"),
    (f"{A};K-1;kemarin;", "bukan tanggal"),
    (f"{A};K-1;2026-06-16;", "belum terjadi"),
    (f"{A};K-1;2026-06-15;Data salah", "bukan keduanya"),
    (f"{A};;2026-06-15;Data salah", "bukan keduanya"),
    (f"{A};;;", "Hasil kosong"),
    (f"{A};K-1;;", "TGL_TERBIT wajib"),
    (f"{A};;2026-06-15;", "NO_DOKUMEN wajib"),
    (f"{A};K<1>;2026-06-15;", "tidak sah"),
    (f"{A};{'9' * 61};2026-06-15;", "terlalu panjang"),
    (f"{A};;;{'x' * 501}", "terlalu panjang"),
    ("bukan-uuid;K-1;2026-06-15;", "bukan ID permohonan"),
    (";K-1;2026-06-15;", "ID_PERMOHONAN kosong"),
    (f"{A};\"K-1;2026-06-15;", "Tanda kutip"),
])
def test_wrong_format_is_reported_on_its_line(line, expected):
    parsed = _read(_csv(f"{B};K-0;2026-06-15;", line))
    assert not parsed.ok
    assert set(_lines(parsed)) == {3}, parsed.errors
    assert expected in parsed.errors[0].message
    assert [r.application_id for r in parsed.rows] == [B]


def test_a_missing_column_is_reported_at_the_header_line():
    parsed = _read(_csv(f"{A};K-1", header="Laporan hasil SIAK\nID_PERMOHONAN;NO_DOKUMEN"))
    assert list(_lines(parsed)) == [2]
    assert "TGL_TERBIT" in parsed.errors[0].message and "ALASAN_TOLAK" in parsed.errors[0].message
    assert parsed.rows == []


def test_json_problems_by_line():
    data = ('{"hasil": [\n'
            f'  {{"id_permohonan": "{A}", "no_dokumen": "K-1", "tgl_terbit": "2026-06-15"}},\n'
            '  {"no_dokumen": "K-2", "tgl_terbit": "2026-06-15"},\n'
            f'  {{"id_permohonan": "{B}", "no_dokumen": ["K-3"], "tgl_terbit": "2026-06-15"}},\n'
            f'  {{"id_permohonan": "{A}", "alasan_tolak": "x"}},\n'
            '  "teks"\n'
            ']}').encode()
    parsed = _read(data)
    messages = _lines(parsed)
    assert "id_permohonan tidak ada" in messages[3]
    assert "harus berisi teks" in messages[4]
    assert "baris ganda" in messages[5]
    assert "bukan objek" in messages[1]
    assert [r.line for r in parsed.rows] == [2]


def test_broken_json_is_reported_at_its_line():
    parsed = _read(b'{"hasil": [\n  {"id_permohonan": "x",}\n]}')
    assert list(_lines(parsed)) == [2] and "JSON tidak sah" in parsed.errors[0].message


def test_json_without_a_list_of_results():
    parsed = _read(b'{"format": "lain"}')
    assert list(_lines(parsed)) == [1] and "hasil" in parsed.errors[0].message


def test_a_file_without_rows():
    parsed = _read(_csv())
    assert list(_lines(parsed)) == [None]


@pytest.mark.parametrize("content, expected", [
    (b"", "kosong"),
    (b"   \n\n", "kosong"),
    (b"%PDF-1.7\n...", "bukan CSV atau JSON"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "bukan CSV atau JSON"),
    (b"x" * (MAX_RESULT_BYTES + 1), "paling besar"),
])
def test_what_is_no_result_file_at_all_is_refused_whole(content, expected):
    with pytest.raises(SiakFileError) as refused:
        _read(content)
    assert expected in refused.value.message


def test_a_csv_read_as_json_is_refused():
    with pytest.raises(SiakFileError, match="bukan JSON"):
        _read(_csv(f"{A};K-1;2026-06-15;"), file_format="json")


def test_detect_format():
    assert detect_format(b"ID;X", "hasil.JSON") == "json"
    assert detect_format(b"[{}]", "hasil.csv") == "csv"
    assert detect_format(b"\xef\xbb\xbf  [{}]") == "json"
    assert detect_format(b"ID_PERMOHONAN;") == "csv"


def test_check_result_names_the_form_fields():
    values, problems = check_result("K-1", None, "", today=TODAY)
    assert values == ("K-1", None, None) and [f for f, _m in problems] == ["issued_on"]
    values, problems = check_result("  K  1 ", date(2026, 6, 1), None, today=TODAY)
    assert values == ("K 1", date(2026, 6, 1), None) and problems == []
    _values, problems = check_result("K-1", date(2026, 7, 1), None, today=TODAY)
    assert [f for f, _m in problems] == ["issued_on"]
