"""Ketupat Pecel intranet: application factory."""
from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask, session
from flask_login import current_user

from webapp.config import Config, TestConfig, name_node_cookies
from webapp.extensions import babel, csrf, db, htmx, limiter, login_manager, migrate

# Domain packages are discovered: each may have `models` (imported so Alembic and create_all
# see its tables), `views` with a blueprint `bp`, `cli` with click groups named `*_cli`, and
# `demo` with its `@demo_loader`s. A new domain needs no edit here.
DOMAIN_SUBMODULES = ("models", "views", "cli", "demo")
CORE_MODULES = ("webapp.core.audit", "webapp.core.changes", "webapp.core.counters", "webapp.demo")


def discover_domains() -> list[str]:
    import pkgutil

    import webapp
    return sorted(m.name for m in pkgutil.iter_modules(webapp.__path__) if m.ispkg and m.name != "core")


def _load_domains(app: Flask) -> None:
    import importlib
    import importlib.util

    from flask import Blueprint
    from flask.cli import AppGroup

    for name in CORE_MODULES:
        importlib.import_module(name)
    app.cli.add_command(importlib.import_module("webapp.demo").demo_cli)
    for domain in discover_domains():
        for sub in DOMAIN_SUBMODULES:
            full = f"webapp.{domain}.{sub}"
            if importlib.util.find_spec(full) is None:
                continue
            module = importlib.import_module(full)
            if sub == "views" and isinstance(getattr(module, "bp", None), Blueprint):
                app.register_blueprint(module.bp)
            if sub == "cli":
                for attr, value in vars(module).items():
                    if attr.endswith("_cli") and isinstance(value, AppGroup):
                        app.cli.add_command(value)


def select_locale() -> str:
    from flask import has_request_context
    if not has_request_context():
        return "id"
    chosen = session.get("locale") or (current_user.is_authenticated and current_user.locale)
    if chosen in ("id", "en"):
        return chosen
    return "id"  # Bahasa Indonesia first, whatever the browser says


def create_app(config: Config | dict | None = None) -> Flask:
    # INSTANCE_PATH: another instance folder (secret key, SQLite files, uploads, the node's token),
    # so two processes from one checkout (the demo office and bus, the process tests) keep apart.
    instance_path = os.environ.get("INSTANCE_PATH")
    app = Flask(__name__, instance_relative_config=True,
                instance_path=os.path.abspath(instance_path) if instance_path else None)
    instance = Path(app.instance_path)
    if config is None:
        config = Config(instance)
    if isinstance(config, dict):
        overrides, config = config, TestConfig(instance)
        app.config.from_object(config)
        app.config.update(overrides)
    else:
        overrides = {}
        app.config.from_object(config)
    name_node_cookies(app.config, explicit=overrides)    # ROLE=field: kp_session_bus-01, …
    from webapp.core.security import private_dir, private_sqlite_file
    private_dir(instance)                               # 0700: the secret key, the database, uploads
    if app.config.get("UPLOAD_FOLDER"):
        private_dir(app.config["UPLOAD_FOLDER"])
    private_sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])   # 0600, and so its -wal/-shm
    _configure_database(app)
    if app.config.get("PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    csrf.init_app(app)
    htmx.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: "Asia/Makassar")
    limiter.init_app(app)
    login_manager.init_app(app)
    _configure_login(app)

    _load_domains(app)

    from webapp.core import uow
    uow.init_app(app)
    from webapp.core import compression
    compression.init_app(app)                 # after uow: compresses the final response
    _register_hooks(app)
    _register_template_helpers(app)
    from webapp.core.logging import install_scrubber
    install_scrubber()
    logging.getLogger("webapp").setLevel(logging.INFO)
    return app


def _configure_database(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.setdefault("connect_args", {"timeout": 30})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options

        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        @event.listens_for(Engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - per connection
            if type(dbapi_connection).__module__.startswith("sqlite3"):
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=FULL")
                cursor.execute("PRAGMA foreign_keys=ON")
                # A REPLACE's implicit delete fires DELETE triggers (the audit log's refusal).
                cursor.execute("PRAGMA recursive_triggers=ON")
                cursor.close()


def _configure_login(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(session_id: str):
        # The user's token (ends all their logins) and this login's row (ends this one).
        from webapp.auth import sessions
        return sessions.load_user(session_id, session.get("sid"))


def _register_hooks(app: Flask) -> None:
    # The app factory wires the auth domain into core's guards (core imports no domain).
    from webapp.auth import sessions
    from webapp.auth.forms import LoginForm
    from webapp.auth.views import login_rate_limited
    from webapp.core import errors_pages, security
    from webapp.documents.status_views import status_rate_limited

    security.init_app(app, relogin_form=LoginForm, end_login=sessions.end)
    from webapp.sync import field_role
    field_role.init_app(app)            # after the login check: a field node refuses office-only work
    errors_pages.register(app, rate_limited={"auth.login": login_rate_limited,
                                            "documents.public_status": status_rate_limited})


def _register_template_helpers(app: Flask) -> None:
    from webapp.core import timefmt
    from webapp.core.authz import role_allows
    from webapp.identity.nik import mask

    app.jinja_env.filters["wita"] = timefmt.format_datetime
    app.jinja_env.filters["tanggal"] = timefmt.format_date
    app.jinja_env.filters["durasi"] = timefmt.format_duration
    app.jinja_env.filters["mask"] = mask
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def inject_globals():
        def can(endpoint: str) -> bool:
            return current_user.is_authenticated and role_allows(current_user, endpoint) and endpoint_shown(endpoint)
        from flask_babel import get_locale

        from webapp.main.dashboard import endpoint_shown, nav_items
        from webapp.wilayah.services import village_label
        return {"can": can, "node_id": app.config["NODE_ID"], "app_role": app.config["ROLE"],
                "current_locale": str(get_locale() or "id"),
                "nav_items": lambda: nav_items(current_user), "village_label": village_label}
