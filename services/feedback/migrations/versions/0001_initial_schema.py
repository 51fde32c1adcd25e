"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 18:58:27.078165
"""
from alembic import op
import sqlalchemy as sa
import shared.db


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
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
    op.create_table('known_customers',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('segment', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_known_customers'))
    )
    op.create_table('known_services',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('function_code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('lifecycle_state', sa.String(length=20), nullable=False),
    sa.Column('replacement_service_id', sa.String(length=36), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_known_services'))
    )
    with op.batch_alter_table('known_services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_known_services_function_code'), ['function_code'], unique=False)

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

    op.create_table('responses',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('customer_id', sa.String(length=36), nullable=False),
    sa.Column('service_id', sa.String(length=36), nullable=False),
    sa.Column('demand_id', sa.String(length=36), nullable=True),
    sa.Column('segment', sa.String(length=40), nullable=False),
    sa.Column('csat', sa.Integer(), nullable=False),
    sa.Column('perceived_value', sa.Integer(), nullable=False),
    sa.Column('nps', sa.Integer(), nullable=True),
    sa.Column('effort', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('channel', sa.String(length=100), nullable=True),
    sa.Column('submitted_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_responses'))
    )
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.create_index('ix_responses_created', ['created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_responses_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_responses_demand_id'), ['demand_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_responses_segment'), ['segment'], unique=False)
        batch_op.create_index('ix_responses_service_created', ['service_id', 'created_at'], unique=False)

    op.create_table('surveys',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('demand_id', sa.String(length=36), nullable=False),
    sa.Column('demand_title', sa.String(length=200), nullable=True),
    sa.Column('customer_id', sa.String(length=36), nullable=False),
    sa.Column('service_id', sa.String(length=36), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('response_id', sa.String(length=36), nullable=True),
    sa.Column('opened_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveys')),
    sa.UniqueConstraint('demand_id', name=op.f('uq_surveys_demand_id'))
    )
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_surveys_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_surveys_opened', ['opened_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_surveys_service_id'), ['service_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_surveys_status'), ['status'], unique=False)

    op.create_table('alerts',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('response_id', sa.String(length=36), nullable=False),
    sa.Column('customer_id', sa.String(length=36), nullable=False),
    sa.Column('service_id', sa.String(length=36), nullable=False),
    sa.Column('csat', sa.Integer(), nullable=False),
    sa.Column('nps', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('assignee', sa.String(length=200), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('resolved_by', sa.String(length=200), nullable=True),
    sa.Column('opened_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_alerts_response_id_responses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
    sa.UniqueConstraint('response_id', name=op.f('uq_alerts_response_id'))
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alerts_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_alerts_opened', ['opened_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_service_id'), ['service_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alerts_status'))
        batch_op.drop_index(batch_op.f('ix_alerts_service_id'))
        batch_op.drop_index('ix_alerts_opened')
        batch_op.drop_index(batch_op.f('ix_alerts_customer_id'))

    op.drop_table('alerts')
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_surveys_status'))
        batch_op.drop_index(batch_op.f('ix_surveys_service_id'))
        batch_op.drop_index('ix_surveys_opened')
        batch_op.drop_index(batch_op.f('ix_surveys_customer_id'))

    op.drop_table('surveys')
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_service_created')
        batch_op.drop_index(batch_op.f('ix_responses_segment'))
        batch_op.drop_index(batch_op.f('ix_responses_demand_id'))
        batch_op.drop_index(batch_op.f('ix_responses_customer_id'))
        batch_op.drop_index('ix_responses_created')

    op.drop_table('responses')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_sent_at'))

    op.drop_table('outbox')
    with op.batch_alter_table('known_services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_known_services_function_code'))

    op.drop_table('known_services')
    op.drop_table('known_customers')
    op.drop_table('inbox')
    op.drop_table('idempotency_keys')
