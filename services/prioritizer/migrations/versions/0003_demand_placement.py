"""where each demand's score stands among its customer's open items

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 05:55:00

A demand event then reads its customer's order from one index instead of every open row.
Dampening now counts positions beyond a customer's fourth by bands: every customer with open
items is listed in `rescore_due`, and the service rescores them whole at its next start.
"""
from alembic import op
import sqlalchemy as sa
import shared.db


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

ORDER_COLUMNS = ['customer_id', 'is_open', sa.text('base_score DESC'), 'submitted_at', 'id',
                 'counted_position', 'aged_since', 'aged_until']


def upgrade() -> None:
    op.create_table('rescore_due',
    sa.Column('customer_id', sa.String(length=36), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_rescore_due'))
    )
    op.execute("INSERT INTO rescore_due (customer_id, reason) SELECT DISTINCT customer_id, "
               "'dampening counted by bands beyond the fourth item' FROM demands WHERE is_open")
    with op.batch_alter_table('demands', schema=None) as batch_op:
        batch_op.add_column(sa.Column('base_score', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('counted_position', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('aged_since', shared.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('aged_until', shared.db.UTCDateTime(), nullable=True))
        batch_op.drop_index('ix_demands_customer_open')
        batch_op.create_index('ix_demands_customer_order', ORDER_COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table('demands', schema=None) as batch_op:
        batch_op.drop_index('ix_demands_customer_order')
        batch_op.create_index('ix_demands_customer_open', ['customer_id', 'is_open'], unique=False)
        batch_op.drop_column('aged_until')
        batch_op.drop_column('aged_since')
        batch_op.drop_column('counted_position')
        batch_op.drop_column('base_score')
    op.drop_table('rescore_due')
