import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from webapp.core.audit import AuditEntry
from webapp.auth.roles import Role
from webapp.core import counters
from webapp.core.changes import StatusHistory, Workflow, audit, change_status
from webapp.core.errors import TransitionError
from webapp.extensions import db

FLOW = Workflow("user", {
    None: {"draft": frozenset()},
    "draft": {"submitted": frozenset({Role.OPERATOR.value})},
    "submitted": {"done": frozenset()},
})


class Thing:
    """A stand-in entity: the door works on any object with id and status."""
    __tablename__ = "thing"

    def __init__(self):
        self.id = None
        self.status = None


def test_audit_log_is_append_only_in_the_database(app):
    entry = audit("view", summary="lihat")
    db.session.commit()
    with pytest.raises(DBAPIError):
        db.session.execute(text("UPDATE audit_log SET summary = 'diubah'"))
        db.session.commit()
    db.session.rollback()
    with pytest.raises(DBAPIError):
        db.session.execute(text("DELETE FROM audit_log"))
        db.session.commit()
    db.session.rollback()
    assert db.session.get(AuditEntry, entry.id).summary == "lihat"


def test_change_status_writes_history_and_audit_together(app, make_user):
    operator = make_user(Role.OPERATOR)
    thing = Thing()
    change_status(thing, "draft", actor=operator, workflow=FLOW)
    change_status(thing, "submitted", actor=operator, workflow=FLOW, note="lengkap")
    db.session.commit()
    rows = StatusHistory.query.filter_by(entity_id=thing.id).order_by(StatusHistory.at).all()
    assert [(r.from_status, r.to_status) for r in rows] == [(None, "draft"), ("draft", "submitted")]
    assert rows[1].actor_name == operator.username and rows[1].note == "lengkap" and rows[1].node == "OFFICE"
    assert AuditEntry.query.filter_by(action="status", entity_id=str(thing.id)).count() == 2


def test_disallowed_transition_changes_nothing(app, make_user):
    viewer = make_user(Role.VIEWER)
    thing = Thing()
    thing.status = "draft"
    with pytest.raises(TransitionError) as err:
        change_status(thing, "submitted", actor=viewer, workflow=FLOW)
    assert "tidak berwenang" in str(err.value.message)
    with pytest.raises(TransitionError):
        change_status(thing, "done", actor=viewer, workflow=FLOW)
    assert thing.status == "draft"
    assert StatusHistory.query.count() == 0


def test_node_counters_never_reset_and_are_per_node(app):
    assert [counters.next_value("receipt") for _ in range(3)] == [1, 2, 3]
    assert counters.next_value("receipt", node="BUS-01") == 1
    assert counters.human_number("KP", "receipt", node="BUS-01") == "KP-BUS01-000002"
    db.session.commit()
    assert counters.next_value("receipt") == 4


def test_audit_page_searches_by_actor_and_action(client, login_as, make_user):
    admin = login_as(Role.ADMIN)
    make_user(full_name="Untuk dicari")
    resp = client.get("/admin/audit/?action=create")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "create" in page
    logins = client.htmx("GET", f"/admin/audit/?action=login&actor={admin.username}").get_data(as_text=True)
    assert admin.username in logins and "<html" not in logins
