"""Field node: every change event of a syncing table becomes an outbox row, added by the
`entity_changed` listener to the session that wrote the row, so both are committed (or rolled
back) together. The pass of the sync worker sends them (webapp.sync.client).

The listener is connected once per process and acts only inside an app whose ROLE is "field"
(an office and a node may live in one test process), and never for rows being applied from the
office (webapp.sync.origin: they came from there)."""
from __future__ import annotations

import logging
import uuid

from flask import current_app, has_app_context
from sqlalchemy import and_, case, distinct, func, select

from webapp.core.changes import ChangeEvent, entity_changed
from webapp.extensions import db
from webapp.sync.models import OutboxEntry
from webapp.sync.origin import applying_from
from webapp.sync.rows import DbLookup
from webapp.sync.scope import resolve

log = logging.getLogger("webapp.sync")
FIELD = "field"


def is_field_node(app=None) -> bool:
    app = app or (current_app if has_app_context() else None)
    return app is not None and str(app.config.get("ROLE", "office")).strip().lower() == FIELD


def entry_for(event: ChangeEvent, session) -> OutboxEntry:
    payload = event.to_dict()
    scope = resolve(event.table, event.values, DbLookup(session))
    return OutboxEntry(entry_id=uuid.UUID(event.id), table_name=event.table, row_key=event.key[:120],
                       operation=event.operation, payload=payload, content_hash=event.content_hash,
                       trip_id=scope.trip_id)


def _on_entity_changed(sender, *, event: ChangeEvent, session, **_extra) -> None:
    if not event.sync or applying_from() is not None or not is_field_node():
        return
    session.add(entry_for(event, session))


_connected = False


def connect() -> None:
    """Connect the listener (idempotent; create_app calls it through the sync views module)."""
    global _connected
    if not _connected:
        entity_changed.connect(_on_entity_changed, weak=False)
        _connected = True


# --- reading the outbox ---------------------------------------------------------------------------------

def pending_count() -> int:
    return int(db.session.execute(select(func.count()).select_from(OutboxEntry)
                                  .where(OutboxEntry.sent_at.is_(None))).scalar_one())


# The rows that are part of an application's record, and the column naming it.
APPLICATION_PARTS = ("application_requirement", "application_file", "data_correction", "card_reading")


def pending_application_count() -> int:
    """Applications with something not yet sent (the row itself, its checklist, files, corrections
    or status history): what the header counts as waiting. One intake writes many entries."""
    def value(column: str):
        return OutboxEntry.payload[("values", column)].as_string()

    application = case(
        (OutboxEntry.table_name == "application", OutboxEntry.row_key),
        (OutboxEntry.table_name.in_(APPLICATION_PARTS), value("application_id")),
        (and_(OutboxEntry.table_name == "status_history", value("entity_type") == "application"),
         value("entity_id")))
    return int(db.session.execute(select(func.count(distinct(application))).where(
        OutboxEntry.sent_at.is_(None))).scalar_one())


def refused_count() -> int:
    """Entries the office answered with a conflict (waiting for a person at the office)."""
    return int(db.session.execute(select(func.count()).select_from(OutboxEntry).where(
        OutboxEntry.sent_at.is_(None), OutboxEntry.last_error.isnot(None))).scalar_one())


def next_batch(limit: int, *, after_seq: int = 0, refused: bool = False) -> list[OutboxEntry]:
    """The oldest unsent entries after `after_seq`: first those never refused (in the order they
    were written: parents before children), then, in a pass's last batch, the refused ones again
    (the office answers "duplicate" once a person decided)."""
    stmt = (select(OutboxEntry).where(OutboxEntry.sent_at.is_(None), OutboxEntry.seq > after_seq)
            .order_by(OutboxEntry.seq).limit(limit))
    stmt = stmt.where(OutboxEntry.last_error.isnot(None) if refused else OutboxEntry.last_error.is_(None))
    return list(db.session.execute(stmt).scalars())


def wire_entry(entry: OutboxEntry) -> dict:
    """An outbox row as the push sends it: the change event plus its content hash."""
    return {**entry.payload, "hash": entry.content_hash}
