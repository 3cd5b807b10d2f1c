"""One row of a SIAK export → a :class:`PersonRecord`, or the errors that make it unreadable.
Part of the SIAK reader (:mod:`webapp.quality.siak`), which feeds :class:`RowParser` the cells
of every spreadsheet row.

A row that cannot be *read* (wrong number of columns, binary junk or broken characters,
unbalanced quotes, empty name, unreadable or impossible birth date, region that is not a
desa/kelurahan of Kabupaten Hulu Sungai Selatan, unknown coded value) comes back without a
record and with one :class:`RowError` per problem. A row that reads but breaks a NIK or anomaly
rule is a normal record: judging it is :mod:`webapp.quality.rules`' job.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from webapp.core.tabular import UNREADABLE_CHARS, BadRow
from webapp.quality.records import PersonRecord
from webapp.quality.siak_columns import REGION_COLUMN, SIAK_COLUMNS, SPLIT_REGION_COLUMNS, Layout
from webapp.quality.siak_values import (
    BadValue,
    clean,
    clean_number,
    coded_values,
    kode_desa_key,
    lookup_coded,
    number_part,
    parse_birth_date,
    preview,
    regency_desa_codes,
    split_key,
)

_CACHE_LIMIT = 200_000
_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class RowError:
    """Why one row was rejected. ``column`` is None for the row as a whole; ``value_preview``
    is short, with NIK/No. KK and any long digit run masked."""

    row_no: int
    column: str | None
    message: str
    value_preview: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row_no, "column": self.column, "message": self.message,
                "value": self.value_preview}


@dataclass(slots=True)
class RowResult:
    """One data row: a record, or (record None) the errors that made it unreadable."""

    row_no: int
    record: PersonRecord | None
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.record is not None


class RowParser:
    """Reads rows laid out as ``layout`` says. ``kind`` "csv" | "xlsx" (an XLSX row may be
    shorter or longer than the header; a CSV row may not). Dates and regions repeat a lot in
    a register: their readings are cached, and so is each error message once translated (a
    broken file repeats the same few messages on every row)."""

    def __init__(self, layout: Layout, *, kind: str, delimiter: str | None) -> None:
        self.layout = layout
        self.kind = kind
        self.delimiter = delimiter
        self._dates: dict[str, date | None | BadValue] = {}
        self._regions: dict[Any, str | BadValue] = {}
        self._coded = coded_values()
        self._desa = regency_desa_codes()
        self._width_messages: dict[int, str] = {}
        self._messages: dict[str, str] = {}
        # Where each person column sits (SIAK_COLUMNS' order), None for an absent optional one.
        self._person_at = tuple(layout.index.get(column) for column in SIAK_COLUMNS)

    def parse(self, row_no: int, cells: list[str] | BadRow) -> RowResult | None:
        """The row's result; None for a blank row."""
        if isinstance(cells, BadRow):
            return RowResult(row_no, None, [RowError(row_no, None, cells.message,
                                                     preview(None, cells.raw))])
        if len(cells) != self.layout.width:
            cells = self._fit(cells)
            if cells is None:
                return None
            if isinstance(cells, tuple):
                return RowResult(row_no, None, [RowError(row_no, *cells)])
        elif not "".join(cells).strip():
            return None
        joined = "".join(cells)
        if UNREADABLE_CHARS.search(joined):
            return RowResult(row_no, None, [RowError(row_no, None, self._message("unreadable"),
                                                     preview(None, joined))])
        return self._build(row_no, cells)

    def _fit(self, cells: list[str]):
        """Cells cut or padded to the header width; None for a blank row; a (column, message,
        preview) tuple when the row has the wrong number of cells."""
        width = self.layout.width
        if not "".join(cells).strip():
            return None
        if len(cells) > width and (self.kind == "xlsx" or not "".join(cells[width:]).strip()):
            return cells[:width]  # XLSX: cells right of the last named column are ignored
        if self.kind == "xlsx" and len(cells) < width:
            return cells + [""] * (width - len(cells))
        message = self._width_messages.get(len(cells))
        if message is None:
            message = self._width_messages[len(cells)] = str(_l(
                "Jumlah kolom %(found)s, seharusnya %(expected)s (pemisah kolom dalam data atau "
                "baris rusak).", found=len(cells), expected=width))
        return (None, message, preview(None, (self.delimiter or ",").join(cells)))

    def _cell(self, cells: list[str], name: str) -> str:
        position = self.layout.index.get(name)
        return cells[position] if position is not None else ""

    def _build(self, row_no: int, cells: list[str]) -> RowResult:
        errors: list[RowError] = []
        (nik, no_kk, name, sex, birth_place, birth_date, marital, role, mother, father, address, rt,
         rw) = [cells[at] if at is not None else "" for at in self._person_at]

        name = clean(name)
        if name is None:
            errors.append(RowError(row_no, "NAMA_LGKP", self._message("NAMA_LGKP"), ""))
        birth_date = self._birth_date(row_no, birth_date, errors)
        desa_code = self._region(row_no, cells, errors)
        sex = self._coded_value(row_no, "JENIS_KLMIN", sex, errors)
        marital = self._coded_value(row_no, "STAT_KWN", marital, errors)
        role = self._coded_value(row_no, "STAT_HBKEL", role, errors)
        if errors:
            return RowResult(row_no, None, errors)

        extra = {}
        for column, position in self.layout.extra:
            value = cells[position].strip() if position < len(cells) else ""
            if value:
                extra[column] = value
        record = PersonRecord(
            ref=row_no,
            nik=clean_number(nik),
            no_kk=clean_number(no_kk),
            name=name,
            sex=sex,
            birth_place=clean(birth_place),
            birth_date=birth_date,
            marital_status=marital,
            family_role=role,
            mother_name=clean(mother),
            father_name=clean(father),
            address=clean(address),
            rt=number_part(rt) or None,
            rw=number_part(rw) or None,
            desa_code=desa_code,
            extra=extra,
        )
        return RowResult(row_no, record, [])

    def _birth_date(self, row_no: int, raw: str, errors: list[RowError]) -> date | None:
        cached = self._dates.get(raw, _MISSING)
        if cached is _MISSING:
            try:
                cached = parse_birth_date(raw)
            except BadValue as exc:
                cached = exc
            if len(self._dates) > _CACHE_LIMIT:
                self._dates.clear()
            self._dates[raw] = cached
        if isinstance(cached, BadValue):
            errors.append(RowError(row_no, "TGL_LHR", str(cached), preview("TGL_LHR", raw)))
            return None
        return cached

    def _coded_value(self, row_no: int, column: str, raw: str, errors: list[RowError]):
        if column not in self.layout.index:
            return None
        try:
            return lookup_coded(self._coded[column], raw)
        except KeyError:
            errors.append(RowError(row_no, column, self._message(column), preview(column, raw)))
            return None

    def _message(self, key: str) -> str:
        """The translated message of a row error, by column ("unreadable": the row as a whole)."""
        message = self._messages.get(key)
        if message is None:
            if key == "unreadable":
                message = str(_l("Baris berisi karakter yang tidak terbaca (data biner atau encoding rusak)."))
            elif key == "NAMA_LGKP":
                message = str(_l("Nama lengkap kosong."))
            else:
                message = str(_l("Nilai %(column)s tidak dikenal; gunakan kode angka SIAK atau labelnya.",
                                 column=key))
            self._messages[key] = message
        return message

    def _region(self, row_no: int, cells: list[str], errors: list[RowError]) -> str | None:
        style = self.layout.region_style
        if style is None:
            return None
        if style == "kode_desa":
            column = REGION_COLUMN
            raw: Any = self._cell(cells, REGION_COLUMN)
            if not raw.strip() and all(c in self.layout.index for c in SPLIT_REGION_COLUMNS):
                column, raw = "/".join(SPLIT_REGION_COLUMNS), self._split_raw(cells)
        else:
            column, raw = "/".join(SPLIT_REGION_COLUMNS), self._split_raw(cells)
        cached = self._regions.get(raw)
        if cached is None:
            cached = self._resolve_region(raw)
            if len(self._regions) > _CACHE_LIMIT:
                self._regions.clear()
            self._regions[raw] = cached
        if isinstance(cached, BadValue):
            shown = raw if isinstance(raw, str) else ".".join(p.strip() for p in raw)
            errors.append(RowError(row_no, column, str(cached), preview(column, shown)))
            return None
        return cached

    def _split_raw(self, cells: list[str]) -> tuple[str, ...]:
        return tuple(self._cell(cells, c) for c in SPLIT_REGION_COLUMNS)

    def _resolve_region(self, raw: str | tuple[str, ...]) -> str | BadValue:
        if isinstance(raw, str):
            empty = not raw.strip()
            key = None if empty else kode_desa_key(raw)
            shown = raw.strip()
        else:
            empty = not "".join(raw).strip()
            key = None if empty else split_key(*raw)
            shown = ".".join(p.strip() for p in raw)
        if empty:
            return BadValue(str(_l("Kode wilayah desa/kelurahan kosong.")))
        if key is None:
            return BadValue(str(_l(
                "Kode wilayah %(code)s tidak terbaca; gunakan 63.06.KK.DDDD atau 10 angka.",
                code=shown)))
        dotted = self._desa.get(key)
        if dotted is None:
            return BadValue(str(_l(
                "Kode wilayah %(code)s bukan desa/kelurahan di Kabupaten Hulu Sungai Selatan.",
                code=f"{key[:2]}.{key[2:4]}.{key[4:6]}.{key[6:]}")))
        return dotted
