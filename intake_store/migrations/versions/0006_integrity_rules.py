"""integrity rules as the documents write them: who confirmed the accused body, repeated complaints

Revision ID: 0006_integrity_rules
Revises: 0004_integrity
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0006_integrity_rules'
down_revision = '0004_integrity'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ticket_fact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('respondent_confirmed', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('repeat_of', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.create_index('ix_ticket_fact_repeat', ['respondent_code', 'created_at', 'repeat_of'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ticket_fact', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_fact_repeat')
        batch_op.drop_column('repeat_of')
        batch_op.drop_column('respondent_confirmed')
