"""Reading query-string filters safely: a bad value means "no filter", never an error page.

Values out of a sane range are clamped to it (a list filtered "from 0001-01-01" is filtered
from 1900-01-01: the same rows, and the filter form then shows the date actually applied), so
no date arithmetic or database bound can overflow further down. NUL characters are dropped.
"""
from __future__ import annotations

from datetime import date

MAX_PAGE = 10_000
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2100, 12, 31)
MAX_RAW_LENGTH = 40          # longer than any date or number a filter form sends


def _raw(args, name: str) -> str:
    return (args.get(name) or "").replace("\x00", "").strip()


def arg_page(args, name: str = "page") -> int:
    return arg_int(args, name, lo=1, hi=MAX_PAGE, default=1)


def arg_int(args, name: str, *, lo: int, hi: int, default: int | None = None) -> int | None:
    """An integer clamped to [lo, hi]; `default` when absent or not a number."""
    raw = _raw(args, name)
    if not raw or len(raw) > MAX_RAW_LENGTH:
        return default
    try:
        value = int(raw, 10)
    except ValueError:
        return default
    return max(lo, min(value, hi))


def arg_date(args, name: str, *, lo: date = MIN_DATE, hi: date = MAX_DATE) -> date | None:
    """A date (YYYY-MM-DD) clamped to [lo, hi]; None when absent or not a date."""
    raw = _raw(args, name)
    if not raw or len(raw) > MAX_RAW_LENGTH:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        return None
    return max(lo, min(value, hi))


def arg_text(args, name: str, limit: int) -> str:
    return _raw(args, name)[:limit]
