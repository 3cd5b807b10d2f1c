"""Browser tests: Playwright drives Debian's Chromium against a live server on a free port.

The server runs in a thread on its own SQLite file (WAL), with the regions loaded; tests create
what they need through the same services the app uses. In CI (CI=true) a missing browser is a
failure, never a skip."""
from __future__ import annotations

import os
import re
import shutil
import socket
import threading

import pytest
from werkzeug.serving import make_server

from webapp import create_app
from webapp.auth.roles import Role
from webapp.extensions import db
from tests.conftest import PASSWORD, build_schema

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/setup --test")
        pytest.skip("Chromium not installed (scripts/setup --test installs it)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("live")
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'live.sqlite'}",
        "UPLOAD_FOLDER": str(folder / "files"),
        "SESSION_IDLE_MINUTES": 30,
        # No hardware agent unless a test starts one (tests/e2e/test_agent_flow.py sets AGENT_URL).
        "AGENT_URL": "",
        "AGENT_TICKET_KEY_FILE": str(folder / "agent-ticket-key.pem"),
    })
    build_schema(app)
    return app


@pytest.fixture(scope="session")
def live_server(live_app):
    port = _free_port()
    server = make_server("127.0.0.1", port, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    live_app.config["LIVE_URL"] = f"http://127.0.0.1:{port}"
    yield live_app.config["LIVE_URL"]
    server.shutdown()


@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory):
    """A second live server of its own, on `flask demo load`'s data (its own SQLite file, so the
    demo's users, trips and register stay out of the other tests' database): (url, app, file).
    The dashboard and report tests read their figures against it."""
    from webapp.demo import run_demo_loaders

    folder = tmp_path_factory.mktemp("demo-live")
    database = folder / "demo.sqlite"
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "UPLOAD_FOLDER": str(folder / "files"),
        "SESSION_IDLE_MINUTES": 30,
        "AGENT_URL": "",
        "AGENT_TICKET_KEY_FILE": str(folder / "agent-ticket-key.pem"),
        "DEMO_BUS_TOKEN_FILE": str(folder / "demo-bus-token"),
    })
    build_schema(app)
    with app.app_context():
        run_demo_loaders(lambda line: None)
        db.session.remove()
    port = _free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}", app, database
    server.shutdown()


@pytest.fixture
def live_db(live_app):
    """An app context on the live server's database, for arranging data and checking results."""
    with live_app.app_context():
        yield db
        db.session.remove()


@pytest.fixture
def make_live_user(live_db):
    from webapp.auth import services
    counter = {"n": 0}

    def factory(role: Role | str, **kwargs):
        counter["n"] += 1
        role = Role(role)
        username = kwargs.pop("username", None) or f"e2e.{role.value}.{os.getpid()}.{counter['n']}.{id(counter)}"
        existing = services.find_by_username(username)
        if existing:
            return existing
        if role == Role.KEPALA_DESA:
            kwargs.setdefault("desa_code", "63.06.10.2009")
        user = services.create_user(username=username, full_name=kwargs.pop("full_name", f"Uji {role.label}"),
                                    role=role.value, password=PASSWORD, must_change_password=False, **kwargs)
        live_db.session.commit()   # the live server reads it from its own connection
        return user
    return factory


@pytest.fixture
def login_page(page, base_url, make_live_user):
    """Log in through the real login form as a new user of the given role."""
    def do(role: Role | str, **kwargs):
        user = make_live_user(role, **kwargs)
        page.goto(base_url + "/masuk")
        page.get_by_label("Nama pengguna").fill(user.username)
        page.get_by_label("Kata sandi").fill(PASSWORD)
        page.get_by_role("button", name="Masuk").click()
        page.wait_for_url(lambda url: "/masuk" not in url)
        return user
    return do


@pytest.fixture(autouse=True)
def _no_console_errors(page):
    """CSP violations and script errors show up in the console: fail the test on them."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield
    # htmx logs every 4xx answer; those are deliberate (validation, re-login): 5xx are not.
    real = [e for e in errors if "favicon" not in e and "Failed to load resource" not in e
            and not re.search(r"Response Status Error Code 4\d\d", e)]
    assert real == [], real
