import sys

import click
from flask.cli import AppGroup

from webapp.auth import services
from webapp.auth.roles import Role
from webapp.core.errors import DomainError
from webapp.core.uow import unit_of_work

users_cli = AppGroup("users", help="Kelola akun pengguna.")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--full-name", default=None, help="Nama lengkap (bawaan: nama pengguna).")
@click.option("--desa", "desa_code", default=None, help="Kode desa (wajib untuk kepala_desa).")
def create_command(username, role, full_name, desa_code):
    """Buat akun. Kata sandi dibaca dari prompt, atau dari stdin bila bukan terminal."""
    if sys.stdin.isatty():
        password = click.prompt("Kata sandi", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        with unit_of_work():
            user = services.create_user(username=username, full_name=full_name or username, role=role,
                                        password=password, desa_code=desa_code, must_change_password=False)
    except DomainError as error:
        raise click.ClickException(str(error.message))
    click.echo(f"Akun {user.username} ({user.role}) dibuat.")
