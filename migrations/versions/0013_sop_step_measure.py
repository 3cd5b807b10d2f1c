"""sop_step_measure: each ended SOP step of each entity, as its timeline measures it

Revision ID: 0013_sop_step_measure
Revises: 0012_card_reading
Create Date: 2026-12-01 20:00:00

The mutu baku dashboard (webapp/reports) groups these rows; webapp/reports/upkeep.py keeps them
in step with the status history on every write. Filled here from the history already there.
"""
from alembic import op
import sqlalchemy as sa
import webapp.core.db  # custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0013_sop_step_measure'
down_revision = '0012_card_reading'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sop_step_measure',
    sa.Column('measure', sa.String(length=20), nullable=False),
    sa.Column('entity_id', sa.Uuid(), nullable=False),
    sa.Column('entity_type', sa.String(length=40), nullable=False),
    sa.Column('started_at', webapp.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', webapp.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('duration_us', sa.BigInteger(), nullable=False),
    sa.Column('within', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('measure', 'entity_id')
    )
    with op.batch_alter_table('sop_step_measure', schema=None) as batch_op:
        batch_op.create_index('ix_sop_step_measure_duration', ['measure', 'duration_us'], unique=False)
        batch_op.create_index('ix_sop_step_measure_ended', ['measure', 'ended_at'], unique=False)

    from webapp.reports.upkeep import remeasure_all
    remeasure_all(op.get_bind())


def downgrade():
    with op.batch_alter_table('sop_step_measure', schema=None) as batch_op:
        batch_op.drop_index('ix_sop_step_measure_ended')
        batch_op.drop_index('ix_sop_step_measure_duration')
    op.drop_table('sop_step_measure')
