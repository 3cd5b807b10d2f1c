"""register_import.staged_at and .shrink: a file that would shrink the register waits for a confirmation

Revision ID: 0007_register_import_shrink
Revises: 0006_quality_case_fingerprint
Create Date: 2026-12-03 10:00:00

An import whose file has far fewer rows than the current register, or lacks whole villages the
register has, is staged in full and stops in the new status "perlu_konfirmasi" (a string
column: no schema change for the status) until an operator replaces the register or cancels
(webapp/quality/importer.py).
"""
from alembic import op
import sqlalchemy as sa
import webapp.core.db  # custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0007_register_import_shrink'
down_revision = '0006_quality_case_fingerprint'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('register_import', schema=None) as batch_op:
        batch_op.add_column(sa.Column('staged_at', webapp.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('shrink', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('register_import', schema=None) as batch_op:
        batch_op.drop_column('shrink')
        batch_op.drop_column('staged_at')
