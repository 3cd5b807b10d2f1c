"""person.name_key: the sound of the name's first significant token, for near-spelling search

Revision ID: 0003_person_name_key
Revises: 0002_office_workflow_quality
Create Date: 2026-12-01 12:00:00

Existing register rows get their key here (webapp.quality.name_search.name_search_key, the
function the import uses), so a register imported before this migration is searchable at once.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_person_name_key'
down_revision = '0002_office_workflow_quality'
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade():
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_key', sa.String(length=40), nullable=True))
        batch_op.create_index('ix_person_name_key', ['name_key', 'snapshot_id'], unique=False)

    from webapp.quality.name_search import name_search_key

    person = sa.table('person', sa.column('id', sa.Uuid()), sa.column('name', sa.String()),
                      sa.column('name_key', sa.String()))
    conn = op.get_bind()
    rows = conn.execute(sa.select(person.c.id, person.c.name)).all()
    keyed = [{"pid": pid, "key": name_search_key(name)} for pid, name in rows]
    statement = (sa.update(person).where(person.c.id == sa.bindparam("pid"))
                 .values(name_key=sa.bindparam("key")))
    for start in range(0, len(keyed), BATCH):
        conn.execute(statement, keyed[start:start + BATCH])


def downgrade():
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index('ix_person_name_key')
        batch_op.drop_column('name_key')
