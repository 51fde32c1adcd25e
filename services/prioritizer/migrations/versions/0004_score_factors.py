"""explanations store their shared factors once, by key

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 08:10:00

Each factor of a stored explanation but the volume dampening moves to `score_factors`, under a
digest of itself, and the demand row lists the keys (services/prioritizer/explanations.py). The
scores do not change: the explanations read as before.
"""
import base64
import hashlib

from alembic import op
import orjson
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

DAMPENING = 'volume_dampening'
ROWS_AT_ONCE = 2000

demands = sa.table('demands', sa.column('id', sa.String), sa.column('explanation', sa.JSON))
factors = sa.table('score_factors', sa.column('key', sa.String), sa.column('body', sa.JSON))


def _key(body: dict) -> str:
    """explanations.factor_key as of this revision: keys written here must stay readable."""
    digest = hashlib.blake2b(orjson.dumps(body, option=orjson.OPT_SORT_KEYS), digest_size=12)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip('=')


def upgrade() -> None:
    op.create_table('score_factors',
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_score_factors'))
    )
    stored: set[str] = set()
    for rows in _chunks():
        new: dict[str, dict] = {}
        compacted = [{'demand_id': demand_id, 'explanation': _compact(explanation, stored, new)}
                     for demand_id, explanation in rows if explanation and explanation.get('factors')]
        _write(compacted, [{'key': key, 'body': body} for key, body in new.items()])
        stored |= new.keys()


def _compact(explanation: dict, stored: set[str], new: dict[str, dict]) -> dict:
    """The explanation with each factor but the dampening as its key; `new` gets the factors not
    in `stored`."""
    entries = []
    for factor in explanation['factors']:
        if isinstance(factor, dict) and factor.get('name') != DAMPENING:
            key = _key(factor)
            if key not in stored:
                new[key] = factor
            factor = key
        entries.append(factor)
    return {**explanation, 'factors': entries}


def downgrade() -> None:
    bodies = dict(op.get_bind().execute(sa.select(factors.c.key, factors.c.body)).all())
    for rows in _chunks():
        whole = [{'demand_id': demand_id,
                  'explanation': {**explanation, 'factors': [
                      bodies[entry] if isinstance(entry, str) else entry
                      for entry in explanation['factors']]}}
                 for demand_id, explanation in rows if explanation and explanation.get('factors')]
        _write(whole, [])
    op.drop_table('score_factors')


def _chunks():
    """The demands' ids and explanations, ROWS_AT_ONCE at a time in id order."""
    bind, after = op.get_bind(), ''
    while True:
        rows = bind.execute(sa.select(demands.c.id, demands.c.explanation)
                            .where(demands.c.id > after).order_by(demands.c.id)
                            .limit(ROWS_AT_ONCE)).all()
        if not rows:
            return
        yield rows
        after = rows[-1][0]


def _write(explanations: list[dict], new_factors: list[dict]) -> None:
    bind = op.get_bind()
    if new_factors:
        bind.execute(factors.insert(), new_factors)
    if explanations:
        bind.execute(demands.update().where(demands.c.id == sa.bindparam('demand_id'))
                     .values(explanation=sa.bindparam('explanation')), explanations)
