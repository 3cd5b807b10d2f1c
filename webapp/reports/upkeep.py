"""Keeping `sop_step_measure` in step with the status history.

Every transaction that writes status history rows of a measured entity (a letter, a trip, a
visit, an application) re-measures those entities before it commits, in the same transaction:
their rows of the steps' statuses are read again and go through the timelines' own
`step_durations` (webapp.requests.timeline) — the one definition of a step — and each ended
step's start, end and duration are written (an upsert: two transactions measuring one entity
never fail each other; a step that no longer ends loses its row). Rows written by a push from a
bus count at `corrected_at`, as on the request and trip pages. A rollback drops the re-measure
with the rows that caused it.

Writes behind the ORM (Core inserts into status_history) are not seen: `flask reports remeasure`
(`remeasure_all`) rebuilds the table from the whole history, as the migration that made it did.
"""
from __future__ import annotations

import uuid
from datetime import timedelta
from itertools import groupby
from operator import itemgetter
from typing import Iterable, NamedTuple

from sqlalchemy import delete, event, select, tuple_
from sqlalchemy.orm import Session

from webapp.core.changes import StatusHistory, corrected

PENDING = "reports.remeasure"        # session.info: {(entity_type, entity_id), …} written this transaction
CHUNK = 500
_HISTORY = StatusHistory.__table__
_MICROSECOND = timedelta(microseconds=1)


class _Row(NamedTuple):
    """A status history row as `step_durations` reads it (on the office's clock)."""
    id: uuid.UUID
    to_status: str
    at: object
    corrected_at: object


def _measures_by_type() -> dict:
    from webapp.reports.steps import MEASURES
    found: dict = {}
    for m in MEASURES:
        found.setdefault(m.entity_type, []).append(m)
    return found


def measured_rows(entity_type: str, history: Iterable) -> list[dict]:
    """The measure rows of one entity from its status history rows (any order; rows with
    entity_id, id, to_status, at, clock_offset_s)."""
    from webapp.requests.timeline import step_durations

    measures = _measures_by_type().get(entity_type, [])
    rows = list(history)
    if not measures or not rows:
        return []
    entity_id = rows[0].entity_id
    ordered = sorted((_Row(r.id, r.to_status, r.at, corrected(r.at, r.clock_offset_s)) for r in rows),
                     key=lambda r: (r.corrected_at, r.id))        # as history_of orders them
    found = []
    for m, result in zip(measures, step_durations(ordered, [m.step for m in measures])):
        if result.duration is None:
            continue
        found.append({"measure": m.key, "entity_id": entity_id, "entity_type": entity_type,
                      "started_at": result.started_at, "ended_at": result.ended_at,
                      "duration_us": result.duration // _MICROSECOND, "within": bool(result.within_standard)})
    return found


def _statuses(entity_type: str) -> list[str]:
    return sorted({s for m in _measures_by_type()[entity_type] for s in (m.step.from_status, m.step.to_status)})


def _upsert(connection, rows: list[dict]) -> None:
    from webapp.reports.models import StepMeasure

    if not rows:
        return
    table = StepMeasure.__table__
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.measure, table.c.entity_id],
        set_={name: stmt.excluded[name] for name in ("entity_type", "started_at", "ended_at", "duration_us", "within")})
    connection.execute(stmt, rows)


def remeasure(connection, entity_type: str, entity_ids: Iterable[uuid.UUID]) -> int:
    """Measure these entities again from their status history; returns the rows written."""
    from webapp.reports.models import StepMeasure

    if entity_type not in _measures_by_type():
        return 0
    h = _HISTORY.c
    keys = [m.key for m in _measures_by_type()[entity_type]]
    ids = sorted(set(entity_ids))
    written = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        history = connection.execute(
            select(h.entity_id, h.id, h.to_status, h.at, h.clock_offset_s)
            .where(h.entity_type == entity_type, h.entity_id.in_(chunk), h.to_status.in_(_statuses(entity_type)))
            .order_by(h.entity_id)).all()
        rows = [row for _e, group in groupby(history, key=itemgetter(0)) for row in measured_rows(entity_type, group)]
        _upsert(connection, rows)
        kept = {(r["measure"], r["entity_id"]) for r in rows}
        gone = [(key, entity_id) for key in keys for entity_id in chunk if (key, entity_id) not in kept]
        if gone:
            t = StepMeasure.__table__.c
            for part in range(0, len(gone), CHUNK):
                connection.execute(delete(StepMeasure.__table__).where(
                    tuple_(t.measure, t.entity_id).in_(gone[part:part + CHUNK])))
        written += len(rows)
    return written


def remeasure_all(connection) -> dict[str, int]:
    """Rebuild the whole table from the status history: {entity type: rows written}."""
    from webapp.reports.models import StepMeasure

    h = _HISTORY.c
    connection.execute(delete(StepMeasure.__table__))
    counts = {}
    for entity_type in _measures_by_type():
        ids = connection.execute(select(h.entity_id).where(h.entity_type == entity_type).distinct()).scalars().all()
        counts[entity_type] = remeasure(connection, entity_type, ids)
    return counts


# ---------------------------------------------------------------- in step with every write

def _note(session: Session, flush_context) -> None:
    """after_flush: the measured entities whose status history this flush wrote (inserted,
    changed — a time moved — or deleted)."""
    types = None
    for state in flush_context.states:
        obj = state.obj()
        if isinstance(obj, StatusHistory):
            types = types or _measures_by_type()
            if obj.entity_type in types and obj.entity_id is not None:
                session.info.setdefault(PENDING, set()).add((obj.entity_type, obj.entity_id))


def _before_commit(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()                     # the commit would; this way the re-measure sees it
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    connection = session.connection()
    for entity_type, group in groupby(sorted(pending, key=lambda p: (p[0], str(p[1]))), key=itemgetter(0)):
        remeasure(connection, entity_type, [entity_id for _t, entity_id in group])


def _forget(session: Session, *_args) -> None:
    session.info.pop(PENDING, None)


event.listen(Session, "after_flush", _note)
event.listen(Session, "before_commit", _before_commit)
event.listen(Session, "after_rollback", _forget)
