"""`flask requirements seed`: load the initial requirement templates (idempotent)."""
import click
from flask.cli import AppGroup

requirements_cli = AppGroup("requirements", help="Templat syarat layanan.")


@requirements_cli.command("seed")
def seed_command():
    """Buat templat syarat yang belum ada (tidak menimpa perubahan kantor)."""
    from webapp.requirements.services import seed_templates
    from webapp.core.uow import unit_of_work
    with unit_of_work():
        created = seed_templates()
    click.echo(f"Templat syarat dibuat: {created}.")
