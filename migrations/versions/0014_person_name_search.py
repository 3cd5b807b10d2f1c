"""person: the database's own text index over the register's names (token/prefix search)

Revision ID: 0014_person_name_search
Revises: 0013_sop_step_measure
Create Date: 2026-12-01 21:30:00

The resident search by name (`webapp.quality.register.search_register`) finds any token of a
name, in any order, and prefixes of tokens, through the database's text index instead of a LIKE
walk over the register: on SQLite an FTS5 table over the current snapshot's names kept in step by
triggers, on PostgreSQL a GIN full-text index on to_tsvector('simple', name) (no extension
needed). See webapp/quality/name_index.py. The name-key index of the near spellings gains the
name, so their candidates are read from the index alone.
"""
from alembic import op

from webapp.quality.name_index import create_name_index, drop_name_index


# revision identifiers, used by Alembic.
revision = '0014_person_name_search'
down_revision = '0013_sop_step_measure'
branch_labels = None
depends_on = None


def upgrade():
    # The near spellings' candidates come from the name-key index alone: it carries the name.
    # (Plain index operations: a batch that recreated `person` on SQLite would drop the triggers.)
    op.drop_index('ix_person_name_key', table_name='person')
    op.create_index('ix_person_name_key', 'person', ['name_key', 'snapshot_id', 'name'], unique=False)
    create_name_index(op.get_bind())     # SQLite: also indexes the current register (rebuild)


def downgrade():
    drop_name_index(op.get_bind())
    op.drop_index('ix_person_name_key', table_name='person')
    op.create_index('ix_person_name_key', 'person', ['name_key', 'snapshot_id'], unique=False)
