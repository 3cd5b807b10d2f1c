"""Generic download of a stored file: the role may use the route, and a record owning the
file must grant it (otherwise 404, so ids cannot be probed)."""
from __future__ import annotations

from flask import Blueprint
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from webapp.core.authz import any_logged_in, require_record
from webapp.extensions import db
from webapp.files import services
from webapp.files.download import send_stored
from webapp.files.models import StoredFile
from webapp.files.oversize import answer_too_large, apply_request_limit

bp = Blueprint("files", __name__, url_prefix="/berkas")
# Every upload over the request limit: its form again where the view says how, and a view's own
# limit set before any hook reads the body (oversize.py).
bp.app_errorhandler(RequestEntityTooLarge)(answer_too_large)
bp.app_url_value_preprocessor(apply_request_limit)


@bp.get("/<uuid:file_id>")
@any_logged_in
def download(file_id):
    stored = db.session.get(StoredFile, file_id)
    require_record(stored is not None and services.may_download(stored, current_user))
    return send_stored(stored)
