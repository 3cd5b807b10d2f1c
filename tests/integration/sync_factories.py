"""Factories for the sync tests: two apps in one process — the office (the test's own app and
database) and a field node (ROLE=field, NODE_ID=BUS-01, its own SQLite file) whose HTTP calls go to
the office's test client through the sync client's transport (FlaskTransport) — a trip on site on
both sides (the office's rows copied into the node's database, as the check-out package will bring
them; its TripCheckout row put on the office directly), and the node paired."""
from __future__ import annotations

import shutil
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, insert, select

from tests.conftest import build_schema
from tests.integration.intake_factories import trip_on_site
from tests.integration.trip_factories import office_user
from webapp import create_app
from webapp.auth.models import User
from webapp.auth.roles import Role
from webapp.core.changes import StatusHistory
from webapp.core.db import utcnow
from webapp.core.timefmt import wita_today
from webapp.extensions import db
from webapp.field import services as field_services
from webapp.field.models import Visit
from webapp.intake import services as intake
from webapp.intake.models import Application, ChecklistLine
from webapp.sync import nodes, services
from webapp.sync.client import FlaskTransport
from webapp.sync.models import AppliedEntry, OutboxEntry, TripCheckout
from webapp.trips.models import Trip

OFFICE_URL = "http://kantor.test"
LOKSADO = "63.06.10.2009"
TWO_DAYS = 2 * 24 * 3600
NOT_MIRRORED = {"region", "alembic_version"}


# --- two apps ---------------------------------------------------------------------------------------

@pytest.fixture
def office(app):
    return app


@pytest.fixture
def node(database_template, tmp_path, office):
    kind, source = database_template
    target = tmp_path / "node.sqlite"
    if kind == "sqlite":
        shutil.copyfile(source, target)
    application = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{target}", "UPLOAD_FOLDER": str(tmp_path / "node-files"),
        "ROLE": "field", "NODE_ID": "BUS-01", "SERVER_NAME": None,
        "SYNC_TOKEN_FILE": str(tmp_path / "node-instance" / "sync-token"),
    })
    if kind != "sqlite":
        build_schema(application)
    application.extensions["kp_sync_transport"] = FlaskTransport(office)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def mirror(office, node) -> None:
    """Copy every row of the office's database into the node's (what a check-out brings, and more)."""
    with office.app_context():
        tables = [t for t in db.metadata.sorted_tables if t.name not in NOT_MIRRORED]
        rows = {t.name: [dict(r._mapping) for r in db.session.execute(select(t))] for t in tables}
        db.session.remove()
    with node.app_context():
        for table in tables:
            if rows[table.name]:
                db.session.execute(insert(table), rows[table.name])
        db.session.commit()


@pytest.fixture
def bus(office, node):
    """A trip on site with its officer, checked out to BUS-01 (the row put there directly), and the
    node paired with the office."""
    officer = office_user(Role.PETUGAS, full_name="Rahmat Hidayat")
    trip = trip_on_site(team=[officer])
    db.session.add(TripCheckout(trip_id=trip.id, node_code="BUS-01", checked_out_by="uji"))
    registered, token = nodes.add_node("BUS-01", name="Laptop Bus 01")
    db.session.commit()
    found = SimpleNamespace(trip_id=trip.id, officer_id=officer.id, token=token, node_id=registered.id)
    mirror(office, node)
    with node.app_context():
        hello = services.pair(OFFICE_URL, token)
        db.session.commit()
    found.hello = hello
    return found


def in_node(node):
    return node.app_context()


def walk_in(node, bus, *, name="Aluh Masitah", child="Galuh Rahmah", at=None, commit=True):
    """On the node, through the real services: a walk-in (visit + its status) and a KIA application
    for her child (application, checklist, status history, the visit called)."""
    trip = db.session.get(Trip, bus.trip_id)
    officer = db.session.get(User, bus.officer_id)
    visit = field_services.add_walk_in(trip, field_services.WalkInInput(
        name=name, sex="P", birth_date=date(1990, 1, 1), desa_code=LOKSADO), officer, at=at)
    today = wita_today()
    application = intake.start_application(visit, intake.ApplicationInput("KIA", "5_17", intake.Subject(
        name=child, relation="orang_tua", sex="P", birth_date=today.replace(year=today.year - 6) - timedelta(days=30))),
        actor=officer)
    if commit:
        db.session.commit()
    return visit.id, application.id


def count(model, *where) -> int:
    return int(db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


def wire_entries(node) -> list[dict]:
    with in_node(node):
        rows = db.session.execute(select(OutboxEntry).order_by(OutboxEntry.seq)).scalars()
        return [{**r.payload, "hash": r.content_hash} for r in rows]


def post_push(office, token, entries, *, node_code="BUS-01", **extra):
    with office.app_context():
        return office.test_client().post("/sync/v1/push", json={"node": node_code, "entries": entries, "backlog": 0,
                                                                "node_time": utcnow().isoformat(), **extra},
                                         headers={"Authorization": f"Bearer {token}"})


def office_counts() -> dict:
    db.session.remove()
    return {"visit": count(Visit), "application": count(Application), "lines": count(ChecklistLine),
            "history": count(StatusHistory), "applied": count(AppliedEntry)}


