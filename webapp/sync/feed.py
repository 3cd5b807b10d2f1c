"""Office: what the field nodes pull. Every change event of a syncing table written at the office
(not applied from a node: webapp.sync.origin) whose row belongs to a trip checked out to a node
becomes a FeedEntry for that node, in the same transaction — e.g. a case the centre resolved, a
SIAK number issued, a receipt closed at the pick-up desk. Nodes read it by cursor (FeedEntry.seq).

Rows that belong to no trip are not fed (they reach a node in its check-out package)."""
from __future__ import annotations

import uuid

from flask import current_app, has_app_context
from sqlalchemy import select

from webapp.core.changes import ChangeEvent, entity_changed
from webapp.core.db import new_uuid
from webapp.extensions import db
from webapp.sync.models import CHECKED_OUT, FeedEntry, TripCheckout
from webapp.sync.origin import applying_from
from webapp.sync.rows import DbLookup
from webapp.sync.scope import resolve

DEFAULT_PULL_LIMIT = 200
MAX_PULL_LIMIT = 500


def _is_office() -> bool:
    return has_app_context() and str(current_app.config.get("ROLE", "office")).strip().lower() == "office"


_HOLDERS = "sync_feed_holders"


def _checked_out(session) -> dict:
    """trip id → node code of every trip checked out now; read once per transaction (a check-out
    made later in the same transaction carries its rows in its package anyway)."""
    transaction = session.get_transaction()
    cached = session.info.get(_HOLDERS)
    if cached is not None and cached[0] is transaction:
        return cached[1]
    table = TripCheckout.__table__
    rows = session.connection().execute(select(table.c.trip_id, table.c.node_code).where(
        table.c.status == CHECKED_OUT))
    found = {trip_id: node_code for trip_id, node_code in rows}
    session.info[_HOLDERS] = (transaction, found)
    return found


def feed_entries(event: ChangeEvent, session, *, only_node: str | None = None) -> list[FeedEntry]:
    checked_out = _checked_out(session)
    if not checked_out:
        return []
    scope = resolve(event.table, event.values, DbLookup(session))
    holders = {trip: checked_out[trip] for trip in scope.trips if trip in checked_out}
    targets = sorted({node for node in holders.values() if only_node in (None, node)})
    trip_of = {node: trip for trip, node in holders.items()}
    return [FeedEntry(entry_id=uuid.UUID(event.id) if index == 0 else new_uuid(), table_name=event.table,
                      row_key=event.key[:120], payload=event.to_dict(), content_hash=event.content_hash,
                      trip_id=trip_of[node], node_code=node, origin_node=event.node or "OFFICE")
            for index, node in enumerate(targets)]


def _on_entity_changed(sender, *, event: ChangeEvent, session, **_extra) -> None:
    if not event.sync or applying_from() is not None or not _is_office():
        return
    for entry in feed_entries(event, session):
        session.add(entry)


_connected = False


def connect() -> None:
    global _connected
    if not _connected:
        entity_changed.connect(_on_entity_changed, weak=False)
        _connected = True


def feed_row(obj, node_code: str) -> FeedEntry | None:
    """Send the office's current row to one node (a conflict decided for the office's version, so
    the node's copy comes right). Added to the session; None for a row of no checked-out trip."""
    from sqlalchemy import inspect

    from webapp.core.changes import entity_type_of, json_safe, row_key
    from webapp.core.db import current_node, utcnow
    mapper = inspect(type(obj))
    values = {prop.columns[0].name: json_safe(getattr(obj, prop.key)) for prop in mapper.column_attrs
              if prop.columns[0].table is mapper.local_table}
    event = ChangeEvent(id=str(new_uuid()), table=mapper.local_table.name, key=row_key(mapper, obj),
                        operation="update", op="decide", entity_type=entity_type_of(obj), values=values,
                        changed=tuple(values), sync=True, node=current_node(), actor_id=None, actor_name="system",
                        at=utcnow().isoformat())
    found = feed_entries(event, db.session(), only_node=node_code)
    for entry in found:
        db.session.add(entry)
    return found[0] if found else None


def read(node_code: str, cursor: int, limit: int = DEFAULT_PULL_LIMIT) -> tuple[list[dict], int, bool]:
    """The node's entries after `cursor`: (entries with "seq" and "hash", the new cursor, more?)."""
    limit = max(1, min(int(limit), MAX_PULL_LIMIT))
    rows = list(db.session.execute(select(FeedEntry).where(FeedEntry.seq > cursor, FeedEntry.node_code == node_code)
                                   .order_by(FeedEntry.seq).limit(limit)).scalars())
    entries = [{**row.payload, "hash": row.content_hash, "seq": row.seq} for row in rows]
    return entries, (rows[-1].seq if rows else cursor), len(rows) == limit
