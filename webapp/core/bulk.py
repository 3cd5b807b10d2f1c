"""Bulk work in one process (the register import, the register scan): the cyclic garbage
collector paused while it runs.

A bulk phase makes hundreds of thousands of objects that live until it ends (the register's
records, the duplicate index, a batch of rows to insert). CPython starts a full collection each
time the long-lived objects have grown by a quarter, and every full collection walks every
object of the process again: at the regency's 239,471 residents that was about a third of the
import's and the scan's time (docs/performance.md, "Re-run after issue 7's hardening"). Those
objects are freed by reference counting anyway. When the phase ends, one collection of the young
generations (what the phase made, not the rest of the process) frees the few reference cycles
made meanwhile (the ORM rows of the cases a scan opens), so the bill is paid by the bulk work and
not by whatever the process does next.
"""
from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Iterator

_lock = threading.Lock()
_depth = 0
_reenable = False


@contextmanager
def paused_gc() -> Iterator[None]:
    """Run the block (or, as ``@paused_gc()``, the function) without cyclic garbage collection.
    Nests, also across threads: the collector comes back when the outermost block ends (and
    collects what the block made), only if it was on when that block started."""
    global _depth, _reenable
    with _lock:
        if _depth == 0:
            _reenable = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            collect = _depth == 0 and _reenable
            if collect:
                gc.enable()
        if collect:
            gc.collect(1)
