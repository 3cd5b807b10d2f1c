"""Times are stored in UTC and shown in WITA (Asia/Makassar), in the user's language.

Month names and patterns come from Babel's locale data (the locale and the time zone that
Flask-Babel selects: Indonesian first, `timezone_selector` Asia/Makassar); nothing here keeps a
list of month names. Outside an app (unit tests, scripts) the locale is Indonesian.

    format_date(d)              "03-12-2026"           (the |tanggal filter)
    format_date(d, long=True)   "3 Desember 2026" / "3 December 2026"
    format_datetime(t)          "03-12-2026 09:05 WITA" (the |wita filter)
    date_range_label(a, b)      "03–04 Desember 2026", "30 November – 02 Desember 2026"
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as babel_dates
from flask import has_app_context
from flask_babel import gettext

WITA = ZoneInfo("Asia/Makassar")
DEFAULT_LOCALE = "id"

SHORT_DATE = "dd-MM-y"
LONG_DATE = "d MMMM y"
DATE_TIME = "dd-MM-y HH:mm"
RANGE_DAY = "dd"
RANGE_DAY_MONTH = "dd MMMM"
RANGE_FULL = "dd MMMM y"


def _locale(locale: str | Locale | None = None) -> Locale:
    if locale is not None:
        return Locale.parse(locale)
    if has_app_context():
        from flask_babel import get_locale
        chosen = get_locale()
        if chosen is not None:
            return chosen
    return Locale.parse(DEFAULT_LOCALE)


def _timezone() -> tzinfo:
    if has_app_context():
        from flask_babel import get_timezone
        return get_timezone() or WITA
    return WITA


def to_wita(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(WITA)


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return babel_dates.format_datetime(value, DATE_TIME, tzinfo=_timezone(), locale=_locale()) + " WITA"


def format_date(value: date | datetime | None, long: bool = False, *, locale: str | None = None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = to_wita(value).date()
    return babel_dates.format_date(value, LONG_DATE if long else SHORT_DATE, locale=_locale(locale))


def date_range_label(start: date, end: date, *, locale: str | None = None) -> str:
    """A trip's days, inclusive, the month written out: "03 Desember 2026", "03–04 Desember 2026",
    "30 November – 02 Desember 2026", "31 Desember 2026 – 01 Januari 2027" (English in the
    English UI). `locale="id"` for text stored once for everybody (audit summaries)."""
    loc = _locale(locale)

    def fmt(day: date, pattern: str) -> str:
        return babel_dates.format_date(day, pattern, locale=loc)

    if start == end:
        return fmt(end, RANGE_FULL)
    if (start.year, start.month) == (end.year, end.month):
        return f"{fmt(start, RANGE_DAY)}–{fmt(end, RANGE_FULL)}"
    if start.year == end.year:
        return f"{fmt(start, RANGE_DAY_MONTH)} – {fmt(end, RANGE_FULL)}"
    return f"{fmt(start, RANGE_FULL)} – {fmt(end, RANGE_FULL)}"


def format_duration(delta: timedelta | None) -> str:
    if delta is None:
        return "—"
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, _ = divmod(rest, 60)
    formats = _duration_formats()
    if days:
        return sign + formats["dh"] % {"d": days, "h": hours}
    if hours:
        return sign + formats["hm"] % {"h": hours, "m": minutes}
    if minutes:
        return sign + formats["m"] % {"m": minutes}
    return sign + formats["s"] % {"s": seconds % 60}


_DURATION_FORMATS: dict[str, dict[str, str]] = {}


def _duration_formats() -> dict[str, str]:
    """The formats translated once per language (a list shows a duration on every row)."""
    from flask_babel import get_locale
    locale = str(get_locale())
    found = _DURATION_FORMATS.get(locale)
    if found is None:
        found = _DURATION_FORMATS[locale] = {
            "dh": gettext("%(d)s hari %(h)s jam"), "hm": gettext("%(h)s jam %(m)s menit"),
            "m": gettext("%(m)s menit"), "s": gettext("%(s)s detik")}
    return found


def wita_today() -> date:
    return datetime.now(WITA).date()
