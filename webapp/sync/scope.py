"""Which trip a synced row belongs to, from its table and values (and the rows it points at).

The office lets a node push a row only when the row's trip is checked out to that node; the node
notes the trip on each outbox row. A few rows belong to no trip (a stored file no application
points at yet, a data-quality case opened on the bus for nobody on a village list, a hand-over):
they are *unscoped*, allowed to a node that has some trip checked out. A row whose parent cannot
be found is *unresolved* (refused: its trip cannot be checked).

`resolve()` reads other rows through a `Lookup` (`get(table, key)`, `find(table, column, value)`
giving dicts by column name), so it runs on plain data in the unit tests, on the office's
database when a push is applied and on the node's inside a flush (webapp.sync.rows.DbLookup).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Mapping, Protocol


class Lookup(Protocol):
    def get(self, table: str, key: Any) -> dict | None: ...

    def find(self, table: str, column: str, value: Any) -> list[dict]: ...


@dataclass(frozen=True)
class Scope:
    trips: frozenset[uuid.UUID] = frozenset()   # the row is part of one of these trips
    unscoped: bool = False                      # part of no trip (allowed with any trip checked out)

    @property
    def resolved(self) -> bool:
        return bool(self.trips) or self.unscoped

    @property
    def trip_id(self) -> uuid.UUID | None:
        """The one trip to note on an outbox row (the first, should a row belong to several)."""
        return min(self.trips) if self.trips else None

    def allowed(self, checked_out: set[uuid.UUID] | frozenset[uuid.UUID]) -> bool:
        """May a node with these trips checked out push this row?"""
        if self.trips:
            return bool(self.trips & set(checked_out))
        return self.unscoped and bool(checked_out)


UNRESOLVED = Scope()
UNSCOPED = Scope(unscoped=True)

# The row carries its trip.
TRIP_COLUMN = {
    "trip": "id", "visit": "trip_id", "application": "trip_id", "receipt": "trip_id",
    "stock_movement": "trip_id", "trip_member": "trip_id", "trip_request": "trip_id",
    "trip_equipment": "trip_id",
}
# The row is part of its parent's record: (column pointing at the parent, parent table).
PARENT = {
    "application_requirement": ("application_id", "application"),
    "application_file": ("application_id", "application"),
    "data_correction": ("application_id", "application"),
    "card_reading": ("application_id", "application"),
    "request_disposition": ("request_id", "village_request"),
    "request_resident": ("request_id", "village_request"),
    "requested_service": ("resident_id", "request_resident"),
    "quality_case_person": ("case_id", "quality_case"),
    "duplicate_decision": ("case_id", "quality_case"),
}
# Rows that may belong to no trip, and the rows pointing at them that give them one:
# table → [(referencing table, its column)].
REFERENCED_BY = {
    "stored_file": [("application_file", "file_id"), ("village_request", "letter_file_id")],
    "quality_case": [("application", "quality_case_id")],
    "handover": [("application", "handover_id")],
}
MAX_DEPTH = 4


def as_uuid(value: Any) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _trips(*values: Any) -> Scope:
    found = frozenset(v for v in (as_uuid(x) for x in values) if v is not None)
    return Scope(found) if found else UNRESOLVED


def resolve(table: str, values: Mapping[str, Any], lookup: Lookup, *,
            entity_tables: Mapping[str, str] | None = None, _depth: int = 0) -> Scope:
    """The scope of a row of `table` with these column values (a change event's `values`)."""
    if _depth > MAX_DEPTH:
        return UNRESOLVED
    deeper = dict(lookup=lookup, entity_tables=entity_tables, _depth=_depth + 1)
    if table in TRIP_COLUMN:
        return _trips(values.get(TRIP_COLUMN[table]))
    if table in PARENT:
        column, parent_table = PARENT[table]
        parent = lookup.get(parent_table, values.get(column))
        return resolve(parent_table, parent, **deeper) if parent is not None else UNRESOLVED
    if table == "status_history":
        return _entity_scope(values, deeper)
    if table == "village_request":
        return _request_scope(values.get("id"), lookup)
    if table in REFERENCED_BY:
        return _referenced_scope(table, values, deeper)
    return UNRESOLVED


def _entity_scope(values: Mapping[str, Any], deeper: dict) -> Scope:
    if deeper["entity_tables"] is None:
        from webapp.sync.rows import entity_tables
        deeper["entity_tables"] = entity_tables()
    table = deeper["entity_tables"].get(values.get("entity_type") or "")
    entity = deeper["lookup"].get(table, values.get("entity_id")) if table else None
    return resolve(table, entity, **deeper) if entity is not None else UNRESOLVED


def _request_scope(request_id: Any, lookup: Lookup) -> Scope:
    """A village request is part of the trips that serve it."""
    if request_id is None:
        return UNRESOLVED
    return _trips(*(row.get("trip_id") for row in lookup.find("trip_request", "request_id", request_id)))


def _referenced_scope(table: str, values: Mapping[str, Any], deeper: dict) -> Scope:
    lookup: Lookup = deeper["lookup"]
    scope = UNSCOPED
    if table == "quality_case" and values.get("request_id") is not None:
        scope = _request_scope(values.get("request_id"), lookup)
        if not scope.resolved:
            return UNRESOLVED         # a case for a request this side does not know
    for other, column in REFERENCED_BY[table]:
        for row in lookup.find(other, column, values.get("id")):
            found = resolve(other, row, **deeper)
            if found.trips:
                scope = Scope(scope.trips | found.trips)
    return scope
