"""Login, logout, password change and the htmx re-login dialog."""
from __future__ import annotations

import time
from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf

from webapp.auth import services, sessions
from webapp.auth.forms import ChangePasswordForm, LoginForm
from webapp.auth.throttle import ThrottlePolicy
from webapp.core.authz import any_logged_in, public
from webapp.core.db import utcnow
from webapp.core.errors import DomainError, attach_to_form
from webapp.core.security import end_login_session, safe_next
from webapp.core.uow import keep_after_rollback
from webapp.extensions import limiter

bp = Blueprint("auth", __name__)

# Only attempts that fail count: a busy office behind one address must not lock itself out.
login_limit = limiter.shared_limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], scope="login",
                                   methods=["POST"], deduct_when=lambda response: response.status_code != 302
                                   and "HX-Trigger" not in response.headers)


def _start_session(user) -> None:
    # A fresh session at login: nothing from before (fixation), a new CSRF token, and a new
    # login row on the server (the one this browser had, if any, is ended).
    locale = session.get("locale")
    end_login_session()
    session.clear()
    forget_before = utcnow() - timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"])
    token = sessions.start(user, address=request.remote_addr, user_agent=request.user_agent.string,
                           forget_before=forget_before)
    login_user(user)
    now = time.time()
    session["sid"] = token
    session["login_at"] = now
    session["last_seen"] = now
    if locale:
        session["locale"] = locale


def _authenticate(form: LoginForm):
    try:
        return services.authenticate(form.username.data, form.password.data, address=request.remote_addr,
                                     policy=ThrottlePolicy.from_config(current_app.config))
    except DomainError:
        keep_after_rollback()      # the failure counts, whatever the answer's status
        raise


@bp.route("/masuk", methods=["GET", "POST"])
@public
@login_limit
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("main.home"))
    form = LoginForm(next=safe_next(request.args.get("next")) or "")
    if form.validate_on_submit():
        try:
            user = _authenticate(form)
        except DomainError as error:
            attach_to_form(form, error)
        else:
            _start_session(user)
            if user.must_change_password:
                return redirect(url_for("auth.change_password"))
            return redirect(safe_next(form.next.data) or url_for("main.home"))
    return render_template("auth/login.html", form=form)


def login_rate_limited():
    form = LoginForm(next=safe_next(request.form.get("next")) or "")
    form.username.data = request.form.get("username", "")
    form.form_errors.append(_("Terlalu banyak percobaan masuk dari alamat ini. Tunggu beberapa menit, lalu coba lagi."))
    if getattr(request, "htmx", None):
        return render_template("auth/_relogin_dialog.html", form=form, reason=""), 429, {
            "HX-Retarget": "#modal", "HX-Reswap": "innerHTML"}
    return render_template("auth/login.html", form=form), 429


@bp.post("/masuk/ulang")
@public
@login_limit
def relogin():
    """The dialog shown when a session or CSRF token expired during htmx work."""
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = _authenticate(form)
        except DomainError as error:
            attach_to_form(form, error)
        else:
            if current_user.is_authenticated and current_user.id != user.id:
                attach_to_form(form, DomainError(_("Masuk dengan akun yang sama untuk melanjutkan pekerjaan ini.")))
            else:
                _start_session(user)
                # The page keeps its typed data; the new token is handed to it by an event.
                return render_template("auth/_relogin_done.html"), 200, {
                    "HX-Trigger": '{"kp:session-renewed": {"csrf": "%s"}}' % generate_csrf()}
    return render_template("auth/_relogin_dialog.html", form=form, reason=""), 200


@bp.post("/keluar")
@any_logged_in
def logout():
    end_login_session()        # this login only: the user's other devices stay logged in
    logout_user()
    session.clear()
    flash(_("Anda sudah keluar."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/akun/kata-sandi", methods=["GET", "POST"])
@any_logged_in
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_password(user, current=form.current_password.data, new=form.password.data)
        except DomainError as error:
            attach_to_form(form, error)
        else:
            # The token rotated: keep this session alive with the new one.
            _start_session(user)
            flash(_("Kata sandi sudah diganti."), "success")
            return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form)


@bp.post("/bahasa")
@public
def set_language():
    lang = request.form.get("lang")
    if lang in ("id", "en"):
        session["locale"] = lang
    return redirect(safe_next(request.form.get("next")) or url_for("main.home"))
