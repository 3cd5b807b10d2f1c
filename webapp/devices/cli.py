"""``flask agent``: pair a hardware agent with this web app (docs/agent-protocol.md).

    flask --app webapp agent pubkey > /etc/ketupat-agent/ticket-key     # the agent's --ticket-key FILE
    flask --app webapp agent ticket --user USERNAME --origin http://127.0.0.1:5000 [--methods a,b]

`pubkey` prints one line, `ed25519:<base64url>`; the signing key is made on first use in the
instance folder (AGENT_TICKET_KEY_FILE elsewhere). `ticket` prints a ticket (valid for
AGENT_TICKET_SECONDS) for operations and tests: the methods of the user's role here unless
`--methods` names them. Neither writes to the database."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from webapp.auth import services as auth
from webapp.devices import tickets

agent_cli = AppGroup("agent", help="Pemasangan agen perangkat (kamera, pembaca kartu, printer struk).")


@agent_cli.command("pubkey")
def pubkey_command() -> None:
    """Cetak kunci verifikasi tiket untuk konfigurasi agen (satu baris)."""
    click.echo(tickets.public_key_line(tickets.private_key(current_app)))


def _methods(value: str | None):
    if value is None:
        return None
    chosen = tuple(m.strip() for m in value.split(",") if m.strip())
    unknown = sorted(set(chosen) - tickets.DEVICE_METHODS)
    if unknown:
        raise click.BadParameter(f"metode tidak dikenal: {', '.join(unknown)} "
                                 f"(pilihan: {', '.join(tickets.FIELD_METHODS)})", param_hint="--methods")
    return chosen


@agent_cli.command("ticket")
@click.option("--user", "username", required=True, help="Nama pengguna pemegang tiket.")
@click.option("--origin", required=True, help="Asal halaman, mis. http://127.0.0.1:5000.")
@click.option("--methods", default=None, help="Metode perangkat dipisah koma (bawaan: menurut peran).")
def ticket_command(username: str, origin: str, methods: str | None) -> None:
    """Cetak tiket agen untuk pengguna dan asal halaman ini."""
    chosen = _methods(methods)
    user = auth.find_by_username(username)
    if user is None or not user.active:
        raise click.ClickException(f"pengguna {username!r} tidak ada atau tidak aktif")
    try:
        origin = tickets.clean_origin(origin)
    except ValueError:
        raise click.BadParameter("tulis asal halaman sebagai skema://host[:port]", param_hint="--origin")
    if chosen is None:
        chosen = tickets.methods_for(user.role, tickets.desk(current_app))
        if not chosen:
            raise click.ClickException(f"peran {user.role} tidak memakai perangkat di sini; sebutkan --methods")
    click.echo(tickets.ticket_for(user, origin=origin, methods=chosen, app=current_app))
