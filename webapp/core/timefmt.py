"""Times are stored in UTC and shown in WITA (Asia/Makassar)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask_babel import gettext

WITA = ZoneInfo("Asia/Makassar")


def N_(text: str) -> str:
    """Marks a string for the catalog; it is translated where it is shown (gettext)."""
    return text


MONTHS_ID = (N_("Januari"), N_("Februari"), N_("Maret"), N_("April"), N_("Mei"), N_("Juni"), N_("Juli"),
             N_("Agustus"), N_("September"), N_("Oktober"), N_("November"), N_("Desember"))


def to_wita(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(WITA)


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return "—"
    local = to_wita(value)
    return f"{local.day:02d}-{local.month:02d}-{local.year} {local:%H:%M} WITA"


def format_date(value: date | datetime | None, long: bool = False) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = to_wita(value).date()
    if long:
        return f"{value.day} {gettext(MONTHS_ID[value.month - 1])} {value.year}"
    return f"{value.day:02d}-{value.month:02d}-{value.year}"


def format_duration(delta: timedelta | None) -> str:
    if delta is None:
        return "—"
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, _ = divmod(rest, 60)
    if days:
        return sign + gettext("%(d)s hari %(h)s jam", d=days, h=hours)
    if hours:
        return sign + gettext("%(h)s jam %(m)s menit", h=hours, m=minutes)
    return sign + (gettext("%(m)s menit", m=minutes) if minutes else gettext("%(s)s detik", s=seconds % 60))


def wita_today() -> date:
    return datetime.now(WITA).date()
