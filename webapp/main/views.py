from flask import Blueprint, current_app, jsonify, render_template
from flask_login import current_user

from webapp.core.authz import any_logged_in, public
from webapp.main.dashboard import dashboard_cards

bp = Blueprint("main", __name__)


@bp.get("/")
@any_logged_in
def home():
    return render_template("main/home.html", cards=dashboard_cards(current_user))


@bp.get("/sehat")
@public
def health():
    """Liveness for scripts and the reverse proxy: no data, no database details."""
    return jsonify(status="ok", role=current_app.config["ROLE"], node=current_app.config["NODE_ID"])
