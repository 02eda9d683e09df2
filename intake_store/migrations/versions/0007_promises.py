"""promises and contracts (信用承诺, 政府合同) with their append-only events and linked tickets; bodies listed as 失信被执行人

Revision ID: 0007_promises
Revises: 0006_integrity_rules
Create Date: 2026-11-29 14:43:43.115985
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import intake_store.models

revision = '0007_promises'
down_revision = '0006_integrity_rules'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('judgment_debtor_listing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('body_code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('listed_on', sa.Date(), nullable=False),
    sa.Column('case_number', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recorded_at', intake_store.models.UTCDateTime(), nullable=False),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.ForeignKeyConstraint(['body_code'], ['department.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('judgment_debtor_listing', schema=None) as batch_op:
        batch_op.create_index('ix_judgment_debtor_listed', ['listed_on', 'body_code'], unique=False)

    op.create_table('promise',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('body_code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('promisee', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('amount_yuan', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('created_at', intake_store.models.UTCDateTime(), nullable=False),
    sa.Column('fulfilled_at', intake_store.models.UTCDateTime(), nullable=True),
    sa.Column('flagged_at', intake_store.models.UTCDateTime(), nullable=True),
    sa.Column('updated_at', intake_store.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['body_code'], ['department.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('promise', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_promise_body_code'), ['body_code'], unique=False)
        batch_op.create_index('ix_promise_open_due', ['status', 'due_on'], unique=False)

    op.create_table('promise_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('promise_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', intake_store.models.UTCDateTime(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['promise_id'], ['promise.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('promise_id', 'seq')
    )
    with op.batch_alter_table('promise_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_promise_event_promise_id'), ['promise_id'], unique=False)

    op.create_table('promise_ticket',
    sa.Column('promise_id', sa.Integer(), nullable=False),
    sa.Column('ticket_number', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.ForeignKeyConstraint(['promise_id'], ['promise.id'], ),
    sa.PrimaryKeyConstraint('promise_id', 'ticket_number')
    )
    with op.batch_alter_table('promise_ticket', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_promise_ticket_ticket_number'), ['ticket_number'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('promise_ticket', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_promise_ticket_ticket_number'))

    op.drop_table('promise_ticket')
    with op.batch_alter_table('promise_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_promise_event_promise_id'))

    op.drop_table('promise_event')
    with op.batch_alter_table('promise', schema=None) as batch_op:
        batch_op.drop_index('ix_promise_open_due')
        batch_op.drop_index(batch_op.f('ix_promise_body_code'))

    op.drop_table('promise')
    with op.batch_alter_table('judgment_debtor_listing', schema=None) as batch_op:
        batch_op.drop_index('ix_judgment_debtor_listed')

    op.drop_table('judgment_debtor_listing')
