"""`flask jobs worker` (the Procfile's `worker:` process) and `flask jobs status`."""
from __future__ import annotations

from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from webapp.extensions import db

jobs_cli = AppGroup("jobs", help="Antrean pekerjaan latar: impor register, pemindaian.")


@jobs_cli.command("worker")
@click.option("--workers", "-w", type=int, default=None,
              help="Jumlah pekerja (thread); bawaan JOBS_WORKERS atau 1.")
@click.option("--verbose", is_flag=True, help="Catat setiap pekerjaan yang diambil.")
def worker_command(workers: int | None, verbose: bool) -> None:
    """Jalankan proses latar yang mengerjakan antrean (Ctrl+C: selesaikan dulu pekerjaan yang berjalan)."""
    from webapp.jobs.worker import run_worker

    app = current_app._get_current_object()
    count = workers or int(app.config.get("JOBS_WORKERS", 1) or 1)
    try:
        run_worker(app, workers=count, verbose=verbose, echo=click.echo)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None


@jobs_cli.command("status")
@click.option("--limit", type=int, default=20)
def status_command(limit: int) -> None:
    """Tampilkan pekerjaan latar terakhir."""
    from webapp.jobs.models import JobRun
    from webapp.jobs.queue import queue_for

    queue = queue_for()
    if not queue.huey.immediate:
        click.echo(f"Menunggu di antrean: {len(queue.queued_ids())}")
    zone = ZoneInfo(current_app.config.get("DISPLAY_TIMEZONE", "Asia/Makassar"))
    runs = db.session.execute(select(JobRun).order_by(JobRun.created_at.desc()).limit(limit)).scalars()
    for run in runs:
        when = (run.finished_at or run.heartbeat_at or run.queued_at or run.created_at).astimezone(zone)
        click.echo(f"{run.created_at.astimezone(zone):%Y-%m-%d %H:%M:%S}  {run.name:<18} {run.status:<9} "
                   f"{when:%H:%M:%S}  {run.error or ''}".rstrip())
