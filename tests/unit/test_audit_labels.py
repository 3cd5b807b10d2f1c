"""The audit page names every action and every kind of record in Indonesian: each action word
the code writes (audit("…"), record_change(row, "…"), the *_ACTION constants) and each mapped
table's entity type has a label, so no raw English key reaches the admin's filter lists."""
from __future__ import annotations

import re
from pathlib import Path

from webapp import create_app
from webapp.audit.views import ACTION_LABELS, ENTITY_LABELS
from webapp.core.changes import entity_type_of
from webapp.extensions import db

WEBAPP = Path(__file__).resolve().parents[2] / "webapp"

# Written without an audit entry of their own (bookkeeping, reference data, or covered by the
# entry of the record they belong to: audit=False at every write).
NEVER_AUDITED = {"audit_log", "login_throttle", "login_session", "region", "register_state", "register_row_error",
                 "status_history", "node_counter", "job_run", "trip_request", "quality_case_person",
                 "sop_step_measure"}

ACTION_PATTERNS = (
    re.compile(r"\baudit\(\s*\"(\w+)\""),
    re.compile(r"\brecord_change\(\s*[\w.\[\]]+\s*,\s*\"(\w+)\""),
    re.compile(r"^\w*_ACTION\s*=\s*\"(\w+)\"", re.MULTILINE),
)


def _actions_in_code() -> set[str]:
    found: set[str] = set()
    for path in WEBAPP.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in ACTION_PATTERNS:
            found.update(pattern.findall(text))
    return found


def test_every_action_written_has_a_label():
    actions = _actions_in_code()
    assert {"view", "create", "update", "status", "reprint", "search", "export", "siak_link"} <= actions
    assert sorted(actions - set(ACTION_LABELS)) == []


def test_every_audited_entity_type_has_a_label():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        types = {entity_type_of(m.class_) for m in db.Model.registry.mappers}
    assert {"visit", "application", "application_requirement", "application_file", "data_correction",
            "receipt", "handover", "siak_file_run"} <= types
    assert sorted(types - NEVER_AUDITED - set(ENTITY_LABELS)) == []
