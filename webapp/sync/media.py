"""Media by sha256, resumable: the bytes of a stored file travel apart from its row.

Office: a part arrives at `offset` (PUT /sync/v1/media/<sha256>?offset=N); the bytes so far live
in {UPLOAD_FOLDER}/.partial/<sha256> (the file's length is what was received: it survives a
killed process); a part that does not start where the file ends is refused with the length, so
the node resumes exactly there and never re-sends a finished part. When all `size` bytes are
there the sha256 is checked and the file moved into the content-addressed store
(webapp.files.services.path_of). MediaUpload keeps the bookkeeping (who, size, type, when).

Node: `upload(client, sha256, size, mime)` asks what the office has, then sends the rest in parts.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from webapp.core.db import utcnow
from webapp.core.security import PRIVATE_FILE_MODE, private_dir
from webapp.extensions import db
from webapp.files.services import JPEG, PDF, PNG, path_of, upload_root
from webapp.sync.models import MediaUpload

SHA256 = re.compile(r"^[0-9a-f]{64}$")
MEDIA_TYPES = frozenset({PDF, JPEG, PNG})
DEFAULT_MAX_FILE_BYTES = 50 * 1024 * 1024
PART_BYTES = 1024 * 1024                 # what the node sends per request (a cut loses at most one part)


class MediaRefused(Exception):
    def __init__(self, status: int, error: str, message: str = "", received: int | None = None) -> None:
        super().__init__(message or error)
        self.status, self.error, self.message, self.received = status, error, message or error, received


@dataclass(frozen=True)
class MediaState:
    received: int
    complete: bool

    def to_dict(self) -> dict:
        return {"received": self.received, "complete": self.complete}


def check_sha(sha256: str) -> str:
    sha256 = (sha256 or "").strip().lower()
    if not SHA256.match(sha256):
        raise MediaRefused(400, "bad_sha256", "not a sha256 hex digest")
    return sha256


def _partial(sha256: str) -> Path:
    return upload_root() / ".partial" / sha256


def max_file_bytes() -> int:
    return int(current_app.config.get("SYNC_MEDIA_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES))


def state_of(sha256: str) -> MediaState:
    sha256 = check_sha(sha256)
    stored = path_of(sha256)
    if stored.exists():
        return MediaState(stored.stat().st_size, True)
    partial = _partial(sha256)
    return MediaState(partial.stat().st_size if partial.exists() else 0, False)


def receive_part(sha256: str, offset: int, data: bytes, *, size: int, mime_type: str, node_code: str) -> MediaState:
    """Append one part (office). Raises MediaRefused: 409 with `received` when the offset is not
    where the file ends; 422 when the finished bytes do not hash to `sha256` (the part is dropped)."""
    sha256 = check_sha(sha256)
    if mime_type not in MEDIA_TYPES:
        raise MediaRefused(415, "bad_type", "media type must be PDF, JPEG or PNG")
    if size <= 0 or size > max_file_bytes():
        raise MediaRefused(413, "too_large", f"a file is at most {max_file_bytes()} bytes")
    found = state_of(sha256)
    if found.complete:
        _note(sha256, node_code, size, mime_type, found.received, done=True)
        return found
    partial = _partial(sha256)
    private_dir(partial.parent)
    with open(os.open(partial, os.O_RDWR | os.O_CREAT, PRIVATE_FILE_MODE), "r+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)              # one writer per file (two passes at once)
        handle.seek(0, os.SEEK_END)
        received = handle.tell()
        if offset != received:
            raise MediaRefused(409, "offset", f"the office has {received} bytes", received=received)
        if received + len(data) > size:
            raise MediaRefused(400, "beyond_size", "more bytes than X-Media-Size", received=received)
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
        received += len(data)
        if received < size:
            _note(sha256, node_code, size, mime_type, received)
            return MediaState(received, False)
        handle.seek(0)
        digest = hashlib.sha256()
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
        if digest.hexdigest() != sha256:
            handle.truncate(0)
            _note(sha256, node_code, size, mime_type, 0)
            raise MediaRefused(422, "sha256_mismatch", "the bytes do not hash to this sha256", received=0)
        target = path_of(sha256)
        private_dir(target.parent)
        os.replace(partial, target)
    _note(sha256, node_code, size, mime_type, size, done=True)
    return MediaState(size, True)


def _note(sha256: str, node_code: str, size: int, mime_type: str, received: int, *, done: bool = False) -> None:
    row = db.session.get(MediaUpload, sha256)
    if row is None:
        row = MediaUpload(sha256=sha256, node_code=node_code, size=size, mime_type=mime_type)
        db.session.add(row)
    row.received = received
    if done and row.completed_at is None:
        row.completed_at = utcnow()
    db.session.flush()


# --- node ---------------------------------------------------------------------------------------------

def local_path(sha256: str) -> Path | None:
    try:
        path = path_of(sha256)
    except ValueError:
        return None
    return path if path.exists() else None
