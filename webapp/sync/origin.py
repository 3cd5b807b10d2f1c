"""The loop guard: while rows that came from another node are being applied here, the change
events they cause must not travel back (no outbox row on a node applying a pull, no feed entry
for the node whose push the office is applying)."""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

_applying_from: ContextVar[str | None] = ContextVar("sync_applying_from", default=None)


def applying_from() -> str | None:
    """The node whose rows are being applied right now (OFFICE on a node applying a pull), or None."""
    return _applying_from.get()


@contextmanager
def applying(node_code: str) -> Iterator[None]:
    token = _applying_from.set(node_code)
    try:
        yield
    finally:
        _applying_from.reset(token)
