"""Reads remembered for the rest of one transaction (one request, CLI step or job step).

For reference rows a page asks for again and again (a requirement template per resident and
service, the settings per template line): the first read queries, the later ones in the same
transaction reuse its answer. The memo lives in the session's `info` and is forgotten at every
flush and at the end of every transaction (commit, rollback, close), and it is not used while
the session holds unflushed changes, so a read never answers older than the query would:
a write is seen the moment it is flushed, as a query's autoflush would see it.

    memoised(("requirement_template", code, sub), lambda: <query>)
"""
from __future__ import annotations

from typing import Callable, Hashable, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

from webapp.extensions import db

T = TypeVar("T")
_MEMO = "core.memo"


def memoised(key: Hashable, load: Callable[[], T]) -> T:
    """`load()`'s answer, remembered under `key` until the session flushes or its transaction ends."""
    session = db.session()
    if session.new or session.dirty or session.deleted:
        return load()   # its query autoflushes first, which forgets the memo
    memo = session.info.setdefault(_MEMO, {})
    if key not in memo:
        memo[key] = load()
    return memo[key]


@event.listens_for(Session, "after_flush")
def _forget_on_flush(session: Session, _flush_context) -> None:
    session.info.pop(_MEMO, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_on_end(session: Session, _transaction) -> None:
    session.info.pop(_MEMO, None)
