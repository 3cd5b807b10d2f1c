import click
from flask.cli import AppGroup

from webapp.core.uow import unit_of_work

from webapp.wilayah.services import load_regions

wilayah_cli = AppGroup("wilayah", help="Data kode wilayah Kemendagri.")


@wilayah_cli.command("load")
def load_command():
    """Muat/perbarui kode wilayah nasional dan desa Kabupaten HSS."""
    with unit_of_work():
        count = load_regions()
    click.echo(f"{count} kode wilayah dimuat.")
