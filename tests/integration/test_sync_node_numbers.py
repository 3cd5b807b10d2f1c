"""The office keeps each node's numbering: a receipt (and a queue number) a bus pushed raises the
office's counter of that node, so the check-out package of a replacement laptop carries it and
the new laptop goes on from there (the package side: test_sync_fault_fixes.py)."""
from __future__ import annotations

from sqlalchemy import select

from tests.integration.sync_factories import in_node, office, node, bus  # noqa: F401
from webapp.core.counters import NodeCounter, next_value
from webapp.extensions import db
from webapp.field.models import Visit
from webapp.intake.models import Receipt
from webapp.sync import checkout, fieldday
from webapp.sync import services as sync_services
from webapp.trips.models import Trip


def _counter(node_code: str, name: str) -> int | None:
    row = db.session.get(NodeCounter, (node_code, name))
    return row.value if row is not None else None


def test_a_pushed_receipt_raises_the_offices_counter_of_that_node(office, node, bus):  # noqa: F811
    with in_node(node):
        db.session.add(NodeCounter(node="BUS-01", name="receipt", value=41))   # the laptop numbered before
        db.session.commit()
        fieldday.fill(2, photos_per_application=1, photo_kb=4, seed=5)
        numbers = sorted(db.session.execute(select(Receipt.number).where(Receipt.trip_id == bus.trip_id)).scalars())
        queue = max(db.session.execute(select(Visit.queue_number).where(Visit.trip_id == bus.trip_id)).scalars())
        assert numbers[-2:] == ["KP-BUS01-000042", "KP-BUS01-000043"]
        assert sync_services.run_once().ok
    db.session.remove()
    assert _counter("BUS-01", "receipt") == 43
    assert _counter("BUS-01", f"q:{bus.trip_id.hex}") == queue
    assert _counter("OFFICE", "receipt") is None                    # the office's own numbering untouched
    # A replacement laptop's package starts it after the last receipt the old one pushed.
    trip = db.session.get(Trip, bus.trip_id)
    assert checkout.node_counters(trip, "BUS-01")["receipt"] == 43
    db.session.rollback()


def test_raising_a_counter_never_lowers_it(app):
    from webapp.core.counters import raise_to
    raise_to("receipt", 9, "BUS-02")
    raise_to("receipt", 4, "BUS-02")
    db.session.commit()
    assert _counter("BUS-02", "receipt") == 9
    assert next_value("receipt", "BUS-02") == 10
