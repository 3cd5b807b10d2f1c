"""Searching the audit log (read-only: the table refuses UPDATE and DELETE)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from webapp.audit.models import AuditEntry
from webapp.core.args import arg_date, arg_page, arg_text
from webapp.core.timefmt import WITA
from webapp.extensions import db

PAGE_SIZE = 50


@dataclass
class AuditFilters:
    actor: str = ""
    action: str = ""
    entity_type: str = ""
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "AuditFilters":
        return cls(actor=arg_text(args, "actor", 80), action=arg_text(args, "action", 40),
                   entity_type=arg_text(args, "entity_type", 40),
                   date_from=arg_date(args, "date_from"), date_to=arg_date(args, "date_to"), page=arg_page(args))


@dataclass
class Page:
    items: list
    page: int
    has_next: bool


def _wita_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=WITA)


def search(filters: AuditFilters) -> Page:
    stmt = select(AuditEntry)
    if filters.actor:
        stmt = stmt.where(func.lower(AuditEntry.actor_name).like(f"%{filters.actor.lower()}%"))
    if filters.action:
        stmt = stmt.where(AuditEntry.action == filters.action)
    if filters.entity_type:
        stmt = stmt.where(AuditEntry.entity_type == filters.entity_type)
    if filters.date_from:
        stmt = stmt.where(AuditEntry.at >= _wita_midnight_utc(filters.date_from))
    if filters.date_to:
        stmt = stmt.where(AuditEntry.at < _wita_midnight_utc(filters.date_to + timedelta(days=1)))
    stmt = stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    rows = db.session.execute(stmt.offset((filters.page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).scalars().all()
    return Page(items=rows[:PAGE_SIZE], page=filters.page, has_next=len(rows) > PAGE_SIZE)


def distinct_values(column) -> list[str]:
    return [v for (v,) in db.session.execute(select(column).distinct().order_by(column)) if v]
