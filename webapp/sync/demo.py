"""Demo of the sync (issue 9), on the office only (ROLE=office):

- order 60 (after the field demo put the Malinau trip on site at order 55): the demo bus's node
  BUS-01 is registered; its token is written to `<instance>/demo-bus-token` (0600) for the demo
  laptop to pair with (`flask field pair --office URL --token - < instance/demo-bus-token`); and
  the trip on site is checked out to BUS-01 (`checkout.build_package`, so the office shows it
  "di bus BUS-01"; the node's `flask field checkout TRIP` then receives the package again).

Idempotent: a registered node whose token file is there and still matches is left alone; a
missing (or stale) file gets a new token (the old one stops working). `flask demo field-day`
(webapp.sync.fieldday) is the field node's side of the demo."""
from __future__ import annotations

import os
from pathlib import Path

import click
from flask import current_app

from webapp.demo import demo_cli, demo_loader
from webapp.extensions import db
from webapp.sync import fieldday  # noqa: F401  (registers `flask demo field-day`)

DEMO_NODE = "BUS-01"
DEMO_NODE_NAME = "Laptop Bus Ketupat Pecel 01 (demo)"
TOKEN_FILE = "demo-bus-token"


def token_file() -> Path:
    """<instance>/demo-bus-token, or DEMO_BUS_TOKEN_FILE (the tests keep theirs apart)."""
    configured = current_app.config.get("DEMO_BUS_TOKEN_FILE")
    return Path(configured) if configured else Path(current_app.instance_path) / TOKEN_FILE


def _write_token(path: Path, token: str) -> None:
    """Owner-only (0600 from the first byte), replaced atomically."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(path.name + ".new")
    if temporary.exists():
        temporary.unlink()
    with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
        handle.write(token + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _file_token(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def ensure_demo_node() -> tuple[object, str]:
    """The demo node registered and its working token in the file: (node, what was done)."""
    from webapp.sync import nodes, tokens
    path = token_file()
    node = nodes.get_by_code(DEMO_NODE)
    saved = _file_token(path)
    if node is not None and node.active and saved and tokens.token_matches(saved, node.token_hash):
        return node, "sudah terdaftar"
    if node is not None and node.active:
        nodes.revoke_node(node)             # the file is gone (or stale): a new token for the demo laptop
        done = "token baru"
    else:
        done = "didaftarkan" if node is None else "token baru"
    node, token = nodes.add_node(DEMO_NODE, name=DEMO_NODE_NAME)
    # Written before the unit of work commits: should the commit fail, the next run finds the
    # file's token not matching the node's and makes a new one.
    _write_token(path, token)
    return node, done


def _trip_to_check_out():
    """(trip, already checked out): the trip on the demo bus already, else the trip the field
    demo put on site today (None when there is none)."""
    from sqlalchemy import select

    from webapp.field.demo import _departed_today
    from webapp.sync.models import CHECKED_OUT, TripCheckout
    from webapp.trips.models import Trip
    found = db.session.execute(select(TripCheckout).where(
        TripCheckout.node_code == DEMO_NODE, TripCheckout.status == CHECKED_OUT)
        .order_by(TripCheckout.checked_out_at.desc())).scalars().first()
    if found is not None:
        return db.session.get(Trip, found.trip_id), True
    return _departed_today(), False


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@demo_loader(order=60)
def load_demo_bus() -> list[str]:
    from webapp.auth.services import find_by_username
    from webapp.core.errors import DomainError
    from webapp.sync import checkout
    from webapp.sync.field_role import is_field_node
    if is_field_node():
        return []
    node, done = ensure_demo_node()
    lines = [f"Bus demo: node {node.code} {done} (token di {_shown(token_file())})."]
    trip, already = _trip_to_check_out()
    if trip is None:
        return lines + ["Bus demo: tidak ada perjalanan di lokasi hari ini; check-out ke bus dilewati."]
    if already:
        return lines + [f"Bus demo: perjalanan {trip.number} sudah di bus {DEMO_NODE} (check-out)."]
    try:
        with db.session.begin_nested():
            package = checkout.build_package(trip, DEMO_NODE, actor=find_by_username("kabid.dafduk"))
    except DomainError as error:
        return lines + [f"Bus demo: check-out {trip.number} ke {DEMO_NODE} dilewati: {error.message}"]
    return lines + [f"Bus demo: perjalanan {trip.number} di-check-out ke bus {DEMO_NODE} ({package['size']} bita); "
                    f"di laptop bus: flask field checkout {trip.number}"]


def demo_bus_trip():
    """(trip, team usernames) of the trip checked out to the demo bus, or (None, [])."""
    trip, already = _trip_to_check_out()
    if trip is None or not already:
        return None, []
    team = sorted(m.user.username for m in trip.members if m.user is not None and m.user.active)
    return trip, team


@demo_cli.command("bus-trip")
@click.option("--team", is_flag=True, help="Juga akun tim yang dapat masuk di laptop bus (baris kedua).")
def bus_trip_command(team: bool) -> None:
    """Nomor perjalanan yang di-check-out ke bus demo BUS-01 (untuk scripts/run)."""
    trip, usernames = demo_bus_trip()
    if trip is None:
        raise click.ClickException(f"tidak ada perjalanan yang di-check-out ke {DEMO_NODE}")
    click.echo(trip.number)
    if team:
        click.echo(" ".join(usernames))
