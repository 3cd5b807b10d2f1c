"""Reading the village's resident list: formats, encodings, every bad row at once."""
import io
from datetime import date

from openpyxl import Workbook

from webapp.requests.demo import make_nik
from webapp.requests.importer import parse_birth_date, read_resident_file

TODAY = date(2026, 5, 1)
HEADER = "nama,nik,no_kk,jenis_kelamin,tanggal_lahir,layanan,keterangan\n"
NIK_MAN = make_nik("63.06.10", date(2009, 4, 12), "L", 3)        # 6306101204090003
NIK_WOMAN = make_nik("63.06.10", date(1990, 1, 5), "P", 12)      # day 05 + 40 = 45


def read(text: str, encoding="utf-8", name="daftar.csv"):
    return read_resident_file(text.encode(encoding), name, today=TODAY)


def test_make_nik_follows_the_domain_rules():
    assert NIK_MAN == "6306101204090003"
    assert NIK_WOMAN == "6306104501900012"


def test_a_clean_csv_is_read_with_its_services():
    result = read(HEADER + f'Anang Basri,{NIK_MAN},,L,12-04-2009,"KTP_EL:baru; PEREKAMAN",\n'
                           f'Galuh,,,PEREMPUAN,2020-02-03,akta kelahiran,belum punya NIK\n')
    assert result.ok and not result.problems
    anang, galuh = result.rows
    assert anang.services == [("KTP_EL", "baru"), ("PEREKAMAN", "perekaman")]
    assert anang.nik == NIK_MAN and anang.birth_date == date(2009, 4, 12)
    assert galuh.nik is None and galuh.sex == "P" and galuh.services == [("AKTA_LAHIR", "baru")]


def test_every_unreadable_row_is_reported_at_once_with_row_and_column():
    result = read(HEADER
                  + "Anang,12345,,L,12-04-2009,KTP_EL:baru,\n"        # row 2: NIK not 16 digits
                  + "Aluh,,,P,31-02-2010,KIA:5_17,\n"                 # row 3: impossible date
                  + "Utuh,,,L,01-01-2000,SIM:baru,\n"                 # row 4: unknown service
                  + ",,,L,01-01-2000,KTP_EL:baru,\n"                  # row 5: no name
                  + "Siti,,,X,01-01-2000,KTP_EL:baru,\n")             # row 6: unknown sex
    assert not result.ok and result.rows == []
    found = {(p.row, p.column) for p in result.problems}
    assert found == {(2, "nik"), (3, "tanggal_lahir"), (4, "layanan"), (5, "nama"), (6, "jenis_kelamin")}
    messages = " ".join(p.message for p in result.problems)
    assert "16 digit" in messages and "tidak ada di kalender" in messages and "SIM:baru" in messages


def test_nik_record_mismatch_is_a_warning_not_a_block():
    result = read(HEADER + f"Galuh Aluh,{NIK_MAN},,P,12-04-2009,KTP_EL:baru,\n")
    assert result.ok
    assert result.rows[0].warnings and "jenis kelamin" in " ".join(result.rows[0].warnings).lower()


def test_semicolons_bom_and_cp1252_are_read():
    text = "nama;nik;no_kk;jenis_kelamin;tanggal_lahir;layanan;keterangan\r\nMa\u2019ruf;;;LAKI-LAKI;05/06/2001;KTP_EL:hilang;\r\n"
    for data in (b"\xef\xbb\xbf" + text.encode("utf-8"), text.encode("cp1252")):
        result = read_resident_file(data, "x.csv", today=TODAY)
        assert result.ok, result.problems
        assert result.rows[0].name == "Ma\u2019ruf" and result.rows[0].sex == "L"


def test_not_a_spreadsheet_is_refused_clearly():
    pdf = read_resident_file(b"%PDF-1.7\n...", "daftar.csv", today=TODAY)
    assert "bukan CSV atau XLSX" in pdf.problems[0].message and "PDF" in pdf.problems[0].message
    xls = read_resident_file(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "lama.xls", today=TODAY)
    assert ".xls" in xls.problems[0].message
    garbage = read_resident_file(bytes(range(256)) * 10, "x.csv", today=TODAY)
    assert not garbage.ok and garbage.problems[0].row is None
    broken_zip = read_resident_file(b"PK\x03\x04not really a zip", "x.xlsx", today=TODAY)
    assert "XLSX tidak dapat dibaca" in broken_zip.problems[0].message


def test_missing_columns_and_empty_files():
    assert "Kolom wajib tidak ada: jenis_kelamin, tanggal_lahir" in read("nama,layanan\nA,KIA\n").problems[0].message
    assert "belum ada data" in read(HEADER).problems[0].message
    assert read("").problems[0].message == "Berkas kosong."


def test_xlsx_with_excel_dates_and_numeric_nik():
    wb = Workbook()
    ws = wb.active
    ws.append(["Nama", "NIK", "No KK", "Jenis Kelamin", "Tanggal Lahir", "Layanan", "Keterangan"])
    ws.append(["Rusmini", int(NIK_WOMAN), None, "P", date(1990, 1, 5), "KTP_EL:rusak", None])
    ws.append(["Ijai", None, None, "L", "2015-07-30", "KIA:5_17", "anak"])
    buf = io.BytesIO()
    wb.save(buf)
    result = read_resident_file(buf.getvalue(), "daftar.xlsx", today=TODAY)
    assert result.ok, result.problems
    assert result.rows[0].nik == NIK_WOMAN and result.rows[0].birth_date == date(1990, 1, 5)
    assert result.rows[1].services == [("KIA", "5_17")]


def test_birth_dates():
    assert parse_birth_date("17-08-2008", today=TODAY) == (date(2008, 8, 17), None)
    assert parse_birth_date("2008-08-17", today=TODAY)[0] == date(2008, 8, 17)
    assert parse_birth_date(39677, today=TODAY)[0] == date(2008, 8, 17)      # Excel serial
    assert parse_birth_date("17-08-2030", today=TODAY)[0] is None            # future
    assert parse_birth_date("kemarin", today=TODAY)[0] is None


def test_a_scientific_notation_nik_explains_the_fix():
    result = read(HEADER + "Anang,6.30610E+15,,L,12-04-2009,KTP_EL:baru,\n")
    assert "Teks" in result.problems[0].message


# --- the shared reader (webapp/core/tabular.py) as the resident list uses it --------------------

def test_utf16_tab_and_pipe_lists_are_read():
    text = HEADER.replace(",", "\t") + "Galuh\t\t\tP\t03-02-2020\tAKTA_LAHIR\t\n"
    for data in (text.encode("utf-16"), text.replace("\t", "|").encode("utf-8")):
        result = read_resident_file(data, "daftar.csv", today=TODAY)
        assert result.ok, result.problems
        assert result.rows[0].name == "Galuh" and result.rows[0].services == [("AKTA_LAHIR", "baru")]


def test_an_unbalanced_quote_or_broken_characters_block_only_their_own_row_in_the_report():
    data = (HEADER + '"Anang,,,L,12-04-2009,KTP_EL:baru,\n'           # row 2: the quote never closes
            + "Aluh,,,P,01-01-2010,KIA:5_17,\n").encode("utf-8") \
        + "Utuh \ufffd,,,L,01-01-2000,KTP_EL:baru,\n".encode("utf-8")  # row 4: a byte that did not decode
    result = read_resident_file(data, "daftar.csv", today=TODAY)
    problems = {p.row: p.message for p in result.problems}
    assert set(problems) == {2, 4}
    assert "kutip" in problems[2] and "tidak terbaca" in problems[4]
    assert [r.name for r in result.rows] == ["Aluh"]


def test_xlsx_headers_are_normalised_and_rows_keep_excel_numbers():
    wb = Workbook()
    ws = wb.active
    ws.append([])                                           # a blank first row: the header is row 2
    ws.append([" Nama Lengkap ", "No KK", "JK", "Tgl-Lahir", "Jenis Layanan"])
    ws.append(["Rusmini", None, "P", date(1990, 1, 5), "KTP_EL:rusak"])
    ws.append(["Ijai", None, "L", 1985, "KIA:5_17"])      # a bare year typed as a number
    buf = io.BytesIO()
    wb.save(buf)
    result = read_resident_file(buf.getvalue(), "daftar.xlsx", today=TODAY)
    assert [r.name for r in result.rows] == ["Rusmini"]
    [problem] = result.problems
    assert (problem.row, problem.column) == (4, "tanggal_lahir") and "1985" in problem.message
