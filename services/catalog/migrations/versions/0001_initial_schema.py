"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 18:58:21.381627
"""
from alembic import op
import sqlalchemy as sa
import shared.db


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('functions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_functions')),
    sa.UniqueConstraint('code', name=op.f('uq_functions_code'))
    )
    with op.batch_alter_table('functions', schema=None) as batch_op:
        batch_op.create_index('ix_functions_created', ['created_at', 'id'], unique=False)

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

    op.create_table('services',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('function_code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('target_segments', sa.JSON(), nullable=False),
    sa.Column('value_propositions', sa.JSON(), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=True),
    sa.Column('capacity_per_month', sa.Integer(), nullable=True),
    sa.Column('lifecycle_state', sa.String(length=20), nullable=False),
    sa.Column('state_changed_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('pilot', sa.JSON(), nullable=True),
    sa.Column('pilot_ends_on', sa.Date(), nullable=True),
    sa.Column('replacement_service_id', sa.String(length=36), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['function_code'], ['functions.code'], name=op.f('fk_services_function_code_functions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_services'))
    )
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.create_index('ix_services_created', ['created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_services_function_code'), ['function_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_services_lifecycle_state'), ['lifecycle_state'], unique=False)
        batch_op.create_index(batch_op.f('ix_services_pilot_ends_on'), ['pilot_ends_on'], unique=False)

    op.create_table('service_segments',
    sa.Column('service_id', sa.String(length=36), nullable=False),
    sa.Column('segment', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_service_segments_service_id_services')),
    sa.PrimaryKeyConstraint('service_id', 'segment', name=op.f('pk_service_segments'))
    )
    with op.batch_alter_table('service_segments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_segments_segment'), ['segment'], unique=False)

    op.create_table('service_transitions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('service_id', sa.String(length=36), nullable=False),
    sa.Column('from_state', sa.String(length=20), nullable=False),
    sa.Column('to_state', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('pilot', sa.JSON(), nullable=True),
    sa.Column('replacement_service_id', sa.String(length=36), nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('created_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_service_transitions_service_id_services')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_transitions'))
    )
    with op.batch_alter_table('service_transitions', schema=None) as batch_op:
        batch_op.create_index('ix_service_transitions_created', ['created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_transitions_service_id'), ['service_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('service_transitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_transitions_service_id'))
        batch_op.drop_index('ix_service_transitions_created')

    op.drop_table('service_transitions')
    with op.batch_alter_table('service_segments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_segments_segment'))

    op.drop_table('service_segments')
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_services_pilot_ends_on'))
        batch_op.drop_index(batch_op.f('ix_services_lifecycle_state'))
        batch_op.drop_index(batch_op.f('ix_services_function_code'))
        batch_op.drop_index('ix_services_created')

    op.drop_table('services')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_sent_at'))

    op.drop_table('outbox')
    op.drop_table('inbox')
    op.drop_table('idempotency_keys')
    with op.batch_alter_table('functions', schema=None) as batch_op:
        batch_op.drop_index('ix_functions_created')

    op.drop_table('functions')
