"""The reliability mechanisms in isolation: bounded waits, the relay's order, error triage.

The same guarantees are proven against real brokers, databases and processes in tests/faults.
"""

from __future__ import annotations

import asyncio
import time
from collections import namedtuple
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from pmo.dlq import dlq_topic_name
from services.intake.app import SPEC
from services.intake.models import MECHANISMS
from shared.bus import CancelledInside, KafkaPublisher, OutgoingRecord, PublishError, bounded
from shared.db import Database, database_unavailable
from shared.metrics import ServiceMetrics
from shared.migrations import upgrade_to_head
from shared.outbox import OutboxRelay
from shared.replay import merge_by_time


async def _swallows_cancellation() -> str:
    """What aiokafka's group coordinator does: catches CancelledError and carries on."""
    for _ in range(3):
        try:
            await asyncio.sleep(0.5)
        except asyncio.CancelledError:
            pass
    return "finished anyway"


async def test_bounded_gives_up_on_time_even_when_the_work_ignores_cancellation():
    began = time.monotonic()
    with pytest.raises(asyncio.TimeoutError):
        await bounded(_swallows_cancellation(), 0.1)
    assert time.monotonic() - began < 0.4  # asyncio.wait_for would wait the full 1.5 s


async def test_bounded_reports_work_cancelled_from_inside_as_a_failed_call():
    async def cancelled_inside():
        raise asyncio.CancelledError

    with pytest.raises(CancelledInside):
        await bounded(cancelled_inside(), 1.0)
    assert await bounded(asyncio.sleep(0, "value"), 1.0) == "value"


class _SilentProducer:
    """A producer whose broker never answers: futures that never resolve."""

    def __init__(self) -> None:
        self.stopped = False

    async def send(self, *_args, **_kwargs) -> asyncio.Future:
        return asyncio.get_running_loop().create_future()

    async def stop(self) -> None:
        self.stopped = True


async def test_a_publisher_that_missed_its_deadline_drops_the_producer_and_builds_a_new_one():
    publisher = KafkaPublisher("127.0.0.1:1", 0.2, "test")
    producers = []

    async def start():
        producers.append(_SilentProducer())
        publisher._producer = producers[-1]
        publisher.producers_created += 1
        return producers[-1]

    publisher._ensure_started = start
    began = time.monotonic()
    assert await publisher.send_batch([OutgoingRecord("t", "k", b"v")]) == 0
    assert time.monotonic() - began < 0.5 and publisher.producers_dropped == 1
    assert await publisher.send_batch([OutgoingRecord("t", "k", b"v")]) == 0
    assert publisher.producers_created == 2
    await publisher.stop()
    assert all(producer.stopped for producer in producers)


class _Acks:
    """A publisher acknowledging the first `budget` records it is given, then nothing."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.sent: list[str] = []

    async def send_batch(self, records) -> int:
        acknowledged = min(self.budget, len(records))
        self.budget -= acknowledged
        self.sent += [record.value.decode() for record in records[:acknowledged]]
        return acknowledged


async def _outbox_with(tmp_path, ids: list[int]) -> Database:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'o.db'}", MECHANISMS)
    await upgrade_to_head(db.engine, SPEC.service_dir)
    await _insert(db, ids)
    return db


async def _insert(db: Database, ids: list[int]) -> None:
    async with db.sessions() as session, session.begin():
        await session.execute(db.tables.outbox.insert(), [
            {"id": number, "event_id": f"e{number}", "topic": "t", "key": "k", "event_type": "x",
             "payload": f"p{number}", "created_at": datetime.now(UTC), "attempts": 0}
            for number in ids])


async def test_the_relay_stops_at_the_first_unacknowledged_row_and_never_skips_a_late_commit(tmp_path):
    db = await _outbox_with(tmp_path, [1, 2, 3, 4, 5])
    acks = _Acks(budget=2)
    relay = OutboxRelay(db, acks, topic_prefix="", batch_size=10, poll_seconds=1, metrics=ServiceMetrics())
    with pytest.raises(PublishError):
        await relay.publish_pending()
    assert acks.sent == ["p1", "p2"] and await relay.backlog() == 3
    acks.budget = 100
    await relay.publish_pending()
    await _insert(db, [0])  # committed late with a smaller id than every row sent already
    await relay.publish_pending()
    assert acks.sent == ["p1", "p2", "p3", "p4", "p5", "p0"] and await relay.backlog() == 0
    async with db.sessions() as session:
        attempts = await session.scalar(select(db.tables.outbox.c.attempts).where(db.tables.outbox.c.id == 3))
    assert attempts == 1
    await db.dispose()


Record = namedtuple("Record", "topic partition offset timestamp")


def test_merge_by_time_interleaves_partitions_but_keeps_each_in_offset_order():
    first = [Record("a", 0, 0, 10), Record("a", 0, 1, 5), Record("a", 0, 2, 30)]  # clock went back
    second = [Record("a", 1, 0, 7), Record("a", 1, 1, 20)]
    merged = list(merge_by_time([first, second]))
    assert [r.offset for r in merged if r.partition == 0] == [0, 1, 2]
    assert [(r.partition, r.offset) for r in merged] == [(1, 0), (0, 0), (0, 1), (1, 1), (0, 2)]


def test_dlq_topic_names_accept_the_contract_name_or_the_dlq_with_or_without_prefix():
    for name in ("pmo.intake.demand.v1", "pmo.intake.demand.v1.dlq", "x.pmo.intake.demand.v1.dlq"):
        assert dlq_topic_name(name, "x.") == "x.pmo.intake.demand.v1.dlq"


class _Orig(Exception):
    def __init__(self, sqlstate: str | None) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


@pytest.mark.parametrize("error,unavailable", [
    (ConnectionRefusedError(111, "Connect call failed"), True),  # asyncpg, straight from the pool
    (OperationalError("SELECT 1", {}, _Orig(None)), True),
    (DBAPIError("SELECT 1", {}, _Orig("08003"), connection_invalidated=True), True),
    (DBAPIError("SELECT 1", {}, _Orig("57P03")), True),  # the database system is starting up
    (DBAPIError("SELECT 1", {}, _Orig("57P01")), True),  # terminating connection (admin)
    (PoolTimeoutError("QueuePool limit reached"), True),
    (IntegrityError("INSERT", {}, _Orig("23505")), False),
    (DBAPIError("SELECT 1", {}, _Orig("42P01")), False),  # a bug: undefined table
    (FileNotFoundError("no such directory"), False),
    (KeyError("customer_id"), False),
])
def test_database_errors_that_mean_unavailable_are_told_from_bugs(error, unavailable):
    assert database_unavailable(error) is unavailable
