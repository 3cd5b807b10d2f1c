"""Writing a report (webapp.reports.periodic.Report) as a file: CSV (UTF-8 with a BOM, `;` between
columns, as the SIAK exchange files: Excel opens it with the names right) and XLSX (openpyxl, one
sheet per table).

Every text cell goes through `neutralise`: text a spreadsheet would read as a formula or a command
(starting with = + - @, a tab or a carriage return) gets an apostrophe in front, so a resident's
name or a reason typed as "=HYPERLINK(…)" stays text. In the XLSX the cell is also written as a
string with Excel's quote prefix. Numbers and dates stay numbers and dates.

    neutralise(value) -> value
    report_csv(report) -> bytes;  report_xlsx(report) -> bytes
"""
from __future__ import annotations

import csv
import io
from datetime import date

from flask_babel import lazy_gettext as _l

from webapp.reports.periodic import Column, Report, Table

CSV_DELIMITER = ";"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_SHEET_TITLE = 31
SHEET_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def neutralise(value):
    """The value as a spreadsheet may safely hold it: text starting with = + - @ tab or CR gets a
    leading apostrophe; anything that is not text is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(column: Column, value):
    """A table value as a file holds it (before neutralising): months as YYYY-MM, dates as dates."""
    if value is None:
        return ""
    if column.kind == "month" and isinstance(value, date):
        return f"{value:%Y-%m}"
    return value


def _csv_value(value) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return str(neutralise(value) if isinstance(value, str) else value)


def _header_lines(report: Report) -> list[list[str]]:
    return [[report.title], [report.period]]


def report_csv(report: Report) -> bytes:
    """The report's tables one after another: a title line and the period, then per table its title,
    its header, its rows and its total, a blank line between tables."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    for line in _header_lines(report):
        writer.writerow([_csv_value(v) for v in line])
    for table in report.tables:
        writer.writerow([])
        writer.writerow([_csv_value(table.title)])
        writer.writerow([_csv_value(c.label) for c in table.columns])
        for row in _rows(table):
            writer.writerow([_csv_value(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


def _rows(table: Table):
    for row in table.rows:
        yield [_cell(c, v) for c, v in zip(table.columns, row)]
    if table.total is not None:
        yield [_cell(c, v) for c, v in zip(table.columns, table.total)]


def _sheet_title(title: str, used: set[str]) -> str:
    base = title.translate(SHEET_FORBIDDEN).strip()[:MAX_SHEET_TITLE] or "Laporan"
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = base[:MAX_SHEET_TITLE - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def _write(sheet, row: int, col: int, value, *, bold: bool = False):
    from openpyxl.styles import Font

    cell = sheet.cell(row=row, column=col)
    if isinstance(value, str):
        safe = neutralise(value)
        cell.value = safe
        cell.data_type = "s"              # never a formula, whatever it starts with
        if safe != value:
            cell.quotePrefix = True
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = "DD-MM-YYYY"
    else:
        cell.value = value
    if bold:
        cell.font = Font(bold=True)
    return cell


def report_xlsx(report: Report) -> bytes:
    """One sheet per table: the report's title and period, the table's title, a bold header (frozen),
    the rows, a bold total."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for table in report.tables:
        sheet = book.create_sheet(_sheet_title(table.title, used))
        _write(sheet, 1, 1, report.title, bold=True)
        _write(sheet, 2, 1, report.period)
        _write(sheet, 3, 1, table.title, bold=True)
        header = 5
        widths = [len(c.label) for c in table.columns]
        for col, column in enumerate(table.columns, start=1):
            _write(sheet, header, col, column.label, bold=True)
        row_no = header
        for index, row in enumerate(_rows(table)):
            row_no += 1
            last = table.total is not None and index == len(table.rows)
            for col, value in enumerate(row, start=1):
                _write(sheet, row_no, col, value, bold=last)
                widths[col - 1] = max(widths[col - 1], len(str(value)) if value is not None else 0)
        if table.note:
            _write(sheet, row_no + 2, 1, table.note)
        for col, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(col)].width = min(max(10, width + 2), 60)
        sheet.freeze_panes = sheet.cell(row=header + 1, column=1)
    book.properties.title = report.title
    book.properties.creator = str(_l("Ketupat Pecel — Disdukcapil HSS"))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


FORMATS = {
    "csv": ("text/csv; charset=utf-8", report_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", report_xlsx),
}
