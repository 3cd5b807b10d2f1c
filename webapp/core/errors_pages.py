"""Error pages in Indonesian that leak nothing (no stack traces, no ids, no SQL)."""
from __future__ import annotations

import logging

from flask import render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

log = logging.getLogger("webapp.errors")

MESSAGES = {
    400: ("Permintaan tidak dapat diproses", "Data yang dikirim tidak lengkap atau tidak sah."),
    403: ("Akses ditolak", "Peran Anda tidak berwenang membuka halaman ini."),
    404: ("Halaman tidak ditemukan", "Alamat yang Anda buka tidak ada atau sudah dipindahkan."),
    405: ("Metode tidak diizinkan", "Halaman ini tidak menerima permintaan seperti itu."),
    413: ("Berkas terlalu besar", "Ukuran berkas melebihi batas yang diizinkan."),
    429: ("Terlalu banyak permintaan", "Terlalu banyak percobaan dari alamat ini. Coba lagi sebentar lagi."),
    500: ("Terjadi kesalahan", "Maaf, terjadi kesalahan di server. Kejadian ini sudah dicatat; silakan coba lagi."),
}


def render_error(code: int):
    title, text = MESSAGES.get(code, MESSAGES[500])
    template = "errors/_error_fragment.html" if getattr(request, "htmx", None) else "errors/error.html"
    headers = {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"} if getattr(request, "htmx", None) else {}
    return render_template(template, code=code, title=_(title), text=_(text)), code, headers


def register(app) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 429 and request.endpoint == "auth.login":
            from webapp.auth.views import login_rate_limited
            return login_rate_limited()
        return render_error(error.code or 500)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        log.exception("unhandled error on %s %s", request.method, request.path)
        from webapp.extensions import db
        db.session.rollback()
        return render_error(500)
