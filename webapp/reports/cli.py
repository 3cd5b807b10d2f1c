"""`flask reports …`: upkeep of the reports' derived data."""
from __future__ import annotations

import click
from flask.cli import AppGroup

reports_cli = AppGroup("reports", help="Laporan dan mutu baku.")


@reports_cli.command("remeasure")
def remeasure_command():
    """Ukur ulang semua langkah SOP dari riwayat status (tabel sop_step_measure)."""
    from webapp.core.uow import unit_of_work
    from webapp.extensions import db
    from webapp.reports.upkeep import remeasure_all

    with unit_of_work():
        counts = remeasure_all(db.session.connection())
    for entity_type, rows in counts.items():
        click.echo(f"{entity_type}: {rows} langkah terukur")
