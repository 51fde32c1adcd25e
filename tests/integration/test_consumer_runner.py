"""The consumer runner on the real broker: poison records go to .dlq and consumption goes on."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import select

from services.prioritizer.app import SPEC
from services.prioritizer.consumers import HANDLERS
from services.prioritizer.models import MECHANISMS, CustomerView
from shared.bus import KafkaPublisher, OutgoingRecord, ensure_topics
from shared.consumer import ConsumerRunner
from shared.db import Database
from shared.events import encode_event, new_event
from shared.metrics import ServiceMetrics
from shared.migrations import upgrade_to_head
from shared.testing.polling import eventually
from shared.testing.scratch_topics import scratch_prefix

pytestmark = pytest.mark.kafka
TOPIC = "pmo.intake.customer.v1"


@contextlib.asynccontextmanager
async def _consumer_on_its_topic(tmp_path, bootstrap: str):
    """A prioritizer database, a publisher and, while inside, a runner consuming TOPIC under a
    fresh prefix; yields (prefix, publisher, name_of) where name_of reads a customer's name."""
    prefix = scratch_prefix("cr")
    await ensure_topics(bootstrap, [prefix + TOPIC, prefix + TOPIC + ".dlq"], partitions=1)
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}", MECHANISMS)
    await upgrade_to_head(db.engine, SPEC.service_dir)
    publisher = KafkaPublisher(bootstrap, 10.0, "consumer-test")
    runner = ConsumerRunner(db=db, handlers=HANDLERS, topics=[TOPIC], bootstrap_servers=bootstrap,
                            group_id=f"g-{prefix}", topic_prefix=prefix, publisher=publisher,
                            metrics=ServiceMetrics(), max_retries=1, timeout_seconds=10.0)

    async def name_of(customer_id: str):
        async with db.sessions() as session:
            return await session.scalar(select(CustomerView.name).where(CustomerView.id == customer_id))

    task = asyncio.create_task(runner.run())
    try:
        yield prefix, publisher, name_of
    finally:
        runner.stop()
        await asyncio.wait_for(task, 30)
        await publisher.stop()
        await db.dispose()


async def test_poison_goes_to_dlq_and_the_next_event_is_applied(tmp_path, kafka_bootstrap):
    customer = {"id": str(uuid.uuid4()), "name": "After the poison", "segment": "other",
                "strategic_importance": 2, "maturity": 2}
    good = new_event("intake", "pmo.customer.registered", customer["id"], customer, 1)
    unknown_field_missing = new_event("intake", "pmo.customer.registered", "x", {"id": "x"}, 1)
    prefix, parked = await _two_parked_then_applied(tmp_path, kafka_bootstrap, customer, [
        ("k1", b"{not json"), ("k2", encode_event(unknown_field_missing)),
        (customer["id"], encode_event(good))])
    reasons = [dict(record.headers)["pmo-error"].decode() for record in parked]
    assert "not a CloudEvent" in reasons[0]
    assert "KeyError" in reasons[1]
    assert dict(parked[0].headers)["pmo-source-topic"] == (prefix + TOPIC).encode()


async def test_oversized_and_unknown_type_records_are_parked_and_consumption_goes_on(
        tmp_path, kafka_bootstrap, monkeypatch):
    import shared.events.envelope as envelope

    monkeypatch.setattr(envelope, "MAX_EVENT_BYTES", 4096)  # the broker's own limit is higher
    customer = {"id": str(uuid.uuid4()), "name": "After the strangers", "segment": "other",
                "strategic_importance": 2, "maturity": 2}
    oversized = new_event("intake", "pmo.customer.registered", customer["id"],
                          customer | {"name": "x" * 8000}, 1)
    unknown = new_event("intake", "pmo.customer.registered", customer["id"], customer, 1).model_copy(
        update={"type": "pmo.customer.erased"})
    good = new_event("intake", "pmo.customer.registered", customer["id"], customer, 2)
    _, parked = await _two_parked_then_applied(tmp_path, kafka_bootstrap, customer, [
        (customer["id"], encode_event(oversized)), (customer["id"], encode_event(unknown)),
        (customer["id"], encode_event(good))])
    reasons = [dict(record.headers)["pmo-error"].decode() for record in parked]
    assert "exceeds 4096" in reasons[0]
    assert "'pmo.customer.erased' is not in the contract" in reasons[1]


async def _two_parked_then_applied(tmp_path, bootstrap: str, customer: dict,
                                   records: list[tuple[str, bytes]]):
    """Sends (key, value) records of which the last registers `customer`; once it is applied,
    the topic prefix and the two records parked in the dead-letter topic."""
    async with _consumer_on_its_topic(tmp_path, bootstrap) as (prefix, publisher, name_of):
        sent = await publisher.send_batch([OutgoingRecord(prefix + TOPIC, key, value)
                                           for key, value in records])
        assert sent == len(records)
        assert await eventually(lambda: name_of(customer["id"]), timeout=30,
                                what="the good event applied") == customer["name"]
        return prefix, await _read_all(bootstrap, prefix + TOPIC + ".dlq", expected=2)


async def _read_all(bootstrap: str, topic: str, expected: int):
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await asyncio.wait_for(consumer.start(), 15)
    try:
        consumer.assign([TopicPartition(topic, 0)])
        await consumer.seek_to_beginning()
        records = []

        async def collected():
            batches = await consumer.getmany(timeout_ms=500)
            for batch in batches.values():
                records.extend(batch)
            return len(records) >= expected

        await eventually(collected, timeout=30, what=f"{expected} records on {topic}")
        return records
    finally:
        await asyncio.wait_for(consumer.stop(), 15)
