"""What a rescore writes, on the real database (SQLite, or PostgreSQL with PMO_TEST_POSTGRES_URL):
a changed score leaves a trail row and a published event; an input that moves the explanation but
not the score updates it quietly; an identical rescore writes nothing; a new policy that leaves a
score where it was is still a change, under the new policy."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import orjson
import pytest
from sqlalchemy import func, select

from services.prioritizer import explanations, handlers, rescoring
from services.prioritizer.consumers import HANDLERS
from services.prioritizer.models import DemandView, ScoreChangeRow
from shared.consumer import apply_once
from shared.db import Database
from shared.events import new_event

CUSTOMER = {"id": str(uuid.uuid4()), "name": "Acme", "segment": "delivery_team",
            "strategic_importance": 3, "maturity": 3}
DEMAND = {"id": str(uuid.uuid4()), "customer_id": CUSTOMER["id"], "title": "Risk reviews stall",
          "problem": "Reviews wait weeks.", "kind": "pain_point", "severity": 3, "urgency": 3,
          "reach": 40, "status": "submitted", "created_at": "2026-11-20T10:00:00Z",
          "endorsed_by": [], "tags": []}


@pytest.fixture
async def db(prioritizer_db):
    await apply_once(prioritizer_db, HANDLERS, new_event(
        "intake", "pmo.customer.registered", CUSTOMER["id"], CUSTOMER, 1))
    await apply_once(prioritizer_db, HANDLERS, new_event(
        "intake", "pmo.demand.submitted", DEMAND["id"], DEMAND, 1))
    return prioritizer_db


async def state(db: Database) -> SimpleNamespace:
    async with db.uow() as uow:
        row = await uow.session.get(DemandView, DEMAND["id"])
        trail = await uow.session.scalar(select(func.count()).select_from(ScoreChangeRow))
        published = await uow.session.scalar(select(func.count()).select_from(db.tables.outbox))
        (explanation,) = await explanations.read_whole(uow.session, [row.explanation])
        return SimpleNamespace(score=row.score, version=row.score_version, trail=trail,
                               published=published, explanation=explanation,
                               stored_explanation=row.explanation, scored_at=row.scored_at)


def factor(explanation: dict, name: str) -> dict:
    return next(f for f in explanation["factors"] if f["name"] == name)


async def change_policy(db: Database, weights: dict, segment_weights: dict | None = None) -> None:
    async with db.uow() as uow:
        await handlers.change_policy(uow, SimpleNamespace(
            weights=weights, segment_weights=segment_weights or {}, reason="test"), "admin")


async def update_demand(db: Database, version: int, **changes) -> None:
    data = DEMAND | changes
    await apply_once(db, HANDLERS, new_event("intake", "pmo.demand.updated", data["id"], data,
                                             version))


async def test_what_each_kind_of_rescore_writes(db):
    first = await state(db)
    assert (first.version, first.trail) == (1, 1) and first.published >= 1

    await change_policy(db, {"reach": 0.0})  # reach no longer counts: the score falls
    unweighted = await state(db)
    assert unweighted.score < first.score and unweighted.version == 2
    assert unweighted.trail == 2 and unweighted.published == first.published + 1

    # More people affected moves the reach factor, not the score: the explanation follows quietly.
    await update_demand(db, 2, reach=4000)
    quiet = await state(db)
    assert (quiet.score, quiet.version, quiet.trail, quiet.published) == (
        unweighted.score, 2, 2, unweighted.published)
    assert factor(quiet.explanation, "reach")["inputs"]["people_affected"] == 4000
    assert factor(unweighted.explanation, "reach")["inputs"]["people_affected"] == 40

    # The same demand again, as a later version: nothing to write at all, not even quietly.
    await update_demand(db, 3, reach=4000)
    again = await state(db)
    assert again == quiet

    # A new policy that does not touch this demand's factors leaves its score where it was, but
    # the score now stands under the new policy: a change, with its trail row and its event.
    await change_policy(db, {}, {"executive": 0.9})
    same = await state(db)
    assert same.score == quiet.score and same.version == 3
    assert same.trail == 3 and same.published == quiet.published + 1
    assert same.explanation["policy_version"] == 3


async def test_an_explanation_stored_in_another_form_is_rewritten_quietly(db):
    """A stored text that is not what this code writes (an older writer's key order) is not
    mistaken for a change of priority: the rescore rewrites it and publishes nothing."""
    before = await state(db)
    reordered = orjson.dumps(dict(reversed(before.stored_explanation.items()))).decode()
    async with db.uow() as uow:
        await uow.session.execute(DemandView.__table__.update().values(
            explanation=orjson.loads(reordered)))
        await uow.commit()
    await update_demand(db, 2)
    after = await state(db)
    assert (after.score, after.version, after.trail, after.published) == (
        before.score, before.version, before.trail, before.published)
    assert list(after.stored_explanation) == ["score", "policy_version", "factors", "keys"]


async def test_a_policy_change_rescores_every_customer_a_chunk_at_a_time(db, monkeypatch):
    others = [{**CUSTOMER, "id": str(uuid.uuid4()), "name": f"Other {n}"} for n in range(3)]
    for n, customer in enumerate(others):
        await apply_once(db, HANDLERS, new_event("intake", "pmo.customer.registered",
                                                 customer["id"], customer, 1))
        demand = {**DEMAND, "id": str(uuid.uuid4()), "customer_id": customer["id"],
                  "title": f"Unrelated need {n}", "problem": f"Distinct words {n}"}
        await apply_once(db, HANDLERS, new_event("intake", "pmo.demand.submitted", demand["id"],
                                                 demand, 1))
    monkeypatch.setattr(rescoring, "POLICY_RESCORE_CUSTOMERS_AT_ONCE", 1)
    chunks = []
    rescore_customers = rescoring.rescore_customers

    async def counted(uow, causes, policy=None):
        chunks.append(sorted(causes))
        return await rescore_customers(uow, causes, policy)

    monkeypatch.setattr(rescoring, "rescore_customers", counted)
    await change_policy(db, {"reach": 0.0})
    assert len(chunks) == 4 and all(len(chunk) == 1 for chunk in chunks)
    async with db.uow() as uow:
        versions = (await uow.session.execute(select(DemandView.explanation))).scalars().all()
    assert len(versions) == 4
    assert {explanation["policy_version"] for explanation in versions} == {2}
