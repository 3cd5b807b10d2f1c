"""Generic download of a stored file: the role may use the route, and a record owning the
file must grant it (otherwise 404, so ids cannot be probed)."""
from __future__ import annotations

from flask import Blueprint, abort, send_file
from flask_login import current_user

from webapp.core.authz import any_logged_in, require_record
from webapp.extensions import db
from webapp.files import services
from webapp.files.models import StoredFile

bp = Blueprint("files", __name__, url_prefix="/berkas")


def send_stored(stored: StoredFile, *, download_name: str | None = None):
    """The response for a stored file (inline; the browser shows PDFs and images)."""
    try:
        handle = services.open_file(stored)
    except (FileNotFoundError, ValueError):
        abort(404)
    name = download_name or stored.original_name or f"berkas.{stored.extension}"
    response = send_file(handle, mimetype=stored.mime_type, as_attachment=False, download_name=name,
                         max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<uuid:file_id>")
@any_logged_in
def download(file_id):
    stored = db.session.get(StoredFile, file_id)
    require_record(stored is not None and services.may_download(stored, current_user))
    return send_stored(stored)
