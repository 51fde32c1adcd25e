"""explanations store their shared factors once, by key

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 08:10:00

Adds `score_factors`: each factor of an explanation but the volume dampening, stored once under
a digest of itself (services/prioritizer/explanations.py). Rows keep their explanations whole
until their next write, which keeps each shared factor's numbers and its key; both forms read
alike, and the release before reads both. The downgrade writes every row's explanation whole
again before it drops the table.
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

ROWS_AT_ONCE = 1000  # rows a batch; their keys (up to nine each) go in one IN list

demands = sa.table('demands', sa.column('id', sa.String), sa.column('explanation', sa.JSON))
factors = sa.table('score_factors', sa.column('key', sa.String), sa.column('body', sa.JSON))


def upgrade() -> None:
    op.create_table('score_factors',
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_score_factors'))
    )


def downgrade() -> None:
    bind = op.get_bind()
    after = ''
    while True:
        rows = bind.execute(sa.select(demands.c.id, demands.c.explanation)
                            .where(demands.c.id > after).order_by(demands.c.id)
                            .limit(ROWS_AT_ONCE)).all()
        if not rows:
            break
        compact = [(demand_id, explanation) for demand_id, explanation in rows
                   if explanation and 'keys' in explanation]
        needed = sorted({key for _, explanation in compact for key in explanation['keys']})
        bodies = dict(bind.execute(sa.select(factors.c.key, factors.c.body)
                                   .where(factors.c.key.in_(needed))).all()) if needed else {}
        whole = [{'demand_id': demand_id, 'explanation': _whole(explanation, bodies)}
                 for demand_id, explanation in compact]
        if whole:
            bind.execute(demands.update().where(demands.c.id == sa.bindparam('demand_id'))
                         .values(explanation=sa.bindparam('explanation')), whole)
        after = rows[-1][0]
    op.drop_table('score_factors')


def _whole(explanation: dict, bodies: dict) -> dict:
    """explanations.whole as of this revision: each factor given by its numbers read from its key."""
    keys = iter(explanation['keys'])
    return {'score': explanation['score'], 'policy_version': explanation['policy_version'],
            'factors': [entry if 'inputs' in entry else bodies[next(keys)]
                        for entry in explanation['factors']]}
