"""Storing and opening uploads.

`store_upload()` reads at most `max_bytes + 1` bytes, sniffs the type from the content (never
the file name), writes the bytes once per distinct content (sha256) with a temp file + rename,
and returns the `StoredFile` row (added to the session; the caller commits). Who may download a
file is decided by the record that owns it: domains register an owner check with
`register_file_owner()`; the generic download route serves a file only when one of them says yes.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable, Iterable

from flask import current_app
from flask_babel import lazy_gettext as _l

from webapp.core.changes import record_change
from webapp.core.errors import DomainError
from webapp.core.security import PRIVATE_FILE_MODE, private_dir
from webapp.extensions import db
from webapp.files.models import StoredFile

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
ZIP = "application/zip"          # also XLSX/DOCX containers
OLE = "application/x-ole-storage"  # old .xls/.doc
LETTER_TYPES = frozenset({PDF, JPEG, PNG})

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", PDF),
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"PK\x03\x04", ZIP),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", OLE),
)
_TYPE_NAMES = {PDF: "PDF", JPEG: "JPG", PNG: "PNG", ZIP: "ZIP"}


def sniff_mime(head: bytes) -> str | None:
    """The type told by the first bytes, or None when none of the known signatures match."""
    for signature, mime in _SIGNATURES:
        if head.startswith(signature):
            return mime
    return None


def read_limited(stream: BinaryIO, max_bytes: int, *, field: str | None = None) -> bytes:
    """Read at most max_bytes + 1 bytes; refuse more with a field-level DomainError."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise DomainError(size_message(max_bytes), field=field)
    return data


def size_message(max_bytes: int):
    mb = max_bytes / (1024 * 1024)
    text = f"{mb:.0f}" if mb >= 1 and mb == int(mb) else f"{mb:.1f}".replace(".", ",")
    return _l("Ukuran berkas maksimal %(mb)s MB.", mb=text)


def type_message(allowed: Iterable[str]):
    names = [_TYPE_NAMES.get(m, m) for m in sorted(allowed, key=lambda m: list(_TYPE_NAMES).index(m)
                                                     if m in _TYPE_NAMES else 99)]
    if len(names) > 1:
        or_ = str(_l("atau"))
        joined = ", ".join(names[:-1]) + f", {or_} " + names[-1] if len(names) > 2 else f" {or_} ".join(names)
    else:
        joined = names[0] if names else "?"
    return _l("Jenis berkas harus %(types)s.", types=joined)


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def path_of(sha256: str) -> Path:
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise ValueError("not a sha256 hex digest")
    return upload_root() / sha256[:2] / sha256


def _write_atomically(target: Path, data: bytes) -> None:
    # Owner-only: the folders 0700, the file 0600 (mkstemp's mode, kept by the rename).
    private_dir(upload_root())
    private_dir(target.parent)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def store_bytes(data: bytes, *, mime_type: str, original_name: str = "", actor=None) -> StoredFile:
    """Store already checked bytes; the same content is stored (and recorded) once."""
    sha = hashlib.sha256(data).hexdigest()
    existing = StoredFile.query.filter_by(sha256=sha).one_or_none()
    target = path_of(sha)
    if not target.exists():
        _write_atomically(target, data)
    if existing is not None:
        return existing
    stored = StoredFile(sha256=sha, size=len(data), mime_type=mime_type,
                        original_name=(os.path.basename(original_name or "") or "")[:200],
                        created_by_id=getattr(actor, "id", None))
    db.session.add(stored)
    record_change(stored, "create", actor=actor,
                  summary=f"Berkas {mime_type} {len(data)} bita ({sha[:12]}…)")
    return stored


def read_upload(file_storage, *, allowed: set[str] | frozenset[str], max_bytes: int,
                field: str | None = None) -> tuple[bytes, str]:
    """(bytes, type) of an uploaded werkzeug FileStorage, checked but not stored (a form with
    several files checks them all before storing any). Raises DomainError(field=field) for an
    empty, oversized or wrong-type upload."""
    if file_storage is None or not getattr(file_storage, "filename", ""):
        raise DomainError(_l("Pilih berkas yang akan diunggah."), field=field)
    data = read_limited(file_storage.stream, max_bytes, field=field)
    if not data:
        raise DomainError(_l("Berkas kosong."), field=field)
    mime = sniff_mime(data[:16])
    if mime is None or mime not in allowed:
        raise DomainError(type_message(allowed), field=field)
    return data, mime


def store_upload(file_storage, *, allowed: set[str] | frozenset[str], max_bytes: int, actor,
                 field: str | None = None) -> StoredFile:
    """Check and store an uploaded werkzeug FileStorage (see read_upload for the refusals)."""
    data, mime = read_upload(file_storage, allowed=allowed, max_bytes=max_bytes, field=field)
    return store_bytes(data, mime_type=mime, original_name=file_storage.filename or "", actor=actor)


def open_file(stored: StoredFile) -> BinaryIO:
    """Open the stored bytes for reading; FileNotFoundError when the content is missing."""
    return open(path_of(stored.sha256), "rb")


# --- who may download -----------------------------------------------------------------------

OwnerCheck = Callable[[StoredFile, object], bool]
_OWNER_CHECKS: list[OwnerCheck] = []


def register_file_owner(check: OwnerCheck) -> OwnerCheck:
    """Domains register `check(stored, user) -> bool`: True when the user may see the file
    through a record of that domain that owns it."""
    if check not in _OWNER_CHECKS:
        _OWNER_CHECKS.append(check)
    return check


def may_download(stored: StoredFile, user) -> bool:
    return any(check(stored, user) for check in _OWNER_CHECKS)
