"""Events are input too: what arrives on a topic is parsed, bounded and routed, never trusted.

The consumer runner's record path, without a broker: a fake publisher stands in for the `.dlq`
producer. The same cases run against the real broker in tests/integration/test_consumer_runner.py.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from services.prioritizer.app import SPEC
from services.prioritizer.consumers import HANDLERS
from services.prioritizer.models import MECHANISMS, CustomerView
from shared.bus import OutgoingRecord
from shared.consumer import ConsumerRunner
from shared.db import Database
from shared.events import encode_event, new_event
from shared.events.envelope import MAX_EVENT_BYTES
from shared.metrics import ServiceMetrics
from shared.migrations import upgrade_to_head

TOPIC = "pmo.intake.customer.v1"


@dataclass
class Record:
    """The parts of an aiokafka ConsumerRecord the runner reads."""

    value: bytes | None
    key: bytes | None = b"k"
    topic: str = TOPIC
    partition: int = 0
    offset: int = 0


class FakePublisher:
    def __init__(self) -> None:
        self.sent: list[OutgoingRecord] = []

    async def send_batch(self, records) -> int:
        self.sent.extend(records)
        return len(records)


@pytest.fixture
async def runner(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}", MECHANISMS)
    await upgrade_to_head(db.engine, SPEC.service_dir)
    publisher = FakePublisher()
    runner = ConsumerRunner(db=db, handlers=HANDLERS, topics=[TOPIC], bootstrap_servers="unused:1",
                            group_id="g-test", topic_prefix="", publisher=publisher,
                            metrics=ServiceMetrics(), max_retries=1, timeout_seconds=5.0)
    runner.db, runner.publisher = db, publisher
    yield runner
    await db.dispose()


def customer() -> dict:
    return {"id": str(uuid.uuid4()), "name": "Alpha", "segment": "other", "strategic_importance": 2,
            "maturity": 2}


def reasons(publisher: FakePublisher) -> list[str]:
    return [dict(record.headers)["pmo-error"].decode() for record in publisher.sent]


async def test_unreadable_records_go_to_the_dlq_with_the_reason(runner):
    bad = [None, b"", b"{not json", b"[]", b'{"specversion": "1.0"}', "é".encode("latin-1"),
           json.dumps({**json.loads(encode_event(new_event("intake", "pmo.customer.registered", "x",
                                                            customer(), 1))), "time": "yesterday"}).encode()]
    for offset, value in enumerate(bad):
        await runner._process([Record(value, offset=offset)])
    assert len(runner.publisher.sent) == len(bad)
    assert all(record.topic == TOPIC + ".dlq" for record in runner.publisher.sent)
    assert all(reason for reason in reasons(runner.publisher))


async def test_an_oversized_record_is_parked_truncated_not_applied(runner):
    data = customer() | {"name": "x" * MAX_EVENT_BYTES}
    value = encode_event(new_event("intake", "pmo.customer.registered", data["id"], data, 1))
    await runner._process([Record(value)])
    [parked] = runner.publisher.sent
    assert "exceeds" in reasons(runner.publisher)[0]
    assert len(parked.value) < len(value) and dict(parked.headers)["pmo-truncated-from"]
    async with runner.db.sessions() as session:
        assert await session.scalar(select(CustomerView).where(CustomerView.id == data["id"])) is None


async def test_a_type_outside_the_contract_is_parked_and_a_known_unconsumed_one_skipped(runner):
    stranger = new_event("intake", "pmo.customer.registered", "x", customer(), 1).model_copy(
        update={"type": "pmo.customer.deleted"})
    await runner._process([Record(encode_event(stranger))])
    assert reasons(runner.publisher) == ["event type 'pmo.customer.deleted' is not in the contract"]
    not_for_us = new_event("catalog", "pmo.function.created", "reporting", {"code": "reporting"}, 1)
    await runner._process([Record(encode_event(not_for_us), topic="pmo.catalog.function.v1")])
    assert len(runner.publisher.sent) == 1  # the contract knows it; this service does not consume it


async def test_a_record_its_handler_cannot_take_is_parked_and_the_next_one_applied(runner):
    broken = new_event("intake", "pmo.customer.registered", "x", {"id": "x"}, 1)  # fields missing
    good = customer()
    await runner._process([Record(encode_event(broken), offset=0)])
    await runner._process([Record(encode_event(new_event("intake", "pmo.customer.registered",
                                                        good["id"], good, 1)), offset=1)])
    assert ["KeyError" in reason for reason in reasons(runner.publisher)] == [True]
    async with runner.db.sessions() as session:
        assert await session.scalar(select(CustomerView.name).where(CustomerView.id == good["id"])) == "Alpha"


async def test_a_poison_record_inside_a_batch_is_parked_and_the_rest_of_the_batch_applied(runner):
    broken = new_event("intake", "pmo.customer.registered", "x", {"id": "x"}, 1)  # fields missing
    good = customer()
    await runner._process([Record(encode_event(broken), offset=0),
                           Record(encode_event(new_event("intake", "pmo.customer.registered",
                                                         good["id"], good, 1)), offset=1)])
    assert ["KeyError" in reason for reason in reasons(runner.publisher)] == [True]
    async with runner.db.sessions() as session:
        assert await session.scalar(select(CustomerView.name).where(CustomerView.id == good["id"])) == "Alpha"
