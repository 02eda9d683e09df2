"""chat gateway: messages waiting for the assistant; one stored delivery per external id

Revision ID: 0005_gateway
Revises: 0001
Create Date: 2026-11-22 02:07:24.975773
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import intake_store.models

revision = '0005_gateway'
down_revision = "0001"
branch_labels = ('conversations',)
depends_on = None


def upgrade() -> None:
    op.create_table('pending_message',
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('queued_at', intake_store.models.UTCDateTime(), nullable=False),
    sa.Column('lease_owner', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('lease_until', intake_store.models.UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('notified', sa.Boolean(), nullable=False),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('message_id')
    )
    with op.batch_alter_table('pending_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_message_conversation_id'), ['conversation_id'], unique=False)

    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index('uq_message_conversation_external', ['conversation_id', 'external_id'], unique=True)



def downgrade() -> None:
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index('uq_message_conversation_external')

    with op.batch_alter_table('pending_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_message_conversation_id'))

    op.drop_table('pending_message')
