"""The database's own text index over the register's names (the token/prefix name search).

SQLite (the field node and the embedded default): an FTS5 table `person_name_fts` whose content
is the view `person_name_current` — the names of the *current* snapshot only, keyed by the
person row's rowid. Triggers keep it in step:
  - a person row inserted, renamed or deleted in the current snapshot updates the index;
  - rows of other snapshots (an import staging its file, the purge of the old snapshot) are not
    indexed, so the bulk import pays nothing per row (an FTS insert per row would add ~40 µs,
    +10 s at 239,471 rows);
  - pointing `register_state.current_snapshot_id` at another snapshot (the import's swap, the
    field node's checkout) rebuilds the index from the view *in the same transaction*: the new
    register and its index become visible together (0.7–1.6 s at 239,471 rows).
The rowid of a table without an INTEGER PRIMARY KEY may change in a VACUUM or when a migration
recreates `person` (batch_alter_table; that also drops the triggers): afterwards run
`flask quality name-index` (or re-create with `sqlite_create_statements()` in the migration).
The search checks every row it gets against its name, so a stale entry never shows a wrong
person; at worst it misses one until the rebuild.

PostgreSQL (the office): a GIN full-text index on the names' tokens (`to_tsvector('simple', name)`);
the search asks it `to_tsquery('simple', 'noor:* & zikri:*')`. PostgreSQL keeps it in step itself.

These objects are created by migration 0014 and, for `db.create_all()` (tests, benches), by the
metadata listeners in quality/models.py. They are not ORM tables: `include_name` keeps them out
of the autogenerate comparison (migrations/env.py, tests/integration/test_migrations.py).
"""
from __future__ import annotations

FTS_TABLE = "person_name_fts"
CONTENT_VIEW = "person_name_current"
TSV_INDEX = "ix_person_name_tsv"
# The search's condition must repeat this expression for the planner to use the index.
TSV_EXPRESSION = "to_tsvector('simple'::regconfig, name)"

_CURRENT = "(SELECT current_snapshot_id FROM register_state WHERE id = 1)"
_TRIGGERS = ("person_name_fts_insert", "person_name_fts_delete", "person_name_fts_update",
             "person_name_fts_swap", "person_name_fts_first")


def sqlite_create_statements() -> list[str]:
    return [
        # In rowid order: FTS5 writes a rebuild's rows in ascending rowids as few large segments
        # (0.7 s at 239,471 rows); in the covering index's name order it took 8 s and left
        # hundreds of small segments behind.
        f"CREATE VIEW {CONTENT_VIEW} AS SELECT p.rowid AS rid, p.name AS name FROM person p "
        f"WHERE p.snapshot_id = {_CURRENT} ORDER BY p.rowid",
        # detail=none: the search needs token and prefix AND-queries only (no phrases);
        # columnsize=0: no ranking by length; prefix: a prefix of up to 8 letters is one doclist
        # read as far as the LIMIT, not a merge of every term it begins (MUHA* → MUHAMMAD's
        # tens of thousands of rows: 17 ms without, 0.1 ms with; the index grows 0.7 → 3.7 MB).
        f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(name, content='{CONTENT_VIEW}', content_rowid='rid', "
        "tokenize='unicode61 remove_diacritics 2', detail=none, columnsize=0, prefix='2 3 4 5 6 7 8')",
        f"CREATE TRIGGER person_name_fts_insert AFTER INSERT ON person WHEN new.snapshot_id = {_CURRENT} "
        f"BEGIN INSERT INTO {FTS_TABLE}(rowid, name) VALUES (new.rowid, new.name); END",
        f"CREATE TRIGGER person_name_fts_delete AFTER DELETE ON person WHEN old.snapshot_id = {_CURRENT} "
        f"BEGIN INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, name) VALUES ('delete', old.rowid, old.name); END",
        # The row left or entered the current snapshot, or was renamed: out with the old values
        # (if they were indexed), in with the new (if they belong there).
        f"CREATE TRIGGER person_name_fts_update AFTER UPDATE OF name, snapshot_id ON person BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, name) SELECT 'delete', old.rowid, old.name "
        f"WHERE old.snapshot_id = {_CURRENT}; "
        f"INSERT INTO {FTS_TABLE}(rowid, name) SELECT new.rowid, new.name WHERE new.snapshot_id = {_CURRENT}; END",
        "CREATE TRIGGER person_name_fts_swap AFTER UPDATE OF current_snapshot_id ON register_state "
        f"BEGIN INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild'); END",
        "CREATE TRIGGER person_name_fts_first AFTER INSERT ON register_state "
        f"BEGIN INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild'); END",
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
    ]


def sqlite_drop_statements() -> list[str]:
    return [*(f"DROP TRIGGER IF EXISTS {name}" for name in _TRIGGERS),
            f"DROP TABLE IF EXISTS {FTS_TABLE}", f"DROP VIEW IF EXISTS {CONTENT_VIEW}"]


def postgresql_create_statements() -> list[str]:
    # Full-text search on the names' tokens ('simple': lower case, no stemming, no stop words).
    # No extension needed. A pg_trgm trigram index was measured first: 17–32 ms per search at
    # 239,471 residents (a long token's trigrams are each in tens of thousands of names),
    # against 0.05–4 ms for this one (docs/performance.md, "Name search at scale").
    return [f"CREATE INDEX IF NOT EXISTS {TSV_INDEX} ON person USING gin ({TSV_EXPRESSION})"]


def postgresql_drop_statements() -> list[str]:
    return [f"DROP INDEX IF EXISTS {TSV_INDEX}"]


def create_statements(dialect: str) -> list[str]:
    return sqlite_create_statements() if dialect == "sqlite" else postgresql_create_statements()


def drop_statements(dialect: str) -> list[str]:
    return sqlite_drop_statements() if dialect == "sqlite" else postgresql_drop_statements()


def create_name_index(connection) -> None:
    """Create the index objects on a connection (SQLite: afresh, dropping any left over — an old
    FTS table would point at rowids of rows that are gone; PostgreSQL: if missing)."""
    dialect = connection.dialect.name
    fresh = drop_statements(dialect) if dialect == "sqlite" else []
    for statement in [*fresh, *create_statements(dialect)]:
        connection.exec_driver_sql(statement)


def drop_name_index(connection) -> None:
    for statement in drop_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)


def rebuild_name_index(connection) -> str:
    """Re-read the current register into the index (SQLite; PostgreSQL's index needs nothing)."""
    if connection.dialect.name != "sqlite":
        return "postgresql: the full-text index is maintained by the database"
    exists = connection.exec_driver_sql(
        "SELECT count(*) FROM sqlite_master WHERE name = ?", (FTS_TABLE,)).scalar()
    if exists:
        connection.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
        return "sqlite: name index rebuilt"
    create_name_index(connection)
    return "sqlite: name index created"


def include_name(name, type_, parent_names) -> bool:
    """Alembic's `include_name`: the text index's objects are not ORM tables or indexes."""
    if type_ == "table":
        return not (name or "").startswith(FTS_TABLE)
    if type_ == "index":
        return name != TSV_INDEX
    return True
