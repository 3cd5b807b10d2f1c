"""``flask nik check``: check NIKs from the command line (an operator tool, no database).

The output goes through Flask-Babel in the app context Flask gives every AppGroup command; the
``--help`` texts are plain Indonesian because click renders them before any app exists.

Register it in the app factory with ``app.cli.add_command(nik_cli)``. The NIKs come from the
arguments and go to stdout only; nothing here uses the logging module (personal data).
Exit status: 0 when every NIK is valid, 1 when any is not (warnings do not count).
"""
from __future__ import annotations

import json
from datetime import date

import click
from flask.cli import AppGroup
from flask_babel import lazy_gettext as _l

from webapp.identity.nik import NikCheck, check_nik
from webapp.core.timefmt import wita_today

nik_cli = AppGroup("nik", help="Pemeriksaan NIK (Nomor Induk Kependudukan).")


@nik_cli.command("check")
@click.argument("niks", nargs=-1, required=True, metavar="NIK [NIK...]")
@click.option("--sex", type=click.Choice(["L", "P"], case_sensitive=False),
              help="Jenis kelamin menurut data (L/P), untuk peringatan.")
@click.option("--birth-date", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Tanggal lahir menurut data (YYYY-MM-DD), untuk peringatan.")
@click.option("--json", "as_json", is_flag=True, help="Satu objek JSON per NIK per baris.")
def check_command(niks: tuple[str, ...], sex: str | None, birth_date, as_json: bool) -> None:
    """Periksa satu atau beberapa NIK (format, wilayah, tanggal lahir, nomor urut)."""
    record_date: date | None = birth_date.date() if birth_date else None
    today = wita_today()
    results = [
        check_nik(nik, sex=sex.upper() if sex else None, birth_date=record_date, today=today)
        for nik in niks
    ]
    for result in results:
        click.echo(json.dumps(json_line(result), ensure_ascii=False) if as_json
                   else human_lines(result))
    if not all(result.valid for result in results):
        raise SystemExit(1)


def json_line(result: NikCheck) -> dict:
    """The ``--json`` shape: ``to_dict()`` with ``value`` renamed ``nik``."""
    data = result.to_dict()
    return {"nik": data.pop("value"), **data}


def human_lines(result: NikCheck) -> str:
    """One summary line, then one indented line per error (✗), warning (!) and note (·)."""
    status = str(_l("SAH") if result.valid else _l("TIDAK SAH"))
    lines = [f"{result.value or '—':<18} {status:<10} {_summary(result)}".rstrip()]
    for marker, problems in (("✗", result.errors), ("!", result.warnings), ("·", result.notes)):
        lines.extend(f"    {marker} {problem.message}" for problem in problems)
    return "\n".join(lines)


def _summary(result: NikCheck) -> str:
    parts = []
    region = ", ".join(filter(None, (result.kecamatan_name, result.regency_name)))
    if region:
        parts.append(region)
    if result.sex:
        parts.append(result.sex)
    if result.birth_date:
        ambiguous = "?" if result.birth_date_ambiguous else ""
        parts.append(str(_l("lahir %(date)s", date=result.birth_date.isoformat() + ambiguous)))
    return " | ".join(parts)
