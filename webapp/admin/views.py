"""Admin: user accounts."""
from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from webapp.auth import services
from webapp.auth.forms import UserForm
from webapp.auth.models import User
from webapp.auth.roles import Role
from webapp.core.authz import roles_required
from webapp.core.errors import DomainError, attach_to_form
from webapp.core.web import form_status, render_page
from webapp.extensions import db
from webapp.main.dashboard import nav_item
from webapp.wilayah.services import village_choices

bp = Blueprint("admin", __name__, url_prefix="/admin")
nav_item(90, "admin.users", _l("Pengguna"))


def _user_or_404(user_id: str) -> User:
    try:
        user = db.session.get(User, uuid.UUID(user_id))
    except ValueError:
        user = None
    if user is None:
        abort(404)
    return user


def _prepare(form: UserForm) -> UserForm:
    form.desa_code.choices = [("", _("— pilih desa —"))] + list(village_choices())
    return form


@bp.get("/pengguna")
@roles_required(Role.ADMIN)
def users():
    q = request.args.get("q", "").strip()[:60]
    role = request.args.get("role") or None
    items = services.list_users(q, role if role in {r.value for r in Role} else None)
    return render_page("admin/users.html", fragment="rows", users=items, q=q, role=role, roles=list(Role),
                       slowed=services.slowed_usernames([u.username for u in items]))


@bp.route("/pengguna/baru", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def user_new():
    form = _prepare(UserForm())
    if form.validate_on_submit():
        if not form.password.data:
            form.password.errors = [_("Isi kata sandi awal.")]
        else:
            try:
                user = services.create_user(
                    username=form.username.data, full_name=form.full_name.data, role=form.role.data,
                    password=form.password.data, desa_code=form.desa_code.data or None,
                    nip=form.nip.data, actor=current_user)
            except DomainError as error:
                db.session.rollback()
                attach_to_form(form, error)
            else:
                flash(_("Akun %(u)s dibuat. Pengguna wajib mengganti kata sandi saat masuk pertama.",
                        u=user.username), "success")
                return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None), form_status()


@bp.route("/pengguna/<user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def user_edit(user_id: str):
    user = _user_or_404(user_id)
    form = _prepare(UserForm(obj=user))
    form.username.render_kw = {"readonly": True}
    if request.method == "POST":
        form.username.data = user.username
    if form.validate_on_submit():
        try:
            services.update_user(user, full_name=form.full_name.data, role=form.role.data,
                                 desa_code=form.desa_code.data or None, nip=form.nip.data, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            attach_to_form(form, error)
        else:
            flash(_("Data akun disimpan."), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user), form_status()


@bp.post("/pengguna/<user_id>/status")
@roles_required(Role.ADMIN)
def user_toggle_active(user_id: str):
    user = _user_or_404(user_id)
    try:
        services.set_active(user, not user.active, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(_("Akun %(u)s %(s)s.", u=user.username, s=_("diaktifkan") if user.active else _("dinonaktifkan")), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.post("/pengguna/<user_id>/reset-sandi")
@roles_required(Role.ADMIN)
def user_reset_password(user_id: str):
    user = _user_or_404(user_id)
    temporary = services.reset_password(user, actor=current_user)
    return render_template("admin/password_reset.html", user=user, temporary=temporary)
