"""Sync semantics between an office and a field node in one process (tests/integration/
sync_factories.py): the laptop's clock offset kept with the rows it brings and used by the SOP
figures; an update from the bus refused as "office_changed" when the office changed the same
column meanwhile; every sync (pairing, pull, files of a push, refusals) in the office's audit log."""
from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest
from flask import current_app, has_app_context
from sqlalchemy import select

from tests.integration.sync_factories import (TWO_DAYS, bus, count, in_node, node, office,  # noqa: F401
                                              post_push, walk_in, wire_entries)
from tests.integration.trip_factories import office_user
from webapp.auth.models import User
from webapp.auth.roles import Role
from webapp.core.audit import AuditEntry
from webapp.core.changes import StatusHistory, history_of, record_change
from webapp.core.db import utcnow
from webapp.core.timefmt import wita_today
from webapp.documents import queue
from webapp.extensions import db
from webapp.field import services as field_services
from webapp.field.models import Visit
from webapp.intake import services as intake
from webapp.intake.models import Application
from webapp.sync import apply, services
from webapp.sync.models import (CHECKED_IN, CHECKED_OUT, CONFLICT_OPEN, FeedEntry, FieldNode, OutboxEntry, SyncConflict,
                                TripCheckout)
from webapp.trips import queries as trip_queries
from webapp.trips import services as trips
from webapp.trips.models import Trip

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


class Upload:
    def __init__(self, data: bytes, filename: str):
        self.stream, self.filename = io.BytesIO(data), filename


@pytest.fixture
def laptop_behind(monkeypatch, node):
    """Inside the node's app every stored time (webapp.core.db.utcnow, column defaults) runs two
    days behind, as on a laptop whose clock is off; the office in the same process keeps the real
    time. Returns the laptop's wall clock for the sync client (it measures the offset with it)."""
    import webapp.core.db as core_db
    real = core_db.datetime

    class LaptopClock(real):
        @classmethod
        def now(cls, tz=None):
            found = real.now(tz)
            if has_app_context() and current_app._get_current_object() is node:
                return found - timedelta(seconds=TWO_DAYS)
            return found

    monkeypatch.setattr(core_db, "datetime", LaptopClock)
    return lambda: time.time() - TWO_DAYS


def complete_checklist(application, officer) -> None:
    for group in intake.line_groups(application):
        line = group[0]
        if line.kind == "photo":
            intake.attach_file(application, Upload(PNG, "foto.png"), kind="foto", line=line, actor=officer)
        else:
            intake.set_line_state(line, "ada", actor=officer)


def release_trip(trip_id) -> None:
    """The trip back at the office (what check-in does to its TripCheckout row)."""
    for row in TripCheckout.query.filter_by(trip_id=trip_id).all():
        row.status = CHECKED_IN
    db.session.commit()


# --- the clock ----------------------------------------------------------------------------------------------

def test_a_bus_two_days_behind_leaves_the_sop_times_right_at_the_office(office, node, bus, laptop_behind,
                                                                        client, login):
    """Intake on a laptop two days behind, a receipt, the day closed; synced; the files received,
    taken and finished at the office. The rows keep the laptop's times, the offset measured at the
    sync is kept beside them, and every figure reads the office's clock."""
    started = utcnow()                                             # the office's (real) clock
    with in_node(node):
        visit_id, application_id = walk_in(node, bus)
        officer = db.session.get(User, bus.officer_id)
        application = db.session.get(Application, application_id)
        complete_checklist(application, officer)
        receipt = intake.accept_with_receipt(db.session.get(Visit, visit_id), [application], collect_at="kantor",
                                             actor=officer)
        trips.finish_service(db.session.get(Trip, bus.trip_id), officer)   # after the office's "tiba"
        db.session.commit()
        assert started - receipt.issued_at > timedelta(days=1)                 # the laptop's clock
        result = services.run_once(clock=laptop_behind)
        assert result.ok and result.conflicts == 0 and abs(result.clock_offset_s - TWO_DAYS) < 60
    db.session.remove()

    from_bus = StatusHistory.query.filter_by(node="BUS-01").all()
    assert from_bus and all(abs(r.clock_offset_s - TWO_DAYS) < 60 for r in from_bus)
    assert all(started - r.at > timedelta(days=1) for r in from_bus)                 # kept as written
    assert all(abs(r.corrected_at - started) < timedelta(minutes=5) for r in from_bus)
    assert all(r.clock_offset_s is None for r in StatusHistory.query.filter_by(node="OFFICE"))

    # The trip: "selesai" on the bus comes after the office's "tiba", not two days before it.
    trip = db.session.get(Trip, bus.trip_id)
    assert [r.to_status for r in history_of(trip)][-2:] == ["tiba", "selesai"]
    timeline = trip_queries.trip_timeline(trip)
    assert timedelta(0) <= timeline.finished_at - timeline.arrived_at < timedelta(minutes=5)

    # SOP step 5 (both ends on the bus) and the visit's times on the office's clock.
    step5 = field_services.visit_step5(db.session.get(Visit, visit_id))
    assert step5.within_standard and timedelta(0) <= step5.duration < timedelta(minutes=5)
    assert abs(step5.ended_at - started) < timedelta(minutes=5)

    # At the office: files received (the 1-hour rule starts), taken, the number recorded.
    release_trip(bus.trip_id)
    operator = office_user(Role.OPERATOR)
    application = db.session.get(Application, application_id)
    queue.receive_files([application], operator)
    queue.take(application, operator)
    queue.record_document_number(application, "6306-KIA-000123", wita_today(), actor=operator)
    db.session.commit()
    rows = history_of(application)
    assert [r.to_status for r in rows] == ["draf", "tanda_terima", "di_kantor", "diproses", "terbit"]
    receipted, received = rows[1], rows[2]
    assert timedelta(0) <= received.corrected_at - receipted.corrected_at < timedelta(minutes=5)  # not 2 days
    age, over = queue.one_hour_age(application)
    assert age < timedelta(hours=1) and not over

    # The operator's page shows the bus's times corrected, and says so.
    login(operator)
    page = client.get(f"/dokumen/antrean/{application_id}").get_data(as_text=True)
    assert 'data-testid="clock-corrected"' in page and "BUS-01" in page


def test_the_node_header_warns_of_a_clock_days_off(office, node, bus, laptop_behind):
    with in_node(node):
        assert services.node_state().clock_warning is None
        assert services.run_once(clock=laptop_behind).ok
        warning = services.node_state().clock_warning
        assert warning is not None and abs(warning.total_seconds() - TWO_DAYS) < 60


# --- office_changed for updates --------------------------------------------------------------------------

def _node_sets_note(node, application_id, note):
    """A write on the node through the change door (read first, as services do)."""
    with in_node(node):
        application = db.session.get(Application, application_id)
        application.note = note
        record_change(application, "update", actor=None)
        db.session.commit()


def _office_sets(application_id, **values):
    application = db.session.get(Application, application_id)
    for name, value in values.items():
        setattr(application, name, value)
    record_change(application, "update", actor=None)
    db.session.commit()


def test_an_update_carries_the_values_before_it(office, node, bus):
    with in_node(node):
        _visit_id, application_id = walk_in(node, bus)
    _node_sets_note(node, application_id, "dari bus")
    update = [e for e in wire_entries(node) if e["table"] == "application" and e["operation"] == "update"][-1]
    assert update["before"]["note"] is None and update["values"]["note"] == "dari bus"
    assert "note" in update["changed"] and set(update["before"]) <= set(update["changed"])
    inserts = [e for e in wire_entries(node) if e["operation"] == "insert"]
    assert inserts and all(e["before"] == {} for e in inserts)


def test_a_bus_update_of_a_column_the_office_changed_meanwhile_is_a_conflict(office, node, bus):
    with in_node(node):
        _visit_id, application_id = walk_in(node, bus)
        assert services.run_once().ok
    db.session.remove()
    _office_sets(application_id, note="catatan kantor")             # fed to the node, not pulled yet
    _node_sets_note(node, application_id, "catatan bus")

    with in_node(node):
        result = services.run_once()
        assert result.conflicts == 1
        refused = OutboxEntry.query.filter(OutboxEntry.sent_at.is_(None)).one()
        assert refused.last_error == apply.OFFICE_CHANGED
    db.session.remove()
    assert db.session.get(Application, application_id).note == "catatan kantor"    # nothing overwritten
    conflict = SyncConflict.query.filter_by(reason=apply.OFFICE_CHANGED).one()
    assert conflict.status == CONFLICT_OPEN and "note" in conflict.existing["detail"]
    assert conflict.existing["row"]["note"] == "catatan kantor"
    assert conflict.incoming["values"]["note"] == "catatan bus" and conflict.incoming["before"]["note"] is None

    # Decided for the bus: the office takes it, and the node (which pulled the office's note
    # meanwhile) gets the row back with its next pull.
    admin = office_user(Role.ADMIN)
    apply.decide_conflict(conflict, apply.TAKE_BUS, "Catatan petugas di lokasi yang benar", actor=admin)
    db.session.commit()
    assert db.session.get(Application, application_id).note == "catatan bus"
    with in_node(node):
        assert services.run_once().ok
        assert db.session.get(Application, application_id).note == "catatan bus"
        assert count(OutboxEntry, OutboxEntry.sent_at.is_(None)) == 0


def test_other_columns_and_the_same_value_are_not_conflicts(office, node, bus):
    with in_node(node):
        _visit_id, application_id = walk_in(node, bus)
        assert services.run_once().ok
    db.session.remove()
    _office_sets(application_id, reason="ditulis kantor")              # another column
    _node_sets_note(node, application_id, "dari bus")
    with in_node(node):
        assert services.run_once().conflicts == 0
    db.session.remove()
    found = db.session.get(Application, application_id)
    assert (found.note, found.reason) == ("dari bus", "ditulis kantor")  # each side's column kept

    _office_sets(application_id, note="sama")                          # both made the same change
    _node_sets_note(node, application_id, "sama")
    with in_node(node):
        assert services.run_once().conflicts == 0
    assert count(SyncConflict) == 0


def test_an_entry_without_before_is_applied_as_before(office, node, bus):
    """Entries written before `before` existed (or a column set on an expired row) are not compared."""
    with in_node(node):
        _visit_id, application_id = walk_in(node, bus)
        assert services.run_once().ok
    db.session.remove()
    _office_sets(application_id, note="catatan kantor")
    _node_sets_note(node, application_id, "catatan bus")
    with in_node(node):
        entry = OutboxEntry.query.filter(OutboxEntry.sent_at.is_(None)).one()
        wire = {**entry.payload, "hash": entry.content_hash}
    wire.pop("before")
    answer = post_push(office, bus.token, [wire])
    assert answer.status_code == 200 and answer.json["applied"] == 1
    db.session.remove()
    assert db.session.get(Application, application_id).note == "catatan bus"


# --- the audit log ----------------------------------------------------------------------------------------

def test_pairing_pulls_files_and_refusals_are_audited_once(office, node, bus, laptop_behind):
    db.session.remove()
    paired = AuditEntry.query.filter_by(action="sync_pair", entity_type="sync_node").all()
    assert len(paired) == 1 and "kontak pertama" in paired[0].summary

    with in_node(node):
        _visit_id, application_id = walk_in(node, bus)
        intake.attach_file(db.session.get(Application, application_id), Upload(PNG, "foto.png"), kind="foto",
                           actor=db.session.get(User, bus.officer_id))
        db.session.commit()
        assert services.run_once(clock=laptop_behind).ok
        passes = AuditEntry.query.filter_by(action="sync_pass").all()   # the node's own log
        assert len(passes) == 1 and "BUS-01" in passes[0].summary and "selisih jam +1728" in passes[0].summary
    db.session.remove()
    push = AuditEntry.query.filter_by(action="sync_push").one()
    assert "1 berkas" in push.summary and "selisih jam +1728" in push.summary
    jump = AuditEntry.query.filter_by(action="sync_clock").one()        # the offset went from ~0 to 2 days
    assert "+1728" in jump.summary
    with in_node(node):
        assert services.run_once(clock=laptop_behind).ok                # the same offset, nothing to move
        assert AuditEntry.query.filter_by(action="sync_pass").count() == 1
    db.session.remove()
    assert AuditEntry.query.filter_by(action="sync_clock").count() == 1
    assert AuditEntry.query.filter_by(action="sync_pull").count() == 0  # nothing to pull yet

    _office_sets(application_id, reason="dari kantor")                  # fed to the node
    feed_seq = db.session.execute(select(FeedEntry.seq)).scalars().all()
    assert feed_seq
    headers = {"Authorization": f"Bearer {bus.token}"}
    for _again in range(2):                                             # a node asking the same page twice
        answer = office.test_client().get("/sync/v1/pull?cursor=0", headers=headers)
        assert answer.status_code == 200 and answer.json["entries"]
    db.session.remove()
    pulls = AuditEntry.query.filter_by(action="sync_pull").all()
    assert len(pulls) == 1 and f"→ {max(feed_seq)}" in pulls[0].summary
    assert db.session.get(FieldNode, bus.node_id).pulled_seq == max(feed_seq)

    # Bytes that do not hash to their name, and a check-in the office refuses.
    client = office.test_client()
    wrong = client.put(f"/sync/v1/media/{'ab' * 32}?offset=0", data=b"not these bytes",
                       headers={**headers, "X-Media-Size": "15", "X-Media-Type": "image/png"})
    assert wrong.status_code == 422
    trip = db.session.get(Trip, bus.trip_id)
    refused = client.post("/sync/v1/checkin", json={"node": "BUS-01", "trip_number": trip.number, "pending": 3,
                                                     "reconciliation": {}}, headers=headers)
    assert refused.status_code == 409
    db.session.remove()
    refusals = [e.summary for e in AuditEntry.query.filter_by(action="sync_refused")]
    assert any("sha256" in s for s in refusals) and any("check-in" in s and "ditolak" in s for s in refusals)
    assert TripCheckout.query.filter_by(trip_id=bus.trip_id).one().status == CHECKED_OUT
