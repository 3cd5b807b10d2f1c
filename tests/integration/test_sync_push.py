"""Push from a field node to the office, with two apps in one process (tests/integration/
sync_factories.py): pairing and the clock, the outbox in the write's transaction, idempotent apply
(replays, concurrent replays), tampered entries, trips not checked out, tokens, size limits, the
laptop's clock days off, the status command, the office's pages and the node's header."""
from __future__ import annotations

import json
import os
import stat
import threading
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import Client
from tests.integration.sync_factories import (OFFICE_URL, TWO_DAYS, bus, count, in_node, node, office,  # noqa: F401
                                              office_counts, post_push, walk_in, wire_entries)
from tests.integration.trip_factories import PASSWORD, office_user
from webapp.auth.models import User
from webapp.auth.roles import Role
from webapp.core.audit import AuditEntry
from webapp.core.changes import StatusHistory
from webapp.core.db import utcnow
from webapp.extensions import db
from webapp.field.models import Visit
from webapp.intake.models import Application, ChecklistLine
from webapp.sync import apply, nodes, services
from webapp.sync.client import FlaskTransport, OfficeUnreachable
from webapp.sync.models import (CHECKED_IN, CONFLICT_DECIDED, CONFLICT_OPEN, AppliedEntry, FeedEntry, FieldNode,
                                NodeLink, OutboxEntry, SyncConflict, TripCheckout)


# --- pairing and hello ----------------------------------------------------------------------------------

def test_pairing_checks_the_token_keeps_it_0600_and_measures_the_clock(office, node, bus, tmp_path):
    assert abs(bus.hello.clock_offset_s) < 5 and bus.hello.node == "BUS-01"
    token_file = tmp_path / "node-instance" / "sync-token"
    assert token_file.read_text().strip() == bus.token
    assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
    with in_node(node):
        link = db.session.get(NodeLink, 1)
        assert (link.node_code, link.office_url, link.token_hint) == ("BUS-01", OFFICE_URL, bus.token[-4:])
        assert link.online and abs(link.clock_offset_s) < 5
    db.session.remove()
    registered = db.session.get(FieldNode, bus.node_id)
    assert registered.last_contact_at is not None and registered.token_hash != bus.token
    assert bus.token not in registered.token_hash
    with in_node(node):
        with pytest.raises(Exception) as refused:
            services.pair(OFFICE_URL, "kp1_" + "x" * 43)
        assert "401" in str(refused.value)


def test_hello_answers_the_office_time_and_wrong_tokens_get_401_json(office, node, bus):
    client = office.test_client()
    good = client.post("/sync/v1/hello", json={"node": "BUS-01"}, headers={"Authorization": f"Bearer {bus.token}"})
    assert good.status_code == 200 and good.json["node"] == "BUS-01" and "office_time" in good.json
    for header in ({}, {"Authorization": "Bearer kp1_" + "y" * 43}, {"Authorization": f"Basic {bus.token}"}):
        answer = client.post("/sync/v1/hello", json={"node": "BUS-01"}, headers=header)
        assert answer.status_code == 401 and answer.is_json and answer.json["error"] == "unauthorized"
    other = client.post("/sync/v1/hello", json={"node": "BUS-02"}, headers={"Authorization": f"Bearer {bus.token}"})
    assert other.status_code == 403 and other.json["error"] == "node_mismatch"


# --- the outbox --------------------------------------------------------------------------------------------

def test_a_node_write_lands_in_the_outbox_in_the_same_transaction(office, node, bus):
    with in_node(node):
        walk_in(node, bus, commit=False)
        db.session.rollback()
        assert count(Visit) == 0 and count(OutboxEntry) == 0
        visit_id, application_id = walk_in(node, bus)
        rows = list(db.session.execute(select(OutboxEntry).order_by(OutboxEntry.seq)).scalars())
        tables = [r.table_name for r in rows]
        assert {"visit", "status_history", "application", "application_requirement"} <= set(tables)
        assert tables.index("visit") < tables.index("application")
        assert all(r.trip_id == bus.trip_id for r in rows)
        assert all(r.sent_at is None for r in rows) and len({r.entry_id for r in rows}) == len(rows)
        first = next(r for r in rows if r.table_name == "visit")
        assert first.row_key == str(visit_id) and first.payload["values"]["name"] == "Aluh Masitah"
        assert not any(r.table_name in ("audit_log", "node_counter", "sync_outbox") for r in rows)
    assert count(OutboxEntry) == 0            # the office writes no outbox


# --- push ----------------------------------------------------------------------------------------------------

def test_push_applies_the_rows_on_the_office_once_and_is_audited(office, node, bus):
    with in_node(node):
        visit_id, application_id = walk_in(node, bus)
        written = count(OutboxEntry)
        result = services.run_once()
        assert result.ok and result.online and result.pushed == written and result.conflicts == 0
        assert count(OutboxEntry, OutboxEntry.sent_at.is_(None)) == 0
        link = db.session.get(NodeLink, 1)
        assert link.last_success_at is not None and link.last_error is None
    db.session.remove()
    visit = db.session.get(Visit, visit_id)
    application = db.session.get(Application, application_id)
    assert visit.name == "Aluh Masitah" and visit.node == "BUS-01" and visit.status == "dipanggil"
    assert application.status == "draf" and application.trip_id == bus.trip_id
    assert count(ChecklistLine, ChecklistLine.application_id == application_id) > 0
    assert count(StatusHistory, StatusHistory.entity_id == application_id) == 1
    assert count(AppliedEntry) == written
    pushes = AuditEntry.query.filter_by(action="sync_push").all()
    assert len(pushes) == 1 and f"{written} diterapkan" in pushes[0].summary
    registered = db.session.get(FieldNode, bus.node_id)
    assert registered.last_push_at is not None and registered.backlog is not None


def test_the_office_applying_rows_writes_no_outbox_or_feed_and_nothing_comes_back(office, node, bus):
    with in_node(node):
        walk_in(node, bus)
        written = count(OutboxEntry)
        assert services.run_once().ok
        again = services.run_once()
        assert again.ok and again.pushed == 0 and count(OutboxEntry) == written     # nothing new, no echo
    db.session.remove()
    assert count(OutboxEntry) == 0 and count(FeedEntry) == 0
    assert count(AppliedEntry) == written


def test_the_same_batch_replayed_50_times_creates_each_row_once(office, node, bus):
    with in_node(node):
        walk_in(node, bus)
    entries = wire_entries(node)
    first = post_push(office, bus.token, entries)
    assert first.status_code == 200 and {r["status"] for r in first.json["results"]} == {"applied"}
    before = office_counts()
    for _ in range(50):
        answer = post_push(office, bus.token, entries)
        assert answer.status_code == 200 and {r["status"] for r in answer.json["results"]} == {"duplicate"}
    assert office_counts() == before and count(SyncConflict) == 0


def test_the_same_batch_pushed_50_times_at_once_creates_each_row_once(office, node, bus):
    with in_node(node):
        walk_in(node, bus)
    entries = wire_entries(node)
    answers, errors = [], []

    def push():
        try:
            answers.append(post_push(office, bus.token, entries))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=push) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(answers) == 50
    assert {a.status_code for a in answers} == {200}
    statuses = [tuple(r["status"] for r in a.json["results"]) for a in answers]
    assert sum(1 for s in statuses if set(s) == {"applied"}) == 1
    assert sum(1 for s in statuses if set(s) == {"duplicate"}) == 49
    counts = office_counts()
    assert counts["visit"] == 1 and counts["application"] == 1 and counts["applied"] == len(entries)
    assert count(SyncConflict) == 0


def test_a_row_whose_parent_came_in_a_later_batch_applies_when_sent_again_and_closes_its_conflict(
        office, node, bus, client, login_as):
    """A batch boundary between a row and its parent (the node's outbox is split into pushes):
    the first push cannot apply the child, the office keeps a waiting conflict; the node sends the
    refused entry again after the parent arrived, and it applies with the conflict closed."""
    with in_node(node):
        walk_in(node, bus)
    entries = wire_entries(node)
    child = next(e for e in entries if e["table"] == "application_requirement")
    first = post_push(office, bus.token, [child])
    assert first.status_code == 409 and first.json["results"][0]["status"] == "conflict"
    db.session.remove()
    waiting = SyncConflict.query.one()
    assert waiting.status == CONFLICT_OPEN and waiting.existing.get("retry") is True
    waiting_id = waiting.id
    login_as(Role.ADMIN)
    path = f"/admin/konflik-sinkron/{waiting_id}"
    assert "dicoba lagi setiap kali bus mengirimnya ulang" in client.get(path).get_data(as_text=True)
    rest = [e for e in entries if e["id"] != child["id"]]
    assert post_push(office, bus.token, rest).status_code == 200
    again = post_push(office, bus.token, [child])
    assert again.status_code == 200, again.json
    assert {r["status"] for r in again.json["results"]} == {"applied"}
    db.session.remove()
    assert SyncConflict.query.filter_by(status=CONFLICT_OPEN).count() == 0
    closed = db.session.get(SyncConflict, waiting_id)
    assert (closed.decision, closed.decided_by) == (apply.APPLIED_ON_RESEND, "sistem")
    assert count(Application) == 1 and count(AppliedEntry) == len(entries)
    assert AuditEntry.query.filter_by(action="decide", entity_id=str(waiting_id)).count() == 1
    assert post_push(office, bus.token, [child]).json["results"][0]["status"] == "duplicate"
    assert "Diterapkan otomatis saat dikirim ulang" in client.get(path).get_data(as_text=True)


def test_a_tampered_entry_gets_409_and_one_conflict_to_decide(office, node, bus):
    with in_node(node):
        visit_id, _application_id = walk_in(node, bus)
        assert services.run_once().ok
    entries = wire_entries(node)
    original = next(e for e in entries if e["table"] == "visit")
    values = {**original["values"], "name": "Nama Lain"}
    tampered = {**original, "values": values,
                "hash": apply.content_hash(original["table"], original["key"], original["operation"], values)}
    answer = post_push(office, bus.token, [tampered])
    assert answer.status_code == 409
    assert answer.json["results"] == [{"id": original["id"], "status": "conflict", "reason": "hash_mismatch"}]
    assert post_push(office, bus.token, [tampered]).status_code == 409          # sent again: no second row
    db.session.remove()
    conflict = SyncConflict.query.one()
    assert (conflict.reason, conflict.status, conflict.node_code) == ("hash_mismatch", CONFLICT_OPEN, "BUS-01")
    assert db.session.get(Visit, visit_id).name == "Aluh Masitah"             # nothing overwritten
    assert AuditEntry.query.filter_by(action="sync_conflict").count() == 1
    stale_hash = {**tampered, "hash": original["hash"]}                        # content changed, hash kept
    refused = post_push(office, bus.token, [stale_hash])
    assert refused.status_code == 409 and refused.json["results"][0]["reason"] == "invalid"
    # A person keeps the office's version (a note is required); the node's next send is a duplicate.
    officer = db.session.get(User, bus.officer_id)
    with pytest.raises(Exception):
        apply.decide_conflict(conflict, apply.KEEP_OFFICE, "  ", actor=officer)
    db.session.rollback()
    conflict = SyncConflict.query.filter_by(reason="hash_mismatch").one()
    apply.decide_conflict(conflict, apply.KEEP_OFFICE, "Nama sesuai KK di kantor.", actor=officer)
    db.session.commit()
    conflict_id = conflict.id
    settled = post_push(office, bus.token, [tampered])
    assert settled.status_code == 200 and settled.json["results"][0]["status"] == "duplicate"
    db.session.remove()
    assert db.session.get(SyncConflict, conflict_id).status == CONFLICT_DECIDED
    fed = FeedEntry.query.one()                              # the office's version goes back to the node
    assert (fed.table_name, fed.row_key, fed.node_code) == ("visit", str(visit_id), "BUS-01")
    assert fed.payload["values"]["name"] == "Aluh Masitah"
    assert AuditEntry.query.filter_by(action="decide", entity_type="sync_conflict").count() == 1


def test_a_trip_not_checked_out_to_the_node_is_a_conflict_and_the_node_keeps_the_entries(office, node, bus):
    TripCheckout.query.filter_by(trip_id=bus.trip_id).one().status = CHECKED_IN
    db.session.commit()
    with in_node(node):
        visit_id, _ = walk_in(node, bus)
        written = count(OutboxEntry)
        result = services.run_once()
        assert result.online and result.conflicts == written and result.pushed == 0
        assert count(OutboxEntry, OutboxEntry.sent_at.is_(None), OutboxEntry.last_error.isnot(None)) == written
        state = services.node_state()
        assert state.pending == written and state.refused == written
        assert "konflik" in (state.last_error or "")
        again = services.run_once()                    # refused entries are sent again: no new conflicts
        assert again.conflicts == written
    db.session.remove()
    assert db.session.get(Visit, visit_id) is None
    reasons = {c.reason for c in SyncConflict.query.all()}
    assert reasons == {"not_checked_out"} and SyncConflict.query.count() == written


def test_taking_the_bus_version_of_a_conflict_applies_it_and_the_node_stops_sending(office, node, bus):
    checkout = TripCheckout.query.filter_by(trip_id=bus.trip_id).one()
    checkout.status = CHECKED_IN
    db.session.commit()
    with in_node(node):
        visit_id, _ = walk_in(node, bus)
        written = count(OutboxEntry)
        services.run_once()
    db.session.remove()
    admin = office_user(Role.ADMIN)
    db.session.commit()
    conflicts = SyncConflict.query.order_by(SyncConflict.created_at).all()
    visit_conflict = next(c for c in conflicts if c.table_name == "visit")
    apply.decide_conflict(visit_conflict, apply.TAKE_BUS, "Diterima: warga memang dilayani di bus.", actor=admin)
    db.session.commit()
    db.session.remove()
    assert db.session.get(Visit, visit_id).name == "Aluh Masitah"
    with in_node(node):
        services.run_once()
        assert count(OutboxEntry, OutboxEntry.sent_at.is_(None)) == written - 1


def test_a_revoked_or_wrong_token_gets_401_and_the_node_says_so(office, node, bus):
    nodes.revoke_node(db.session.get(FieldNode, bus.node_id))
    db.session.commit()
    answer = post_push(office, bus.token, [])
    assert answer.status_code == 401 and answer.json["error"] == "revoked"
    with in_node(node):
        walk_in(node, bus)
        result = services.run_once()
        assert not result.ok and "401" in result.error
        assert services.status()["last_error"] and services.status()["pending"] == count(OutboxEntry)
    db.session.remove()
    assert count(Visit) == 0
    assert AuditEntry.query.filter_by(action="sync_refused").count() >= 1
    assert post_push(office, "kp1_" + "z" * 43, []).status_code == 401


def test_an_oversized_push_gets_413_json(office, node, bus):
    office.config["SYNC_PUSH_MAX_BYTES"] = 2000
    try:
        answer = post_push(office, bus.token, [{"id": str(uuid.uuid4()), "padding": "x" * 5000}])
    finally:
        office.config.pop("SYNC_PUSH_MAX_BYTES")
    assert answer.status_code == 413 and answer.json["error"] == "too_large"
    assert count(SyncConflict) == 0


def test_a_laptop_clock_two_days_off_is_measured_and_breaks_nothing(office, node, bus):
    node_clock = lambda: time.time() - TWO_DAYS  # noqa: E731  (the laptop is two days behind)
    with in_node(node):
        arrived = utcnow() - timedelta(seconds=TWO_DAYS)
        visit_id, application_id = walk_in(node, bus, at=arrived)
        result = services.run_once(clock=node_clock)
        assert result.ok and result.conflicts == 0
        link = db.session.get(NodeLink, 1)
        assert abs(link.clock_offset_s - TWO_DAYS) < 60
    db.session.remove()
    registered = db.session.get(FieldNode, bus.node_id)
    assert abs(registered.clock_offset_s - TWO_DAYS) < 60
    assert db.session.get(Visit, visit_id).arrived_at == arrived                 # stored as the node wrote it
    assert db.session.get(Application, application_id) is not None
    assert "selisih jam +1728" in AuditEntry.query.filter_by(action="sync_push").one().summary


def test_sync_status_json_prints_exactly_the_state_keys(office, node, bus):
    with in_node(node):
        walk_in(node, bus)
        waiting = count(OutboxEntry)
    runner = node.test_cli_runner()

    def invoke(*args):
        with in_node(node):            # the CLI runs in the app whose context is current
            return runner.invoke(args=list(args))

    printed = json.loads(invoke("sync", "status", "--json").output)
    assert set(printed) == {"node", "online", "pending", "last_success", "last_error"}
    assert printed["node"] == "BUS-01" and printed["pending"] == waiting and printed["online"] is True
    ran = invoke("sync", "run", "--once")
    assert ran.exit_code == 0, ran.output
    printed = json.loads(invoke("sync", "status", "--json").output)
    assert printed["pending"] == 0 and printed["last_success"] and printed["last_error"] is None
    assert invoke("nodes", "list").exit_code != 0                 # office-only commands refuse on a node


def test_field_pair_reads_the_token_from_stdin_and_refuses_a_wrong_one(office, node, bus):
    runner = node.test_cli_runner()
    with in_node(node):
        paired = runner.invoke(args=["field", "pair", "--office", OFFICE_URL, "--token", "-"], input=bus.token + "\n")
        assert paired.exit_code == 0, paired.output
        assert "BUS-01 dipasangkan" in paired.output and bus.token not in paired.output
        wrong = runner.invoke(args=["field", "pair", "--office", OFFICE_URL, "--token", "kp1_" + "w" * 43])
        assert wrong.exit_code != 0 and "menolak" in wrong.output
        assert runner.invoke(args=["field", "pair", "--office", "ftp://x", "--token", bus.token]).exit_code != 0
    assert office.test_cli_runner().invoke(args=["field", "pair", "--office", OFFICE_URL,
                                                 "--token", bus.token]).exit_code != 0      # not on the office


def test_nodes_cli_adds_lists_and_revokes(office):
    runner = office.test_cli_runner()
    added = runner.invoke(args=["nodes", "add", "bus-02", "--name", "Laptop Bus 02"])
    assert added.exit_code == 0, added.output
    token = added.output.splitlines()[1].strip()
    assert token.startswith("kp1_")
    assert runner.invoke(args=["nodes", "add", "BUS-02"]).exit_code != 0          # active already
    listed = [json.loads(line) for line in runner.invoke(args=["nodes", "list", "--json"]).output.splitlines()]
    assert [(n["code"], n["active"], n["token_hint"]) for n in listed] == [("BUS-02", True, token[-4:])]
    assert runner.invoke(args=["nodes", "revoke", "BUS-02"]).exit_code == 0
    db.session.remove()
    assert nodes.authenticate(token).active is False
    renewed = runner.invoke(args=["nodes", "add", "BUS-02"])                     # a replacement laptop
    assert renewed.exit_code == 0 and renewed.output.splitlines()[1].strip() != token
    assert AuditEntry.query.filter(AuditEntry.action.in_(["create", "revoke"]),
                                   AuditEntry.entity_type == "sync_node").count() == 3


# --- the office's pages -------------------------------------------------------------------------------------

def test_the_node_page_shows_a_new_token_once_and_revokes(office, client, login_as):
    login_as(Role.ADMIN)
    page = client.get("/admin/node-lapangan")
    assert page.status_code == 200 and "Tambah node" in page.get_data(as_text=True)
    added = client.post_form("/admin/node-lapangan", {"code": "BUS-03", "name": "Laptop 03"},
                             token_from="/admin/node-lapangan")
    text = added.get_data(as_text=True)
    assert added.status_code == 200 and added.headers["Cache-Control"] == "no-store"
    token = next(word for word in text.replace("<", " ").replace(">", " ").split() if word.startswith("kp1_"))
    assert token not in client.get("/admin/node-lapangan").get_data(as_text=True)
    refused = client.post_form("/admin/node-lapangan", {"code": "office"}, token_from="/admin/node-lapangan")
    assert refused.status_code == 422 and "bukan OFFICE" in refused.get_data(as_text=True)
    db.session.remove()
    registered = nodes.get_by_code("BUS-03")
    revoked = client.post_form(f"/admin/node-lapangan/{registered.id}/cabut", {}, token_from="/admin/node-lapangan")
    assert revoked.status_code == 302
    db.session.remove()
    assert not nodes.get_by_code("BUS-03").active


def test_a_conflict_is_decided_on_its_page_with_a_required_note(office, node, bus, client, login_as):
    with in_node(node):
        walk_in(node, bus)
        assert services.run_once().ok
    original = next(e for e in wire_entries(node) if e["table"] == "visit")
    values = {**original["values"], "name": "Nama Lain", "nik": "6306104101900001"}
    post_push(office, bus.token, [{**original, "values": values, "hash": apply.content_hash(
        original["table"], original["key"], original["operation"], values)}])
    db.session.remove()
    conflict_id = SyncConflict.query.one().id
    login_as(Role.ADMIN)
    listed = client.get("/admin/konflik-sinkron").get_data(as_text=True)
    assert "Kunci sama, isi berbeda" in listed
    path = f"/admin/konflik-sinkron/{conflict_id}"
    page = client.get(path).get_data(as_text=True)
    assert "Nama Lain" in page and "6306104101900001" not in page                   # NIK masked
    assert AuditEntry.query.filter_by(action="view", entity_type="sync_conflict").count() == 1
    missing_note = client.post_form(path, {"decision": apply.TAKE_BUS, "note": ""}, token_from=path)
    assert missing_note.status_code == 422
    done = client.post_form(path, {"decision": apply.TAKE_BUS, "note": "Nama dibetulkan di bus."}, token_from=path)
    assert done.status_code == 302
    db.session.remove()
    assert db.session.get(Visit, uuid.UUID(original["key"])).name == "Nama Lain"
    assert db.session.get(SyncConflict, conflict_id).decided_by.startswith("admin")


def test_the_header_of_a_field_node_shows_the_state_and_syncs_on_demand(office, node, bus):
    with in_node(node):
        walk_in(node, bus)
        waiting = count(OutboxEntry)
    node.test_client_class = Client
    client = node.test_client()
    with in_node(node):
        officer = db.session.get(User, bus.officer_id)
        username = officer.username
    assert client.post_form("/masuk", {"username": username, "password": PASSWORD}).status_code == 302
    with in_node(node):
        home = client.get("/").get_data(as_text=True)
    assert 'data-testid="sync-status"' in home and "Sinkronkan sekarang" in home
    assert "1 permohonan menunggu" in home and f"({waiting} entri)" in home and f'data-pending="{waiting}"' in home
    def office_down(method, url, **_kwargs):
        raise OfficeUnreachable("kantor tidak terjangkau: connection refused")

    node.extensions["kp_sync_transport"] = office_down
    with in_node(node):
        offline = client.htmx("POST", "/sinkron/sekarang").get_data(as_text=True)
    assert "luring" in offline and "1 permohonan menunggu" in offline and "connection refused" in offline
    node.extensions["kp_sync_transport"] = FlaskTransport(office)
    with in_node(node):
        fragment = client.htmx("POST", "/sinkron/sekarang")
        refreshed = client.get("/sinkron/status").get_data(as_text=True)
    assert fragment.status_code == 200 and "0 menunggu" in fragment.get_data(as_text=True)
    assert "daring" in fragment.get_data(as_text=True) and 'data-pending="0"' in refreshed
    assert office.test_client().get("/sinkron/status").status_code in (302, 404)


def test_the_header_counts_the_applications_waiting_and_the_status_command_the_entries(office, node, bus):
    """One intake writes many outbox entries: the header says how many applications wait (its row,
    checklist, files or history unsent); `flask sync status --json` keeps "pending" as entries."""
    from webapp.intake import services as intake
    with in_node(node):
        assert services.node_state().pending_applications == 0
        _visit, first = walk_in(node, bus)
        walk_in(node, bus, name="Idar Bahtiar", child="Utuh Basrun")
        state = services.node_state()
        assert (state.pending_applications, state.pending) == (2, count(OutboxEntry))
        assert state.pending > 2 * 3
        assert services.run_once().ok
        assert (services.node_state().pending_applications, services.node_state().pending) == (0, 0)

        line = db.session.execute(select(ChecklistLine).where(ChecklistLine.application_id == first)
                                  .order_by(ChecklistLine.position)).scalars().first()
        intake.set_line_state(line, "ada", actor=db.session.get(User, bus.officer_id))
        db.session.commit()
        waiting = {row.table_name for row in OutboxEntry.query.filter(OutboxEntry.sent_at.is_(None))}
        assert "application_requirement" in waiting
        state = services.node_state()
        assert state.pending_applications == 1 and state.pending == count(OutboxEntry, OutboxEntry.sent_at.is_(None))
        result = node.test_cli_runner().invoke(args=["sync", "status", "--json"])   # in the node's context
    assert json.loads(result.output)["pending"] == state.pending
