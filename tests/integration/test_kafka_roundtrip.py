"""Proves aiokafka 0.14 works against the project's Kafka broker.

Idempotent produce, manual offset commits, redelivery of exactly the uncommitted records to the
next consumer of the group, and per-key ordering. The broker must already run (the test runner
starts it with `pmo kafka start`); an unreachable broker is a failure, never a skip.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable
from typing import TypeVar

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from shared.bus import ensure_topics
from shared.testing.scratch_topics import delete_topics, scratch_prefix

pytestmark = pytest.mark.kafka

BOOTSTRAP = (os.environ.get("PMO_KAFKA_BOOTSTRAP_SERVERS") or "127.0.0.1:9092").split(",")[0]
PARTITIONS = 3
KEYS = [f"customer-{number}" for number in range(6)]
RECORDS_PER_KEY = 20
STEP_TIMEOUT_SECONDS = 30.0
CONSUME_DEADLINE_SECONDS = 60.0

T = TypeVar("T")

# (partition, offset, key, value): what identifies a delivered record for comparisons.
Delivered = tuple[int, int, str, str]


async def within(awaitable: Awaitable[T], seconds: float = STEP_TIMEOUT_SECONDS) -> T:
    """Await with a deadline, so a broker problem fails the test instead of hanging it."""
    return await asyncio.wait_for(awaitable, seconds)


@pytest.fixture
async def topic() -> AsyncIterator[str]:
    """A fresh topic with three partitions, deleted afterwards."""
    prefix = scratch_prefix("roundtrip")
    name = prefix + "records"
    try:
        await ensure_topics(BOOTSTRAP, [name], partitions=PARTITIONS,
                            timeout_seconds=STEP_TIMEOUT_SECONDS)
    except (KafkaError, OSError, asyncio.TimeoutError) as error:
        pytest.fail(
            f"Kafka is not reachable at {BOOTSTRAP} ({error!r}); start it first with "
            "`pmo kafka start` or `python -m pmo.kafka_local start`"
        )
    yield name
    assert await delete_topics(BOOTSTRAP, [prefix], STEP_TIMEOUT_SECONDS) == 1


async def _produce_all(topic: str) -> list[Delivered]:
    # Keys interleaved, the way independent customers' events arrive; acks="all" via idempotence.
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, enable_idempotence=True)
    await within(producer.start())
    try:
        pending = []
        for sequence in range(RECORDS_PER_KEY):
            for key in KEYS:
                value = f"{key}:{sequence}"
                sending = producer.send(topic, key=key.encode(), value=value.encode())
                pending.append((key, value, await within(sending)))
        acknowledged = await within(asyncio.gather(*(future for _, _, future in pending)))
    finally:
        # aiokafka #1101: stop() of an idempotent producer can hang when the broker is gone.
        await within(producer.stop())
    return [
        (metadata.partition, metadata.offset, key, value)
        for (key, value, _), metadata in zip(pending, acknowledged, strict=True)
    ]


def _new_consumer(topic: str, group_id: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        topic,
        bootstrap_servers=BOOTSTRAP,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )


async def _caught_up(consumer: AIOKafkaConsumer, end_offsets: dict[TopicPartition, int]) -> bool:
    # Until the group join finished, there is no assignment and so no position to compare.
    if set(consumer.assignment()) != set(end_offsets):
        return False
    for partition, end_offset in end_offsets.items():
        if await within(consumer.position(partition)) < end_offset:
            return False
    return True


async def _consume_to_end(
    consumer: AIOKafkaConsumer, end_offsets: dict[TopicPartition, int]
) -> list[Delivered]:
    deadline = time.monotonic() + CONSUME_DEADLINE_SECONDS
    delivered: list[Delivered] = []
    while not await _caught_up(consumer, end_offsets):
        assert time.monotonic() < deadline, (
            f"consumer did not reach the end offsets {end_offsets} within "
            f"{CONSUME_DEADLINE_SECONDS}s; got {len(delivered)} records"
        )
        batches = await within(consumer.getmany(timeout_ms=500))
        for records in batches.values():
            delivered.extend(
                (record.partition, record.offset, record.key.decode(), record.value.decode())
                for record in records
            )
    return delivered


def _by_partition(records: list[Delivered]) -> dict[int, list[Delivered]]:
    partitions: dict[int, list[Delivered]] = defaultdict(list)
    for record in sorted(records):
        partitions[record[0]].append(record)
    return partitions


def _end_offsets(topic: str, produced: list[Delivered]) -> dict[TopicPartition, int]:
    ends = {TopicPartition(topic, partition): 0 for partition in range(PARTITIONS)}
    for partition, offset, _, _ in produced:
        tp = TopicPartition(topic, partition)
        ends[tp] = max(ends[tp], offset + 1)
    return ends


def _assert_each_key_in_order(delivered: list[Delivered]) -> None:
    sequences: dict[str, list[int]] = defaultdict(list)
    for _, _, key, value in delivered:
        sequences[key].append(int(value.rsplit(":", 1)[1]))
    assert sequences == {key: list(range(RECORDS_PER_KEY)) for key in KEYS}


async def test_idempotent_produce_then_commit_half_and_redeliver_the_rest(topic: str) -> None:
    produced = await _produce_all(topic)
    # Idempotence means no duplicates from retries: every partition's offsets are contiguous.
    for partition, records in _by_partition(produced).items():
        assert [offset for _, offset, _, _ in records] == list(range(len(records))), partition
    end_offsets = _end_offsets(topic, produced)
    group_id = f"pmo-roundtrip-group-{uuid.uuid4().hex[:12]}"

    first_consumer = _new_consumer(topic, group_id)
    await within(first_consumer.start())
    try:
        first_delivery = await _consume_to_end(first_consumer, end_offsets)
        assert sorted(first_delivery) == sorted(produced)
        _assert_each_key_in_order(first_delivery)

        # Commit only the first half of every partition: the next offset to read, i.e. offset + 1.
        committed = {
            TopicPartition(topic, partition): records[len(records) // 2 - 1][1] + 1
            for partition, records in _by_partition(first_delivery).items()
            if len(records) >= 2
        }
        assert committed, "all records landed in partitions too small to split"
        await within(first_consumer.commit(committed))
        for partition, offset in committed.items():
            assert await within(first_consumer.committed(partition)) == offset
    finally:
        await within(first_consumer.stop())

    expected_redelivery = [
        record
        for partition, records in _by_partition(produced).items()
        for record in records
        if record[1] >= committed.get(TopicPartition(topic, partition), 0)
    ]
    second_consumer = _new_consumer(topic, group_id)
    await within(second_consumer.start())
    try:
        redelivered = await _consume_to_end(second_consumer, end_offsets)
    finally:
        await within(second_consumer.stop())
    assert len(redelivered) == len(set(redelivered)), "a record was delivered twice"
    assert sorted(redelivered) == sorted(expected_redelivery)
