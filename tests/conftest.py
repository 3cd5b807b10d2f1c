"""Shared fixtures: an app per test on a fresh database, factories, login helpers.

SQLite (default): the schema and reference data are built once into a template file, and each
test gets its own copy — fast and fully isolated. PostgreSQL (TEST_DATABASE_URL or
DATABASE_URL=postgresql…): the schema is built once, and every table except the reference data
is truncated after each test.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from webapp import create_app
from webapp.auth import services as auth_services
from webapp.auth.roles import Role
from webapp.extensions import db

PASSWORD = "rahasia-uji-123"
REFERENCE_TABLES = {"region", "alembic_version"}
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def _pg_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    return url if url.startswith("postgres") else None


def _overrides(tmp_path: Path, db_url: str) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": db_url,
        "UPLOAD_FOLDER": str(tmp_path / "files"),
        "NODE_ID": "OFFICE",
        "SERVER_NAME": None,
        "AGENT_TICKET_KEY_FILE": str(tmp_path / "agent-ticket-key.pem"),   # not the instance folder's
        "DEMO_BUS_TOKEN_FILE": str(tmp_path / "demo-bus-token"),          # nor this (flask demo load)
    }


def build_schema(app) -> None:
    from webapp.wilayah.services import load_regions
    with app.app_context():
        db.create_all()
        load_regions()
        db.session.commit()
        db.session.remove()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """Build the schema once per test session; returns a callable giving a URL per test."""
    pg = _pg_url()
    if pg:
        from webapp.config import _normalise_db_url
        url = _normalise_db_url(pg)
        app = create_app(_overrides(tmp_path_factory.mktemp("pg"), url))
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
            db.session.commit()
        build_schema(app)
        return ("postgresql", url)
    folder = tmp_path_factory.mktemp("template")
    template = folder / "template.sqlite"
    app = create_app(_overrides(folder, f"sqlite:///{template}"))
    build_schema(app)
    with app.app_context():
        db.engine.dispose()
    return ("sqlite", template)


def _truncate_all(app) -> None:
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in db.metadata.sorted_tables if t.name not in REFERENCE_TABLES]
        if tables:
            db.session.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"))
            db.session.commit()
        db.engine.dispose()


@pytest.fixture
def app(database_template, tmp_path):
    kind, source = database_template
    if kind == "sqlite":
        target = tmp_path / "test.sqlite"
        shutil.copyfile(source, target)
        url = f"sqlite:///{target}"
    else:
        url = source
    application = create_app(_overrides(tmp_path, url))
    ctx = application.app_context()
    ctx.push()
    yield application
    db.session.remove()
    ctx.pop()
    if kind == "postgresql":
        _truncate_all(application)
    else:
        with application.app_context():
            db.engine.dispose()


class Client(FlaskClient):
    """The test client, plus helpers that behave as the browser does (send the CSRF token).

    Each request runs in its own app context (fresh `g`, its own database session), as in
    production; the test's own session commits first so it then sees what the request wrote."""

    def open(self, *args, **kwargs):
        db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)

    def csrf_token(self, path: str = "/masuk") -> str:
        page = self.get(path, follow_redirects=True).get_data(as_text=True)
        match = CSRF_RE.search(page)
        assert match, f"no CSRF token on {path}"
        return match.group(1) or match.group(2)

    def post_form(self, path: str, data: dict | None = None, *, token_from: str | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token(token_from or "/masuk"))
        return self.post(path, data=data, **kwargs)

    def htmx(self, method: str, path: str, *, csrf: bool = True, headers: dict | None = None, **kwargs):
        headers = {"HX-Request": "true", **(headers or {})}
        if csrf and method.upper() != "GET" and "X-CSRFToken" not in headers:
            headers["X-CSRFToken"] = self.csrf_token("/")
        return self.open(path, method=method.upper(), headers=headers, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = Client
    return app.test_client()


@pytest.fixture
def make_user(app):
    counter = {"n": 0}

    def factory(role: Role | str = Role.VIEWER, *, username: str | None = None, password: str = PASSWORD,
                desa_code: str | None = None, must_change_password: bool = False, **kwargs):
        counter["n"] += 1
        role = Role(role)
        if role == Role.KEPALA_DESA and desa_code is None:
            desa_code = "63.06.10.2009"  # Loksado
        user = auth_services.create_user(
            username=username or f"{role.value.replace('_', '')}{counter['n']}",
            full_name=kwargs.pop("full_name", f"Pengguna {role.value} {counter['n']}"),
            role=role.value, password=password, desa_code=desa_code,
            must_change_password=must_change_password, **kwargs)
        db.session.commit()   # as the admin page's request would
        return user

    return factory


@pytest.fixture
def login(client):
    def do_login(user, password: str = PASSWORD):
        resp = client.post_form("/masuk", {"username": user.username, "password": password})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return user
    return do_login


@pytest.fixture
def login_as(make_user, login):
    def do(role: Role | str, **kwargs):
        return login(make_user(role, **kwargs))
    return do
