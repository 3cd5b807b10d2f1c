"""Rows by table name, as the change events name them: the mapped class of a table, JSON values
turned back into column values, and a reader of rows by key for the scope resolver."""
from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import Column, Table, select
from sqlalchemy.types import JSON, Date, DateTime, Numeric, Time, TypeDecorator, Uuid

from webapp.core.changes import SYNC_WITH_ENTITY
from webapp.extensions import db


@lru_cache(maxsize=None)
def _classes_by_table() -> dict[str, type]:
    return {mapper.local_table.name: mapper.class_ for mapper in db.Model.registry.mappers}


def model_of(table_name: str) -> type | None:
    return _classes_by_table().get(table_name)


@lru_cache(maxsize=None)
def entity_tables() -> dict[str, str]:
    """entity_type (as status history names it) → table name."""
    found: dict[str, str] = {}
    for table, cls in _classes_by_table().items():
        found.setdefault(getattr(cls, "__entity_type__", table), table)
        found.setdefault(table, table)
    return found


def table_syncs(table_name: str) -> bool:
    """Does a node's row of this table travel (the model's __sync__ True, or status history)?"""
    cls = model_of(table_name)
    if cls is None:
        return False
    flag = cls.__dict__.get("__sync__", getattr(cls, "__sync__", True))
    return flag is True or flag == SYNC_WITH_ENTITY


def _base_type(column: Column):
    kind = column.type
    while isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    return kind


def column_value(column: Column, value: Any) -> Any:
    """A JSON value of a change event (webapp.core.changes.json_safe) as the column's Python value."""
    if value is None:
        return None
    kind = _base_type(column)
    if isinstance(kind, JSON):
        return value
    if isinstance(kind, Uuid):
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    if isinstance(kind, DateTime):
        return value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if isinstance(kind, Date):
        return value if isinstance(value, date) else date.fromisoformat(value)
    if isinstance(kind, Time):
        return value if isinstance(value, time) else time.fromisoformat(value)
    if isinstance(kind, Numeric) and getattr(kind, "asdecimal", False):
        return Decimal(str(value))
    return value


def table_of(table_name: str) -> Table | None:
    return db.metadata.tables.get(table_name)


def key_values(table: Table, key: Any) -> list[Any]:
    """The primary key's column values from a change event's key ("a/b" for a composite key)."""
    columns = list(table.primary_key.columns)
    parts = [key] if len(columns) == 1 else str(key).split("/", len(columns) - 1)
    if len(parts) != len(columns):
        raise ValueError("key does not match the primary key")
    return [column_value(c, p) for c, p in zip(columns, parts)]


class DbLookup:
    """The scope resolver's reader over this database (Core selects on the session's connection,
    so it also works inside a flush, where the ORM must not autoflush)."""

    def __init__(self, session=None) -> None:
        self.session = session or db.session

    def _run(self, stmt) -> list[dict]:
        return [dict(row._mapping) for row in self.session.connection().execute(stmt)]

    def get(self, table_name: str, key: Any) -> dict | None:
        table = table_of(table_name)
        if table is None or key is None:
            return None
        try:
            values = key_values(table, key)
        except (ValueError, TypeError):
            return None
        stmt = select(table)
        for column, value in zip(table.primary_key.columns, values):
            stmt = stmt.where(column == value)
        rows = self._run(stmt.limit(1))
        return rows[0] if rows else None

    def find(self, table_name: str, column_name: str, value: Any) -> list[dict]:
        table = table_of(table_name)
        if table is None or value is None or column_name not in table.c:
            return []
        column = table.c[column_name]
        try:
            value = column_value(column, value)
        except (ValueError, TypeError):
            return []
        return self._run(select(table).where(column == value).limit(50))
