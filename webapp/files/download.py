"""The response for a stored file, for every domain's download route (a domain never imports
another domain's views)."""
from __future__ import annotations

import re

from flask import abort, send_file

from webapp.files import services
from webapp.files.models import EXTENSIONS, StoredFile


INLINE_TYPES = frozenset(EXTENSIONS)      # PDF, JPEG, PNG: shown by the browser itself
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def safe_download_name(stored: StoredFile, stem: str | None = None) -> str:
    """The name a stored file is served under: never the uploader's (`poly.html` stays a PDF
    called `berkas-1a2b3c4d.pdf`). `stem` (e.g. "surat-REQ-OFFICE-000012") is reduced to letters,
    digits, - and _; the extension always comes from the type sniffed at upload."""
    clean = _UNSAFE.sub("-", stem or "").strip("-_")[:80]
    return f"{clean or 'berkas-' + stored.id.hex[:8]}.{stored.extension}"


def send_stored(stored: StoredFile, *, download_name: str | None = None):
    """The response for a stored file: inline for a PDF or an image (the browser shows it),
    as an attachment for anything else; the type is the sniffed one, the name a safe one
    (`download_name`'s stem, its extension replaced by the sniffed type's)."""
    try:
        handle = services.open_file(stored)
    except (FileNotFoundError, ValueError):
        abort(404)
    stem = download_name.rsplit(".", 1)[0] if download_name else None
    inline = stored.mime_type in INLINE_TYPES
    response = send_file(handle, mimetype=stored.mime_type if inline else "application/octet-stream",
                         as_attachment=not inline, download_name=safe_download_name(stored, stem), max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
