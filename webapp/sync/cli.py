"""Sync commands. Office: `flask nodes add|list|revoke`. Field node: `flask field pair`, `flask sync
run [--once] [--interval S]` (the Procfile's `sync:` process), `flask sync status [--json]`.
(`flask field checkout|checkin` join the `field` group from the check-out module.)"""
from __future__ import annotations

import json
import logging
import signal
import sys
import time

import click
from flask import current_app
from flask.cli import AppGroup

from webapp.core.errors import DomainError
from webapp.core.uow import unit_of_work
from webapp.extensions import db
from webapp.sync import client as sync_client
from webapp.sync import nodes, outbox, services

log = logging.getLogger("webapp.sync")

nodes_cli = AppGroup("nodes", help="Node lapangan (laptop bus) yang terdaftar di kantor.")
field_cli = AppGroup("field", help="Laptop bus (ROLE=field): pemasangan dengan kantor.")
sync_cli = AppGroup("sync", help="Sinkronisasi node lapangan dengan kantor.")

DEFAULT_INTERVAL = 30.0


def _require(role: str) -> None:
    actual = str(current_app.config.get("ROLE", "office")).strip().lower()
    if actual != role:
        raise click.ClickException(f"perintah ini untuk ROLE={role} (di sini ROLE={actual})")


def _when(moment) -> str:
    return moment.isoformat(timespec="seconds") if moment else "-"


# --- office -----------------------------------------------------------------------------------------

@nodes_cli.command("add")
@click.argument("code")
@click.option("--name", default=None, help="Nama yang mudah dikenali, mis. 'Laptop Bus 01'.")
def nodes_add(code: str, name: str | None) -> None:
    """Daftarkan node (mis. BUS-01) dan cetak tokennya SEKALI (disimpan tersandi)."""
    _require("office")
    try:
        with unit_of_work():
            node, token = nodes.add_node(code, name=name)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None
    click.echo(f"Node {node.code} terdaftar. Token (hanya ditampilkan sekali):")
    click.echo(token)
    click.echo("Di laptop bus: flask field pair --office https://ALAMAT-KANTOR --token -   (lalu tempel token)")


@nodes_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Satu objek JSON per baris.")
def nodes_list(as_json: bool) -> None:
    """Daftar node: status, kontak terakhir, antrean, selisih jam."""
    _require("office")
    for row in nodes.list_nodes():
        node = row.node
        item = {"code": node.code, "name": node.name, "active": node.active, "token_hint": node.token_hint,
                "last_contact": _when(node.last_contact_at) if node.last_contact_at else None,
                "backlog": node.backlog, "clock_offset_s": node.clock_offset_s, "trips_checked_out": row.trips,
                "open_conflicts": row.open_conflicts}
        if as_json:
            click.echo(json.dumps(item, ensure_ascii=False))
        else:
            click.echo(f"{node.code:<10} {'aktif' if node.active else 'dicabut':<8} …{node.token_hint}  "
                       f"kontak {_when(node.last_contact_at)}  antrean {node.backlog if node.backlog is not None else '-'}  "
                       f"konflik {row.open_conflicts}  {node.name or ''}".rstrip())


@nodes_cli.command("revoke")
@click.argument("code")
def nodes_revoke(code: str) -> None:
    """Cabut token node (panggilan berikutnya ditolak dengan 401)."""
    _require("office")
    node = nodes.get_by_code(code)
    if node is None:
        raise click.ClickException(f"node {code} tidak terdaftar")
    try:
        with unit_of_work():
            nodes.revoke_node(node)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None
    click.echo(f"Token node {node.code} dicabut.")


# --- field node ----------------------------------------------------------------------------------------

@field_cli.command("pair")
@click.option("--office", "office_url", required=True, help="Alamat kantor, mis. https://kantor.example")
@click.option("--token", required=True, help="Token dari `flask nodes add` ('-' = baca dari stdin).")
def field_pair(office_url: str, token: str) -> None:
    """Pasangkan laptop ini dengan kantor: periksa token (hello), simpan token di instance/sync-token (0600)."""
    _require("field")
    if token == "-":
        token = sys.stdin.readline().strip()
    if services.is_plain_http_to_another_host(office_url):
        click.echo("PERINGATAN: alamat kantor bukan HTTPS; token dan data akan lewat tanpa sandi.", err=True)
    try:
        with unit_of_work():
            hello = services.pair(office_url, token)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None
    except sync_client.OfficeUnreachable as error:
        raise click.ClickException(f"{error} — tidak ada yang disimpan; coba lagi saat kantor terjangkau") from None
    click.echo(f"Node {hello.node} dipasangkan dengan {office_url}; selisih jam {hello.clock_offset_s:+.1f} dtk.")


# --- the sync worker ---------------------------------------------------------------------------------------

def _one_pass(echo) -> sync_client.PassResult:
    result = services.run_once()
    if result.skipped:
        echo("lewati: sinkronisasi lain sedang berjalan")
    elif result.ok:
        echo(f"ok: {result.pushed} terkirim, {result.pulled} diterima, {result.conflicts} konflik, "
             f"selisih jam {result.clock_offset_s:+.1f} dtk, {result.bytes_sent} bita")
    else:
        echo(f"gagal: {result.error}")
    return result


@sync_cli.command("run")
@click.option("--once", is_flag=True, help="Satu putaran lalu berhenti (kode keluar 1 bila gagal).")
@click.option("--interval", type=float, default=None, help=f"Detik antarputaran (bawaan {DEFAULT_INTERVAL:.0f}).")
def sync_run(once: bool, interval: float | None) -> None:
    """Kirim antrean ke kantor setiap beberapa detik, selama kantor menjawab (proses `sync:` di Procfile)."""
    role = str(current_app.config.get("ROLE", "office")).strip().lower()
    if role != "field":
        if once:
            raise click.ClickException("di kantor (ROLE=office) tidak ada yang disinkronkan")
        click.echo("ROLE=office: pekerja sinkronisasi tidak bertugas di kantor; menunggu tanpa bekerja.")
        while True:                     # a Procfile runner stops every process when one exits
            time.sleep(3600)
    every = max(1.0, interval or float(current_app.config.get("SYNC_INTERVAL_SECONDS", DEFAULT_INTERVAL)))
    echo = lambda text: click.echo(f"{time.strftime('%H:%M:%S')} {text}")  # noqa: E731
    if once:
        result = _one_pass(echo)
        sys.exit(0 if result.ok else 1)
    stopping = {"now": False}

    def stop(_signum, _frame):
        stopping["now"] = True
    signal.signal(signal.SIGTERM, stop)
    echo(f"pekerja sinkronisasi {current_app.config.get('NODE_ID')}: setiap {every:.0f} dtk")
    while not stopping["now"]:
        try:
            result = _one_pass(echo)
        except Exception:            # a pass must never end the worker; the next one tries again
            log.exception("sync pass failed")
            db.session.rollback()
            result = None
        # Catch up without waiting while there is a backlog and the office answers.
        busy = result is not None and result.ok and result.pushed and outbox.pending_count() > outbox.refused_count()
        deadline = time.monotonic() + (0 if busy else every)
        while not stopping["now"] and time.monotonic() < deadline:
            time.sleep(min(1.0, every))
        db.session.remove()


@sync_cli.command("status")
@click.option("--json", "as_json", is_flag=True, help='{"node", "online", "pending", "last_success", "last_error"}')
def sync_status(as_json: bool) -> None:
    """Keadaan sinkronisasi node ini."""
    state = services.node_state()
    if as_json:
        click.echo(json.dumps(state.to_json(), ensure_ascii=False))
        return
    click.echo(f"node {state.node}: {'daring' if state.online else 'luring'}, {state.pending} menunggu"
               f" ({state.refused} konflik), terakhir berhasil {_when(state.last_success)}")
    if state.last_error:
        click.echo(f"kesalahan terakhir: {state.last_error}")
