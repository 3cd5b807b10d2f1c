"""One migration history upgrades an empty SQLite and an empty PostgreSQL database, and the
result agrees with the models (no autogenerate diff)."""
import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, text

from webapp import create_app
from webapp.config import _normalise_db_url
from webapp.extensions import db
from webapp.quality.name_index import include_name


def _empty_database_url(tmp_path):
    pg = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    if not pg.startswith("postgres"):
        return f"sqlite:///{tmp_path / 'migrated.sqlite'}", None
    base = _normalise_db_url(pg)
    name = f"kp_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return base.rsplit("/", 1)[0] + "/" + name, (admin, name)


@pytest.fixture
def migrated_app(tmp_path):
    url, cleanup = _empty_database_url(tmp_path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if cleanup:
        admin, name = cleanup
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_migrations_upgrade_an_empty_database_and_match_the_models(migrated_app):
    with migrated_app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(
                conn, opts={"compare_type": True, "include_name": include_name}), db.metadata)
        assert diff == []
        # the name search's text index (not ORM objects, so compared apart)
        with db.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                names = set(conn.exec_driver_sql("SELECT name FROM sqlite_master").scalars())
                assert {"person_name_fts", "person_name_current", "person_name_fts_insert",
                        "person_name_fts_swap"} <= names
            else:
                indexes = {ix["name"] for ix in db.inspect(conn).get_indexes("person")}
                assert "ix_person_name_tsv" in indexes
        # the append-only audit trigger came with the migration too
        with pytest.raises(Exception):
            with db.engine.begin() as conn:
                conn.execute(text("INSERT INTO audit_log (id, at, actor_name, action, summary, node) "
                                  "VALUES (:id, CURRENT_TIMESTAMP, 'x', 'view', '', 'OFFICE')"),
                             {"id": uuid.uuid4().hex if db.engine.dialect.name == "sqlite" else str(uuid.uuid4())})
                conn.execute(text("DELETE FROM audit_log"))


def test_migrations_downgrade_cleanly(migrated_app):
    with migrated_app.app_context():
        upgrade()
        downgrade(revision="base")
        with db.engine.connect() as conn:
            tables = set(db.inspect(conn).get_table_names()) - {"alembic_version"}
        assert tables == set()
