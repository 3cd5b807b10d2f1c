"""Per-node counters for human numbers (receipts, requests, trips) that never reset.

Uniqueness is (node, name, value); the date is printed beside the number, never built into it,
so a bus with a wrong clock or a new year cannot produce a duplicate."""
from __future__ import annotations

from sqlalchemy import Integer, String, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.db import current_node
from webapp.extensions import db


class NodeCounter(db.Model):
    __tablename__ = "node_counter"
    __sync__ = False   # per node by design: each node numbers its own rows

    node: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


def next_value(name: str, node: str | None = None) -> int:
    """Increment and return the counter inside the caller's transaction.

    The UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite) before reading, so
    two concurrent requests can never receive the same value."""
    node = node or current_node()
    result = db.session.execute(
        update(NodeCounter).where(NodeCounter.node == node, NodeCounter.name == name)
        .values(value=NodeCounter.value + 1)
    )
    if result.rowcount == 0:
        try:
            with db.session.begin_nested():  # a savepoint: losing the race must not spoil the caller
                db.session.add(NodeCounter(node=node, name=name, value=1))
            return 1
        except IntegrityError:
            return next_value(name, node)   # another transaction created it first
    return db.session.execute(
        select(NodeCounter.value).where(NodeCounter.node == node, NodeCounter.name == name)
    ).scalar_one()


def raise_to(name: str, value: int, node: str | None = None) -> None:
    """Make the counter at least `value` (the next number is above it); never lowers it. For
    numbers a node handed out elsewhere: the office seeing a bus's receipt, a laptop loading the
    counters its trip's package carries."""
    node = node or current_node()
    value = int(value)
    if value <= 0:
        return
    db.session.execute(update(NodeCounter).where(NodeCounter.node == node, NodeCounter.name == name,
                                                 NodeCounter.value < value).values(value=value))
    if db.session.execute(select(NodeCounter.value).where(NodeCounter.node == node, NodeCounter.name == name)
                          ).scalar_one_or_none() is None:
        try:
            with db.session.begin_nested():
                db.session.add(NodeCounter(node=node, name=name, value=value))
        except IntegrityError:
            raise_to(name, value, node)         # another transaction created it first


def human_number(prefix: str, name: str, node: str | None = None, width: int = 6) -> str:
    """E.g. human_number("KP", "receipt") → "KP-BUS01-000123"."""
    node = node or current_node()
    return f"{prefix}-{node.replace('-', '')}-{next_value(name, node):0{width}d}"
