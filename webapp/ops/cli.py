"""`flask ops backup --out DIR`, `flask ops restore FILE [--check] [--yes]` and
`flask ops retention [--dry-run] [--json]` (docs/operations.md). Each prints what it did in
Indonesian, exits 1 with the reason when it cannot, and is written to the audit log (actor
"system"; a dry run or --check changes nothing and writes nothing)."""
from __future__ import annotations

import json
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import AppGroup

from webapp.ops import retention, services
from webapp.ops.services import OpsError

ops_cli = AppGroup("ops", help="Operasi node: cadangan (backup), pemulihan (restore), retensi data.")


def _wita(moment: str | datetime | None) -> str:
    if moment is None:
        return "-"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    zone = ZoneInfo(current_app.config.get("DISPLAY_TIMEZONE", "Asia/Makassar"))
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M} WITA"


def _fail(error: OpsError):
    click.echo(f"Gagal: {error}", err=True)
    raise SystemExit(1)


@ops_cli.command("backup")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder tujuan (dibuat 0700 bila belum ada).")
@click.option("--keep-days", type=click.IntRange(min=1), default=None,
              help="Lalu hapus cadangan node ini di folder itu yang lebih tua dari sekian hari.")
def backup_command(out_dir: str, keep_days: int | None) -> None:
    """Cadangkan basis data dan berkas unggahan node ini ke satu arsip .tar."""
    try:
        result = services.create_backup(out_dir, keep_days=keep_days)
    except OpsError as error:
        _fail(error)
    manifest = result.manifest
    click.echo(str(result.path))
    click.echo(f"Cadangan {manifest['database']['kind']} node {manifest['node_id']}, revisi "
               f"{manifest['alembic_revision'] or '-'}, {manifest['parts'][services.FILES_PART]['count']} berkas "
               f"unggahan, {result.size} bita.")
    for path in result.pruned:
        click.echo(f"Dihapus (lebih tua dari {keep_days} hari): {path}")


@ops_cli.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--check", "check_only", is_flag=True,
              help="Periksa saja (manifest, sha256 tiap bagian, isi basis data); tidak ada yang diubah.")
@click.option("--yes", is_flag=True, help="Tanpa pertanyaan konfirmasi.")
def restore_command(file: str, check_only: bool, yes: bool) -> None:
    """Pulihkan basis data dan berkas unggahan dari cadangan (hentikan layanan node dulu)."""
    try:
        checked = services.check_backup(file) if check_only else services.check_manifest(services.read_manifest(file))
    except OpsError as error:
        _fail(error)
    manifest = checked.manifest
    click.echo(f"Cadangan {file}: node {manifest.get('node_id')}, dibuat {_wita(manifest.get('created_at'))}, "
               f"aplikasi {manifest.get('app_version')}, revisi {checked.revision or '-'} (kode: {checked.head}), "
               f"{manifest['parts'][services.FILES_PART].get('count')} berkas unggahan.")
    for warning in checked.warnings:
        click.echo(f"Perhatian: {warning}")
    if check_only:
        click.echo("Pemeriksaan: cadangan utuh dan dapat dipulihkan di node ini. Tidak ada yang diubah (--check).")
        return
    if not yes:
        if not sys.stdin.isatty():
            click.echo("Gagal: tanpa terminal, tambahkan --yes untuk memulihkan.", err=True)
            raise SystemExit(1)
        click.confirm("Basis data dan berkas unggahan node ini akan DIGANTI dengan isi cadangan ini; perubahan "
                      "sesudah waktu cadangan hilang. Lanjutkan?", abort=True)
    try:
        result = services.restore_backup(file)
    except OpsError as error:
        _fail(error)
    click.echo(f"Dipulihkan: basis data, {result.files_added} berkas ditambahkan, {result.files_kept} sudah ada, "
               f"{result.files_removed} dihapus (tidak ada dalam cadangan).")
    if result.dropped_tables:
        click.echo("Tabel yang lebih baru dari cadangan dihapus: " + ", ".join(result.dropped_tables))
    if checked.needs_upgrade:
        click.echo(f"Cadangan berrevisi {checked.revision}, kode {checked.head}: jalankan "
                   f"`flask --app webapp db upgrade` sebelum layanan dijalankan lagi.")


@ops_cli.command("retention")
@click.option("--dry-run", is_flag=True, help="Tampilkan apa yang akan dihapus, dengan jumlahnya; tidak menghapus.")
@click.option("--json", "as_json", is_flag=True, help="Keluaran JSON dengan daftar lengkap.")
def retention_command(dry_run: bool, as_json: bool) -> None:
    """Hapus data yang tidak diperlukan lagi (UU 27/2022); log audit tidak pernah dihapus."""
    result = retention.run_retention(dry_run=dry_run)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return
    policy = result.plan.policy
    click.echo(("Uji coba (--dry-run): yang AKAN dihapus" if dry_run else "Dihapus") +
               f" — berkas permohonan diserahkan > {policy.files_days} hari, outbox terkirim > "
               f"{policy.outbox_days} hari, unggahan terputus > {policy.partial_days} hari, berkas yatim > "
               f"{policy.orphan_days} hari:")
    for kind, count in result.counts.items():
        click.echo(f"  {count:>7}  {retention.LABELS[kind]} ({kind})")
    if not dry_run:
        click.echo(f"Ruang dibebaskan: {result.bytes_freed} bita. Log audit tidak dihapus (append-only).")
    else:
        click.echo("Tidak ada yang dihapus (--dry-run).")
