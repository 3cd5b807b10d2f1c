"""The SIAK link: one adapter interface (adapter.py) and its file-based implementation
(file_adapter.py). The real SIAK has no public API; the office exchanges files with it."""
from __future__ import annotations

from webapp.documents.siak.adapter import SiakAdapter


def get_adapter() -> SiakAdapter:
    """The adapter in use (the file exchange until a real SIAK integration exists)."""
    from webapp.documents.siak.file_adapter import FileSiakAdapter
    return FileSiakAdapter()
