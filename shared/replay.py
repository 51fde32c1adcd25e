"""Replaying topics from the start into a read model: how a consumer's view is rebuilt exactly."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from shared.consumer import EventHandler, apply_once
from shared.db import Database
from shared.events import InvalidEvent, decode_event


@dataclass(frozen=True)
class ReplayReport:
    events: int
    applied: int
    unreadable: int
    seconds: float


async def replay_topics(db: Database, handlers: Mapping[str, EventHandler], topics: list[str], *,
                        bootstrap_servers: str, group_id: str, timeout: float = 30.0) -> ReplayReport:
    """Applies every record up to today's end of each topic, oldest first, then moves the group there.

    Records are applied in timestamp order across topics, as live consumption sees them, and
    each through the inbox, so a replay over a view that already holds some events is harmless.
    Run it while the service's own consumer is stopped.
    """
    started = time.monotonic()
    records, ends = await _read_to_end(topics, bootstrap_servers, timeout)
    records.sort(key=lambda r: (r.timestamp, r.topic, r.partition, r.offset))
    applied = unreadable = 0
    for record in records:
        try:
            event = decode_event(record.value)
        except InvalidEvent:
            unreadable += 1  # live consumption parked it in .dlq already
            continue
        applied += await apply_once(db, handlers, event)
    await _move_group_to(ends, bootstrap_servers, group_id, timeout)
    return ReplayReport(len(records), applied, unreadable, time.monotonic() - started)


async def _read_to_end(topics: list[str], bootstrap: str, timeout: float
                       ) -> tuple[list[ConsumerRecord], dict[TopicPartition, int]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                enable_auto_commit=False, auto_offset_reset="earliest")
    await asyncio.wait_for(consumer.start(), timeout)
    try:
        cluster = await asyncio.wait_for(consumer._client.fetch_all_metadata(), timeout)
        partitions = [TopicPartition(topic, number) for topic in topics
                      for number in sorted(cluster.partitions_for_topic(topic) or ())]
        if not partitions:
            return [], {}
        consumer.assign(partitions)
        ends = await asyncio.wait_for(consumer.end_offsets(partitions), timeout)
        await consumer.seek_to_beginning(*partitions)
        records: list[ConsumerRecord] = []
        pending = {tp for tp, end in ends.items() if end > 0}
        while pending:
            batches = await asyncio.wait_for(consumer.getmany(timeout_ms=1000, max_records=5000), timeout)
            for tp, batch in batches.items():
                records += [record for record in batch if record.offset < ends[tp]]
                if batch and batch[-1].offset >= ends[tp] - 1:
                    pending.discard(tp)
            for tp in list(pending):
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
        return records, ends
    finally:
        await asyncio.wait_for(consumer.stop(), timeout)


async def _move_group_to(ends: dict[TopicPartition, int], bootstrap: str, group_id: str,
                         timeout: float) -> None:
    """Commits the replayed end offsets for the service's group, so it resumes after them."""
    if not ends:
        return
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group_id,
                                enable_auto_commit=False)
    await asyncio.wait_for(consumer.start(), timeout)
    try:
        consumer.assign(list(ends))
        await asyncio.wait_for(consumer.commit(dict(ends)), timeout)
    finally:
        await asyncio.wait_for(consumer.stop(), timeout)
