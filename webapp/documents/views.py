"""At the office: files received, operator queue, SIAK files, pick-up desk, public status.

One blueprint without a prefix: the public status check lives at /status, the rest under
/dokumen/…; the route modules below register on it."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("documents", __name__)

from webapp.documents import pickup_views, queue_views, status_views  # noqa: E402,F401
