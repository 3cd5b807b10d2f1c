"""Register import: a SIAK export (CSV/XLSX) becomes the current population register.

    create_import(upload, actor=)   # request: size/type check, file saved, import "antri"
    start_import(import_id, path)   # request: background thread, returns at once
    run_import(import_id, path)     # the work itself (thread, CLI, demo, bench): synchronous

The rows are written in batches (executemany, ~5,000 rows per short transaction on the
import's own connection) as a new *snapshot* of the `person` table, while the current snapshot
stays in use. When every row is in, one short transaction points the register at the new
snapshot (the swap); a failure before that changes nothing in the current register. Then the
old snapshot is purged in batches and the register is scanned (services.scan_register).
Decision record: docs/decisions/0006-register-import.md.
"""
from __future__ import annotations

import logging
import os
import shutil
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert, select, update
from werkzeug.utils import secure_filename

from webapp.core.changes import Workflow, change_status
from webapp.core.db import new_uuid, utcnow
from webapp.core.errors import DomainError
from webapp.extensions import db
from webapp.quality import services
from webapp.quality.models import IMPORT_STATUS_LABELS, Person, RegisterImport, RegisterRowError
from webapp.quality.siak import SiakFileError, read_siak

log = logging.getLogger("webapp.quality.import")

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
DEFAULT_BATCH = 5_000
MAX_STORED_ERRORS = 1_000
DEFAULT_MAX_REJECTED_SHARE = 0.10
PURGE_BATCH = 10_000
ALLOWED_EXTENSIONS = {".csv", ".txt", ".xlsx"}

IMPORT_WORKFLOW = Workflow(
    "register_import",
    {None: {"antri": frozenset()},
     "antri": {"berjalan": frozenset(), "gagal": frozenset()},
     "berjalan": {"selesai": frozenset(), "gagal": frozenset()}},
    IMPORT_STATUS_LABELS,
)


class ImportRejected(Exception):
    """The file read, but importing it would harm the register (nothing read, too many bad rows)."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = str(message)


def config_value(name: str, default):
    return current_app.config.get(name, default)


def max_upload_bytes() -> int:
    return int(config_value("QUALITY_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


# --- upload (in the request) ----------------------------------------------------------------------


def _import_folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "register-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sniff_kind(path: Path) -> str:
    """"csv" or "xlsx" from the content; DomainError (field "file") otherwise."""
    with open(path, "rb") as fh:
        head = fh.read(64 * 1024)
    if not head:
        raise DomainError(_("Berkas kosong."), field="file")
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            names = set()
        if "xl/workbook.xml" in names:
            return "xlsx"
        raise DomainError(_("Berkas ZIP ini bukan lembar kerja XLSX. Unggah ekspor SIAK dalam CSV atau XLSX."),
                          field="file")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise DomainError(_("Format XLS lama (Excel 97–2003) tidak didukung: buka di Excel, simpan sebagai "
                            "XLSX atau CSV, lalu unggah ulang."), field="file")
    if head.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        raise DomainError(_("Berkas ini bukan ekspor data (PDF/gambar). Unggah ekspor SIAK dalam CSV atau XLSX."),
                          field="file")
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    if not utf16 and head.count(b"\x00") > len(head) // 100:
        raise DomainError(_("Isi berkas bukan teks CSV maupun XLSX."), field="file")
    return "csv"


def create_import(upload, *, actor) -> tuple[RegisterImport, Path]:
    """Check and store an uploaded export; returns the queued import and the stored path.
    Raises DomainError (field "file") with a clear message; nothing is kept then."""
    filename = (getattr(upload, "filename", None) or "").strip()
    if not filename:
        raise DomainError(_("Pilih berkas ekspor SIAK (CSV atau XLSX)."), field="file")
    safe = secure_filename(filename) or "ekspor"
    ext = Path(safe).suffix.lower()
    if ext not in ALLOWED_EXTENSIONS:
        raise DomainError(_("Jenis berkas tidak didukung: unggah CSV atau XLSX."), field="file")
    busy = running_import()
    if busy is not None:
        raise DomainError(_("Impor %(f)s masih berjalan. Tunggu sampai selesai.", f=busy.filename), field="file")
    limit = max_upload_bytes()
    import_id = new_uuid()
    path = _import_folder() / f"{import_id}{ext}"
    size = 0
    try:
        with open(path, "wb") as out:
            stream = upload.stream
            while True:
                chunk = stream.read(1 << 20)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise DomainError(_("Berkas terlalu besar: batasnya %(mb)s MB.", mb=limit // (1024 * 1024)),
                                      field="file")
                out.write(chunk)
        kind = sniff_kind(path)
        if kind == "xlsx" and ext != ".xlsx" or kind == "csv" and ext == ".xlsx":
            raise DomainError(_("Isi berkas tidak sesuai dengan ekstensinya (%(e)s).", e=ext), field="file")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    item = queue_import(filename=filename[:255], kind=kind, size=size, actor=actor, import_id=import_id)
    return item, path


def queue_import(*, filename: str, kind: str | None, size: int | None, actor, import_id=None) -> RegisterImport:
    item = RegisterImport(id=import_id or new_uuid(), filename=filename, file_kind=kind, file_size=size,
                          actor_id=getattr(actor, "id", None) if getattr(actor, "is_authenticated", False) else None,
                          actor_name=getattr(actor, "username", None) or "system")
    item.status = None
    change_status(item, "antri", actor=actor, workflow=IMPORT_WORKFLOW, note=filename)
    db.session.add(item)
    db.session.commit()
    return item


# --- threads -------------------------------------------------------------------------------------

_THREADS: dict[str, threading.Thread] = {}
_THREADS_LOCK = threading.Lock()


def running_import() -> RegisterImport | None:
    """The import still queued or running in this process; stale ones (the process that ran
    them is gone) are marked failed."""
    items = db.session.execute(select(RegisterImport).where(
        RegisterImport.status.in_(("antri", "berjalan")))).scalars().all()
    for item in items:
        with _THREADS_LOCK:
            thread = _THREADS.get(str(item.id))
        if thread is not None and thread.is_alive():
            return item
        stale_after = 60 * float(config_value("QUALITY_IMPORT_STALE_MINUTES", 10))
        if thread is None and (utcnow() - item.updated_at).total_seconds() < stale_after:
            return item  # running elsewhere (the CLI, another worker): each batch touches updated_at
        _fail(item, _("Impor terhenti (server dimulai ulang). Register tidak berubah; unggah ulang."))
        db.session.commit()
    return None


def start_import(import_id, path: Path | str) -> threading.Thread:
    """Run the import in a background thread with its own app context and session."""
    app = current_app._get_current_object()

    def target() -> None:
        with app.app_context():
            try:
                run_import(import_id, path)
            except Exception:  # run_import records its own failures; never kill the server
                log.exception("register import %s crashed", import_id)
            finally:
                db.session.remove()

    thread = threading.Thread(target=target, name=f"register-import-{import_id}", daemon=True)
    with _THREADS_LOCK:
        _THREADS[str(import_id)] = thread
    thread.start()
    return thread


def scan_running() -> bool:
    with _THREADS_LOCK:
        thread = _THREADS.get("scan")
    return thread is not None and thread.is_alive()


def start_scan(*, actor=None) -> threading.Thread:
    """Re-scan the current register in a background thread (key "scan" for wait_for_import)."""
    app = current_app._get_current_object()
    plain = None
    if getattr(actor, "is_authenticated", False):
        plain = SimpleNamespace(id=actor.id, username=actor.username, role=actor.role, is_authenticated=True)

    def target() -> None:
        with app.app_context():
            try:
                services.scan_register(plain)
            except Exception:
                log.exception("register scan crashed")
            finally:
                db.session.remove()

    thread = threading.Thread(target=target, name="register-scan", daemon=True)
    with _THREADS_LOCK:
        _THREADS["scan"] = thread
    thread.start()
    return thread


def wait_for_import(import_id, timeout: float | None = None) -> bool:
    """Join the import's thread (tests, CLI); True when it has finished."""
    with _THREADS_LOCK:
        thread = _THREADS.get(str(import_id))
    if thread is None:
        return True
    thread.join(timeout)
    return not thread.is_alive()


# --- the import itself -----------------------------------------------------------------------------


@dataclass
class ImportOutcome:
    import_id: uuid.UUID
    status: str
    rows_total: int
    rows_read: int
    rows_rejected: int
    import_seconds: float | None
    scan_seconds: float | None
    cases_opened: int | None
    error: str | None


def _actor_for(item: RegisterImport):
    if item.actor_id is None:
        return None
    from webapp.auth.models import User
    user = db.session.get(User, item.actor_id)
    if user is None:
        return None
    return SimpleNamespace(id=user.id, username=user.username, role=user.role, is_authenticated=True)


def _fail(item: RegisterImport, message: str) -> None:
    item.error_summary = message[:2000]
    item.finished_at = utcnow()
    item.phase = None
    change_status(item, "gagal", actor=None, workflow=IMPORT_WORKFLOW, note=message[:500])


def _person_row(record, snapshot_id, row_no: int, key: str) -> dict:
    return {
        "id": new_uuid(), "snapshot_id": snapshot_id, "row_no": row_no, "person_key": key,
        "nik": record.nik, "no_kk": record.no_kk, "name": record.name[:200], "sex": record.sex,
        "birth_place": (record.birth_place or None) and record.birth_place[:120],
        "birth_date": record.birth_date, "marital_status": record.marital_status,
        "family_role": record.family_role,
        "mother_name": (record.mother_name or None) and record.mother_name[:200],
        "father_name": (record.father_name or None) and record.father_name[:200],
        "address": (record.address or None) and record.address[:255],
        "rt": (record.rt or None) and record.rt[:8], "rw": (record.rw or None) and record.rw[:8],
        "desa_code": record.desa_code,
    }


def _purge_snapshot(conn, snapshot_id) -> int:
    """Delete one snapshot's rows in short batches (the write lock is released between them)."""
    table = Person.__table__
    removed = 0
    while True:
        ids = select(table.c.id).where(table.c.snapshot_id == snapshot_id).limit(PURGE_BATCH)
        result = conn.execute(delete(table).where(table.c.id.in_(ids)))
        conn.commit()
        removed += result.rowcount or 0
        if not result.rowcount:
            return removed


def _purge_stale(conn, keep) -> None:
    """Rows of snapshots that are neither current nor being written (a crashed import)."""
    table = Person.__table__
    stale = conn.execute(select(table.c.snapshot_id).distinct()
                         .where(table.c.snapshot_id.not_in([k for k in keep if k is not None]))).scalars().all()
    for snapshot_id in stale:
        _purge_snapshot(conn, snapshot_id)


def _tune(conn, fast: bool) -> None:
    """SQLite only, this connection only: in WAL mode synchronous=NORMAL cannot corrupt the
    database; at worst the last staging batches are lost in a power cut (the import then fails
    and the register is unchanged). Restored to FULL before the connection goes back."""
    if conn.dialect.name != "sqlite":
        return
    conn.exec_driver_sql("PRAGMA synchronous=%s" % ("NORMAL" if fast else "FULL"))
    if fast:
        conn.exec_driver_sql("PRAGMA cache_size=-65536")


def run_import(import_id, path: Path | str, *, scan: bool = True, today=None,
               echo: Callable[[str], None] | None = None, reader_factory=None) -> ImportOutcome:
    """Import one stored file as the new current register (synchronous). Never raises for a
    bad file: the import ends "gagal" with an Indonesian message and the register unchanged."""
    import_id = uuid.UUID(str(import_id))
    item = db.session.get(RegisterImport, import_id)
    if item is None:
        raise LookupError(f"register import {import_id} not found")
    actor = _actor_for(item)
    started = time.perf_counter()
    item.started_at = utcnow()
    item.phase = str(_l("membaca berkas"))
    change_status(item, "berjalan", actor=None, workflow=IMPORT_WORKFLOW)
    db.session.commit()
    batch_size = int(config_value("QUALITY_IMPORT_BATCH", DEFAULT_BATCH))
    max_share = float(config_value("QUALITY_IMPORT_MAX_REJECTED_SHARE", DEFAULT_MAX_REJECTED_SHARE))
    reader_factory = reader_factory or read_siak
    table = Person.__table__
    imports = RegisterImport.__table__
    counts = {"total": 0, "read": 0, "rejected": 0}
    conn = db.engine.connect()
    try:
        _tune(conn, True)
        _purge_stale(conn, [services.current_snapshot_id(), import_id])
        db.session.commit()
        reader = reader_factory(str(path), filename=item.filename)
        file_kind = getattr(getattr(reader, "format", None), "kind", None)
        seen_keys: dict[str, int] = {}
        rows: list[dict] = []
        errors: list[dict] = []
        stored_errors = 0
        last_echo = 0.0
        finished = False

        def flush() -> None:
            nonlocal rows, errors, last_echo
            if rows:
                conn.execute(insert(table), rows)
            if errors:
                conn.execute(insert(RegisterRowError.__table__), errors)
            progress = 1.0 if finished else (reader.progress() if hasattr(reader, "progress") else 0.0)
            conn.execute(update(imports).where(imports.c.id == import_id).values(
                rows_total=counts["total"], rows_read=counts["read"], rows_rejected=counts["rejected"],
                progress=round(min(0.95, progress * 0.95), 4)))
            conn.commit()
            rows, errors = [], []
            if echo and time.perf_counter() - last_echo > 1:
                last_echo = time.perf_counter()
                echo(_("  %(n)s baris dibaca (%(p)s%%)", n=f"{counts['total']:,}".replace(",", "."),
                       p=int(progress * 100)))

        try:
            for result in reader:
                counts["total"] += 1
                record = result.record
                if record is None:
                    counts["rejected"] += 1
                    for error in result.errors:
                        if stored_errors >= MAX_STORED_ERRORS:
                            break
                        stored_errors += 1
                        errors.append({"id": new_uuid(), "import_id": import_id, "row_no": error.row_no,
                                       "column": (error.column or None) and error.column[:60],
                                       "message": str(error.message)[:1000],
                                       "value_preview": (error.value_preview or None) and error.value_preview[:80]})
                else:
                    counts["read"] += 1
                    key = services.person_key(record.nik, record.name, record.birth_date)
                    seen = seen_keys.get(key, 0) + 1
                    seen_keys[key] = seen
                    if seen > 1:  # the very same record twice: keep both, keys stay stable by order
                        key = f"{key}-{seen}"
                    rows.append(_person_row(record, import_id, result.row_no, key))
                if len(rows) + len(errors) >= batch_size:
                    flush()
        finally:
            finished = True
            close = getattr(reader, "close", None)
            if close:
                close()
        flush()
        if counts["read"] == 0:
            raise ImportRejected(_("Tidak ada satu baris pun yang terbaca (%(n)s baris ditolak). Periksa "
                                   "format berkas; register tidak diubah.", n=counts["rejected"]))
        if counts["total"] and counts["rejected"] / counts["total"] > max_share:
            raise ImportRejected(_(
                "%(r)s dari %(t)s baris (%(p)s%%) tidak terbaca — lebih dari batas %(m)s%%. Berkas "
                "kemungkinan rusak atau bukan ekspor lengkap; register tidak diubah. Lihat daftar baris "
                "yang ditolak di bawah.", r=counts["rejected"], t=counts["total"],
                p=round(100 * counts["rejected"] / counts["total"], 1), m=round(100 * max_share)))

        # The swap: one short transaction.
        item = db.session.get(RegisterImport, import_id)
        db.session.refresh(item)
        state = services.register_state()
        old_snapshot = state.current_snapshot_id
        state.current_snapshot_id = import_id
        state.swapped_at = utcnow()
        state.persons = counts["read"]
        item.swapped_at = state.swapped_at
        item.file_kind = item.file_kind or file_kind
        item.import_seconds = round(time.perf_counter() - started, 2)
        item.phase = str(_l("memindai register"))
        item.progress = 0.95
        db.session.commit()
        if echo:
            echo(_("Register diganti: %(n)s penduduk (%(s)s detik).", n=counts["read"], s=item.import_seconds))
        if old_snapshot is not None:
            try:
                _purge_snapshot(conn, old_snapshot)
            except Exception:  # the register is already swapped; the next import purges it
                conn.rollback()
                log.exception("purging the old register snapshot failed")
    except (SiakFileError, ImportRejected, Exception) as exc:
        conn.rollback()
        db.session.rollback()
        if isinstance(exc, (SiakFileError, ImportRejected)):
            message = exc.message
        else:
            log.exception("register import %s failed", import_id)
            message = _("Impor gagal karena kesalahan sistem (%(e)s). Register tidak berubah.",
                        e=type(exc).__name__)
        _purge_snapshot(conn, import_id)
        item = db.session.get(RegisterImport, import_id)
        db.session.refresh(item)
        item.rows_total, item.rows_read, item.rows_rejected = counts["total"], counts["read"], counts["rejected"]
        item.import_seconds = round(time.perf_counter() - started, 2)
        _fail(item, message)
        db.session.commit()
        if echo:
            echo(_("Impor gagal: %(m)s", m=message))
        return _outcome(item)
    finally:
        try:
            _tune(conn, False)
        finally:
            conn.close()
            _remove_upload(path)

    item = db.session.get(RegisterImport, import_id)
    if scan:
        if echo:
            echo(_("Memindai register (aturan anomali dan data ganda)…"))
        try:
            result = services.scan_register(actor, today=today, import_id=import_id)
        except Exception:
            db.session.rollback()
            log.exception("scan after import %s failed", import_id)
            item = db.session.get(RegisterImport, import_id)
            item.error_summary = _("Register sudah diperbarui, tetapi pemindaian gagal. Jalankan pemindaian "
                                   "ulang dari halaman Kualitas Data.")
        else:
            item = db.session.get(RegisterImport, import_id)
            item.scan_seconds = result.seconds
            item.findings = result.findings
            item.duplicate_pairs = result.duplicate_pairs
            item.cases_opened = result.cases_opened
            if echo:
                echo(_("Pemindaian: %(f)s temuan, %(d)s pasangan ganda, %(c)s kasus baru (%(s)s detik).",
                       f=result.findings, d=result.duplicate_pairs, c=result.cases_opened, s=result.seconds))
    item.rows_total, item.rows_read, item.rows_rejected = counts["total"], counts["read"], counts["rejected"]
    item.progress = 1.0
    item.phase = None
    item.finished_at = utcnow()
    change_status(item, "selesai", actor=None, workflow=IMPORT_WORKFLOW,
                  note=_("%(n)s baris diimpor, %(r)s ditolak", n=counts["read"], r=counts["rejected"]))
    db.session.commit()
    return _outcome(item)


def _outcome(item: RegisterImport) -> ImportOutcome:
    return ImportOutcome(item.id, item.status, item.rows_total, item.rows_read, item.rows_rejected,
                         item.import_seconds, item.scan_seconds, item.cases_opened, item.error_summary)


def _remove_upload(path) -> None:
    """The uploaded export holds the whole register's personal data: never keep it."""
    try:
        path = Path(path)
        if path.parent.name == "register-imports":
            path.unlink(missing_ok=True)
    except OSError:
        log.warning("could not remove uploaded register file")


def import_file(path: str | Path, *, actor=None, scan: bool = True, today=None,
                echo: Callable[[str], None] | None = None, keep_source: bool = True) -> ImportOutcome:
    """Import a file from disk synchronously (CLI, demo, bench). The source file is copied
    into the import folder first so run_import may remove its own copy."""
    path = Path(path)
    ext = path.suffix.lower() if path.suffix.lower() in ALLOWED_EXTENSIONS else ".csv"
    item = queue_import(filename=path.name, kind=None, size=path.stat().st_size, actor=actor)
    target = path
    if keep_source:
        target = _import_folder() / f"{item.id}{ext}"
        shutil.copyfile(path, target)
    return run_import(item.id, target, scan=scan, today=today, echo=echo)


def latest_imports(limit: int = 20) -> list[RegisterImport]:
    return list(db.session.execute(select(RegisterImport).order_by(RegisterImport.created_at.desc())
                                   .limit(limit)).scalars())


def get_import(import_id) -> RegisterImport | None:
    try:
        return db.session.get(RegisterImport, uuid.UUID(str(import_id)))
    except ValueError:
        return None


# --- `flask quality import FILE` -------------------------------------------------------------------
# The command joins the `quality` group of webapp/quality/cli.py (imported by views.py at startup).

def _register_cli() -> None:
    import click

    from webapp.quality.cli import quality_cli

    if "import" in quality_cli.commands:
        return

    @quality_cli.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
    @click.option("--no-scan", is_flag=True, help="Jangan jalankan pemindaian setelah impor.")
    def import_command(file: str, no_scan: bool) -> None:
        """Impor ekspor SIAK (CSV/XLSX) sebagai register penduduk saat ini (sinkron)."""
        click.echo(_("Mengimpor %(f)s …", f=os.path.basename(file)))
        outcome = import_file(file, scan=not no_scan, echo=click.echo)
        click.echo(_("Status: %(s)s · dibaca %(r)s · ditolak %(j)s · impor %(t)s detik",
                     s=outcome.status, r=outcome.rows_read, j=outcome.rows_rejected, t=outcome.import_seconds))
        if outcome.status != "selesai":
            raise SystemExit(1)


_register_cli()
