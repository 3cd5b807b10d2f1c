"""The one interface between this office tool and SIAK.

SIAK (the ministry's system) has no public API: today the office exchanges files with it
(webapp.documents.siak.file_adapter). A real integration replaces the adapter, not the queue:

    adapter.export_ready(applications, exported_at=...) -> list[ExportFile]   # ready applications out
    adapter.read_results(data, filename=..., file_format=...) -> ParsedResults # SIAK's answer in

`applications` are :class:`ExportRow` values (plain data: the queue builds them from its
Application rows), so an adapter needs no database. `read_results` checks what the file alone
can tell (format, columns, dates, duplicate rows, both or neither of number and rejection); the
queue then checks each row against the database (unknown application, not in "diproses").

The rules of one result (number + issue date, or a rejection with a reason) are here too:
:func:`check_result` is used by every adapter and by the operator typing a number by hand.
"""
from __future__ import annotations

import re
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Sequence

from flask_babel import lazy_gettext as _l

from webapp.core import tabular

MAX_DOCUMENT_NUMBER = 60
MAX_REASON = 500
# Document numbers as SIAK prints them: 6306-LU-12082026-0001, 474.1/123/2026, 16 digits.
DOCUMENT_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ./-]*")


class SiakFileError(Exception):
    """The upload is not a result file at all (empty, too large, not CSV or JSON, unreadable
    text): refused as a whole, with an Indonesian message for the file field."""

    def __init__(self, message: Any) -> None:
        self.message = str(message)
        super().__init__(self.message)


@dataclass(frozen=True)
class Correction:
    """A value the officer corrected against the register (a DataCorrection row)."""

    field: str
    register_value: str | None
    new_value: str | None


@dataclass(frozen=True)
class ExportRow:
    """One application ready to be finished in SIAK."""

    application_id: uuid.UUID
    receipt_number: str | None
    service_code: str
    subtype_code: str
    service_label: str
    subject_name: str
    nik: str | None
    no_kk: str | None
    sex: str | None
    birth_place: str | None
    birth_date: date | None
    address: str | None
    event_date: date | None
    late: bool
    late_days: int | None
    corrections: tuple[Correction, ...] = ()


@dataclass(frozen=True)
class ExportFile:
    file_format: str        # csv | json
    filename: str
    content: bytes
    mimetype: str


@dataclass(frozen=True)
class ResultRow:
    """One result read from SIAK's file: a number and its issue date, or a rejection."""

    line: int
    application_id: uuid.UUID
    document_number: str | None = None
    issued_on: date | None = None
    rejection: str | None = None

    @property
    def rejected(self) -> bool:
        return self.rejection is not None


@dataclass(frozen=True)
class LineError:
    """A problem of one line of the file (`line` None: the file as a whole)."""

    line: int | None
    message: str

    def as_dict(self) -> dict:
        return {"line": self.line, "message": self.message}


@dataclass
class ParsedResults:
    file_format: str
    rows: list[ResultRow] = field(default_factory=list)       # the rows without a problem
    errors: list[LineError] = field(default_factory=list)
    read_count: int = 0                                        # data rows read (blank lines not counted)

    @property
    def ok(self) -> bool:
        return not self.errors


class SiakAdapter(ABC):
    """What the operator queue needs from SIAK."""

    name: str = "?"

    @abstractmethod
    def export_ready(self, applications: Sequence[ExportRow], *, exported_at: datetime) -> list[ExportFile]:
        """The files (or messages) that hand these applications to SIAK."""

    @abstractmethod
    def read_results(self, data: bytes, *, filename: str = "", file_format: str | None = None,
                     today: date | None = None) -> ParsedResults:
        """SIAK's results, each row checked on its own (`today`: issue dates after it are
        refused; default the WITA date); SiakFileError when it is no result file at all."""


# --- the rules of one result ----------------------------------------------------------------------

def _date_message(label: str, text: str, reason: str):
    if reason == "short_year":
        return _l("%(col)s \"%(v)s\": tulis tahun dengan 4 angka (TTTT-BB-HH atau HH-BB-TTTT).", col=label, v=text)
    if reason == "calendar":
        return _l("%(col)s \"%(v)s\" tidak ada di kalender.", col=label, v=text)
    return _l("%(col)s \"%(v)s\" bukan tanggal (tulis TTTT-BB-HH atau HH-BB-TTTT).", col=label, v=text)


def parse_issue_date(value: Any, *, today: date, label: str = "TGL_TERBIT") -> tuple[date | None, str | None]:
    """(date, None) or (None, message) for an issue date: a real date, not in the future."""
    try:
        parsed = tabular.parse_date(value)
    except tabular.DateError as error:
        return None, str(_date_message(label, error.text[:40], error.reason))
    if parsed is not None and parsed > today:
        return None, str(_l("%(col)s %(v)s belum terjadi (hari ini %(t)s).", col=label,
                            v=parsed.strftime("%d-%m-%Y"), t=today.strftime("%d-%m-%Y")))
    return parsed, None


def check_result(number: Any, issued_on: Any, rejection: Any, *, today: date,
                 labels: dict[str, str] | None = None) -> tuple[tuple[str | None, date | None, str | None],
                                                              list[tuple[str, str]]]:
    """The rules of one result, whatever brought it (a file row, the operator's form).

    Returns ((number, issued_on, rejection), problems) with problems as (field, message), the
    field being "document_number", "issued_on" or "rejection". Exactly one of: a document
    number with its issue date, or a rejection reason."""
    names = {"document_number": "NO_DOKUMEN", "issued_on": "TGL_TERBIT", "rejection": "ALASAN_TOLAK",
             **(labels or {})}
    problems: list[tuple[str, str]] = []
    number_text = " ".join(_text(number).split())
    reason_text = _text(rejection).strip()
    has_date = isinstance(issued_on, date) or bool(_text(issued_on).strip())
    if reason_text and (number_text or has_date):
        problems.append(("rejection", str(_l(
            "Isi salah satu saja: %(n)s dan %(d)s (dokumen terbit) atau %(r)s (ditolak), bukan keduanya.",
            n=names["document_number"], d=names["issued_on"], r=names["rejection"]))))
        return (None, None, None), problems
    if not reason_text and not number_text and not has_date:
        problems.append(("document_number", str(_l(
            "Hasil kosong: isi %(n)s dan %(d)s, atau %(r)s.", n=names["document_number"], d=names["issued_on"],
            r=names["rejection"]))))
        return (None, None, None), problems
    if reason_text:
        if len(reason_text) > MAX_REASON:
            problems.append(("rejection", str(_l("%(col)s terlalu panjang: maksimal %(n)d karakter.",
                                                 col=names["rejection"], n=MAX_REASON))))
        return (None, None, reason_text), problems
    parsed, date_problem = parse_issue_date(issued_on, today=today, label=names["issued_on"])
    if not number_text:
        problems.append(("document_number", str(_l("%(n)s wajib diisi bila %(d)s diisi.",
                                                   n=names["document_number"], d=names["issued_on"]))))
    elif len(number_text) > MAX_DOCUMENT_NUMBER:
        problems.append(("document_number", str(_l("%(col)s terlalu panjang: maksimal %(n)d karakter.",
                                                   col=names["document_number"], n=MAX_DOCUMENT_NUMBER))))
    elif not DOCUMENT_NUMBER.fullmatch(number_text):
        problems.append(("document_number", str(_l(
            "%(col)s \"%(v)s\" tidak sah: hanya huruf, angka, spasi, titik, garis miring dan tanda hubung.",
            col=names["document_number"], v=number_text[:40]))))
    if date_problem:
        problems.append(("issued_on", date_problem))
    elif parsed is None:
        problems.append(("issued_on", str(_l("%(d)s wajib diisi bila %(n)s diisi.",
                                             d=names["issued_on"], n=names["document_number"]))))
    return (number_text or None, parsed, None), problems


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return tabular.cell_text(value)
    return str(value)


def parse_application_id(value: Any) -> uuid.UUID | None:
    text = _text(value).strip()
    if not text or len(text) > 40:
        return None
    try:
        return uuid.UUID(text)
    except ValueError:
        return None
