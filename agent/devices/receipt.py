"""The structured receipt of `printer.print` and its ESC/POS layout for 58 and 80 mm paper.

The webapp sends what the receipt says; the agent decides how it looks on the paper (widths,
wrapping, the QR printed natively by the printer, the cut). `render` draws on any python-escpos
printer object; `to_bytes` renders on escpos's Dummy, which is what is sent down the serial line.
"""
from __future__ import annotations

import textwrap
import unicodedata
from dataclasses import dataclass, field

from agent.protocol import INVALID_PARAMS, RpcError

COLUMNS = {58: 32, 80: 48}          # Font A characters per line (384 / 576 dots)
QR_MODULE = {58: 5, 80: 7}          # dots per QR module
LABEL_WIDTH = 10

_FIELDS_TEXT = ("title", "office", "number", "check_code", "date", "name", "nik_masked",
                "ready_date", "collect_at", "qr")
_ASCII = str.maketrans({"•": "*", "●": "*", "·": "*", "–": "-", "—": "-", "‘": "'", "’": "'",
                        "“": '"', "”": '"', "…": "..."})


@dataclass(frozen=True)
class Receipt:
    number: str
    title: str = "TANDA TERIMA"
    office: str = ""
    check_code: str = ""
    date: str = ""
    name: str = ""
    nik_masked: str = ""
    services: tuple[str, ...] = ()
    ready_date: str = ""
    collect_at: str = ""
    qr: str | None = None
    lines: tuple[str, ...] = field(default_factory=tuple)
    copy: int | None = None

    @classmethod
    def from_params(cls, data: object) -> "Receipt":
        """Validate the `receipt` parameter; INVALID_PARAMS names the first bad field."""
        if not isinstance(data, dict):
            raise RpcError(INVALID_PARAMS, "receipt must be an object")
        known = set(_FIELDS_TEXT) | {"services", "lines", "copy"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise RpcError(INVALID_PARAMS, f"receipt: unknown field {unknown[0]}")
        values: dict = {}
        for name in _FIELDS_TEXT:
            value = data.get(name)
            if value is None:
                continue
            if not isinstance(value, str) or len(value) > (500 if name == "qr" else 200):
                raise RpcError(INVALID_PARAMS, f"receipt.{name} must be a short string")
            values[name] = value
        if not values.get("number", "").strip():
            raise RpcError(INVALID_PARAMS, "receipt.number is required")
        for name, limit in (("services", 20), ("lines", 30)):
            items = data.get(name) or []
            if (not isinstance(items, list) or len(items) > limit
                    or not all(isinstance(i, str) and len(i) <= 200 for i in items)):
                raise RpcError(INVALID_PARAMS, f"receipt.{name} must be a list of at most {limit} short strings")
            values[name] = tuple(items)
        copy = data.get("copy")
        if copy is not None and (isinstance(copy, bool) or not isinstance(copy, int) or not 1 <= copy <= 99):
            raise RpcError(INVALID_PARAMS, "receipt.copy must be null or an integer from 1 to 99")
        values["copy"] = copy
        return cls(**values)


def printable(text: str) -> str:
    """What a thermal printer's default code page can show: ASCII (masked-NIK dots become '*')."""
    text = unicodedata.normalize("NFKD", text.translate(_ASCII))
    return "".join(c if 32 <= ord(c) < 127 else ("" if unicodedata.combining(c) else "?") for c in text)


def _wrap(text: str, width: int, indent: str = "") -> list[str]:
    return textwrap.wrap(printable(text), width=width, subsequent_indent=indent,
                         break_long_words=True, break_on_hyphens=False) or [""]


def render(printer, receipt: Receipt, paper: int) -> None:
    """Draw the receipt on a python-escpos printer object (Serial, Dummy, ...) and cut."""
    if paper not in COLUMNS:
        raise ValueError("paper must be 58 or 80 (mm)")
    cols = COLUMNS[paper]
    printer.hw("INIT")
    printer.set(align="center", bold=True, double_height=True, double_width=paper == 80)
    for line in _wrap(receipt.title, cols // 2 if paper == 80 else cols):
        printer.textln(line)
    printer.set(align="center", normal_textsize=True, bold=False)
    for line in _wrap(receipt.office, cols):
        if line:
            printer.textln(line)
    if receipt.copy:
        printer.set(align="center", bold=True)
        printer.textln(f"SALINAN KE-{receipt.copy}")
        printer.set(bold=False)
    printer.textln("-" * cols)
    printer.set(align="left")

    def pair(label: str, value: str, bold: bool = False) -> None:
        if not value:
            return
        lines = _wrap(value, cols - LABEL_WIDTH - 2, indent="")
        if bold:
            printer.set(bold=True)
        printer.textln(f"{label:<{LABEL_WIDTH}}: {lines[0]}")
        for more in lines[1:]:
            printer.textln(" " * (LABEL_WIDTH + 2) + more)
        if bold:
            printer.set(bold=False)

    pair("Nomor", receipt.number, bold=True)
    pair("Kode cek", receipt.check_code, bold=True)
    pair("Tanggal", receipt.date)
    pair("Nama", receipt.name)
    pair("NIK", receipt.nik_masked)
    if receipt.services:
        printer.textln("Layanan   :")
        for service in receipt.services:
            for line in _wrap(service, cols - 2, indent="  "):
                printer.textln("- " + line if not line.startswith("  ") else line)
    pair("Siap", receipt.ready_date)
    pair("Ambil di", receipt.collect_at)
    if receipt.qr:
        printer.ln()
        printer.set(align="center")       # the printer centres a native QR by the alignment
        printer.qr(receipt.qr, size=QR_MODULE[paper], native=True)
        printer.textln(printable(receipt.number))
    if receipt.lines:
        printer.set(align="left")
        printer.textln("-" * cols)
        for extra in receipt.lines:
            for line in _wrap(extra, cols):
                printer.textln(line)
    printer.cut()


def to_bytes(receipt: Receipt, paper: int) -> bytes:
    """The exact bytes the printer is sent for this receipt."""
    from escpos.printer import Dummy

    dummy = Dummy()
    render(dummy, receipt, paper)
    return dummy.output
