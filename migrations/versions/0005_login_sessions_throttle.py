"""login sessions, login throttle, audit_log refuses REPLACE on SQLite

login_session: logout ends one login on the server. login_throttle: backoff per account and
address instead of an account lockout.

Revision ID: 0005_login_sessions_throttle
Revises: 0004_job_run
Create Date: 2026-12-02 14:00:00

See docs/decisions/0002-security-model.md. users.failed_logins / users.locked_until (the old
lockout anyone could keep closed) are dropped: counts now live in login_throttle. The columns are
dropped with ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35 has it), not a batch copy, so the users
table that other tables reference is never re-created.
"""
from alembic import op
import sqlalchemy as sa
import webapp.core.db  # custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0005_login_sessions_throttle'
down_revision = '0004_job_run'
branch_labels = None
depends_on = None

NO_REPLACE_SQLITE = (
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_replace BEFORE INSERT ON audit_log "
    "WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id) "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
)


def upgrade():
    op.create_table('login_session',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('started_at', webapp.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', webapp.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('address', sa.String(length=64), nullable=True),
    sa.Column('user_agent', sa.String(length=200), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.create_index('ix_login_session_user', ['user_id'], unique=False)

    op.create_table('login_throttle',
    sa.Column('account_key', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', webapp.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('blocked_until', webapp.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('account_key', 'address')
    )
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.create_index('ix_login_throttle_last_failure', ['last_failure_at'], unique=False)

    op.drop_column('users', 'failed_logins')
    op.drop_column('users', 'locked_until')

    if op.get_bind().dialect.name == "sqlite":
        op.execute(NO_REPLACE_SQLITE)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_replace")

    op.add_column('users', sa.Column('locked_until', webapp.core.db.UTCDateTime(timezone=True), nullable=True))
    op.add_column('users', sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))

    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.drop_index('ix_login_throttle_last_failure')
    op.drop_table('login_throttle')

    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.drop_index('ix_login_session_user')
    op.drop_table('login_session')
