"""Replaying topics from the start into a read model: how a consumer's view is rebuilt exactly."""

from __future__ import annotations

import asyncio
import heapq
import time
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import (
    CommitFailedError,
    IllegalGenerationError,
    RebalanceInProgressError,
    UnknownMemberIdError,
)

from shared.bus import bounded
from shared.consumer import EventHandler, apply_batch
from shared.db import Database
from shared.events import CloudEvent, InvalidEvent, decode_event


REPLAY_BATCH = 10_000


@dataclass(frozen=True)
class ReplayReport:
    events: int
    applied: int
    unreadable: int
    seconds: float
    superseded: int = 0  # records of a `latest_only` topic skipped for a later one of their key


async def replay_topics(db: Database, handlers: Mapping[str, EventHandler], topics: list[str], *,
                        bootstrap_servers: str, group_id: str, timeout: float = 30.0,
                        batch_size: int = REPLAY_BATCH,
                        latest_only: Collection[str] = ()) -> ReplayReport:
    """Applies every record up to today's end of each topic, oldest first, then moves the group there.

    Records are applied in timestamp order across partitions, as live consumption sees them, but
    each partition strictly in offset order (one aggregate's events never swap), and each
    through the inbox, so a replay over a view that already holds some events is harmless.
    Events are applied `batch_size` to a transaction: what handlers defer to the commit (a
    rescore) then runs once per batch rather than once per event. On the `latest_only` topics,
    whose records carry the full state of their key's aggregate and whose handlers keep only
    the newest, just each key's last record is applied (the record key is the aggregate id and
    one key stays in one partition, so the last offset is the newest version).
    Run it while the service's own consumer is stopped.
    """
    started = time.monotonic()
    by_partition, ends = await read_to_end(topics, bootstrap_servers, timeout)
    last_offset = {(tp, record.key): record.offset for tp, records in by_partition.items()
                   if tp.topic in latest_only for record in records}
    applied = unreadable = events = superseded = 0
    batch: list[CloudEvent] = []
    for record in merge_by_time(by_partition.values()):
        events += 1
        tp = TopicPartition(record.topic, record.partition)
        if last_offset.get((tp, record.key), record.offset) != record.offset:
            superseded += 1
            continue
        try:
            batch.append(decode_event(record.value))
        except InvalidEvent:
            unreadable += 1  # live consumption parked it in .dlq already
        if len(batch) >= batch_size:
            applied += len(await apply_batch(db, handlers, batch))
            batch = []
    applied += len(await apply_batch(db, handlers, batch))
    await _move_group_to(ends, bootstrap_servers, group_id, timeout)
    return ReplayReport(events, applied, unreadable, time.monotonic() - started, superseded)


def merge_by_time(partitions: Iterable[list[ConsumerRecord]]) -> Iterator[ConsumerRecord]:
    """Interleaves partitions by timestamp while keeping each partition in offset order."""
    heap = [((batch[0].timestamp, batch[0].topic, batch[0].partition), index, 0, batch)
            for index, batch in enumerate(partitions) if batch]
    heapq.heapify(heap)
    while heap:
        _, index, position, batch = heapq.heappop(heap)
        yield batch[position]
        if position + 1 < len(batch):
            head = batch[position + 1]
            heapq.heappush(heap, ((head.timestamp, head.topic, head.partition), index, position + 1,
                                  batch))


async def read_to_end(topics: list[str], bootstrap: str, timeout: float
                      ) -> tuple[dict[TopicPartition, list[ConsumerRecord]], dict[TopicPartition, int]]:
    """Every record of the topics up to their end offsets at the start of the call.

    Fails with TimeoutError when no record arrives for `timeout` seconds before the end.
    """
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                enable_auto_commit=False, auto_offset_reset="earliest",
                                request_timeout_ms=int(timeout * 1000) + 5000)
    await bounded(consumer.start(), timeout)
    try:
        cluster = await bounded(consumer._client.fetch_all_metadata(), timeout)
        partitions = [TopicPartition(topic, number) for topic in topics
                      for number in sorted(cluster.partitions_for_topic(topic) or ())]
        if not partitions:
            return {}, {}
        consumer.assign(partitions)
        ends = await bounded(consumer.end_offsets(partitions), timeout)
        await bounded(consumer.seek_to_beginning(*partitions), timeout)
        records: dict[TopicPartition, list[ConsumerRecord]] = {tp: [] for tp in partitions}
        pending = {tp for tp, end in ends.items() if end > 0}
        progress_deadline = time.monotonic() + timeout
        while pending:
            if time.monotonic() > progress_deadline:
                raise TimeoutError(f"no record for {timeout:.0f}s while reading {len(pending)} "
                                   "partitions to their end")
            batches = await bounded(consumer.getmany(timeout_ms=500, max_records=5000), timeout)
            for tp, batch in batches.items():
                records[tp] += [record for record in batch if record.offset < ends[tp]]
                progress_deadline = time.monotonic() + timeout
            for tp in list(pending):
                if await bounded(consumer.position(tp), timeout) >= ends[tp]:
                    pending.discard(tp)
        return records, ends
    finally:
        await _stop(consumer, timeout)


async def _move_group_to(ends: dict[TopicPartition, int], bootstrap: str, group_id: str,
                         timeout: float) -> None:
    """Commits the replayed end offsets for the service's group, so it resumes after them.

    Kafka takes such a commit only while the group has no members: a consumer killed a moment
    ago stays a member until its session times out, so the commit is retried until `timeout`.
    """
    if not ends:
        return
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group_id,
                                enable_auto_commit=False)
    await bounded(consumer.start(), timeout)
    try:
        consumer.assign(list(ends))
        deadline = time.monotonic() + timeout
        while True:
            try:
                await bounded(consumer.commit(dict(ends)), timeout)
                return
            except (CommitFailedError, IllegalGenerationError, UnknownMemberIdError,
                    RebalanceInProgressError) as error:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"group {group_id} still has members; stop the service's "
                                       "consumers before a replay") from error
                await asyncio.sleep(1.0)
    finally:
        await _stop(consumer, timeout)


async def _stop(consumer: AIOKafkaConsumer, timeout: float) -> None:
    try:
        await bounded(consumer.stop(), timeout)
    except asyncio.TimeoutError:
        pass  # the records are read; a consumer that does not close in time is only dropped
