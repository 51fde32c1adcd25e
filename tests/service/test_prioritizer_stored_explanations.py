"""Stored explanations against the real database: shared factors written once, read back whole
by a process that has not met them, and a lost factor refused rather than shown wrong."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, func, select

from services.prioritizer import explanations
from services.prioritizer.domain import DEFAULT_SEGMENT_WEIGHTS, DEFAULT_WEIGHTS
from services.prioritizer.models import ScoreFactorRow
from services.prioritizer.ranking import score_customer_items
from services.prioritizer.scoring import Backer, DemandInput, Policy

POLICY = Policy(1, dict(DEFAULT_WEIGHTS), dict(DEFAULT_SEGMENT_WEIGHTS))
NOW = datetime(2026, 11, 27, 9, tzinfo=UTC)


def scores(count: int):
    items = [DemandInput(demand_id=f"d{n}", kind="pain_point", function_code="reporting",
                         severity=1 + n % 2, urgency=3, reach=10, effort_estimate=5,
                         submitted_at=NOW, requester=Backer("c1", "executive", 4, 3))
             for n in range(count)]
    return [r.score for r in score_customer_items(items, POLICY, {i.demand_id: NOW for i in items})]


async def stored_factors(db) -> int:
    async with db.uow() as uow:
        return await uow.session.scalar(select(func.count()).select_from(ScoreFactorRow))


async def test_factors_are_stored_once_and_read_whole_by_a_process_that_never_met_them(
        prioritizer_db, monkeypatch):
    db = prioritizer_db
    written = scores(6)
    inserts = []
    insert_missing_rows = explanations.insert_missing_rows

    async def counted(session, table, rows):
        inserts.append(len(rows))
        await insert_missing_rows(session, table, rows)

    monkeypatch.setattr(explanations, "insert_missing_rows", counted)
    compactor = explanations.Compactor()
    stored = [compactor.compact(score) for score in written]
    async with db.uow() as uow:  # rolled back: nothing stored, and nothing believed stored
        await compactor.store(uow)
    assert await stored_factors(db) == 0
    for _ in range(2):  # the second write refers to the same factors: no statement at all
        compactor = explanations.Compactor()
        stored = [compactor.compact(score) for score in written]
        async with db.uow() as uow:
            await compactor.store(uow)
            await uow.commit()
    assert await stored_factors(db) == 9  # eight shared factors, and pain at two severities
    assert inserts == [9, 9]

    monkeypatch.setattr(explanations, "_known", {})  # a process that has not met them
    async with db.uow() as uow:
        whole = await explanations.read_whole(uow.session, stored)
    assert whole == [score.as_dict() for score in written]
    assert len(explanations._known) == 9


async def test_a_factor_referred_to_but_not_stored_is_refused(prioritizer_db, monkeypatch):
    compactor = explanations.Compactor()
    stored = compactor.compact(scores(1)[0])
    async with prioritizer_db.uow() as uow:
        await compactor.store(uow)
        await uow.session.execute(delete(ScoreFactorRow).where(
            ScoreFactorRow.key == stored["keys"][0]))
        await uow.commit()
    monkeypatch.setattr(explanations, "_known", {})
    async with prioritizer_db.uow() as uow:
        with pytest.raises(LookupError, match="referred to but not stored"):
            await explanations.load(uow.session, [stored])
