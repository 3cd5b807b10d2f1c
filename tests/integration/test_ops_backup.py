"""Issue 11, must show: backup → change data → restore → data as at the backup (files too), on SQLite
(a node's file, backed up while another connection writes) and on PostgreSQL (databases
`<name>_ops` and `<name>_ops_restore` of the server of TEST_DATABASE_URL / PG_URL, made and dropped
here). A backup from a newer alembic revision, or with a damaged part, is refused and changes
nothing; a backup from an older revision restores and `flask db upgrade` brings it forward; a
restore while another process has the database open is refused.

The commands run as an operator runs them (`flask ops backup --out DIR`, `flask ops restore FILE
--yes`), through Flask's CLI runner on a migrated database (its alembic revision is in the backup)."""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from webapp import create_app
from webapp.auth import services as auth_services
from webapp.auth.models import User
from webapp.core.audit import AuditEntry
from webapp.core.uow import unit_of_work
from webapp.extensions import db
from webapp.files.services import path_of, store_bytes
from webapp.ops import services

PDF_A = b"%PDF-1.4 surat permohonan desa Haratai\n" + b"a" * 200
PDF_B = b"%PDF-1.4 pindaian KK sesudah cadangan\n" + b"b" * 200


def node_app(tmp_path: Path, db_url: str, *, files: str = "files", node: str = "OFFICE"):
    return create_app({"SQLALCHEMY_DATABASE_URI": db_url, "UPLOAD_FOLDER": str(tmp_path / files), "NODE_ID": node,
                       "SERVER_NAME": None, "AGENT_TICKET_KEY_FILE": str(tmp_path / "agent-ticket-key.pem"),
                       "DEMO_BUS_TOKEN_FILE": str(tmp_path / "demo-bus-token")})


def ops(app, *args: str):
    result = app.test_cli_runner().invoke(args=["ops", *args])
    return result.exit_code, result.output


def _settle(app) -> None:
    """The test's own session and pooled connections let go (as a stopped service would)."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def seed(app) -> dict:
    """A user and a stored letter, committed: what the backup must bring back."""
    with app.app_context(), unit_of_work():
        user = auth_services.create_user(username="operator.haratai", full_name="Siti Rahmah", role="operator",
                                         password="rahasia-uji-123", must_change_password=False)
        stored = store_bytes(PDF_A, mime_type="application/pdf", original_name="surat.pdf")
        found = {"user_id": user.id, "sha_a": stored.sha256}
    _settle(app)
    return found


def change_after_backup(app) -> str:
    """What happens after the backup: a rename, a new user, a new file, a file's bytes lost."""
    with app.app_context(), unit_of_work():
        db.session.execute(select(User).where(User.username == "operator.haratai")).scalar_one().full_name = "Diubah"
        auth_services.create_user(username="baru.sesudah", full_name="Sesudah Cadangan", role="operator",
                                  password="rahasia-uji-123", must_change_password=False)
        sha_b = store_bytes(PDF_B, mime_type="application/pdf", original_name="kk.pdf").sha256
    with app.app_context():
        path_of(hashlib.sha256(PDF_A).hexdigest()).unlink()
    _settle(app)
    return sha_b


def assert_as_at_backup(app, found: dict, sha_b: str) -> None:
    with app.app_context():
        users = {u.username: u.full_name for u in db.session.execute(select(User)).scalars()}
        assert users == {"operator.haratai": "Siti Rahmah"}          # the rename and the new user are gone
        assert path_of(found["sha_a"]).read_bytes() == PDF_A          # the lost file is back
        assert not path_of(sha_b).exists()                            # the later file is gone with its row
        restored = db.session.execute(select(AuditEntry).where(AuditEntry.action == "restore")).scalars().all()
        assert len(restored) == 1 and restored[0].actor_name == "system"
        assert "(CLI)" in restored[0].summary
    _settle(app)


def only_backup(folder: Path) -> Path:
    found = sorted(folder.glob("ketupat-*.tar"))
    assert len(found) == 1, found
    return found[0]


def rewrite(backup: Path, target: Path, *, manifest=None, part_bytes: dict | None = None) -> Path:
    """A copy of the backup with another manifest or a part's bytes replaced."""
    with tarfile.open(backup) as source, tarfile.open(target, "w") as out:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == services.MANIFEST and manifest is not None:
                data = json.dumps(manifest(json.loads(data))).encode()
            if part_bytes and member.name in part_bytes:
                data = part_bytes[member.name](data)
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    return target


# ---------------------------------------------------------------- SQLite

@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory):
    """A SQLite file at the head revision (`flask db upgrade`), made once for the module."""
    folder = tmp_path_factory.mktemp("migrated")
    app = node_app(folder, f"sqlite:///{folder / 'ketupat.sqlite'}")
    with app.app_context():
        upgrade()
    _settle(app)
    return folder / "ketupat.sqlite"


@pytest.fixture
def sqlite_app(tmp_path, migrated_sqlite):
    shutil.copyfile(migrated_sqlite, tmp_path / "ketupat.sqlite")
    return node_app(tmp_path, f"sqlite:///{tmp_path / 'ketupat.sqlite'}")


def test_sqlite_backup_taken_while_serving_then_restore_brings_data_and_files_back(sqlite_app, tmp_path):
    found = seed(sqlite_app)
    database = tmp_path / "ketupat.sqlite"
    assert sqlite3.connect(database).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # Another connection is in the middle of a write: the online copy neither waits for it nor
    # takes it (only what was committed).
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE users SET full_name = 'belum disimpan'")
    (tmp_path / "snap").mkdir()
    with sqlite_app.app_context():
        described, _revision = services.copy_sqlite(tmp_path / "snap" / "db.sqlite.gz", tmp_path / "snap")
    writer.execute("ROLLBACK")
    writer.close()
    (tmp_path / "snap" / "db.sqlite").write_bytes(gzip.decompress((tmp_path / "snap" / "db.sqlite.gz").read_bytes()))
    snapshot = sqlite3.connect(tmp_path / "snap" / "db.sqlite")
    assert snapshot.execute("SELECT full_name FROM users").fetchall() == [("Siti Rahmah",)]
    snapshot.close()

    code, output = ops(sqlite_app, "backup", "--out", str(tmp_path / "cadangan"))
    assert code == 0, output
    backup = only_backup(tmp_path / "cadangan")
    assert oct(backup.stat().st_mode & 0o777) == "0o600"
    manifest = services.read_manifest(backup)
    with sqlite_app.app_context():
        head, _known = services.alembic_head()
    assert manifest["alembic_revision"] == head and manifest["node_id"] == "OFFICE"
    assert manifest["database"]["kind"] == "sqlite" and manifest["parts"]["files.tar.gz"]["count"] == 1
    with tarfile.open(backup) as tar:
        for part, described in manifest["parts"].items():
            assert hashlib.sha256(tar.extractfile(part).read()).hexdigest() == described["sha256"]

    sha_b = change_after_backup(sqlite_app)
    code, output = ops(sqlite_app, "restore", str(backup), "--yes")
    assert code == 0, output
    assert "1 berkas ditambahkan" in output and "1 dihapus" in output
    assert_as_at_backup(sqlite_app, found, sha_b)
    connection = sqlite3.connect(database)
    assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    connection.close()
    with sqlite_app.app_context():   # the backup's own audit entry came after its snapshot: only the live log had it
        actions = [a for (a,) in db.session.execute(select(AuditEntry.action)).all()]
        assert "backup" not in actions and "restore" in actions


def test_a_backup_from_a_newer_revision_is_refused_and_nothing_changes(sqlite_app, tmp_path):
    seed(sqlite_app)
    assert ops(sqlite_app, "backup", "--out", str(tmp_path / "cadangan"))[0] == 0
    backup = only_backup(tmp_path / "cadangan")
    future = rewrite(backup, tmp_path / "ketupat-OFFICE-20991231T000000Z.tar",
                     manifest=lambda m: {**m, "alembic_revision": "0099_dari_versi_baru", "app_version": "9.0.0"})
    sha_b = change_after_backup(sqlite_app)
    for args in (("--check",), ("--yes",)):
        code, output = ops(sqlite_app, "restore", str(future), *args)
        assert code == 1
        assert "0099_dari_versi_baru" in output and "tidak dikenal kode ini" in output and "9.0.0" in output
    with sqlite_app.app_context():
        assert db.session.execute(select(User.username).where(User.username == "baru.sesudah")).scalar()
        assert path_of(sha_b).exists()


def test_a_damaged_part_is_refused_before_anything_is_replaced(sqlite_app, tmp_path):
    seed(sqlite_app)
    assert ops(sqlite_app, "backup", "--out", str(tmp_path / "cadangan"))[0] == 0
    damaged = rewrite(only_backup(tmp_path / "cadangan"), tmp_path / "rusak.tar",
                      part_bytes={"files.tar.gz": lambda data: data[:-10] + b"0123456789"})
    sha_b = change_after_backup(sqlite_app)
    code, output = ops(sqlite_app, "restore", str(damaged), "--yes")
    assert code == 1 and "files.tar.gz rusak" in output
    with sqlite_app.app_context():
        assert db.session.execute(select(User.full_name).where(User.username == "operator.haratai")).scalar() == "Diubah"
        assert path_of(sha_b).exists()


def test_restore_is_refused_while_another_process_has_the_database_open(sqlite_app, tmp_path):
    seed(sqlite_app)
    assert ops(sqlite_app, "backup", "--out", str(tmp_path / "cadangan"))[0] == 0
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
         "c.execute('SELECT count(*) FROM users').fetchall(); print('siap', flush=True); sys.stdin.read()",
         str(tmp_path / "ketupat.sqlite")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "siap"
        code, output = ops(sqlite_app, "restore", str(only_backup(tmp_path / "cadangan")), "--yes")
        assert code == 1
        assert "sedang dipakai" in output and f"proses {holder.pid}" in output and "Hentikan layanan" in output
    finally:
        holder.stdin.close()
        holder.wait()
    assert ops(sqlite_app, "restore", str(only_backup(tmp_path / "cadangan")), "--yes")[0] == 0


def test_an_older_backup_restores_and_db_upgrade_brings_it_forward(tmp_path):
    app = node_app(tmp_path, f"sqlite:///{tmp_path / 'ketupat.sqlite'}")
    with app.app_context():
        from alembic.script import ScriptDirectory
        script = ScriptDirectory(app.extensions["migrate"].directory)
        head = script.get_current_head()
        previous = script.get_revision(head).down_revision
        upgrade(revision=previous)
        db.session.execute(text("INSERT INTO app_setting (key, value, updated_at) VALUES "
                                "('receipt_ready_days', '5', CURRENT_TIMESTAMP)"))
        db.session.commit()
    _settle(app)
    assert ops(app, "backup", "--out", str(tmp_path / "cadangan"))[0] == 0
    with app.app_context():
        upgrade()
    _settle(app)
    code, output = ops(app, "restore", str(only_backup(tmp_path / "cadangan")), "--yes")
    assert code == 0, output
    assert f"Cadangan berrevisi {previous}, kode {head}: jalankan `flask --app webapp db upgrade`" in output
    with app.app_context():
        assert db.session.execute(text("SELECT version_num FROM alembic_version")).scalar() == previous
        db.session.remove()
        upgrade()
        assert db.session.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
        assert db.session.execute(text("SELECT value FROM app_setting WHERE key = 'receipt_ready_days'")).scalar() == "5"
    _settle(app)


def test_backups_older_than_keep_days_are_pruned_and_the_new_one_kept(sqlite_app, tmp_path):
    folder = tmp_path / "cadangan"
    folder.mkdir()
    old = folder / "ketupat-OFFICE-20200101T000000Z.tar"
    other_node = folder / "ketupat-BUS-01-20200101T000000Z.tar"
    unrelated = folder / "catatan.tar"
    for path in (old, other_node, unrelated):
        path.write_bytes(b"x")
    code, output = ops(sqlite_app, "backup", "--out", str(folder), "--keep-days", "14")
    assert code == 0, output
    assert not old.exists() and other_node.exists() and unrelated.exists()
    assert len(list(folder.glob("ketupat-OFFICE-*.tar"))) == 1 and f"Dihapus (lebih tua dari 14 hari): {old}" in output


# ---------------------------------------------------------------- PostgreSQL

def _pg_server() -> str:
    base = os.environ.get("TEST_DATABASE_URL") or os.environ.get("PG_URL") or ""
    if not base.startswith("postgres"):
        base = "postgresql://postgres@127.0.0.1:5432/test"
    return base


@pytest.fixture
def pg_databases():
    """(URL of `<name>_ops`, URL of `<name>_ops_restore`), both empty; dropped afterwards."""
    from webapp.config import _normalise_db_url
    url = make_url(_normalise_db_url(_pg_server()))
    admin = create_engine(url.set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT",
                          connect_args={"connect_timeout": 5})
    names = [f"{url.database or 'test'}_ops", f"{url.database or 'test'}_ops_restore"]
    try:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:   # noqa: BLE001 - any failure to connect means "no server here"
        admin.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is needed for the backup round trip and is not reachable ({error})")
        pytest.skip(f"PostgreSQL not reachable ({type(error).__name__}); set TEST_DATABASE_URL or PG_URL")
    yield [url.set(database=name).render_as_string(hide_password=False) for name in names]
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_postgresql_backup_change_restore_and_restore_onto_an_empty_database(pg_databases, tmp_path):
    first_url, second_url = pg_databases
    app = node_app(tmp_path, first_url, files="files-kantor")
    with app.app_context():
        upgrade()
    _settle(app)
    found = seed(app)
    code, output = ops(app, "backup", "--out", str(tmp_path / "cadangan"))
    assert code == 0, output
    backup = only_backup(tmp_path / "cadangan")
    manifest = services.read_manifest(backup)
    assert manifest["database"]["kind"] == "postgresql" and manifest["database"]["pg_dump_version"]
    assert set(manifest["parts"]) == {"database.pgdump", "files.tar.gz"}

    sha_b = change_after_backup(app)
    with app.app_context():       # a table a newer migration would have made after the backup
        db.session.execute(text("CREATE TABLE made_after_the_backup (id integer)"))
        db.session.commit()
    _settle(app)
    # Someone still connected (a web worker left running): refused, nothing changed.
    other = create_engine(make_url(first_url), poolclass=NullPool)
    with other.connect() as held:
        held.execute(text("SELECT 1"))
        code, output = ops(app, "restore", str(backup), "--yes")
        assert code == 1 and "sedang dipakai" in output
    other.dispose()
    with app.app_context():
        assert db.session.execute(select(User.full_name).where(User.username == "operator.haratai")).scalar() == "Diubah"
    _settle(app)

    code, output = ops(app, "restore", str(backup), "--yes")
    assert code == 0, output
    assert "Tabel yang lebih baru dari cadangan dihapus: made_after_the_backup" in output
    assert_as_at_backup(app, found, sha_b)
    with app.app_context():   # the append-only trigger came back with the table
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(text("DELETE FROM audit_log"))
        db.session.rollback()
    _settle(app)

    # The same backup onto an empty database and an empty files folder (a new server).
    fresh = node_app(tmp_path, second_url, files="files-server-baru")
    code, output = ops(fresh, "restore", str(backup), "--yes")
    assert code == 0, output
    assert_as_at_backup(fresh, found, sha_b)
    with fresh.app_context():
        assert db.session.execute(text("SELECT version_num FROM alembic_version")).scalar() == manifest["alembic_revision"]
    _settle(fresh)
