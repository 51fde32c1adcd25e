"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 18:58:21.374685
"""
from alembic import op
import sqlalchemy as sa
import shared.db


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('customers',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('segment', sa.String(length=40), nullable=False),
    sa.Column('strategic_importance', sa.Integer(), nullable=False),
    sa.Column('maturity', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers'))
    )
    op.create_table('demands',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('customer_id', sa.String(length=36), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('function_code', sa.String(length=64), nullable=True),
    sa.Column('service_id', sa.String(length=36), nullable=True),
    sa.Column('severity', sa.Integer(), nullable=False),
    sa.Column('urgency', sa.Integer(), nullable=False),
    sa.Column('reach', sa.Integer(), nullable=False),
    sa.Column('effort_estimate', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('is_open', sa.Boolean(), nullable=False),
    sa.Column('segment', sa.String(length=40), nullable=True),
    sa.Column('endorsed_by', sa.JSON(), nullable=False),
    sa.Column('submitted_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('score_version', sa.Integer(), nullable=False),
    sa.Column('explanation', sa.JSON(), nullable=False),
    sa.Column('scored_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_demands'))
    )
    with op.batch_alter_table('demands', schema=None) as batch_op:
        batch_op.create_index('ix_demands_customer_open', ['customer_id', 'is_open'], unique=False)
        batch_op.create_index(batch_op.f('ix_demands_function_code'), ['function_code'], unique=False)
        batch_op.create_index('ix_demands_ranking', ['is_open', 'score', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_demands_segment'), ['segment'], unique=False)
        batch_op.create_index(batch_op.f('ix_demands_service_id'), ['service_id'], unique=False)

    op.create_table('endorsements',
    sa.Column('demand_id', sa.String(length=36), nullable=False),
    sa.Column('customer_id', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('demand_id', 'customer_id', name=op.f('pk_endorsements'))
    )
    with op.batch_alter_table('endorsements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_endorsements_customer_id'), ['customer_id'], unique=False)

    op.create_table('idempotency_keys',
    sa.Column('principal', sa.String(length=200), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('created_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('principal', 'key', name=op.f('pk_idempotency_keys'))
    )
    op.create_table('inbox',
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('event_type', sa.String(length=200), nullable=False),
    sa.Column('handled_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_inbox'))
    )
    op.create_table('outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('topic', sa.String(length=200), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('event_type', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('created_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('event_id', name=op.f('uq_outbox_event_id'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_sent_at'), ['sent_at'], unique=False)

    op.create_table('policies',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('weights', sa.JSON(), nullable=False),
    sa.Column('segment_weights', sa.JSON(), nullable=False),
    sa.Column('changed_by', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('version', name=op.f('pk_policies'))
    )
    op.create_table('score_history',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('demand_id', sa.String(length=36), nullable=False),
    sa.Column('previous_score', sa.Float(), nullable=True),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('policy_version', sa.Integer(), nullable=False),
    sa.Column('cause_event_id', sa.String(length=200), nullable=True),
    sa.Column('cause_type', sa.String(length=200), nullable=False),
    sa.Column('at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_history'))
    )
    with op.batch_alter_table('score_history', schema=None) as batch_op:
        batch_op.create_index('ix_score_history_demand', ['demand_id', 'id'], unique=False)

    op.create_table('service_feedback',
    sa.Column('service_id', sa.String(length=36), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.Column('csat_sum', sa.Integer(), nullable=False),
    sa.Column('perceived_value_sum', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('service_id', name=op.f('pk_service_feedback'))
    )
    op.create_table('services',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('function_code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('lifecycle_state', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_services'))
    )


def downgrade() -> None:
    op.drop_table('services')
    op.drop_table('service_feedback')
    with op.batch_alter_table('score_history', schema=None) as batch_op:
        batch_op.drop_index('ix_score_history_demand')

    op.drop_table('score_history')
    op.drop_table('policies')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_sent_at'))

    op.drop_table('outbox')
    op.drop_table('inbox')
    op.drop_table('idempotency_keys')
    with op.batch_alter_table('endorsements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_endorsements_customer_id'))

    op.drop_table('endorsements')
    with op.batch_alter_table('demands', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_demands_service_id'))
        batch_op.drop_index(batch_op.f('ix_demands_segment'))
        batch_op.drop_index('ix_demands_ranking')
        batch_op.drop_index(batch_op.f('ix_demands_function_code'))
        batch_op.drop_index('ix_demands_customer_open')

    op.drop_table('demands')
    op.drop_table('customers')
