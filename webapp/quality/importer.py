"""Register import: a SIAK export (CSV/XLSX) becomes the current population register.

    create_import(upload, actor=)     # request: size/type check, file saved, import "antri"
    enqueue_import(item, path, actor=) # request: a job for the worker, sent when the request commits
    run_import(import_id, path)       # the work itself (the worker's job, CLI, demo, bench): synchronous
    import_file(path)                 # CLI/demo/bench: the same job, run in this process
    confirm_import(item, actor=)      # request: "Ganti register" for a staged file that shrinks it
    cancel_import(item, actor=)       # request: "Batalkan" (its rows dropped by a job)

The import runs in the job queue's worker (webapp/jobs), never in the web process. A worker
killed mid-import leaves the register unchanged; the janitor marks the import failed and
deletes its upload (docs/decisions/0007-job-queue.md).

The rows are written in batches (executemany, ~5,000 rows per short transaction on the
import's own connection) as a new *snapshot* of the `person` table, while the current snapshot
stays in use. When every row is in, one short transaction points the register at the new
snapshot (the swap); a failure before that changes nothing in the current register. Then the
old snapshot is purged in batches and the register is scanned (services.scan_register).

A file much smaller than the register (fewer rows than the setting `register_shrink_percent`,
or whole villages/kecamatan missing) does not replace it silently: the job stages it in full and
stops before the swap, "perlu_konfirmasi", with what would disappear (`Shrink`). "Ganti register"
queues the swap and the scan (`swap_register_job`); "Batalkan" drops the staged rows; the
worker's janitor drops a staged import nobody confirmed within QUALITY_IMPORT_STAGED_HOURS.
Decision record: docs/decisions/0006-register-import.md.
"""
from __future__ import annotations

import logging
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, select, update
from werkzeug.utils import secure_filename

from webapp import jobs
from webapp.core import tabular
from webapp.core.bulk import paused_gc
from webapp.core.changes import Workflow, change_status
from webapp.core.db import new_uuid, utcnow
from webapp.core.errors import DomainError
from webapp.core.uow import unit_of_work
from webapp.extensions import db
from webapp.quality import services
from webapp.quality.models import IMPORT_STATUS_LABELS, Person, RegisterImport, RegisterRowError
from webapp.quality.name_search import name_search_key
from webapp.quality.siak import ARCHIVE_LIMIT_SETTING, SiakFileError, read_siak

log = logging.getLogger("webapp.quality.import")

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
DEFAULT_BATCH = 5_000
MAX_STORED_ERRORS = 1_000
DEFAULT_MAX_REJECTED_SHARE = 0.10
PURGE_BATCH = 10_000
ALLOWED_EXTENSIONS = {".csv", ".txt", ".xlsx"}
DEFAULT_SHRINK_MIN_VILLAGE_ROWS = 50
DEFAULT_STAGED_HOURS = 24
MAX_LISTED_VILLAGES = 500

IMPORT_WORKFLOW = Workflow(
    "register_import",
    {None: {"antri": frozenset()},
     "antri": {"berjalan": frozenset(), "gagal": frozenset()},
     "berjalan": {"selesai": frozenset(), "gagal": frozenset(), "perlu_konfirmasi": frozenset()},
     # the routes allow quality.permissions.MANAGE; the janitor cancels an unconfirmed one (no actor)
     "perlu_konfirmasi": {"antri": frozenset(), "dibatalkan": frozenset()}},
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


def _path_for_job(path: Path | str) -> str:
    """The stored upload as the job carries it: relative to UPLOAD_FOLDER when it lies there. The
    worker may run on another host, where the shared storage is mounted at another path."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path(current_app.config["UPLOAD_FOLDER"]).resolve()))
    except ValueError:
        return str(path)


def _path_from_job(path: Path | str) -> Path:
    """The job's path on this host: a relative one lies in this host's UPLOAD_FOLDER."""
    path = Path(path)
    return path if path.is_absolute() else Path(current_app.config["UPLOAD_FOLDER"]) / path


def sniff_kind(path: Path) -> str:
    """"csv" or "xlsx" from the content (webapp.core.tabular, as the reader decides it);
    DomainError (field "file") otherwise. An XLSX that would inflate beyond the archive limits
    (REGISTER_XLSX_MAX_UNCOMPRESSED_BYTES, a zip bomb) is refused here, before it is queued."""
    try:
        with open(path, "rb") as fh:
            kind = tabular.sniff_kind(fh, limits=tabular.ArchiveLimits.from_config(ARCHIVE_LIMIT_SETTING))
    except tabular.TabularError as error:
        raise DomainError(_upload_message(error), field="file") from None
    return "xlsx" if kind == "xlsx" else "csv"


def _upload_message(error: tabular.TabularError) -> str:
    if error.code == "empty":
        return _("Berkas kosong.")
    if error.code == "unreadable" or error.kind in ("zip", "docx", "ods", "xlsb"):
        return _("Berkas ZIP ini bukan lembar kerja XLSX. Unggah ekspor SIAK dalam CSV atau XLSX.")
    if error.kind == "ole":
        return _("Format XLS lama (Excel 97–2003) tidak didukung: buka di Excel, simpan sebagai "
                 "XLSX atau CSV, lalu unggah ulang.")
    if error.kind in ("pdf", "png", "jpeg", "gif", "bmp"):
        return _("Berkas ini bukan ekspor data (PDF/gambar). Unggah ekspor SIAK dalam CSV atau XLSX.")
    if error.kind == "binary":
        return _("Isi berkas bukan teks CSV maupun XLSX.")
    return error.message


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
    waiting = awaiting_import()
    if waiting is not None:
        raise DomainError(_("Impor %(f)s menunggu konfirmasi: ganti register atau batalkan dulu.",
                            f=waiting.filename), field="file")
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
    db.session.flush()
    return item


# --- jobs: the import and the scan run in the worker (webapp/jobs) --------------------------------

IMPORT_JOB = "register_import"
SWAP_JOB = "register_import_swap"        # a confirmed import's swap and scan
DISCARD_JOB = "register_import_discard"  # a cancelled import's staged rows dropped
SCAN_JOB = "register_scan"


def _stopped_message() -> str:
    return _("Impor terhenti (proses latar dihentikan). Register tidak berubah; unggah ulang.")


def _import_stopped(run, cause: str) -> None:
    """The import's job was abandoned, lost or interrupted: its upload goes, and the import is
    failed (or, when the register was already swapped and only the scan was cut short,
    finished with a note)."""
    stored = (run.params or {}).get("path")
    if stored:
        _remove_upload(_path_from_job(stored))
    item = db.session.get(RegisterImport, run.subject_id) if run.subject_id else None
    if item is None:
        return
    db.session.refresh(item)
    if not item.running:
        return
    if item.swapped_at is not None and item.status == "berjalan":
        item.error_summary = _("Register sudah diperbarui, tetapi pemindaian terhenti (proses latar "
                               "dihentikan). Jalankan pemindaian ulang dari halaman Kualitas Data.")
        item.progress, item.phase, item.finished_at = 1.0, None, utcnow()
        change_status(item, "selesai", actor=None, workflow=IMPORT_WORKFLOW, note=item.error_summary[:500])
        return
    if cause == "lost":
        message = _("Impor tidak dijalankan (pekerjaan hilang dari antrean). Register tidak berubah; "
                    "unggah ulang.")
    elif cause == "error":
        message = _("Impor gagal karena kesalahan sistem. Register tidak berubah; unggah ulang.")
    else:
        message = _stopped_message()
    _fail(item, message)


@jobs.job(IMPORT_JOB, on_stopped=_import_stopped)
def import_register_job(import_id: str, path: str, scan: bool = True, allow_shrink: bool = False,
                        **extra) -> ImportOutcome:
    return run_import(import_id, _path_from_job(path), scan=scan, allow_shrink=allow_shrink, **extra)


def enqueue_import(item: RegisterImport, path: Path | str, *, actor=None):
    """Queue the import of a stored upload; the worker takes it once this transaction commits."""
    item.phase = str(_l("menunggu proses latar"))
    return import_register_job.enqueue(subject_id=item.id, actor=actor, import_id=str(item.id),
                                       path=_path_for_job(path))


def running_import() -> RegisterImport | None:
    """The import still queued or running. Runs the jobs janitor first (an import whose worker
    died is failed); an import with no job behind it (left by an older version, or queued by
    hand and never run) is failed once it has been quiet for the janitor's window."""
    jobs.reap_quietly()
    items = db.session.execute(select(RegisterImport).where(
        RegisterImport.status.in_(("antri", "berjalan"))).order_by(RegisterImport.created_at)).scalars().all()
    for item in items:
        if any(jobs.active_run(name, subject_id=item.id) is not None for name in (IMPORT_JOB, SWAP_JOB)):
            return item
        if utcnow() - item.updated_at < jobs.stale_after():
            return item  # just queued, or run in a process of its own (each batch touches updated_at)
        _fail(item, _stopped_message())
    return None


@jobs.job(SCAN_JOB)
def scan_register_job(actor_id: str | None = None) -> None:
    """Re-scan the current register (rules + duplicates); opens the new cases."""
    actor = _user_actor(uuid.UUID(actor_id)) if actor_id else None
    services.scan_register(actor)


def scan_running() -> bool:
    jobs.reap_quietly()
    return jobs.active_run(SCAN_JOB) is not None


def enqueue_scan(*, actor=None):
    """Queue a re-scan of the register; the worker takes it once this transaction commits."""
    actor_id = str(actor.id) if getattr(actor, "is_authenticated", False) else None
    return scan_register_job.enqueue(actor=actor, actor_id=actor_id)


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
    shrink: Shrink | None = None     # status "perlu_konfirmasi" (or cancelled by the CLI): what would go


def _actor_for(item: RegisterImport):
    return _user_actor(item.actor_id) if item.actor_id is not None else None


def _user_actor(user_id: uuid.UUID):
    """A plain (session-free) actor for a job: survives the job's commits."""
    from webapp.auth.models import User
    user = db.session.get(User, user_id)
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
        "desa_code": record.desa_code, "name_key": name_search_key(record.name),
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
    """Rows of snapshots that are neither current nor held by an import (`keep`: running, or
    staged and awaiting confirmation): a crashed, failed or cancelled import's."""
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


SNAPSHOT_HOLDING = ("antri", "berjalan", "perlu_konfirmasi")   # imports whose rows must not be purged


@paused_gc()
def run_import(import_id, path: Path | str, *, scan: bool = True, allow_shrink: bool = False, today=None,
               echo: Callable[[str], None] | None = None, reader_factory=None) -> ImportOutcome:
    """Import one stored file as the new current register (synchronous). Never raises for a
    bad file: the import ends "gagal" with an Indonesian message and the register unchanged.
    A file that would shrink the register (`measure_shrink`) is staged in full and stops
    "perlu_konfirmasi" before the swap, unless `allow_shrink`; `confirm_import` then finishes it."""
    import_id = uuid.UUID(str(import_id))
    started = time.perf_counter()
    with unit_of_work():
        item = db.session.get(RegisterImport, import_id)
        if item is None:
            raise LookupError(f"register import {import_id} not found")
        actor = _actor_for(item)
        item.started_at = utcnow()
        item.phase = str(_l("membaca berkas"))
        change_status(item, "berjalan", actor=None, workflow=IMPORT_WORKFLOW)
    batch_size = int(config_value("QUALITY_IMPORT_BATCH", DEFAULT_BATCH))
    max_share = float(config_value("QUALITY_IMPORT_MAX_REJECTED_SHARE", DEFAULT_MAX_REJECTED_SHARE))
    reader_factory = reader_factory or read_siak
    table = Person.__table__
    imports = RegisterImport.__table__
    counts = {"total": 0, "read": 0, "rejected": 0}
    shrink: Shrink | None = None
    conn = db.engine.connect()
    try:
        _tune(conn, True)
        with unit_of_work():  # keep the register in use and every import still holding its snapshot
            keep = [services.current_snapshot_id(), import_id, *db.session.execute(
                select(RegisterImport.id).where(RegisterImport.status.in_(SNAPSHOT_HOLDING))).scalars()]
        _purge_stale(conn, keep)
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

        if not allow_shrink:
            with unit_of_work():
                shrink = measure_shrink(import_id)
        if shrink is not None:
            item = _stage_for_confirmation(import_id, shrink, file_kind=file_kind,
                                           seconds=round(time.perf_counter() - started, 2))
            if echo:
                for line in shrink_lines(shrink):
                    echo(line)
        else:
            item = _swap(conn, import_id, rows=counts["read"], file_kind=file_kind,
                         seconds=round(time.perf_counter() - started, 2), echo=echo)
    except Exception as exc:
        return _fail_staged(conn, import_id, exc, counts=counts, seconds=round(time.perf_counter() - started, 2),
                            echo=echo)
    finally:
        try:
            _tune(conn, False)
        finally:
            conn.close()
            _remove_upload(path)
    if shrink is not None:
        return _outcome(item)
    return _scan_and_finish(import_id, actor, scan=scan, today=today, echo=echo, counts=counts)


def _swap(conn, import_id: uuid.UUID, *, rows: int, file_kind: str | None, seconds: float | None,
          echo: Callable[[str], None] | None = None, expected_current: str | None = None) -> RegisterImport:
    """The swap: one short transaction, only while the import is still ours to finish (the jobs
    janitor may have failed it, e.g. after a stop signal) and, for a confirmed import, while the
    register is still the one its figures were measured against. Then the old snapshot is purged."""
    with unit_of_work():
        item = _import_for_swap(import_id)
        state = services.register_state()
        old_snapshot = state.current_snapshot_id
        if expected_current is not None and str(old_snapshot) != expected_current:
            raise ImportRejected(_("Register sudah diganti oleh impor lain sejak berkas ini diperiksa. Register "
                                   "tidak diubah oleh berkas ini; unggah ulang bila masih perlu."))
        state.current_snapshot_id = import_id
        state.swapped_at = utcnow()
        state.persons = rows
        item.swapped_at = state.swapped_at
        item.file_kind = item.file_kind or file_kind
        if seconds is not None:
            item.import_seconds = seconds
        item.phase = str(_l("memindai register"))
        item.progress = 0.95
    if echo:
        echo(_("Register diganti: %(n)s penduduk (%(s)s detik).", n=rows, s=item.import_seconds))
    if old_snapshot is not None:
        try:
            _purge_snapshot(conn, old_snapshot)
        except Exception:  # the register is already swapped; the next import purges it
            conn.rollback()
            log.exception("purging the old register snapshot failed")
    if conn.dialect.name == "postgresql":
        _vacuum_analyze_register()
    return item


def _vacuum_analyze_register() -> None:
    """PostgreSQL, after the swap and the purge: the planner's figures still describe the old
    snapshot — until autovacuum comes by it takes the new snapshot's id for a rare value and walks
    the whole register instead of using the name search's full-text index (500 ms instead of
    1 ms) — and the purged rows are dead tuples, which keep the name-key index from being read
    alone. A few seconds at 239,471 rows; a failure here only leaves it to autovacuum."""
    try:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE) person")
    except Exception:
        log.exception("VACUUM ANALYZE person after the swap failed")


def _fail_staged(conn, import_id: uuid.UUID, exc: Exception, *, counts: dict | None, seconds: float | None,
                 echo: Callable[[str], None] | None) -> ImportOutcome:
    """Before the swap something went wrong: the import's own rows go, the import fails with a
    message, the register stays as it was."""
    conn.rollback()
    db.session.rollback()
    if isinstance(exc, (SiakFileError, ImportRejected, ImportStopped)):
        message = exc.message
    else:
        log.exception("register import %s failed", import_id)
        message = _("Impor gagal karena kesalahan sistem (%(e)s). Register tidak berubah.", e=type(exc).__name__)
    _purge_snapshot(conn, import_id)
    with unit_of_work():
        item = db.session.get(RegisterImport, import_id)
        db.session.refresh(item)
        if counts is not None:
            item.rows_total, item.rows_read, item.rows_rejected = counts["total"], counts["read"], counts["rejected"]
        if seconds is not None:
            item.import_seconds = seconds
        if item.running:
            _fail(item, message)
        else:  # already failed by the jobs janitor: its message stands
            message = item.error_summary or message
    if echo:
        echo(_("Impor gagal: %(m)s", m=message))
    return _outcome(item)


def _scan_and_finish(import_id: uuid.UUID, actor, *, scan: bool, today=None,
                     echo: Callable[[str], None] | None = None, counts: dict | None = None) -> ImportOutcome:
    """After the swap: the scan (rules + duplicates) and the import marked "selesai"."""
    result, scan_failed = None, False
    if scan:
        if echo:
            echo(_("Memindai register (aturan anomali dan data ganda)…"))
        try:
            result = services.scan_register(actor, today=today, import_id=import_id)
        except Exception:
            db.session.rollback()
            log.exception("scan after import %s failed", import_id)
            scan_failed = True
    with unit_of_work():
        item = db.session.get(RegisterImport, import_id)
        db.session.refresh(item)
        if scan_failed:
            item.error_summary = _("Register sudah diperbarui, tetapi pemindaian gagal. Jalankan pemindaian "
                                   "ulang dari halaman Kualitas Data.")
        elif result is not None:
            item.scan_seconds = result.seconds
            item.findings = result.findings
            item.duplicate_pairs = result.duplicate_pairs
            item.cases_opened = result.cases_opened
            if echo:
                echo(_("Pemindaian: %(f)s temuan, %(d)s pasangan ganda, %(c)s kasus baru (%(s)s detik).",
                       f=result.findings, d=result.duplicate_pairs, c=result.cases_opened, s=result.seconds))
        if counts is not None:
            item.rows_total, item.rows_read, item.rows_rejected = counts["total"], counts["read"], counts["rejected"]
        if item.running:  # (the janitor may have closed it meanwhile, with its own note)
            item.progress = 1.0
            item.phase = None
            item.finished_at = utcnow()
            change_status(item, "selesai", actor=None, workflow=IMPORT_WORKFLOW,
                          note=_("%(n)s baris diimpor, %(r)s ditolak", n=item.rows_read, r=item.rows_rejected))
    return _outcome(item)


class ImportStopped(Exception):
    """The import is no longer "berjalan" (the jobs janitor failed it): it must not swap."""

    def __init__(self) -> None:
        super().__init__("register import was stopped")
        self.message = _stopped_message()


def _import_for_swap(import_id: uuid.UUID) -> RegisterImport:
    item = db.session.execute(select(RegisterImport).where(RegisterImport.id == import_id)
                              .with_for_update().execution_options(populate_existing=True)).scalar_one()
    if item.status != "berjalan":
        raise ImportStopped()
    return item


def _outcome(item: RegisterImport) -> ImportOutcome:
    return ImportOutcome(item.id, item.status, item.rows_total, item.rows_read, item.rows_rejected,
                         item.import_seconds, item.scan_seconds, item.cases_opened, item.error_summary,
                         Shrink.from_dict(item.shrink) if item.shrink else None)


# --- a file that would shrink the register: staged, then confirmed or cancelled ----------------------


@dataclass
class Shrink:
    """What replacing the register with a staged file would take away: `rows_now` → `rows_new`,
    and the villages (and kecamatan) that have residents in the register and none in the file."""

    rows_now: int
    rows_new: int
    percent: int                          # the setting: ask when rows_new < percent % of rows_now
    villages: list[dict]                  # {"code", "name", "kecamatan", "rows"} (rows now)
    kecamatan: list[dict]                 # {"code", "name", "rows"}
    compared_snapshot: str                # the register the figures were measured against

    @property
    def too_few_rows(self) -> bool:
        return self.rows_new * 100 < self.rows_now * self.percent

    @property
    def rows_lost(self) -> int:
        return max(0, self.rows_now - self.rows_new)

    @property
    def share_new(self) -> float:
        """The file's rows as a percentage of the register's (one decimal)."""
        return round(100 * self.rows_new / self.rows_now, 1) if self.rows_now else 100.0

    @property
    def share_label(self) -> str:
        """`share_new` written in the UI language (78,2 in Indonesian)."""
        return format_decimal(self.share_new, format="#,##0.#")

    def to_dict(self) -> dict:
        return {"rows_now": self.rows_now, "rows_new": self.rows_new, "percent": self.percent,
                "villages": self.villages, "kecamatan": self.kecamatan, "compared_snapshot": self.compared_snapshot}

    @classmethod
    def from_dict(cls, data: dict) -> Shrink:
        return cls(int(data.get("rows_now", 0)), int(data.get("rows_new", 0)), int(data.get("percent", 0)),
                   list(data.get("villages") or []), list(data.get("kecamatan") or []),
                   str(data.get("compared_snapshot") or ""))

    def headline(self) -> str:
        return _("Register saat ini %(now)s baris, berkas %(new)s baris (%(p)s%%); %(v)s desa dan %(k)s "
                 "kecamatan akan hilang.", now=self.rows_now, new=self.rows_new, p=self.share_label,
                 v=len(self.villages), k=len(self.kecamatan))


def shrink_percent() -> int:
    from webapp.settings import services as settings
    return settings.get_int("register_shrink_percent")


def _rows_by_village(snapshot_id) -> dict[str, int]:
    return {code or "": n for code, n in db.session.execute(
        select(Person.desa_code, func.count()).where(Person.snapshot_id == snapshot_id)
        .group_by(Person.desa_code)).all()}


def measure_shrink(snapshot_id) -> Shrink | None:
    """Compare a staged snapshot with the current register: a Shrink when the snapshot has fewer
    rows than `register_shrink_percent` % of the register, or lacks a village or kecamatan that
    has at least QUALITY_IMPORT_SHRINK_MIN_VILLAGE_ROWS residents in the register (a handful of
    records under a code fixed since is no sign of a partial export); None otherwise, and always
    for the first import."""
    from webapp.wilayah.services import kecamatan_list, villages
    current = services.current_snapshot_id()
    if current is None or str(current) == str(snapshot_id):
        return None
    now, new = _rows_by_village(current), _rows_by_village(snapshot_id)
    min_rows = int(config_value("QUALITY_IMPORT_SHRINK_MIN_VILLAGE_ROWS", DEFAULT_SHRINK_MIN_VILLAGE_ROWS))
    names = {r.code: r.name for r in (*kecamatan_list(), *villages())}

    def kecamatan_of(code: str) -> str:
        return code.rsplit(".", 1)[0]

    kec_now: dict[str, int] = {}
    kec_new: dict[str, int] = {}
    for counts, into in ((now, kec_now), (new, kec_new)):
        for code, n in counts.items():
            if code:
                into[kecamatan_of(code)] = into.get(kecamatan_of(code), 0) + n
    gone_villages = [{"code": code, "name": names.get(code, code), "rows": n,
                      "kecamatan": names.get(kecamatan_of(code), kecamatan_of(code))}
                     for code, n in sorted(now.items()) if code and n >= min_rows and not new.get(code)]
    gone_kecamatan = [{"code": code, "name": names.get(code, code), "rows": n}
                      for code, n in sorted(kec_now.items()) if n >= min_rows and not kec_new.get(code)]
    shrink = Shrink(sum(now.values()), sum(new.values()), shrink_percent(), gone_villages[:MAX_LISTED_VILLAGES],
                    gone_kecamatan, str(current))
    if not (shrink.too_few_rows or gone_villages or gone_kecamatan):
        return None
    return shrink


def shrink_lines(shrink: Shrink) -> list[str]:
    """The summary as plain lines (the CLI; the import page renders its own table)."""
    lines = [_("Berkas ini lebih kecil dari register saat ini: %(now)s baris sekarang, %(new)s baris di berkas "
               "(%(p)s%%, %(lost)s baris hilang; batas konfirmasi %(m)s%%).", now=shrink.rows_now,
               new=shrink.rows_new, p=shrink.share_label, lost=shrink.rows_lost, m=shrink.percent)]
    for kec in shrink.kecamatan:
        lines.append(_("  Kecamatan hilang: %(n)s (%(r)s baris sekarang)", n=kec["name"], r=kec["rows"]))
    for village in shrink.villages:
        lines.append(_("  Desa hilang: %(n)s, Kec. %(k)s (%(r)s baris sekarang)", n=village["name"],
                       k=village["kecamatan"], r=village["rows"]))
    return lines


def _stage_for_confirmation(import_id: uuid.UUID, shrink: Shrink, *, file_kind: str | None,
                            seconds: float) -> RegisterImport:
    """All rows are in, the register untouched: the import waits "perlu_konfirmasi"."""
    with unit_of_work():
        item = _import_for_swap(import_id)
        item.shrink = shrink.to_dict()
        item.staged_at = utcnow()
        item.file_kind = item.file_kind or file_kind
        item.import_seconds = seconds
        item.phase = None
        item.progress = 0.95
        change_status(item, "perlu_konfirmasi", actor=None, workflow=IMPORT_WORKFLOW, note=shrink.headline()[:500])
    return item


def awaiting_import() -> RegisterImport | None:
    """The staged import waiting for "Ganti register" or "Batalkan", if any."""
    return db.session.execute(select(RegisterImport).where(RegisterImport.status == "perlu_konfirmasi")
                              .order_by(RegisterImport.created_at).limit(1)).scalar()


def confirm_import(item: RegisterImport, *, actor):
    """"Ganti register": the staged import goes back to the queue; its job swaps and scans.
    DomainError when it no longer waits, another import runs, or the register changed since."""
    if item.status != "perlu_konfirmasi":
        raise DomainError(_("Impor ini tidak menunggu konfirmasi (status: %(s)s).", s=item.status_label))
    if running_import() is not None:
        raise DomainError(_("Impor lain masih berjalan. Tunggu sampai selesai."))
    shrink = Shrink.from_dict(item.shrink or {})
    if str(services.current_snapshot_id()) != shrink.compared_snapshot:
        raise DomainError(_("Register sudah diganti oleh impor lain sejak berkas ini diperiksa. Batalkan impor "
                            "ini dan unggah ulang bila masih perlu."))
    item.phase = str(_l("menunggu proses latar"))
    change_status(item, "antri", actor=actor, workflow=IMPORT_WORKFLOW,
                  note=_("Register diganti atas konfirmasi: %(h)s", h=shrink.headline())[:500])
    db.session.add(item)
    return swap_register_job.enqueue(subject_id=item.id, actor=actor, import_id=str(item.id))


def cancel_import(item: RegisterImport, *, actor, note: str | None = None) -> None:
    """"Batalkan": the staged import is closed "dibatalkan", the register unchanged; its rows are
    dropped by `discard_snapshot_job` (queue it with `enqueue_discard`, or run it here)."""
    if item.status != "perlu_konfirmasi":
        raise DomainError(_("Impor ini tidak menunggu konfirmasi (status: %(s)s).", s=item.status_label))
    item.phase = None
    item.finished_at = utcnow()
    item.error_summary = note or _("Dibatalkan: register tidak diganti.")
    change_status(item, "dibatalkan", actor=actor, workflow=IMPORT_WORKFLOW, note=item.error_summary[:500])
    db.session.add(item)


def enqueue_discard(item: RegisterImport, *, actor=None):
    return discard_snapshot_job.enqueue(subject_id=item.id, actor=actor, import_id=str(item.id))


@jobs.job(SWAP_JOB, on_stopped=_import_stopped)
def swap_register_job(import_id: str, scan: bool = True, **extra) -> ImportOutcome:
    return run_confirmed_import(import_id, scan=scan, **extra)


def run_confirmed_import(import_id, *, scan: bool = True, today=None,
                         echo: Callable[[str], None] | None = None) -> ImportOutcome:
    """The confirmed import's second half: swap to its staged snapshot, purge the old one, scan."""
    import_id = uuid.UUID(str(import_id))
    with unit_of_work():
        item = db.session.get(RegisterImport, import_id)
        if item is None:
            raise LookupError(f"register import {import_id} not found")
        actor = _actor_for(item)
        rows, file_kind = item.rows_read, item.file_kind
        expected = Shrink.from_dict(item.shrink or {}).compared_snapshot or None
        item.phase = str(_l("mengganti register"))
        change_status(item, "berjalan", actor=None, workflow=IMPORT_WORKFLOW)
    conn = db.engine.connect()
    try:
        _swap(conn, import_id, rows=rows, file_kind=file_kind, seconds=None, echo=echo, expected_current=expected)
    except Exception as exc:
        return _fail_staged(conn, import_id, exc, counts=None, seconds=None, echo=echo)
    finally:
        conn.close()
    return _scan_and_finish(import_id, actor, scan=scan, today=today, echo=echo)


@jobs.job(DISCARD_JOB)
def discard_snapshot_job(import_id: str) -> int:
    """Drop the rows of a staged import that was cancelled or failed (never the register in use)."""
    import_id = uuid.UUID(str(import_id))
    item = db.session.get(RegisterImport, import_id)
    if item is None or item.status not in ("dibatalkan", "gagal") or services.current_snapshot_id() == import_id:
        return 0
    with db.engine.connect() as conn:
        return _purge_snapshot(conn, import_id)


def staged_hours() -> int:
    return int(config_value("QUALITY_IMPORT_STAGED_HOURS", DEFAULT_STAGED_HOURS))


@jobs.housekeeping
def drop_unconfirmed_imports(now=None) -> list[uuid.UUID]:
    """A chore of the worker's janitor: a staged import nobody confirmed within
    QUALITY_IMPORT_STAGED_HOURS is cancelled and its rows dropped."""
    hours = staged_hours()
    cutoff = (now or utcnow()) - timedelta(hours=hours)
    items = db.session.execute(select(RegisterImport).where(
        RegisterImport.status == "perlu_konfirmasi", RegisterImport.staged_at < cutoff)).scalars().all()
    for item in items:
        cancel_import(item, actor=None, note=_("Tidak dikonfirmasi dalam %(h)s jam: dibatalkan otomatis. "
                                               "Register tidak berubah.", h=hours))
        enqueue_discard(item)
    return [item.id for item in items]


def _remove_upload(path) -> None:
    """The uploaded export holds the whole register's personal data: never keep it."""
    try:
        path = Path(path)
        if path.parent.name == "register-imports":
            path.unlink(missing_ok=True)
    except OSError:
        log.warning("could not remove uploaded register file")


def import_file(path: str | Path, *, actor=None, scan: bool = True, today=None,
                echo: Callable[[str], None] | None = None, keep_source: bool = True,
                allow_shrink: bool = True) -> ImportOutcome:
    """Import a file from disk in this process (CLI, demo, bench; never the web process): the
    import job run here, tracked and beating like a queued one, so a killed CLI is cleaned up by
    the same janitor. The source file is copied into the import folder first so the import may
    remove its own copy. Commits what the caller's session holds.

    `allow_shrink=False` (the CLI without --allow-shrink) refuses a file that would shrink the
    register: its staged rows are dropped here, the import ends "dibatalkan", and the outcome's
    `shrink` tells what would have disappeared. Code that loads a register on purpose (demo,
    bench, tests) replaces it whatever its size."""
    path = Path(path)
    ext = path.suffix.lower() if path.suffix.lower() in ALLOWED_EXTENSIONS else ".csv"
    item = queue_import(filename=path.name, kind=None, size=path.stat().st_size, actor=actor)
    target = path
    if keep_source:
        target = _import_folder() / f"{item.id}{ext}"
        shutil.copyfile(path, target)
    outcome = import_register_job.run_here(subject_id=item.id, actor=actor, import_id=str(item.id),
                                           path=str(target), scan=scan, allow_shrink=allow_shrink,
                                           extra={"today": today, "echo": echo})
    if outcome is None or outcome.status != "perlu_konfirmasi":
        return outcome
    with unit_of_work():
        staged = db.session.get(RegisterImport, outcome.import_id)
        cancel_import(staged, actor=actor, note=_("Ditolak di baris perintah: berkas lebih kecil dari register "
                                                  "(tanpa --allow-shrink). Register tidak berubah."))
    discard_snapshot_job.run_here(subject_id=staged.id, actor=actor, import_id=str(staged.id))
    with unit_of_work():
        return _outcome(db.session.get(RegisterImport, outcome.import_id))


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
    @click.option("--allow-shrink", is_flag=True,
                  help="Ganti register walau berkas jauh lebih kecil atau tanpa desa yang ada di register.")
    def import_command(file: str, no_scan: bool, allow_shrink: bool) -> None:
        """Impor ekspor SIAK (CSV/XLSX) sebagai register penduduk saat ini (sinkron)."""
        click.echo(_("Mengimpor %(f)s …", f=os.path.basename(file)))
        outcome = import_file(file, scan=not no_scan, echo=click.echo, allow_shrink=allow_shrink)
        if outcome.shrink is not None and outcome.status == "dibatalkan":
            click.echo(_("Register tidak diganti. Periksa berkasnya; bila memang benar, jalankan ulang dengan "
                         "--allow-shrink."))
        click.echo(_("Status: %(s)s · dibaca %(r)s · ditolak %(j)s · impor %(t)s detik",
                     s=outcome.status, r=outcome.rows_read, j=outcome.rows_rejected, t=outcome.import_seconds))
        if outcome.status != "selesai":
            raise SystemExit(1)


_register_cli()
