"""Reports for the office's management, under /laporan. One blueprint; the route modules below
register on it (the mutu baku dashboard; the periodic reports beside it)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/laporan")

from webapp.reports import mutu_baku_views  # noqa: E402,F401
from webapp.reports import periodic_views  # noqa: E402,F401
