"""``flask siak export --out DIR`` and ``flask siak import FILE [--json] [--check]``: the SIAK file
exchange from the command line, as the "Berkas SIAK" page does it (same services, one unit of
work each). Formats: docs/siak-exchange-format.md.

The export writes both files (CSV and JSON, owner-only permissions: they hold NIK and No. KK)
and prints their paths and the count, never their contents. The import prints each bad line in
Indonesian and exits 1 when anything is wrong (nothing is applied then); 0 when the results
were applied or, with ``--check``, found correct.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import click
from flask.cli import AppGroup

from webapp.auth.roles import Role

siak_cli = AppGroup("siak", help="Pertukaran berkas dengan SIAK: ekspor permohonan siap, impor hasil.")

WORK_ROLES = frozenset({Role.OPERATOR, Role.KABID_DAFDUK, Role.KABID_CAPIL})
EXIT_ERRORS = 1
EXIT_USAGE = 2


@dataclass(frozen=True)
class CommandLineOperator:
    """Who acts when no --user is named: the server's operator, recorded as "system"."""

    role: str = Role.OPERATOR.value
    is_authenticated: bool = False
    id: None = None
    username: str = "system"


def _actor(username: str | None):
    """(actor, viewer): a named office user (a kabid sees their division only), or the
    command line's operator who sees everything."""
    if not username:
        return CommandLineOperator(), None
    from webapp.auth.services import find_by_username
    user = find_by_username(username)
    if user is None or not user.active or user.role not in WORK_ROLES:
        click.echo(f"Pengguna {username} tidak ada, tidak aktif, atau bukan operator/kabid.", err=True)
        raise SystemExit(EXIT_USAGE)
    return user, user


def _write_private(path: Path, content: bytes) -> None:
    from webapp.core.security import PRIVATE_FILE_MODE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    os.chmod(path, PRIVATE_FILE_MODE)


@siak_cli.command("export")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder tujuan (dibuat bila belum ada).")
@click.option("--user", "username", default=None, help="Nama pengguna operator yang mengekspor (untuk audit).")
def export_command(out_dir: str, username: str | None) -> None:
    """Ekspor permohonan yang siap ke SIAK (CSV dan JSON)."""
    from webapp.core.uow import unit_of_work
    from webapp.documents import queue

    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    with unit_of_work():
        actor, viewer = _actor(username)
        outcome = queue.export_ready(actor=actor, viewer=viewer)
        paths = []
        for exported in outcome.files:
            path = folder / exported.filename
            _write_private(path, exported.content)
            paths.append(path)
    if not outcome.applications:
        click.echo("Tidak ada permohonan yang siap diekspor ke SIAK.")
        return
    for path in paths:
        click.echo(str(path))
    click.echo(f"{len(outcome.applications)} permohonan diekspor ({outcome.taken} diambil dari antrean).")


@siak_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--json", "as_json", is_flag=True, help="Baca berkas sebagai JSON (tanpa ini: CSV, kecuali nama berakhiran .json).")
@click.option("--check", "check_only", is_flag=True, help="Periksa saja: tidak ada yang diterapkan.")
@click.option("--user", "username", default=None, help="Nama pengguna operator yang mengimpor (untuk audit).")
def import_command(file: str, as_json: bool, check_only: bool, username: str | None) -> None:
    """Impor hasil SIAK: semua baris diterapkan, atau tidak satu pun bila ada yang salah."""
    from webapp.core.errors import DomainError
    from webapp.core.uow import unit_of_work
    from webapp.documents import queue
    from webapp.documents.siak.adapter import SiakFileError

    name = os.path.basename(file)
    from webapp.documents.siak.file_adapter import MAX_RESULT_BYTES
    with open(file, "rb") as handle:
        data = handle.read(MAX_RESULT_BYTES + 1)   # the adapter refuses anything larger
    try:
        with unit_of_work():
            actor, viewer = _actor(username)
            outcome = queue.import_results(data, filename=name, file_format="json" if as_json else None,
                                           actor=actor, viewer=viewer, check_only=check_only)
    except SiakFileError as error:
        click.echo(f"Berkas {name} tidak dapat dibaca: {error.message}", err=True)
        raise SystemExit(EXIT_ERRORS) from None
    except DomainError as error:   # a row changed by someone else meanwhile: nothing was applied
        click.echo(f"Tidak ada yang diterapkan: {error.message}", err=True)
        raise SystemExit(EXIT_ERRORS) from None
    _print_outcome(name, outcome, check_only)
    if not outcome.ok:
        raise SystemExit(EXIT_ERRORS)


def _print_outcome(name: str, outcome, check_only: bool) -> None:
    echo = click.echo
    echo(f"Berkas {name} ({outcome.parsed.file_format.upper()}): {outcome.parsed.read_count} baris hasil.")
    for error in outcome.errors:
        where = f"baris {error.line}" if error.line is not None else "berkas"
        echo(f"  {where}: {error.message}")
    if outcome.errors:
        echo(f"Tidak ada yang diterapkan: {len(outcome.errors)} masalah.")
    elif check_only:
        echo(f"Pemeriksaan: {len(outcome.parsed.rows)} baris benar. Tidak ada yang diterapkan (--check).")
    else:
        echo(f"Diterapkan: {outcome.issued} dokumen terbit, {outcome.rejected} ditolak.")
