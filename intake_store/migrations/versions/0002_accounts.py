"""console and portal accounts: sign-in, sessions, sign-in attempts

Revision ID: 0002_accounts
Revises: 0001
Create Date: 2026-11-22 02:07:09.463161
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import intake_store.models

revision = '0002_accounts'
down_revision = '0001'
branch_labels = ('accounts',)
depends_on = None


def upgrade() -> None:
    op.create_table('login_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('ip', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('at', intake_store.models.UTCDateTime(), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempt_ip_at', ['ip', 'at'], unique=False)
        batch_op.create_index('ix_login_attempt_username_at', ['username', 'at'], unique=False)

    op.create_table('account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('department_code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', intake_store.models.UTCDateTime(), nullable=False),
    sa.Column('password_changed_at', intake_store.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['department_code'], ['department.code'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('login_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('csrf_token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', intake_store.models.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', intake_store.models.UTCDateTime(), nullable=False),
    sa.Column('expires_at', intake_store.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_session_account_id'), ['account_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_session_account_id'))

    op.drop_table('login_session')
    op.drop_table('account')
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempt_username_at')
        batch_op.drop_index('ix_login_attempt_ip_at')

    op.drop_table('login_attempt')
