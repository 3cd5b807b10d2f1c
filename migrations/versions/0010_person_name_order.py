"""person: index (snapshot_id, name, birth_date) for the search by name

Revision ID: 0010_person_name_order
Revises: 0009_sync
Create Date: 2026-12-01 16:00:00

The resident search by name (`webapp.quality.register.search_register`) lists the first 51
matches of `name LIKE '%…%'` in the current snapshot ordered by name and birth date. Without
this index the database reads every row of the snapshot and sorts the matches (~55 ms at
239,471 residents on SQLite); with it, it walks the index in that order and stops early.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010_person_name_order'
down_revision = '0009_sync'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index('ix_person_snapshot_name', ['snapshot_id', 'name', 'birth_date'], unique=False)


def downgrade():
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index('ix_person_snapshot_name')
