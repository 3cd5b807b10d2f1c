"""Pure date-range logic for double booking (no database, unit-tested on its own).

Trip dates are whole days, inclusive at both ends: a trip on 3–4 December and one on
5 December do not overlap; one on 4–5 December does."""
from __future__ import annotations

from datetime import date, timedelta

from webapp.core.timefmt import MONTHS_ID


def ranges_overlap(a_start: date, a_end: date, b_start: date, b_end: date) -> bool:
    """True when the two inclusive day ranges share at least one day."""
    return a_start <= b_end and b_start <= a_end


def trip_days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def date_range_label(start: date, end: date) -> str:
    """Indonesian short form used in messages: "03 Desember 2026", "03–04 Desember 2026",
    "30 November – 02 Desember 2026", "31 Desember 2026 – 01 Januari 2027"."""
    month = MONTHS_ID
    if start == end:
        return f"{start.day:02d} {month[start.month - 1]} {start.year}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day:02d}–{end.day:02d} {month[end.month - 1]} {end.year}"
    if start.year == end.year:
        return f"{start.day:02d} {month[start.month - 1]} – {end.day:02d} {month[end.month - 1]} {end.year}"
    return (f"{start.day:02d} {month[start.month - 1]} {start.year} – "
            f"{end.day:02d} {month[end.month - 1]} {end.year}")
