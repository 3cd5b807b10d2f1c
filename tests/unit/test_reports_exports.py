"""The report downloads: text a spreadsheet would run (= + - @, tab, CR at the start) is neutralised
in CSV and XLSX alike; the CSV is UTF-8 with a BOM and `;`; the XLSX keeps numbers and dates as
such, one sheet per table (opened again with openpyxl)."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from webapp.reports.exports import neutralise, report_csv, report_xlsx
from webapp.reports.periodic import Column, Report, Table, age_bucket

DANGEROUS = ["=HYPERLINK(\"http://x\",\"klik\")", "+62 812", "-1+1", "@SUM(A1)", "\tTab", "\rCR"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["Aluh Masitah", "Desa Loksado", "", "a=b", " =spasi dulu", "'sudah", 7, -3, 2.5,
                                   None, date(2026, 11, 1)])
def test_everything_else_is_left_as_it_is(value):
    assert neutralise(value) == value


def _report() -> Report:
    table = Table("people", "Tiap warga",
                  [Column("name", "Nama"), Column("month", "Bulan", "month"), Column("issued", "Terbit", "date"),
                   Column("count", "Jumlah", "int")],
                  [[name, date(2026, 11, 1), date(2026, 11, 25), n] for n, name in enumerate(DANGEROUS + ["Saberi"])]
                  + [["Minus angka", date(2026, 12, 1), date(2026, 12, 2), -4]],
                  ["Jumlah", "", "", 17], "Catatan: =bukan rumus")
    second = Table("other", "Ringkas", [Column("k", "Kelompok"), Column("n", "N", "int")], [["≤ 7 hari", 3]])
    return Report("uji", "Laporan uji", "November 2026", [table, second], "laporan-uji-2026-11")


def test_the_csv_is_utf8_with_a_bom_semicolons_and_neutralised_text():
    data = report_csv(_report())
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Laporan uji"] and rows[1] == ["November 2026"]
    header = rows.index(["Nama", "Bulan", "Terbit", "Jumlah"])
    body = rows[header + 1:header + 1 + len(DANGEROUS) + 2]
    assert [r[0] for r in body[:len(DANGEROUS)]] == ["'" + t for t in DANGEROUS]
    assert body[len(DANGEROUS)] == ["Saberi", "2026-11", "2026-11-25", str(len(DANGEROUS))]
    assert body[-1] == ["Minus angka", "2026-12", "2026-12-02", "-4"]      # a number is not text: as it is
    assert rows[header + len(DANGEROUS) + 3] == ["Jumlah", "", "", "17"]
    assert ["Ringkas"] in rows and ["≤ 7 hari", "3"] in rows
    assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for row in rows for cell in row)


def test_the_xlsx_holds_text_as_text_and_numbers_and_dates_as_themselves():
    book = load_workbook(io.BytesIO(report_xlsx(_report())))
    assert book.sheetnames == ["Tiap warga", "Ringkas"]
    sheet = book["Tiap warga"]
    assert sheet["A1"].value == "Laporan uji" and sheet["A2"].value == "November 2026"
    assert [c.value for c in sheet[5]] == ["Nama", "Bulan", "Terbit", "Jumlah"]
    for offset, text in enumerate(DANGEROUS):
        cell = sheet.cell(row=6 + offset, column=1)
        # (XML reads a carriage return back as a line feed)
        assert cell.value == ("'" + text).replace("\r", "\n") and cell.data_type == "s" and cell.quotePrefix
    plain = sheet.cell(row=6 + len(DANGEROUS), column=1)
    assert plain.value == "Saberi" and not plain.quotePrefix
    assert sheet.cell(row=6 + len(DANGEROUS), column=2).value == "2026-11"
    issued = sheet.cell(row=6 + len(DANGEROUS), column=3).value
    assert issued.date() == date(2026, 11, 25)
    minus = sheet.cell(row=7 + len(DANGEROUS), column=4)
    assert minus.value == -4 and minus.data_type == "n"
    total = sheet.cell(row=8 + len(DANGEROUS), column=1)
    assert total.value == "Jumlah" and total.font.bold and sheet.cell(row=8 + len(DANGEROUS), column=4).value == 17
    assert sheet.cell(row=10 + len(DANGEROUS), column=1).value == "Catatan: =bukan rumus"
    formulas = [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    assert [c.value for c in book["Ringkas"][6]] == ["≤ 7 hari", 3]


def test_sheet_names_are_shortened_cleaned_and_unique():
    long = Table("a", "Kasus terbuka menurut jenis dan umur: [semua]/*?", [Column("k", "K")], [])
    again = Table("b", "Kasus terbuka menurut jenis dan umur: [semua]/*?", [Column("k", "K")], [])
    book = load_workbook(io.BytesIO(report_xlsx(Report("x", "X", "-", [long, again], "x"))))
    assert all(len(name) <= 31 and not set(name) & set("[]:*?/\\") for name in book.sheetnames)
    assert len(set(book.sheetnames)) == 2


@pytest.mark.parametrize("days, bucket", [(-2, 0), (0, 0), (7, 0), (8, 1), (14, 1), (15, 2), (30, 2), (31, 3),
                                          (400, 3)])
def test_age_buckets(days, bucket):
    assert age_bucket(days) == bucket
