"""job_run: one row per background job (register import, scan), its heartbeat and outcome

Revision ID: 0004_job_run
Revises: 0003_person_name_key
Create Date: 2026-12-02 10:00:00

See webapp/jobs/models.py and docs/decisions/0007-job-queue.md.
"""
from alembic import op
import sqlalchemy as sa
import webapp.core.db  # custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0004_job_run'
down_revision = '0003_person_name_key'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_run',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=True),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('actor_name', sa.String(length=80), nullable=False),
    sa.Column('worker', sa.String(length=200), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('queued_at', webapp.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('started_at', webapp.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', webapp.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', webapp.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', webapp.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', webapp.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_run_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_run_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_run_subject_id'), ['subject_id'], unique=False)


def downgrade():
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_run_subject_id'))
        batch_op.drop_index(batch_op.f('ix_job_run_status'))
        batch_op.drop_index(batch_op.f('ix_job_run_name'))

    op.drop_table('job_run')
