"""A demand event rescores its own item and the items its move pushed into another dampening band,
read from the customer's order index, not every open item of its customer
(rescoring._rescore_moved). What it leaves must be exactly what rescoring every item would give:
checked on the real database (SQLite, or PostgreSQL with PMO_TEST_POSTGRES_URL) after random
sequences of submissions, updates, endorsements and closures whose event times span weeks, so
ages tick between them."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import func, select

from services.prioritizer import explanations, rescoring
from services.prioritizer.app import SPEC
from services.prioritizer.consumers import HANDLERS
from services.prioritizer.rescoring import Cause
from services.prioritizer.models import DemandView, RescoreDue, ScoreChangeRow, ScoreFactorRow
from shared.consumer import apply_batch, apply_once
from shared.db import Database
from shared.events import new_event
from shared.migrations import alembic_config

START = datetime(2026, 10, 1, 9, tzinfo=UTC)
SEGMENTS = ("delivery_team", "executive", "program_leader")


@pytest.fixture
def db(prioritizer_db):
    return prioritizer_db


def customer(n: int) -> dict:
    return {"id": str(uuid.uuid4()), "name": f"Customer {n}", "segment": SEGMENTS[n % 3],
            "strategic_importance": 1 + n % 5, "maturity": 1 + n % 5}


def demand(customer_id: str, rng: random.Random, created: datetime) -> dict:
    words = [uuid.uuid4().hex[:10] for _ in range(4)]  # nothing similar: only dampening links
    return {"id": str(uuid.uuid4()), "customer_id": customer_id, "title": f"{words[0]} {words[1]}",
            "problem": f"{words[2]} {words[3]}", "kind": "pain_point",
            "severity": rng.randint(1, 5), "urgency": rng.randint(1, 5),
            "reach": rng.choice((1, 10, 300)), "effort_estimate": rng.choice((None, 2, 40)),
            "status": "submitted", "created_at": created.isoformat(), "endorsed_by": [],
            "tags": []}


async def feed(db: Database, event_type: str, data: dict, version: int, at: datetime) -> None:
    event = new_event("intake", event_type, data["id"], data, version).model_copy(
        update={"time": at})
    await apply_once(db, HANDLERS, event)


async def stored(db: Database) -> dict[str, tuple]:
    async with db.uow() as uow:
        rows = (await uow.session.execute(select(
            DemandView.id, DemandView.score, DemandView.score_version, DemandView.explanation,
            DemandView.base_score, DemandView.counted_position, DemandView.aged_since,
            DemandView.aged_until).where(DemandView.is_open))).all()
        whole = await explanations.read_whole(uow.session, [row.explanation for row in rows])
    return {row[0]: (row[1], row[2], explanation, *row[4:]) for row, explanation in zip(rows, whole)}


async def rescore_whole(db: Database, latest: dict[str, datetime]) -> None:
    """Every open item of every customer scored from its inputs, as of its customer's latest
    event: what the events would have left had each rescored its whole customer."""
    async with db.uow() as uow:
        await rescoring.rescore_customers(uow, {customer_id: Cause(None, "check", at)
                                               for customer_id, at in latest.items()})
        await uow.commit()


async def trail_rows(db: Database) -> int:
    async with db.uow() as uow:
        return await uow.session.scalar(select(func.count()).select_from(ScoreChangeRow))


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_rescoring_only_what_moved_leaves_what_rescoring_everything_would(db, seed):
    rng = random.Random(seed)
    customers = [customer(n) for n in range(3)]
    at = START
    latest: dict[str, datetime] = {}
    for c in customers:
        await feed(db, "pmo.customer.registered", c, 1, at)
        latest[c["id"]] = at
    open_demands: dict[str, tuple[dict, int]] = {}
    for step in range(60):
        at += timedelta(hours=rng.choice((0, 1, 7, 30)))
        kind = rng.random()
        if kind < 0.55 or not open_demands:
            owner = rng.choice(customers)
            data = demand(owner["id"], rng, at - timedelta(days=rng.randint(0, 20)))
            await feed(db, "pmo.demand.submitted", data, 1, at)
            open_demands[data["id"]] = (data, 1)
        else:
            data, version = open_demands[rng.choice(sorted(open_demands))]
            if kind < 0.75:
                data = data | {"severity": rng.randint(1, 5), "reach": rng.choice((1, 50, 9000))}
                event_type = "pmo.demand.updated"
            elif kind < 0.9:
                backer = rng.choice(customers)["id"]
                data = data | {"endorsed_by": sorted({*data["endorsed_by"], backer})}
                event_type = "pmo.demand.endorsed"
            else:
                data = data | {"status": "delivered"}
                event_type = "pmo.demand.status_changed"
            await feed(db, event_type, data, version + 1, at)
            if data["status"] == "delivered":
                del open_demands[data["id"]]
            else:
                open_demands[data["id"]] = (data, version + 1)
        latest[data["customer_id"]] = at
        if step % 20 == 19:
            before = await stored(db)
            await rescore_whole(db, latest)
            assert await stored(db) == before, f"step {step}: a whole rescore changed something"


WORDS = "invoice export report dashboard login password printer laptop vpn email backup".split()


def similar_prone(customer_id: str, rng: random.Random, created: datetime) -> dict:
    """A demand in one function with three words of eleven: many of them describe the same need."""
    words = rng.sample(WORDS, 3)
    return demand(customer_id, rng, created) | {
        "title": f"{words[0]} {words[1]}", "problem": f"{words[1]} {words[2]}",
        "function_code": "reporting"}


@pytest.mark.parametrize("seed", list(range(1, 17)))
async def test_batches_of_mixed_events_with_similar_demand_leave_what_rescoring_everything_would(
        db, seed):
    """Batches mixing demand and customer events, over demands that link as the same need across
    customers and within one: a customer due whole for any reason must not be narrowed. Within
    one day of waiting, so every customer's items age alike whichever event settles them."""
    rng = random.Random(seed)
    customers = [customer(n) for n in range(4)]
    versions = {c["id"]: 1 for c in customers}
    at = START
    await apply_batch(db, HANDLERS, [new_event("intake", "pmo.customer.registered", c["id"], c, 1)
                                     .model_copy(update={"time": at}) for c in customers])
    open_demands: dict[str, tuple[dict, int]] = {}
    for step in range(30):
        at += timedelta(minutes=rng.choice((0, 1, 7, 30)))
        batch = []
        for _ in range(rng.randint(1, 4)):
            kind = rng.random()
            if kind < 0.45 or not open_demands:
                data = similar_prone(rng.choice(customers)["id"], rng,
                                     START - timedelta(days=rng.randint(0, 9)))
                event_type, version = "pmo.demand.submitted", 1
            elif kind < 0.85:
                data, version = open_demands[rng.choice(sorted(open_demands))]
                version += 1
                data = data | rng.choice((
                    {"severity": rng.randint(1, 5)},
                    {"endorsed_by": sorted({*data["endorsed_by"], rng.choice(customers)["id"]})},
                    {"status": "delivered"}))
                event_type = "pmo.demand.updated"
            else:
                owner = rng.choice(customers)
                versions[owner["id"]] += 1
                owner.update(strategic_importance=rng.randint(1, 5), segment=rng.choice(SEGMENTS))
                data = dict(owner)
                batch.append(new_event("intake", "pmo.customer.updated", owner["id"], data,
                                       versions[owner["id"]]).model_copy(update={"time": at}))
                continue
            batch.append(new_event("intake", event_type, data["id"], data, version)
                         .model_copy(update={"time": at}))
            if data["status"] == "delivered":
                open_demands.pop(data["id"], None)
            else:
                open_demands[data["id"]] = (data, version)
        await apply_batch(db, HANDLERS, batch)
        if step % 8 == 7:
            before = await stored(db)
            await rescore_whole(db, {c["id"]: at for c in customers})
            assert await stored(db) == before, f"step {step}: a whole rescore changed something"


async def test_a_similar_demand_of_the_same_customer_rewrites_the_need_it_joins(db):
    """It adds no customer to the need, but its explanation now counts similar open demand."""
    owner = customer(0)
    await feed(db, "pmo.customer.registered", owner, 1, START)
    rng = random.Random(0)
    need = demand(owner["id"], rng, START) | {
        "title": "Export monthly invoices spreadsheet", "function_code": "reporting",
        "problem": "finance exports invoices manually every month", "severity": 5}
    again = need | {"id": str(uuid.uuid4()), "severity": 1}
    await feed(db, "pmo.demand.submitted", need, 1, START)
    await feed(db, "pmo.demand.submitted", again, 1, START)
    before = await stored(db)
    repeat = next(f for f in before[need["id"]][2]["factors"] if f["name"] == "repeat_demand")
    assert "counting similar open demand" in repeat["explanation"]
    await rescore_whole(db, {owner["id"]: START})
    assert await stored(db) == before


def _migrate(connection, revision: str, downgrade: bool) -> None:
    config = alembic_config(SPEC.service_dir)
    config.attributes["connection"] = connection
    (command.downgrade if downgrade else command.upgrade)(config, revision)


async def migrate(db: Database, revision: str, *, downgrade: bool = False) -> None:
    async with db.engine.begin() as connection:
        await connection.run_sync(_migrate, revision, downgrade)


async def test_migration_0003_lists_every_customer_with_open_items_and_start_up_rescores_them(db):
    """Scores stored before 0003 counted dampening by exact position and hold no placement: the
    migration lists their customers in `rescore_due`, which the start-up rescores and empties."""
    owners = [customer(n) for n in range(3)]
    rng = random.Random(0)
    for owner in owners:
        await feed(db, "pmo.customer.registered", owner, 1, START)
    for n in range(8):  # the third customer's only demand is closed: it has no open items
        item = demand(owners[n % 3]["id"], rng, START) | {"severity": 5 - n % 5}
        await feed(db, "pmo.demand.submitted", item, 1, START)
        if n % 3 == 2:
            await feed(db, "pmo.demand.status_changed", item | {"status": "delivered"}, 2, START)
    await migrate(db, "0002", downgrade=True)
    await migrate(db, "head")
    async with db.uow() as uow:
        due = set(await uow.session.scalars(select(RescoreDue.customer_id)))
        assert due == {owners[0]["id"], owners[1]["id"]}
        assert not await uow.session.scalar(select(func.count()).select_from(DemandView).where(
            DemandView.base_score.is_not(None)))
        # Scores as the old dampening left them (they differ from today's beyond the fourth).
        await uow.session.execute(DemandView.__table__.update().values(
            score=DemandView.__table__.c.score + 0.5))
        await uow.commit()
    async with db.uow() as uow:
        assert await rescoring.rescore_due_customers(uow, START) == 6
    async with db.uow() as uow:
        assert not list(await uow.session.scalars(select(RescoreDue.customer_id)))
        assert await rescoring.rescore_due_customers(uow, START) == 0
    before = await stored(db)
    assert all(row[3] is not None for row in before.values())
    await rescore_whole(db, {owner["id"]: START for owner in owners[:2]})
    assert await stored(db) == before


async def test_a_new_top_item_rescores_its_own_the_first_four_and_one_per_doubling(db):
    owner = customer(0)
    at = START
    await feed(db, "pmo.customer.registered", owner, 1, at)
    rng = random.Random(0)
    items = [demand(owner["id"], rng, at) | {"severity": 2, "urgency": 2, "reach": 10,
                                             "effort_estimate": 5} for _ in range(20)]
    await apply_batch(db, HANDLERS, [new_event("intake", "pmo.demand.submitted", d["id"], d, 1)
                                     .model_copy(update={"time": at}) for d in items])
    before = await trail_rows(db)
    assert before == 20
    top = demand(owner["id"], rng, at) | {"severity": 5, "urgency": 5, "reach": 10,
                                          "effort_estimate": 5}
    await feed(db, "pmo.demand.submitted", top, 1, at)
    # Twenty items pushed one place down: those that were 1st-4th (each counted at its own
    # place), the 8th (into 9-16) and the 16th (into 17-32), and the new one itself.
    assert await trail_rows(db) - before == 7
    before_check = await stored(db)
    await rescore_whole(db, {owner["id"]: at})
    assert await stored(db) == before_check


async def stored_explanations(db: Database) -> dict[str, dict]:
    async with db.uow() as uow:
        return dict((await uow.session.execute(select(DemandView.id, DemandView.explanation))).all())


async def test_migration_0004_keeps_rows_readable_both_ways_and_writes_compact_quietly(db):
    """0004 only adds `score_factors`; its downgrade writes every explanation whole again. Rows
    stored whole read as before, and their next rescore compacts them without a score change."""
    owners = [customer(n) for n in range(2)]
    rng = random.Random(0)
    for owner in owners:
        await feed(db, "pmo.customer.registered", owner, 1, START)
    for n in range(6):  # the same pain, reach and effort on every item: shared factors
        item = demand(owners[n % 2]["id"], rng, START) | {
            "severity": 3, "urgency": 3, "reach": 10, "effort_estimate": 5}
        await feed(db, "pmo.demand.submitted", item, 1, START)
    live = await stored(db)
    compact = await stored_explanations(db)
    assert all(len(e["keys"]) == 8 for e in compact.values())
    async with db.uow() as uow:
        keys = set(await uow.session.scalars(select(ScoreFactorRow.key)))
    assert keys == {key for e in compact.values() for key in e["keys"]}
    assert len(keys) < 8 * len(compact) / 2  # pain, reach, effort... stored once for all six

    await migrate(db, "0003", downgrade=True)
    whole = await stored_explanations(db)
    assert {demand_id: explanation for demand_id, (_, _, explanation, *_) in live.items()} == whole

    await migrate(db, "head")
    assert await stored_explanations(db) == whole  # left whole, and read as before
    assert await stored(db) == live
    trail = await trail_rows(db)
    await rescore_whole(db, {owner["id"]: START for owner in owners})
    assert await trail_rows(db) == trail  # no score changed: nothing published either
    assert await stored_explanations(db) == compact
    assert await stored(db) == live


async def test_factors_a_migration_dropped_are_stored_again_by_the_same_process(db):
    """A process believes the factors it saw committed are stored; a downgrade and upgrade on its
    own engine drop them, so a later write that refers to one must store it again."""
    owner = customer(0)
    rng = random.Random(1)
    await feed(db, "pmo.customer.registered", owner, 1, START)
    await feed(db, "pmo.demand.submitted", demand(owner["id"], rng, START), 1, START)
    later = START + timedelta(days=10)
    await rescore_whole(db, {owner["id"]: later})  # no row refers to "waiting 0 days" any more
    await migrate(db, "0003", downgrade=True)
    await migrate(db, "head")
    await feed(db, "pmo.demand.submitted", demand(owner["id"], rng, later), 1, later)
    async with db.uow() as uow:
        present = set(await uow.session.scalars(select(ScoreFactorRow.key)))
        rows = list(await uow.session.scalars(select(DemandView.explanation)))
    assert {key for e in rows for key in e.get("keys", ())} <= present
