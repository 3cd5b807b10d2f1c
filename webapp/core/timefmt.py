"""Times are stored in UTC and shown in WITA (Asia/Makassar)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

WITA = ZoneInfo("Asia/Makassar")

MONTHS_ID = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
             "September", "Oktober", "November", "Desember")


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
        return f"{value.day} {MONTHS_ID[value.month - 1]} {value.year}"
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
        return f"{sign}{days} hari {hours} jam"
    if hours:
        return f"{sign}{hours} jam {minutes} menit"
    return f"{sign}{minutes} menit" if minutes else f"{sign}{seconds % 60} detik"


def wita_today() -> date:
    return datetime.now(WITA).date()
