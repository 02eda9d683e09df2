"""drop routing_rule: the routing table is read from the catalog's data files; the copy in this table was never read

Revision ID: 0008_drop_routing_rule
Revises: 0001
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0008_drop_routing_rule'
down_revision = '0001'
branch_labels = ('core',)  # the tables of the first schema that no feature branch owns
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('routing_rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_routing_rule_category_code'))
    op.drop_table('routing_rule')


def downgrade() -> None:
    op.create_table('routing_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('district_code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('lead_code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('co_codes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['category_code'], ['category.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('routing_rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_routing_rule_category_code'), ['category_code'], unique=False)
