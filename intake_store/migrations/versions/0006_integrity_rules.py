"""integrity rules as the documents write them: who confirmed the accused body, repeated complaints,
publication and 整改 of records

Revision ID: 0006_integrity_rules
Revises: 0004_integrity
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import intake_store.models

revision = '0006_integrity_rules'
down_revision = '0004_integrity'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ticket_fact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('respondent_confirmed', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('repeat_of', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.create_index('ix_ticket_fact_repeat', ['respondent_code', 'created_at', 'repeat_of'], unique=False)
    with op.batch_alter_table('integrity_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_at', intake_store.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('public', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('rectify_due_at', intake_store.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('rectified_at', intake_store.models.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_integrity_record_public'), ['public'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('integrity_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_integrity_record_public'))
        for column in ('rectified_at', 'rectify_due_at', 'public', 'published_at'):
            batch_op.drop_column(column)
    with op.batch_alter_table('ticket_fact', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_fact_repeat')
        batch_op.drop_column('repeat_of')
        batch_op.drop_column('respondent_confirmed')
