"""status_history.clock_offset_s (a node's clock offset, kept with the rows it brought); sync_node.pulled_seq

Revision ID: 0011_sync_clock_offset
Revises: 0010_person_name_order
Create Date: 2026-12-02 09:00:00

- `status_history.clock_offset_s`: the office sets it when it applies a field node's push, from
  the clock offset measured at that sync (office clock − node clock, seconds). Rows keep the `at`
  the node wrote; the SOP figures read `at + clock_offset_s` (docs/decisions/0011-clock-offset.md).
  NULL for rows written on the office's own clock (and every row before this migration).
- `sync_node.pulled_seq`: the highest feed entry served to the node, so a pull is audited once
  when it brings something new (a node asking for the same page again writes no new entry).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_sync_clock_offset'
down_revision = '0010_person_name_order'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('status_history', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clock_offset_s', sa.Float(), nullable=True))
    with op.batch_alter_table('sync_node', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pulled_seq', sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table('sync_node', schema=None) as batch_op:
        batch_op.drop_column('pulled_seq')
    with op.batch_alter_table('status_history', schema=None) as batch_op:
        batch_op.drop_column('clock_offset_s')
