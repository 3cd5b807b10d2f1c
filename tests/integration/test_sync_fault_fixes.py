"""Sync bugs found by bench/sync_faults.py (SIGKILLs, link cuts, a node killed during a write),
each pinned in-process: an office app and a field node app (two SQLite files), the node reaching
the office through its test client (the fixtures of test_sync_checkout.py)."""
from __future__ import annotations

import hashlib
import io
import socket
import threading
from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from tests.integration.sync_factories import bus, count, in_node, node, office  # noqa: F401  (fixtures)
from tests.integration.test_sync_checkout import (  # noqa: F401  (fixtures)
    office_and_node, office_application, office_trip, on, pair_node, sqlite_template)
from tests.integration.test_sync_media_pull import CuttableTransport, photo_bytes, photo_on_node
from webapp.auth.models import User
from webapp.core.counters import NodeCounter, human_number
from webapp.extensions import db
from webapp.field import services as field_services
from webapp.files.models import StoredFile
from webapp.files.services import path_of
from webapp.field.models import Visit
from webapp.intake.models import Receipt
from webapp.sync import checkout, media, services
from webapp.sync import services as sync_services
from webapp.sync.client import OfficeUnreachable, UrllibTransport
from webapp.sync.models import FieldNode, NodeLink, OutboxEntry
from webapp.trips import services as trips
from webapp.trips.models import Trip


def test_checkout_brings_the_nodes_counters_so_it_never_reuses_a_number_the_office_holds(office_and_node):
    """A laptop whose counters start again (new or reinstalled, or a trip the office already
    served, as the demo's) numbered its first walk-in 1 — a queue number a visit of the trip has:
    the walk-in failed on the bus with an IntegrityError — and its first receipt KP-BUS01-000001,
    a number unique at the office: that receipt's push would be refused. The package carries
    the counters' floor."""
    office, node = office_and_node
    with on(office):
        data = office_trip(departed=True)
        office_application(data["trip_id"])                        # its visit has queue number 1
        trip = db.session.get(Trip, data["trip_id"])
        visit = db.session.execute(select(Visit).where(Visit.trip_id == trip.id)).scalar_one()
        db.session.add(Receipt(number="KP-BUS01-000007", check_code="ABC234", visit_id=visit.id, trip_id=trip.id,
                               holder_name="Aluh Masitah", collect_at="kantor"))   # the old laptop's receipt, arrived
    pair_node(office, node)

    with on(node):
        result = checkout.request_checkout(data["number"])
        counters = {row.name: row.value for row in db.session.execute(
            select(NodeCounter).where(NodeCounter.node == "BUS-01")).scalars()}
        assert counters["receipt"] == 7 and counters[f"q:{result.trip.id.hex}"] == 1
        operator = db.session.get(User, data["operator_id"])
        trips.record_arrival(result.trip, actor=operator)
        walk_in = field_services.add_walk_in(result.trip, field_services.WalkInInput(
            name="Ahmad Fauzi", sex="L", birth_date=date(1988, 1, 1), desa_code="63.06.10.2009"), operator)
        assert walk_in.queue_number == 2
        assert human_number("KP", "receipt") == "KP-BUS01-000008"


def test_a_counter_the_node_is_past_already_is_not_lowered_by_a_package(office_and_node):
    office, node = office_and_node
    with on(office):
        data = office_trip()
    pair_node(office, node)
    with on(node):
        db.session.add(NodeCounter(node="BUS-01", name="receipt", value=40))
        db.session.flush()
        checkout.request_checkout(data["number"])
        assert db.session.get(NodeCounter, ("BUS-01", "receipt")).value == 40


def _office_dying_mid_answer(status_line: bytes):
    """A socket that answers every request with headers promising 100 bytes, sends 11 and closes
    (what the node sees when the office's process is SIGKILLed while it writes its answer)."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            conn.recv(65536)
            conn.sendall(status_line + b"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                         b'{"results":')
            conn.close()
    threading.Thread(target=serve, daemon=True).start()
    return server


@pytest.mark.parametrize("status_line", [b"HTTP/1.1 200 OK", b"HTTP/1.1 409 CONFLICT"])
def test_an_answer_cut_off_by_the_office_dying_is_an_unreachable_office_not_a_crash(status_line):
    """http.client.IncompleteRead is no OSError: it escaped the transport, so `flask sync run
    --once` died with a traceback and the header's "Sinkronkan sekarang" answered 500."""
    server = _office_dying_mid_answer(status_line)
    try:
        with pytest.raises(OfficeUnreachable):
            UrllibTransport()("POST", f"http://127.0.0.1:{server.getsockname()[1]}/sync/v1/push",
                              headers={"Content-Type": "application/json"}, body=b"{}", timeout=3)
    finally:
        server.close()


def test_a_pass_whose_answer_is_cut_off_records_the_node_offline(office_and_node):
    office, node = office_and_node
    pair_node(office, node)
    server = _office_dying_mid_answer(b"HTTP/1.1 200 OK")
    try:
        node.extensions["kp_sync_transport"] = UrllibTransport()
        with on(node):
            db.session.get(NodeLink, 1).office_url = f"http://127.0.0.1:{server.getsockname()[1]}"
        with node.app_context():
            result = sync_services.run_once(timeout=3)
            assert not result.ok and not result.online and "tidak terjangkau" in result.error
            assert sync_services.node_state().online is False
    finally:
        server.close()


def test_a_file_whose_bytes_all_arrived_but_the_office_died_before_finishing_it_is_finished_first(office, node,
                                                                                                  bus):
    """The office died after writing a file's last part to `.partial/` and before checking its
    sha256 and moving it into the store. The node asked, heard "received = size, not complete",
    sent nothing more and pushed the stored_file row: the office had the row and never the file
    (found by bench/sync_faults.py, an office SIGKILLed in the middle of an upload)."""
    data = photo_bytes(120_000)
    sha = hashlib.sha256(data).hexdigest()
    with in_node(node):
        _application_id, _attached_id = photo_on_node(node, bus, data)
    with office.app_context():
        partial = media._partial(sha)                   # where the dead office left every byte
        partial.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(data)
        assert media.state_of(sha).to_dict() == {"received": len(data), "complete": False}
    with in_node(node):
        transport = CuttableTransport(office)
        result = services.run_once(transport=transport)
        assert result.ok and result.conflicts == 0 and transport.part_bytes == 0   # no byte sent again
        assert count(OutboxEntry, OutboxEntry.sent_at.is_(None)) == 0
    db.session.remove()
    assert path_of(sha).read_bytes() == data and not partial.exists()
    assert StoredFile.query.filter_by(sha256=sha).one().size == len(data)


class StalledBody(io.BytesIO):
    """A request body that is still on its way: before its bytes come, `probe()` runs (another
    connection looks at what the request holds meanwhile)."""

    def __init__(self, data: bytes, probe):
        super().__init__(data)
        self.probe, self.probed = probe, None

    def _arriving(self) -> None:
        if self.probed is None:
            self.probed = self.probe()

    def read(self, size=-1):
        self._arriving()
        return super().read(size)

    def read1(self, size=-1):
        self._arriving()
        return super().read1(size)

    def readinto(self, buffer):
        self._arriving()
        return super().readinto(buffer)


def _node_row_free(node_id) -> bool:
    """Could another request write the node's row right now (no lock held on it)?"""
    with db.engine.connect() as conn:
        try:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT id FROM sync_node WHERE id = :id FOR UPDATE NOWAIT"), {"id": node_id})
            else:
                conn.exec_driver_sql("PRAGMA busy_timeout = 0")
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            return True
        except OperationalError:
            return False
        finally:
            conn.rollback()


def test_a_media_part_still_arriving_holds_no_lock_on_the_node(office, node, bus):
    """The office locked the node's row (authenticate: SELECT … FOR UPDATE; the PUT's touch
    before its body) and then read the part: an upload whose link died without a word kept the
    lock, so every hello and push of that node waited — the node could not sync until that
    connection died (found by bench/sync_faults.py, a link cut in the middle of an upload)."""
    data = photo_bytes(60_000)
    sha = hashlib.sha256(data).hexdigest()
    body = StalledBody(data, lambda: _node_row_free(bus.node_id))
    with office.app_context():
        answer = office.test_client().put(
            f"/sync/v1/media/{sha}?offset=0", input_stream=body, content_length=len(data),
            headers={"Authorization": f"Bearer {bus.token}", "X-Media-Size": str(len(data)),
                     "X-Media-Type": "image/png"})
    assert answer.status_code == 200 and answer.get_json() == {"received": len(data), "complete": True}
    assert body.probed is True                      # while the part was arriving, the row was free
    db.session.remove()
    assert db.session.get(FieldNode, bus.node_id).last_contact_at is not None   # and written after it
