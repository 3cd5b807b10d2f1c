"""``flask quality scan FILE [--json]``: read a SIAK export, run the anomaly rules and the
duplicate detector, store nothing, print a summary.

The JSON summary (one object) is::

    {"file": name, "rows": data rows read (blank rows not counted), "rejected_rows": n,
     "errors": [first 100 row errors {"row", "column", "message"}], "records": n,
     "rules": {rule code: number of findings, every rule, zero included},
     "duplicate_groups": [[row numbers, sorted], ...] (sorted), "elapsed_s": seconds}

A file-level error (wrong format, encoding, missing columns, empty) prints a clear message
(with ``--json`` a ``{"file", "error": {"code", "message", "missing"}}`` object) and exits 2.
The human output never shows a full NIK or No. KK.
"""
from __future__ import annotations

import json
import os
import time
from datetime import date
from typing import Any

import click
from flask import current_app, has_app_context
from flask.cli import AppGroup

from webapp.quality.rules import RULES, SEVERITY_RANK, RuleConfig, count_by_rule, run_rules
from webapp.quality.siak import RowError, SiakFileError, read_siak

quality_cli = AppGroup("quality", help="Kualitas data kependudukan: anomali dan data ganda.")

MAX_JSON_ERRORS = 100
MAX_SHOWN = 20
EXIT_FILE_ERROR = 2


def _setting(name: str) -> Any:
    return current_app.config.get(name) if has_app_context() else None


def _rule_config() -> RuleConfig:
    return RuleConfig.from_mapping(_setting("QUALITY_RULES"))


def _duplicate_groups(records: list) -> list[list[Any]]:
    from webapp.quality.duplicates import DuplicateConfig, find_duplicate_pairs, group_pairs

    thresholds = _setting("DUPLICATE_THRESHOLDS")
    config = DuplicateConfig.from_mapping(thresholds) if thresholds else None
    pairs = find_duplicate_pairs(records, config)
    return sorted(sorted(group) for group in group_pairs(pairs))


def scan_file(path: str, *, today: date | None = None,
              rule_config: RuleConfig | None = None) -> dict[str, Any]:
    """Read, check and summarise one file: the JSON summary as a dict. Raises
    SiakFileError for a file-level problem. In an app context the duplicate thresholds come
    from ``DUPLICATE_THRESHOLDS`` (and, when ``rule_config`` is None, the rule settings from
    ``QUALITY_RULES``)."""
    return _scan(path, today, rule_config)[0]


def _scan(path: str, today: date | None,
          rule_config: RuleConfig | None) -> tuple[dict[str, Any], list[str | None]]:
    """(summary, masked value previews of the reported row errors)."""
    started = time.perf_counter()
    rows = rejected = 0
    errors: list[RowError] = []
    records = []
    with read_siak(path) as reader:
        for result in reader:
            rows += 1
            if result.record is None:
                rejected += 1
                if len(errors) < MAX_JSON_ERRORS:
                    errors.extend(result.errors[: MAX_JSON_ERRORS - len(errors)])
            else:
                records.append(result.record)
    findings = run_rules(records, today=today, config=rule_config or _rule_config())
    groups = _duplicate_groups(records)
    summary = {
        "file": os.path.basename(path),
        "rows": rows,
        "rejected_rows": rejected,
        "errors": [{"row": e.row_no, "column": e.column, "message": e.message} for e in errors],
        "records": len(records),
        "rules": count_by_rule(findings),
        "duplicate_groups": groups,
        "elapsed_s": round(time.perf_counter() - started, 3),
    }
    return summary, [e.value_preview for e in errors]


@quality_cli.command("scan")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--json", "as_json", is_flag=True, help="Cetak satu objek JSON ringkasan.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Tanggal acuan umur (YYYY-MM-DD); bawaan hari ini.")
def scan_command(file: str, as_json: bool, today) -> None:
    """Periksa berkas ekspor SIAK (CSV/XLSX) tanpa menyimpan apa pun."""
    config = _rule_config()
    try:
        summary, previews = _scan(file, today.date() if today else None, config)
    except SiakFileError as exc:
        _file_error(file, exc, as_json)
        raise SystemExit(EXIT_FILE_ERROR) from None
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
    else:
        _print_human(summary, previews, config)


def _file_error(file: str, exc: SiakFileError, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"file": os.path.basename(file), "error": {
            "code": exc.code, "message": exc.message, "missing": list(exc.missing)}},
            ensure_ascii=False))
    click.echo(f"Berkas {os.path.basename(file)} tidak dapat dibaca: {exc.message}", err=True)


def _print_human(summary: dict[str, Any], previews: list, config: RuleConfig) -> None:
    echo = click.echo
    echo(f"Berkas        : {summary['file']}")
    echo(f"Baris data    : {summary['rows']}  (terbaca {summary['records']}, "
         f"ditolak {summary['rejected_rows']})")
    if summary["errors"]:
        echo(f"\nBaris ditolak ({min(MAX_SHOWN, len(summary['errors']))} pertama):")
        for error, preview in list(zip(summary["errors"], previews))[:MAX_SHOWN]:
            column = error["column"] or "-"
            shown = f"  [{preview}]" if preview else ""
            echo(f"  baris {error['row']:>7}  {column:<14} {error['message']}{shown}")
    echo("\nTemuan aturan anomali:")
    found = {code: n for code, n in summary["rules"].items() if n}
    if not found:
        echo("  (tidak ada)")
    severities = {code: config.severity(rule) for code, rule in RULES.items()}
    for code, count in sorted(found.items(),
                              key=lambda item: (SEVERITY_RANK.get(severities.get(item[0]), 3),
                                                item[0])):
        title = str(RULES[code].title) if code in RULES else ""
        echo(f"  {severities.get(code, '?'):<8} {code:<28} {count:>7}  {title}")
    groups = summary["duplicate_groups"]
    echo(f"\nKemungkinan data ganda: {len(groups)} kelompok")
    for group in groups[:MAX_SHOWN]:
        echo("  baris " + ", ".join(str(ref) for ref in group))
    if len(groups) > MAX_SHOWN:
        echo(f"  … dan {len(groups) - MAX_SHOWN} kelompok lagi (lihat --json)")
    echo(f"\nWaktu: {summary['elapsed_s']:.2f} s")



@quality_cli.command("name-keys")
def name_keys_command() -> None:
    """Recompute the register's name search keys (after the name normalisation changed)."""
    from webapp.core.uow import unit_of_work
    from webapp.quality.name_search import refresh_name_keys
    with unit_of_work():
        changed = refresh_name_keys()
    click.echo(f"name keys: {changed} rows updated")


@quality_cli.command("name-index")
def name_index_command() -> None:
    """Rebuild the name search's text index (SQLite: after a VACUUM or a migration that
    recreated the person table)."""
    from webapp.extensions import db
    from webapp.quality.name_index import rebuild_name_index
    with db.engine.begin() as conn:
        click.echo(rebuild_name_index(conn))
