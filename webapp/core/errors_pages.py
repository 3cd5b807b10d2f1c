"""Error pages in Indonesian that leak nothing (no stack traces, no ids, no SQL)."""
from __future__ import annotations

import logging
from typing import Callable

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

log = logging.getLogger("webapp.errors")

MESSAGES = {
    400: (_l("Permintaan tidak dapat diproses"), _l("Data yang dikirim tidak lengkap atau tidak sah.")),
    403: (_l("Akses ditolak"), _l("Peran Anda tidak berwenang membuka halaman ini.")),
    404: (_l("Halaman tidak ditemukan"), _l("Alamat yang Anda buka tidak ada atau sudah dipindahkan.")),
    405: (_l("Metode tidak diizinkan"), _l("Halaman ini tidak menerima permintaan seperti itu.")),
    413: (_l("Berkas terlalu besar"), _l("Ukuran berkas melebihi batas yang diizinkan.")),
    429: (_l("Terlalu banyak permintaan"), _l("Terlalu banyak percobaan dari alamat ini. Coba lagi sebentar lagi.")),
    500: (_l("Terjadi kesalahan"), _l("Maaf, terjadi kesalahan di server. Kejadian ini sudah dicatat; silakan coba lagi.")),
}


def render_error(code: int):
    title, text = MESSAGES.get(code, MESSAGES[500])
    template = "errors/_error_fragment.html" if getattr(request, "htmx", None) else "errors/error.html"
    headers = {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"} if getattr(request, "htmx", None) else {}
    return render_template(template, code=code, title=str(title), text=str(text)), code, headers


def register(app, *, rate_limited: dict[str, Callable] | None = None) -> None:
    """`rate_limited`: {endpoint: view} answering a 429 on that endpoint with its own page (the
    login form keeps the typed user name); the app factory passes the auth domain's view."""
    rate_limited = dict(rate_limited or {})

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 429 and request.endpoint in rate_limited:
            return rate_limited[request.endpoint]()
        return render_error(error.code or 500)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        log.exception("unhandled error on %s %s", request.method, request.path)
        from webapp.extensions import db
        db.session.rollback()
        return render_error(500)
