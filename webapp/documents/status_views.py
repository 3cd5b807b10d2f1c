"""The public status check (/status): no login, no personal data, rate-limited per address.

A POST form (the check code never sits in a URL or an access log), with CSRF like every form:
the anonymous visitor's session cookie carries the token."""
from __future__ import annotations

from flask import current_app, render_template
from flask_babel import gettext as _

from webapp.core.authz import public
from webapp.core.web import UNPROCESSABLE
from webapp.documents import public_status as status
from webapp.documents.pickup_forms import StatusForm
from webapp.documents.views import bp
from webapp.extensions import limiter

DEFAULT_RATE_LIMIT = "10 per minute"

# Every POST counts (right or wrong): the check code is short, guessing must stay slow.
status_limit = limiter.shared_limit(
    lambda: current_app.config.get("PUBLIC_STATUS_RATE_LIMIT", DEFAULT_RATE_LIMIT),
    scope="public-status", methods=["POST"])


@bp.route("/status", methods=["GET", "POST"])
@public
@status_limit
def public_status():
    form = StatusForm()
    if not form.is_submitted():
        return render_template("documents/status.html", form=form, result=None, no_match=False)
    number, check_code = status.read_status_input(form.nomor.data, form.kode_cek.data)
    result = status.public_status(number, check_code)
    form.kode_cek.data = ""          # never echoed back
    if result is None:
        return render_template("documents/status.html", form=form, result=None, no_match=True), UNPROCESSABLE
    return render_template("documents/status.html", form=form, result=result, no_match=False)


def status_rate_limited():
    """The 429 answer of /status (the app factory maps the endpoint here): the same page, the
    form as typed, and a message in Indonesian."""
    form = StatusForm()
    form.kode_cek.data = ""
    return render_template("documents/status.html", form=form, result=None, no_match=False,
                           limited=_("Terlalu banyak pemeriksaan dari alamat ini. Tunggu satu menit, "
                                     "lalu coba lagi.")), 429
