"""Admin: office settings, edited inline (htmx) row by row."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from webapp.auth.roles import Role
from webapp.core.authz import roles_required
from webapp.core.errors import DomainError, NotFound
from webapp.core.web import form_status, is_htmx_fragment_request
from webapp.extensions import db
from webapp.main.dashboard import nav_item
from webapp.settings import services

bp = Blueprint("settings", __name__, url_prefix="/admin/pengaturan")
nav_item(80, "settings.settings_list", _l("Pengaturan"))


def _view_or_404(key: str) -> services.SettingView:
    try:
        return services.setting_view(key)
    except NotFound:
        abort(404)


@bp.get("/")
@roles_required(Role.ADMIN)
def settings_list():
    return render_template("settings/list.html", settings=services.list_settings(), editing=None,
                           typed=None, error=None)


@bp.get("/<key>/baris")
@roles_required(Role.ADMIN)
def setting_row(key: str):
    setting = _view_or_404(key)
    return render_template("settings/_row.html", s=setting, editing=False)


@bp.route("/<key>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def setting_edit(key: str):
    setting = _view_or_404(key)
    typed, error = str(setting.value), None
    if request.method == "POST":
        typed = request.form.get("value", "")[:40]
        try:
            services.set_value(key, typed, current_user)
        except DomainError as exc:
            db.session.rollback()
            error = str(exc.message)
        else:
            setting = services.setting_view(key)
            if is_htmx_fragment_request():
                return render_template("settings/_row.html", s=setting, editing=False, saved=True)
            flash(_("Pengaturan %(label)s disimpan.", label=setting.spec.label), "success")
            return redirect(url_for("settings.settings_list"))
    if is_htmx_fragment_request():
        return render_template("settings/_row.html", s=setting, editing=True, typed=typed, error=error), form_status()
    return render_template("settings/list.html", settings=services.list_settings(), editing=key,
                           typed=typed, error=error), form_status()
