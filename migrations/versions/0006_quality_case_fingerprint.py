"""quality_case.record_fingerprint: the register records as they were when a case was resolved

Revision ID: 0006_quality_case_fingerprint
Revises: 0005_login_sessions_throttle
Create Date: 2026-12-02 12:00:00

A case closed as "selesai" is reopened by the scan only when its records have changed since
(webapp.quality.services.record_fingerprint). Cases resolved before this migration have no
fingerprint: the next scan takes the register as it is then as their baseline.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_quality_case_fingerprint'
down_revision = '0005_login_sessions_throttle'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('quality_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('record_fingerprint', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('quality_case', schema=None) as batch_op:
        batch_op.drop_column('record_fingerprint')
