"""Backup and restore of one node (the office or a bus laptop): its database and its uploads, in one
archive, with a manifest that the restore checks first.

    create_backup(out_dir, keep_days=None) -> BackupResult      flask ops backup --out DIR
    check_backup(path) -> CheckedBackup                         flask ops restore FILE --check
    restore_backup(path) -> RestoreResult                       flask ops restore FILE --yes

The archive `ketupat-<NODE>-<UTC time>.tar` (mode 0600: it holds NIKs and residents' scans) holds:

    manifest.json       format, app version, alembic revision, node, role, created_at, the
                        database's kind and versions, and the sha256 and size of each part
    database.pgdump     PostgreSQL: `pg_dump --format=custom` (one consistent snapshot)
    database.sqlite.gz  SQLite: the online backup API (`sqlite3.Connection.backup`): a consistent
                        copy taken while the node serves (WAL: writers go on meanwhile)
    files.tar.gz        the uploads folder ({sha[:2]}/{sha}; partial uploads and temp files left out)

The database is copied before the files: every file a row of the copy names is on disk already
(`store_bytes` writes the bytes before its row commits); a file stored meanwhile is merely extra.

A restore checks the manifest (format, same database kind and node, an alembic revision this code
knows: a backup from newer code is refused) and each part's sha256, refuses while another process
uses the database, then: adds the backup's files, replaces the database (SQLite: integrity_check of
the copy, then an atomic rename; PostgreSQL: `pg_restore --clean --if-exists --no-owner` in one
transaction), removes the files the backup does not have, and writes the audit entry. A backup from
an older revision is brought forward by `flask db upgrade` afterwards. Services never commit except
the audit entry, which each command writes in its own unit of work.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from flask import current_app
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from webapp.core.changes import audit
from webapp.core.db import utcnow
from webapp.core.security import PRIVATE_FILE_MODE, private_dir, private_sqlite_file
from webapp.core.uow import unit_of_work
from webapp.extensions import db

FORMAT = "ketupat-pecel-backup/1"
MANIFEST = "manifest.json"
PG_PART = "database.pgdump"
SQLITE_PART = "database.sqlite.gz"
FILES_PART = "files.tar.gz"
CHUNK = 1024 * 1024
NAME_RE = re.compile(r"^ketupat-(?P<node>[A-Z0-9_-]+)-(?P<stamp>\d{8}T\d{6}Z)\.tar$")
STORED_NAME = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{64}$")


class OpsError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do (Indonesian)."""


# ---------------------------------------------------------------- where the data lives

def database_kind(uri: str | None = None) -> str:
    uri = uri or current_app.config["SQLALCHEMY_DATABASE_URI"]
    backend = make_url(uri).get_backend_name()
    if backend not in ("postgresql", "sqlite"):
        raise OpsError(f"Basis data {backend} tidak didukung (hanya PostgreSQL dan SQLite).")
    return backend


def sqlite_path(uri: str | None = None) -> Path:
    uri = uri or current_app.config["SQLALCHEMY_DATABASE_URI"]
    name = make_url(uri).database
    if not name or name == ":memory:" or name.startswith("file::memory:"):
        raise OpsError("Basis data SQLite di memori tidak dapat dicadangkan atau dipulihkan.")
    return Path(name).resolve()


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]).resolve()


def libpq_target(uri: str | None = None) -> tuple[str, dict[str, str]]:
    """(libpq connection URI without the password, environment with PGPASSWORD): the password never
    appears in a process list."""
    url = make_url(uri or current_app.config["SQLALCHEMY_DATABASE_URI"])
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def alembic_head() -> tuple[str | None, set[str]]:
    """(the head revision, every revision) of the migrations this code carries."""
    from alembic.script import ScriptDirectory
    script = ScriptDirectory(current_app.extensions["migrate"].directory)
    known = {rev.revision for rev in script.walk_revisions()}
    heads = script.get_heads()
    return (heads[0] if len(heads) == 1 else None), known


def _revision_of(conn) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("ketupat-pecel")
    except PackageNotFoundError:   # pragma: no cover - a checkout that was never installed
        return "unknown"


# ---------------------------------------------------------------- PostgreSQL tools and versions

def _major(version_text: str) -> int | None:
    match = re.search(r"(\d+)(?:\.(\d+))?", version_text or "")
    return int(match.group(1)) if match else None


def pg_tool(name: str) -> str:
    """The path of pg_dump / pg_restore (PG_BIN_DIR first, then PATH)."""
    folder = current_app.config.get("PG_BIN_DIR") or ""
    found = str(Path(folder) / name) if folder else shutil.which(name)
    if not found or not os.access(found, os.X_OK):
        where = f"di {folder}" if folder else "di PATH"
        raise OpsError(f"{name} tidak ditemukan {where}. Pasang klien PostgreSQL yang versinya sama dengan "
                       f"server (Debian/Ubuntu: apt install postgresql-client-<versi>), atau atur PG_BIN_DIR, "
                       f"mis. /usr/lib/postgresql/15/bin.")
    return found


def tool_version(path: str) -> str:
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"\d+(?:\.\d+)?", out)
    if not match:
        raise OpsError(f"Versi {path} tidak terbaca ({out.strip()!r}).")
    return match.group(0)


def version_problem(tool: str, tool_version_text: str, server_version_text: str,
                    archive_version_text: str | None = None) -> str | None:
    """Why this client tool cannot work with this server (or this archive), or None.

    pg_dump refuses a server of a newer major version than its own; pg_restore cannot read an
    archive written by a newer pg_dump. The rule kept here: the tool's major version is at least
    the server's (and, for pg_restore, at least that of the pg_dump that wrote the archive)."""
    tool_major, server_major = _major(tool_version_text), _major(server_version_text)
    if tool_major is None or server_major is None:
        return f"Versi {tool} ({tool_version_text}) atau server ({server_version_text}) tidak terbaca."
    if tool_major < server_major:
        return (f"{tool} {tool_version_text} lebih lama dari server PostgreSQL {server_version_text}: "
                f"pasang postgresql-client-{server_major} dan atur PG_BIN_DIR=/usr/lib/postgresql/{server_major}/bin.")
    archive_major = _major(archive_version_text) if archive_version_text else None
    if archive_major is not None and tool_major < archive_major:
        return (f"Cadangan dibuat dengan pg_dump {archive_version_text}; {tool} {tool_version_text} tidak dapat "
                f"membacanya: pasang postgresql-client-{archive_major} dan atur PG_BIN_DIR.")
    return None


def server_version() -> str:
    with db.engine.connect() as conn:
        return str(conn.execute(text("SHOW server_version")).scalar()).split()[0]


def _checked_tool(name: str, server: str, archive: str | None = None) -> tuple[str, str]:
    path = pg_tool(name)
    version = tool_version(path)
    problem = version_problem(name, version, server, archive)
    if problem:
        raise OpsError(problem)
    return path, version


def _run(command: list[str], env: dict[str, str], what: str) -> subprocess.CompletedProcess:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout or "").strip().splitlines()[-8:])
        raise OpsError(f"{what} gagal (kode {done.returncode}):\n{tail}")
    return done


# ---------------------------------------------------------------- small file helpers

def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _private_open(path: Path, mode: str = "wb"):
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE), mode)


def stored_files(root: Path):
    """(name "ab/abcd…", path) of every content-addressed file under the uploads folder."""
    if not root.is_dir():
        return
    for sub in sorted(root.iterdir()):
        if not (sub.is_dir() and re.fullmatch(r"[0-9a-f]{2}", sub.name)):
            continue
        for item in sorted(sub.iterdir()):
            name = f"{sub.name}/{item.name}"
            if STORED_NAME.match(name) and item.name.startswith(sub.name) and item.is_file():
                yield name, item


# ---------------------------------------------------------------- backup

@dataclass
class BackupResult:
    path: Path
    manifest: dict
    pruned: list[Path] = field(default_factory=list)

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def _dump_postgres(target: Path) -> tuple[dict, str | None]:
    server = server_version()
    pg_dump, version = _checked_tool("pg_dump", server)
    uri, env = libpq_target()
    _run([pg_dump, "--format=custom", "--no-password", f"--file={target}", f"--dbname={uri}"], env, "pg_dump")
    os.chmod(target, PRIVATE_FILE_MODE)
    with db.engine.connect() as conn:
        revision = _revision_of(conn)
    return {"kind": "postgresql", "server_version": server, "pg_dump_version": version}, revision


def copy_sqlite(target: Path, work: Path) -> tuple[dict, str | None]:
    """The node's SQLite database, copied online (a consistent snapshot of what was committed;
    writers go on meanwhile), checked and gzipped into `target`; (its description, its revision)."""
    source = sqlite_path()
    if not source.exists():
        raise OpsError(f"Basis data {source} tidak ada.")
    copy = work / "database.sqlite"
    src = sqlite3.connect(str(source), timeout=30)
    try:
        dst = sqlite3.connect(str(copy))
        try:
            src.backup(dst)                         # one step: one consistent read snapshot
            dst.execute("PRAGMA journal_mode=DELETE")   # the copy is one self-contained file
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise OpsError(f"Salinan basis data tidak utuh (integrity_check: {check}).")
            has_version = dst.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'").fetchone()
            revision = dst.execute("SELECT version_num FROM alembic_version").fetchone()[0] if has_version else None
        finally:
            dst.close()
    finally:
        src.close()
    with open(copy, "rb") as raw, _private_open(target) as out, gzip.GzipFile(fileobj=out, mode="wb",
                                                                            compresslevel=6, mtime=0) as packed:
        shutil.copyfileobj(raw, packed, CHUNK)
    size = copy.stat().st_size
    copy.unlink()
    return {"kind": "sqlite", "sqlite_version": sqlite3.sqlite_version, "size": size}, revision


def _tar_uploads(target: Path) -> int:
    count = 0
    with _private_open(target) as out, tarfile.open(fileobj=out, mode="w:gz", compresslevel=1) as tar:
        for name, path in stored_files(upload_root()):
            try:
                tar.add(str(path), arcname=name, recursive=False)
            except FileNotFoundError:    # deleted meanwhile (retention, check-in): not needed
                continue
            count += 1
    return count


def create_backup(out_dir: Path | str, *, keep_days: int | None = None, now: datetime | None = None) -> BackupResult:
    """Write one backup archive into `out_dir` (created 0700 if missing); with `keep_days`, then
    delete this node's archives there older than that (never the one just written). Writes the
    audit entry (actor "system", CLI) in its own unit of work."""
    now = (now or utcnow()).astimezone(timezone.utc)
    config = current_app.config
    node = re.sub(r"[^A-Z0-9_-]", "_", str(config.get("NODE_ID", "OFFICE")).upper())
    folder = Path(out_dir)
    if not folder.exists():
        folder.mkdir(parents=True, mode=0o700)
    name = f"ketupat-{node}-{now:%Y%m%dT%H%M%SZ}.tar"
    final = folder / name
    if final.exists():
        raise OpsError(f"{final} sudah ada.")
    kind = database_kind()
    with tempfile.TemporaryDirectory(dir=folder, prefix=".backup-") as tmp:
        work = Path(tmp)
        db_part = PG_PART if kind == "postgresql" else SQLITE_PART
        if kind == "postgresql":
            database, revision = _dump_postgres(work / db_part)
        else:
            database, revision = copy_sqlite(work / db_part, work)
        files = _tar_uploads(work / FILES_PART)
        parts = {part: {"sha256": sha256_of(work / part), "size": (work / part).stat().st_size}
                 for part in (db_part, FILES_PART)}
        parts[FILES_PART]["count"] = files
        manifest = {"format": FORMAT, "app_version": app_version(), "alembic_revision": revision,
                    "node_id": config.get("NODE_ID", "OFFICE"), "role": config.get("ROLE", "office"), "created_at": now.isoformat(),
                    "database": database, "parts": parts}
        body = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")
        partial = folder / f".{name}.partial"
        try:
            with _private_open(partial) as out:
                with tarfile.open(fileobj=out, mode="w") as tar:
                    info = tarfile.TarInfo(MANIFEST)
                    info.size, info.mtime, info.mode = len(body), int(now.timestamp()), 0o600
                    tar.addfile(info, io.BytesIO(body))
                    for part in parts:
                        tar.add(str(work / part), arcname=part, recursive=False)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, final)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        _fsync_dir(folder)
    pruned = prune_backups(folder, node, keep_days, now=now, keep=final) if keep_days is not None else []
    with unit_of_work():
        audit("backup", actor=None, entity_type="backup", entity_id=name,
              summary=f"Cadangan dibuat (CLI): {final}, {final.stat().st_size} bita, revisi {revision or '-'}, "
                      f"{files} berkas unggahan" + (f"; {len(pruned)} cadangan lama dihapus" if pruned else ""))
    return BackupResult(final, manifest, pruned)


def backup_time(path: Path) -> datetime | None:
    match = NAME_RE.match(path.name)
    if not match:
        return None
    return datetime.strptime(match.group("stamp"), "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)


def prune_backups(folder: Path, node: str, keep_days: int, *, now: datetime, keep: Path) -> list[Path]:
    """Delete this node's archives in `folder` (by their name's time) older than `keep_days`."""
    cutoff = now - timedelta(days=keep_days)
    removed = []
    for path in sorted(folder.glob(f"ketupat-{node}-*.tar")):
        made = backup_time(path)
        if made is None or path == keep or NAME_RE.match(path.name).group("node") != node:
            continue
        if made < cutoff:
            path.unlink()
            removed.append(path)
    return removed


# ---------------------------------------------------------------- reading and checking a backup

@dataclass
class CheckedBackup:
    path: Path
    manifest: dict
    revision: str | None
    head: str | None
    warnings: list[str] = field(default_factory=list)

    @property
    def needs_upgrade(self) -> bool:
        return self.revision is not None and self.head is not None and self.revision != self.head

    @property
    def created_at(self) -> datetime:
        return datetime.fromisoformat(self.manifest["created_at"])


def read_manifest(path: Path) -> dict:
    try:
        with tarfile.open(path, mode="r:") as tar:
            member = tar.getmember(MANIFEST)
            manifest = json.loads(tar.extractfile(member).read().decode("utf-8"))
    except (tarfile.TarError, KeyError, OSError, ValueError) as error:
        raise OpsError(f"{path} bukan cadangan Ketupat Pecel yang terbaca ({type(error).__name__}: {error}).") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise OpsError(f"{path}: format manifest {manifest.get('format') if isinstance(manifest, dict) else '?'} "
                       f"tidak dikenal (harus {FORMAT}).")
    return manifest


def check_manifest(manifest: dict) -> CheckedBackup:
    """Refuse a backup this node must not take; the reasons in words."""
    config = current_app.config
    kind = database_kind()
    backup_kind = (manifest.get("database") or {}).get("kind")
    if backup_kind != kind:
        raise OpsError(f"Cadangan ini dari basis data {backup_kind}; node ini memakai {kind}.")
    node = config.get("NODE_ID", "OFFICE")
    if manifest.get("node_id") != node:
        raise OpsError(f"Cadangan ini milik node {manifest.get('node_id')}; node ini {node} (NODE_ID). Memulihkan "
                       f"data node lain di sini akan mencampur dua node.")
    head, known = alembic_head()
    revision = manifest.get("alembic_revision")
    warnings = []
    if revision is None:
        warnings.append("Cadangan tanpa revisi alembic (basis data tidak dibuat dengan flask db upgrade).")
    elif revision not in known:
        raise OpsError(f"Cadangan ini dari revisi basis data {revision}, yang tidak dikenal kode ini (kode: {head}); "
                       f"cadangan dari versi aplikasi {manifest.get('app_version')} yang lebih baru. Pasang versi "
                       f"aplikasi itu (atau yang lebih baru) dulu, lalu pulihkan.")
    parts = manifest.get("parts") or {}
    db_part = PG_PART if kind == "postgresql" else SQLITE_PART
    for part in (db_part, FILES_PART):
        if part not in parts or not re.fullmatch(r"[0-9a-f]{64}", str(parts[part].get("sha256", ""))):
            raise OpsError(f"Manifest tidak menyebut bagian {part} dengan sha256-nya.")
    return CheckedBackup(Path(), manifest, revision, head, warnings)


def _extract_parts(path: Path, manifest: dict, work: Path) -> dict[str, Path]:
    """Each part of the manifest, copied out into `work` while its sha256 is checked."""
    found = {}
    with tarfile.open(path, mode="r:") as tar:
        for part, expected in manifest["parts"].items():
            if "/" in part or part.startswith("."):
                raise OpsError(f"Nama bagian {part!r} tidak sah.")
            try:
                member = tar.getmember(part)
            except KeyError:
                raise OpsError(f"Bagian {part} tidak ada dalam cadangan.") from None
            if not member.isfile():
                raise OpsError(f"Bagian {part} bukan berkas biasa.")
            target = work / part
            digest = hashlib.sha256()
            size = 0
            with tar.extractfile(member) as source, _private_open(target) as out:
                for block in iter(lambda: source.read(CHUNK), b""):
                    digest.update(block)
                    size += len(block)
                    out.write(block)
            if digest.hexdigest() != expected["sha256"] or size != expected.get("size", size):
                raise OpsError(f"Bagian {part} rusak: sha256/ukuran tidak cocok dengan manifest. Pakai cadangan lain.")
            found[part] = target
    return found


def _unpack_sqlite(packed: Path, target: Path, expected_revision: str | None) -> None:
    with gzip.open(packed, "rb") as source, _private_open(target) as out:
        shutil.copyfileobj(source, out, CHUNK)
        out.flush()
        os.fsync(out.fileno())
    conn = sqlite3.connect(str(target))
    try:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        has_version = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'").fetchone()
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] if has_version else None
    finally:
        conn.close()
    if check != "ok":
        raise OpsError(f"Basis data dalam cadangan tidak utuh (integrity_check: {check}).")
    if revision != expected_revision:
        raise OpsError(f"Basis data dalam cadangan berrevisi {revision}, manifest menyebut {expected_revision}.")


def _work_dir() -> Path:
    """Beside the uploads folder (the instance folder by default): on the data's own disk, private."""
    base = upload_root().parent
    private_dir(base)
    return Path(tempfile.mkdtemp(dir=base, prefix=".restore-"))


def check_backup(path: Path | str) -> CheckedBackup:
    """Read and check a backup without changing anything: manifest, every part's sha256, and the
    database part itself (SQLite: integrity_check; PostgreSQL: pg_restore --list)."""
    path = Path(path)
    checked = check_manifest(read_manifest(path))
    checked.path = path
    work = _work_dir()
    try:
        parts = _extract_parts(path, checked.manifest, work)
        if SQLITE_PART in parts:
            _unpack_sqlite(parts[SQLITE_PART], work / "database.sqlite", checked.revision)
        else:
            pg_restore, _version = _checked_tool("pg_restore", server_version(),
                                                 checked.manifest["database"].get("pg_dump_version"))
            _run([pg_restore, "--list", str(parts[PG_PART])], dict(os.environ), "pg_restore --list")
        with tarfile.open(parts[FILES_PART], "r:gz") as tar:
            for _member in tar:
                pass
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return checked


# ---------------------------------------------------------------- who else uses the database

def processes_holding(paths: list[Path]) -> list[int]:
    """PIDs of other processes (that this user may look at) with one of these files open (Linux /proc)."""
    targets = {os.path.realpath(p) for p in paths if os.path.exists(p)}
    proc = Path("/proc")
    if not targets or not proc.is_dir():
        return []
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                if os.readlink(fd) in targets:
                    found.append(int(entry.name))
                    break
        except (PermissionError, FileNotFoundError, ProcessLookupError, NotADirectoryError):
            continue
    return sorted(found)


def _postgres_sessions() -> list[str]:
    with db.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT pid, usename, application_name, client_addr, state FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'")).all()
    return [f"pid {r.pid} ({r.usename}, {r.application_name or '-'}, {r.client_addr or 'lokal'}, {r.state})" for r in rows]


def _release_our_connections() -> None:
    db.session.remove()
    db.engine.dispose()


def users_of_database() -> list[str]:
    """Who else has the database open now (the restore refuses while anyone does)."""
    _release_our_connections()
    if database_kind() == "postgresql":
        return _postgres_sessions()
    path = sqlite_path()
    holders = processes_holding([path, Path(f"{path}-wal"), Path(f"{path}-shm")])
    return [f"proses {pid}" for pid in holders]


# ---------------------------------------------------------------- restore

@dataclass
class RestoreResult:
    checked: CheckedBackup
    files_added: int = 0
    files_kept: int = 0
    files_removed: int = 0
    dropped_tables: list[str] = field(default_factory=list)


def _add_files(files_tgz: Path, root: Path) -> tuple[set[str], int, int]:
    """Put every file of the backup in place (atomically, one by one); the names in the backup."""
    private_dir(root)
    staging = Path(tempfile.mkdtemp(dir=root, prefix=".restore-"))
    names, added, kept = set(), 0, 0
    try:
        with tarfile.open(files_tgz, "r:gz") as tar:
            for member in tar:
                if not member.isfile() or not STORED_NAME.match(member.name):
                    continue
                names.add(member.name)
                target = root / member.name
                if target.is_file() and target.stat().st_size == member.size:
                    kept += 1        # content-addressed: the same name is the same content
                    continue
                tmp = staging / member.name.replace("/", "_")
                with tar.extractfile(member) as source, _private_open(tmp) as out:
                    shutil.copyfileobj(source, out, CHUNK)
                    out.flush()
                    os.fsync(out.fileno())
                private_dir(target.parent)
                os.replace(tmp, target)
                added += 1
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return names, added, kept


def _remove_files_not_in(root: Path, names: set[str]) -> int:
    removed = 0
    for name, path in list(stored_files(root)):
        if name not in names:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _replace_sqlite(packed: Path, expected_revision: str | None) -> None:
    target = sqlite_path()
    private_dir(target.parent)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.restore-")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        _unpack_sqlite(packed, tmp, expected_revision)
        if target.exists():
            # Nobody else has it open (checked): fold the old WAL in and drop it, so no stale -wal
            # is ever replayed onto the restored file.
            old = sqlite3.connect(str(target))
            try:
                old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                old.close()
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    private_sqlite_file(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _dumped_tables(pg_restore: str, dump: Path) -> set[tuple[str, str]]:
    listing = _run([pg_restore, "--list", str(dump)], dict(os.environ), "pg_restore --list").stdout
    return set(re.findall(r"^\d+; \d+ \d+ TABLE (\S+) (\S+) ", listing, re.M))


def _restore_postgres(dump: Path, archive_version: str | None) -> list[str]:
    pg_restore, _version = _checked_tool("pg_restore", server_version(), archive_version)
    uri, env = libpq_target()
    dumped = _dumped_tables(pg_restore, dump)
    _run([pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
          "--no-password", f"--dbname={uri}", str(dump)], env, "pg_restore (basis data tidak berubah)")
    # Tables a newer migration made after the backup would stop `flask db upgrade` from bringing the
    # restored (older) schema forward: they go too.
    dropped = []
    with db.engine.begin() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar()
        for table in inspect(conn).get_table_names(schema=schema):
            if (schema, table) not in dumped:
                conn.execute(text(f'DROP TABLE IF EXISTS "{schema}"."{table}" CASCADE'))
                dropped.append(table)
    db.engine.dispose()
    return dropped


def restore_backup(path: Path | str) -> RestoreResult:
    """Replace this node's database and uploads with the backup's (see the module docstring).
    Raises OpsError, with nothing changed, for a backup that fails a check or while another
    process uses the database."""
    path = Path(path)
    checked = check_manifest(read_manifest(path))
    checked.path = path
    busy = users_of_database()
    if busy:
        raise OpsError("Basis data sedang dipakai: " + "; ".join(busy) + ". Hentikan layanan dulu (web, sync, "
                       "proses latar), mis. sudo systemctl stop ketupat-field ketupat-sync, lalu ulangi.")
    result = RestoreResult(checked)
    root = upload_root()
    work = _work_dir()
    try:
        parts = _extract_parts(path, checked.manifest, work)
        names, result.files_added, result.files_kept = _add_files(parts[FILES_PART], root)
        if SQLITE_PART in parts:
            _replace_sqlite(parts[SQLITE_PART], checked.revision)
        else:
            result.dropped_tables = _restore_postgres(parts[PG_PART], checked.manifest["database"].get("pg_dump_version"))
        result.files_removed = _remove_files_not_in(root, names)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _release_our_connections()
    with unit_of_work():
        audit("restore", actor=None, entity_type="backup", entity_id=path.name,
              summary=f"Dipulihkan dari cadangan (CLI) {path.name}: dibuat {checked.manifest.get('created_at')}, "
                      f"revisi {checked.revision or '-'}, {result.files_added} berkas ditambahkan, "
                      f"{result.files_removed} dihapus")
    return result

