"""The trip scope of a synced row, on plain data: direct trip columns, rows that belong to their
parent's record, status history through its entity, village requests through the trips serving
them, and the rows that may belong to no trip (unscoped) or whose parent is unknown (unresolved)."""
from __future__ import annotations

import uuid

import pytest

from webapp.sync.scope import UNRESOLVED, UNSCOPED, Scope, resolve

TRIP, OTHER_TRIP = uuid.uuid4(), uuid.uuid4()
APP, VISIT, REQUEST, RESIDENT, CASE, FILE, LETTER = (str(uuid.uuid4()) for _ in range(7))
ENTITY_TABLES = {"application": "application", "visit": "visit", "request": "village_request", "trip": "trip",
                 "quality_case": "quality_case", "receipt": "receipt"}


class DictLookup:
    """Rows by table: {table: [row dicts]} (keys are the "id" column)."""

    def __init__(self, rows: dict[str, list[dict]]):
        self.rows = rows

    def get(self, table, key):
        return next((r for r in self.rows.get(table, []) if str(r.get("id")) == str(key)), None)

    def find(self, table, column, value):
        return [r for r in self.rows.get(table, []) if str(r.get(column)) == str(value)]


@pytest.fixture
def lookup():
    return DictLookup({
        "application": [{"id": APP, "trip_id": str(TRIP), "visit_id": VISIT, "quality_case_id": None}],
        "visit": [{"id": VISIT, "trip_id": str(TRIP)}],
        "trip_request": [{"id": "tr1", "trip_id": str(TRIP), "request_id": REQUEST}],
        "village_request": [{"id": REQUEST, "letter_file_id": LETTER}],
        "request_resident": [{"id": RESIDENT, "request_id": REQUEST}],
        "quality_case": [{"id": CASE, "request_id": REQUEST}],
        "application_file": [{"id": "af1", "application_id": APP, "file_id": FILE}],
    })


def scope(table, values, lookup):
    return resolve(table, values, lookup, entity_tables=ENTITY_TABLES)


@pytest.mark.parametrize("table", ["visit", "application", "receipt", "stock_movement", "trip_member",
                                   "trip_request", "trip_equipment"])
def test_rows_carrying_their_trip(table, lookup):
    assert scope(table, {"id": "x", "trip_id": str(TRIP)}, lookup) == Scope(frozenset({TRIP}))


def test_the_trip_row_is_its_own_scope(lookup):
    assert scope("trip", {"id": str(TRIP), "number": "PJ-1"}, lookup).trip_id == TRIP


@pytest.mark.parametrize("table", ["application_requirement", "application_file", "data_correction",
                                   "card_reading"])
def test_parts_of_an_application_follow_it(table, lookup):
    assert scope(table, {"id": "x", "application_id": APP}, lookup).trips == {TRIP}


def test_a_part_of_an_unknown_application_is_unresolved(lookup):
    found = scope("application_requirement", {"id": "x", "application_id": str(uuid.uuid4())}, lookup)
    assert found == UNRESOLVED and not found.resolved and not found.allowed({TRIP})


def test_status_history_follows_its_entity(lookup):
    history = {"id": "h", "entity_type": "application", "entity_id": APP, "to_status": "draf"}
    assert scope("status_history", history, lookup).trips == {TRIP}
    unknown = {**history, "entity_id": str(uuid.uuid4())}
    assert not scope("status_history", unknown, lookup).resolved


def test_a_request_and_its_residents_and_services_follow_the_trips_serving_it(lookup):
    assert scope("village_request", {"id": REQUEST}, lookup).trips == {TRIP}
    assert scope("request_resident", {"id": RESIDENT, "request_id": REQUEST}, lookup).trips == {TRIP}
    assert scope("requested_service", {"id": "s", "resident_id": RESIDENT}, lookup).trips == {TRIP}
    assert scope("request_disposition", {"id": "d", "request_id": REQUEST}, lookup).trips == {TRIP}
    assert not scope("village_request", {"id": str(uuid.uuid4())}, lookup).resolved


def test_a_stored_file_takes_the_trip_of_what_points_at_it_or_is_unscoped(lookup):
    assert scope("stored_file", {"id": FILE, "sha256": "a" * 64}, lookup).trips == {TRIP}
    assert scope("stored_file", {"id": LETTER, "sha256": "b" * 64}, lookup).trips == {TRIP}   # a letter scan
    assert scope("stored_file", {"id": str(uuid.uuid4()), "sha256": "c" * 64}, lookup) == UNSCOPED


def test_a_quality_case_follows_its_request_or_an_application_or_is_unscoped(lookup):
    assert scope("quality_case", {"id": CASE, "request_id": REQUEST}, lookup).trips == {TRIP}
    lookup.rows["application"][0]["quality_case_id"] = "case-2"
    assert scope("quality_case", {"id": "case-2", "request_id": None}, lookup).trips == {TRIP}
    assert scope("quality_case", {"id": "case-3", "request_id": None}, lookup) == UNSCOPED
    assert not scope("quality_case", {"id": "case-4", "request_id": str(uuid.uuid4())}, lookup).resolved
    assert scope("quality_case_person", {"case_id": CASE, "person_key": "k"}, lookup).trips == {TRIP}
    assert scope("duplicate_decision", {"id": "dd", "case_id": CASE}, lookup).trips == {TRIP}


def test_who_may_push_what():
    mine = Scope(frozenset({TRIP}))
    assert mine.allowed({TRIP}) and not mine.allowed({OTHER_TRIP}) and not mine.allowed(set())
    assert UNSCOPED.allowed({OTHER_TRIP}) and not UNSCOPED.allowed(set())
    assert not UNRESOLVED.allowed({TRIP})
    both = Scope(frozenset({TRIP, OTHER_TRIP}))
    assert both.allowed({OTHER_TRIP}) and both.trip_id == min(TRIP, OTHER_TRIP)


def test_unknown_tables_and_bad_values_are_unresolved(lookup):
    assert scope("users", {"id": "u"}, lookup) == UNRESOLVED
    assert scope("visit", {"id": "v", "trip_id": "not-a-uuid"}, lookup) == UNRESOLVED
    assert scope("visit", {"id": "v", "trip_id": None}, lookup) == UNRESOLVED
