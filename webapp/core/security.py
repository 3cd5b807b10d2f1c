"""Request guards and response headers.

Before each request: login (except public endpoints), the endpoint's declared roles, idle and
absolute session timeouts, the forced password change. After: security headers and a CSP that
allows only this origin and the local hardware agent. An htmx request that finds its session
or CSRF token expired gets a re-login dialog (HX-Retarget) instead of a swap, so nothing the
user typed is lost."""
from __future__ import annotations

import ipaddress
import os
import stat
import time
import unicodedata
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFError

from webapp.core.authz import is_polled, is_public, role_allows
from webapp.core.uow import keep_after_rollback

ALLOWED_DURING_PASSWORD_CHANGE = {"auth.change_password", "auth.logout", "static"}


def init_app(app, *, relogin_form, end_login=None) -> None:
    """Install the guards. `relogin_form` is the login form class of the re-login dialog, and
    `end_login(token)` ends one login on the server (a timeout): the app factory passes the auth
    domain's (core imports no domain)."""
    from webapp.core.forms import strip_nul_from_request

    app.extensions["kp_relogin_form"] = relogin_form
    app.extensions["kp_end_login"] = end_login or (lambda token: None)
    app.before_request(strip_nul_from_request)
    app.before_request(enforce_access)
    app.after_request(set_security_headers)
    app.register_error_handler(CSRFError, csrf_error)


def _reauth_response(reason: str, status: int = 401):
    """A re-login dialog swapped into #modal; the page under it (and its typed data) stays.
    The status stays honest (401, or 400 for a refused CSRF token); htmx is configured to
    swap 4xx answers, and HX-Retarget sends this one to the dialog, not the form."""
    form = current_app.extensions["kp_relogin_form"]()
    body = render_template("auth/_relogin_dialog.html", form=form, reason=reason)
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


def end_login_session() -> None:
    """End this browser's login on the server (its cookie, even replayed, opens nothing after)."""
    current_app.extensions["kp_end_login"](session.get("sid"))


def _session_expired() -> bool:
    now = time.time()
    idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
    absolute = current_app.config["SESSION_ABSOLUTE_HOURS"] * 3600
    last_seen = session.get("last_seen", now)
    login_at = session.get("login_at", now)
    if now - last_seen > idle or now - login_at > absolute:
        return True
    # Keep the cookie small: update last_seen at most once a minute. A page's own polling (a
    # badge refreshed every minute) is no activity: an open tab still logs out when idle.
    if now - last_seen > 60 and not is_polled(request.endpoint):
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
        end_login_session()
        keep_after_rollback()          # the login ends on the server even if the answer is a 401
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


# --- files on disk: personal data is readable by the app's own user only ----------------------

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def private_dir(path) -> Path:
    """Create the folder (and missing parents) if needed; owner-only access (0700)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    if stat.S_IMODE(path.stat().st_mode) != PRIVATE_DIR_MODE:
        path.chmod(PRIVATE_DIR_MODE)
    return path


def private_file(path) -> Path:
    """Create the (empty) file if it is missing; owner-only access (0600)."""
    path = Path(path)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE_MODE))
    if stat.S_IMODE(path.stat().st_mode) != PRIVATE_FILE_MODE:
        path.chmod(PRIVATE_FILE_MODE)
    return path


def private_sqlite_file(uri: str) -> Path | None:
    """For a file-based SQLite URI: the database file made (or kept) owner-only before SQLite
    opens it. SQLite gives its -wal and -shm files the mode of the database file."""
    from sqlalchemy.engine import make_url
    url = make_url(uri)
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
        return None
    db_path = Path(database)
    if not db_path.parent.exists():
        private_dir(db_path.parent)
    private_file(db_path)
    for suffix in ("-wal", "-shm", "-journal"):
        companion = db_path.with_name(db_path.name + suffix)
        if companion.exists():
            private_file(companion)
    return db_path


MAX_NEXT_LENGTH = 2000


def _has_control_or_space(text: str) -> bool:
    # Browsers drop tabs and newlines from a URL and some treat other whitespace or format
    # characters loosely ("/\t/evil.example" becomes "//evil.example"): none of them belongs here.
    return any(ch.isspace() or unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp", "Zs"} for ch in text)


def _is_local_path(text: str) -> bool:
    if not text.startswith("/") or text.startswith("//") or "\\" in text or _has_control_or_space(text):
        return False
    parts = urlsplit(text)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None) -> str | None:
    """`target` when it is a path on this site, None otherwise (a redirect after login or a
    language switch must never leave the site, nor fail on a stray CR/LF).

    The value as given must be a clean local path; its path part must stay one after
    percent-decoding too (repeatedly: %252F is %2F is /), so no layer that decodes it later
    can turn it into "//host" or "/\\host"."""
    if not target or len(target) > MAX_NEXT_LENGTH or not _is_local_path(target):
        return None
    path = urlsplit(target).path
    for _round in range(4):
        decoded = unquote(path)
        if not _is_local_path(decoded):
            return None
        if decoded == path:
            return target
        path = decoded
    return None                      # still changing after four rounds of decoding: refuse


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
