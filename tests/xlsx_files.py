"""XLSX files built in tests: a zip bomb (a valid workbook whose sheet XML is huge but
compresses to little), and a guard that fails a test if a spreadsheet parser is reached."""
from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

import pytest

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '</Types>'
)
PACKAGE_RELS = (f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}">'
                f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
                '</Relationships>')
WORKBOOK = (f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
            '<sheets><sheet name="DATA" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}">'
                 f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
                 '</Relationships>')


def _row(values) -> bytes:
    cells = "".join(f'<c t="inlineStr"><is><t>{escape(str(v))}</t></is></c>' for v in values)
    return f"<row>{cells}</row>".encode()


def zip_bomb_xlsx(header, row, *, rows: int = 200_000) -> bytes:
    """A well-formed XLSX: ``header`` then ``row`` repeated ``rows`` times. The default is
    ~60 MB of sheet XML in ~0.3 MB of file (ratio ~200); a parser would hold it all."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", PACKAGE_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN}"><sheetData>'.encode())
            sheet.write(_row(header))
            chunk = _row(row) * 1000
            for _ in range(rows // 1000):
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


def inflated_size(data: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sum(info.file_size for info in archive.infolist())


@pytest.fixture
def parser_calls(monkeypatch) -> list:
    """Record every attempt to open a workbook with python-calamine (the only spreadsheet
    parser the importers use); the attempt fails, so a test also fails if one is made."""
    import python_calamine

    calls: list = []

    class NeverOpened:
        @staticmethod
        def from_filelike(*args, **kwargs):
            calls.append("from_filelike")
            raise AssertionError("the workbook parser was reached")

        @staticmethod
        def from_path(*args, **kwargs):
            calls.append("from_path")
            raise AssertionError("the workbook parser was reached")

    monkeypatch.setattr(python_calamine, "CalamineWorkbook", NeverOpened)
    return calls
