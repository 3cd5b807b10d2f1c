"""Request guards and response headers.

Before each request: login (except public endpoints), the endpoint's declared roles, idle and
absolute session timeouts, the forced password change. After: security headers and a CSP that
allows only this origin and the local hardware agent. An htmx request that finds its session
or CSRF token expired gets a re-login dialog (HX-Retarget) instead of a swap, so nothing the
user typed is lost."""
from __future__ import annotations

import ipaddress
import time

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFError

from webapp.core.authz import is_public, role_allows

ALLOWED_DURING_PASSWORD_CHANGE = {"auth.change_password", "auth.logout", "static"}


def _reauth_response(reason: str, status: int = 401):
    """A re-login dialog swapped into #modal; the page under it (and its typed data) stays.
    The status stays honest (401, or 400 for a refused CSRF token); htmx is configured to
    swap 4xx answers, and HX-Retarget sends this one to the dialog, not the form."""
    from webapp.auth.forms import LoginForm  # late import: forms need the app

    body = render_template("auth/_relogin_dialog.html", form=LoginForm(), reason=reason)
    return body, status, {"HX-Retarget": "#modal", "HX-Reswap": "innerHTML"}


def _wants_htmx() -> bool:
    return bool(getattr(request, "htmx", None))


def login_redirect():
    if _wants_htmx():
        return _reauth_response(_("Sesi Anda telah berakhir. Silakan masuk kembali untuk melanjutkan."))
    nxt = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.login", next=nxt))


def _network_allowed() -> bool:
    networks = current_app.config.get("TRUSTED_NETWORKS", "")
    if not networks:
        return True
    try:
        addr = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(addr in ipaddress.ip_network(n.strip(), strict=False) for n in networks.split(",") if n.strip())


def _session_expired() -> bool:
    now = time.time()
    idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
    absolute = current_app.config["SESSION_ABSOLUTE_HOURS"] * 3600
    last_seen = session.get("last_seen", now)
    login_at = session.get("login_at", now)
    if now - last_seen > idle or now - login_at > absolute:
        return True
    # Keep the cookie small: update last_seen at most once a minute.
    if now - last_seen > 60:
        session["last_seen"] = now
    return False


def enforce_access():
    endpoint = request.endpoint
    if is_public(endpoint):
        return None
    if not _network_allowed():
        abort(403)
    if not current_user.is_authenticated:
        return login_redirect()
    if _session_expired():
        logout_user()
        session.clear()
        return login_redirect()
    if current_user.must_change_password and endpoint not in ALLOWED_DURING_PASSWORD_CHANGE:
        if _wants_htmx():
            return _reauth_response(_("Anda harus mengganti kata sandi terlebih dahulu."), 403)
        return redirect(url_for("auth.change_password"))
    if not role_allows(current_user, endpoint):
        abort(403)
    return None


def csrf_error(error: CSRFError):
    if _wants_htmx():
        return _reauth_response(_("Token keamanan halaman ini sudah kedaluwarsa. "
                                  "Masuk kembali, lalu kirim ulang — isian Anda tidak hilang."), 400)
    return render_template("errors/400_csrf.html"), 400


def content_security_policy() -> str:
    agent = current_app.config.get("AGENT_URL", "")
    connect = "'self'" + (f" {agent}" if agent else "")
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
            f"media-src 'self' blob:; connect-src {connect}; font-src 'self'; object-src 'none'; "
            "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def set_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy())
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=(), payment=(), usb=()")
    if current_app.config.get("HSTS"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.endpoint != "static":
        # Pages carry personal data: never cache them in the browser or a proxy.
        headers["Cache-Control"] = "no-store"
        headers.setdefault("Vary", "Cookie, HX-Request")
    return response
