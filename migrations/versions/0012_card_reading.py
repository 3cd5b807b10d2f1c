"""card_reading: a KTP-el presented for an application ("Baca KTP-el", the hardware agent)

Revision ID: 0012_card_reading
Revises: 0011_sync_clock_offset
Create Date: 2026-12-01 18:00:00

The reader, the chip's ATR and UID, when and who (webapp/devices/models.py). Synced with its
application (webapp/sync/scope.py: parent "application").
"""
from alembic import op
import sqlalchemy as sa
import webapp.core.db  # custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0012_card_reading'
down_revision = '0011_sync_clock_offset'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('card_reading',
    sa.Column('application_id', sa.Uuid(), nullable=False),
    sa.Column('reader', sa.String(length=120), nullable=False),
    sa.Column('atr', sa.String(length=80), nullable=False),
    sa.Column('uid', sa.String(length=64), nullable=True),
    sa.Column('at', webapp.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('actor_name', sa.String(length=120), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('node', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('card_reading', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_reading_application_id'), ['application_id'], unique=False)


def downgrade():
    with op.batch_alter_table('card_reading', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_reading_application_id'))
    op.drop_table('card_reading')
