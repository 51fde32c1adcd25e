"""The consumer runner: parse, apply once through the inbox, commit offsets after the database.

Guarantees (docs/reliability.md): an offset is committed only after the database committed
every record before it, so a crash redelivers and the inbox drops what was applied already; a
database outage is waited out, never parked; a record that cannot be parsed, or whose handler
keeps failing, goes to `<topic>.dlq` with the reason in headers, and consumption goes on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError

from shared.bus import KafkaPublisher, OutgoingRecord, bounded
from shared.db import Database, UnitOfWork, database_unavailable
from shared.errors import ServiceUnavailable
from shared.events import CloudEvent, InvalidEvent, decode_event
from shared.events.registry import TOPIC_OF_TYPE, dead_letter_topic
from shared.inbox import handled_among, record_handled
from shared.metrics import ServiceMetrics
from shared.observability import consuming

log = logging.getLogger("pmo.consumer")

EventHandler = Callable[[CloudEvent, UnitOfWork], Awaitable[None]]
BatchPreparation = Callable[[Sequence[CloudEvent], UnitOfWork], Awaitable[None]]


class Handlers(dict[str, EventHandler]):
    """Event type → handler, and what to load once for a whole batch before its handlers run
    (the rows its events name, in one query rather than one per event)."""

    def __init__(self, handlers: Mapping[str, EventHandler],
                 prepare: BatchPreparation | None = None) -> None:
        super().__init__(handlers)
        self.prepare = prepare
MAX_RESTART_BACKOFF_SECONDS = 5.0
# Headers of a parked record: why, where it came from, and which consumer group parked it.
DLQ_ERROR_HEADER = "pmo-error"
DLQ_SOURCE_TOPIC_HEADER = "pmo-source-topic"
DLQ_GROUP_HEADER = "pmo-consumer-group"
MAX_PARKED_BYTES = 512 * 1024
MAX_POLL_RECORDS = 500


class DeadLetterError(RuntimeError):
    """A record could not even be parked in its dead-letter topic; it will be read again."""


def is_transient(error: BaseException) -> bool:
    """The database (not the event) is the problem: wait and retry, never park the event."""
    return isinstance(error, ServiceUnavailable) or database_unavailable(error)


async def apply_once(db: Database, handlers: Mapping[str, EventHandler], event: CloudEvent) -> bool:
    """Applies one event in one transaction with its inbox record; False if seen before or unrouted."""
    return bool(await apply_batch(db, handlers, [event]))


async def apply_batch(db: Database, handlers: Mapping[str, EventHandler],
                      events: Sequence[CloudEvent]) -> list[CloudEvent]:
    """Applies events in order in one transaction with their inbox records; returns those applied.

    One transaction per batch is what keeps a consumer ahead of a burst: the commit, the inbox
    lookups and whatever handlers defer to `uow.before_commit` (a rescore, a recomputation)
    are paid once per batch instead of once per event. A failing event fails the whole batch;
    the caller then applies the batch one event at a time to find it.
    """
    routed = [event for event in events if event.type in handlers]
    if not routed:
        return []
    applied: list[CloudEvent] = []
    async with db.uow() as uow:
        seen = await handled_among(uow, [event.id for event in routed])
        prepare = getattr(handlers, "prepare", None)
        if prepare is not None:
            await prepare([event for event in routed if event.id not in seen], uow)
        for event in routed:
            if event.id in seen:
                continue
            seen.add(event.id)  # at-least-once delivery may repeat an event inside one batch
            # A span child of the producer's traceparent: one trace from the request to this change.
            with consuming(event):
                await handlers[event.type](event, uow)
            applied.append(event)
        if applied:
            await record_handled(uow, applied)
            await uow.commit()
    return applied


class ConsumerRunner:
    """Consumes contract topics in one group; every record is handled, or parked in `.dlq`."""

    def __init__(self, *, db: Database, handlers: Mapping[str, EventHandler], topics: list[str],
                 bootstrap_servers: str, group_id: str, topic_prefix: str, publisher: KafkaPublisher,
                 metrics: ServiceMetrics, max_retries: int, timeout_seconds: float,
                 batch_size: int = 500) -> None:
        self._db = db
        self._handlers = handlers
        self._topics = [topic_prefix + topic for topic in topics]
        self._bootstrap = bootstrap_servers
        self._group_id = group_id
        self._publisher = publisher
        self._metrics = metrics
        self._max_retries = max_retries
        # Records applied in one transaction: a burst is absorbed in a few commits. Offsets are
        # committed once a whole poll is applied, so a crash redelivers at most one poll.
        self._batch_size = batch_size
        self._timeout = timeout_seconds
        self._stopping = asyncio.Event()
        self._positions: dict[TopicPartition, int] = {}
        self.on_applied: Callable[[CloudEvent], None] | None = None

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        backoff = 0.5
        while not self._stopping.is_set():
            consumer = self._new_consumer()
            try:
                await bounded(consumer.start(), self._timeout)
                backoff = 0.5
                self._positions.clear()
                await self._consume(consumer)
            except Exception as error:  # the runner must outlive the broker and the database
                log.warning("consumer loop restarts group=%s error=%r", self._group_id, error)
                await self._pause(backoff)
                backoff = min(backoff * 2, MAX_RESTART_BACKOFF_SECONDS)
            finally:
                await self._close(consumer)

    def _new_consumer(self) -> AIOKafkaConsumer:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap, group_id=self._group_id,
            enable_auto_commit=False, auto_offset_reset="earliest", metadata_max_age_ms=5000,
            request_timeout_ms=int(max(self._timeout, 5) * 1000) + 30000,
            session_timeout_ms=10000, heartbeat_interval_ms=3000,
            max_poll_records=MAX_POLL_RECORDS)
        consumer.subscribe(self._topics, listener=_LogRebalance(self._group_id))
        return consumer

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        while not self._stopping.is_set():
            batches = await bounded(consumer.getmany(timeout_ms=500, max_records=MAX_POLL_RECORDS),
                                    self._timeout)
            if batches:
                polled = [record for records in batches.values() for record in records]
                for start in range(0, len(polled), self._batch_size):
                    await self._process(polled[start:start + self._batch_size])
                for partition, records in batches.items():
                    await self._commit(consumer, partition, records[-1].offset + 1)
            self._report_lag(consumer)

    async def _commit(self, consumer: AIOKafkaConsumer, partition: TopicPartition, offset: int) -> None:
        """Commits after the database did; a commit lost to a rebalance only means redelivery."""
        try:
            await bounded(consumer.commit({partition: offset}), self._timeout)
        except CommitFailedError:
            log.info("offset commit lost to a rebalance; records will be redelivered "
                     "topic=%s partition=%s offset=%s", partition.topic, partition.partition, offset)
        self._positions[partition] = offset

    async def _process(self, records: list[ConsumerRecord]) -> None:
        """Applies what one poll returned in one transaction; if that fails for a reason other
        than the database, one event at a time, so only the faulty one is retried and parked."""
        readable = [(record, event) for record in records
                    if (event := await self._readable(record)) is not None]
        if not readable:
            return
        events = [event for _, event in readable]
        while True:
            try:
                applied = await apply_batch(self._db, self._handlers, events)
                break
            except Exception as error:
                if not is_transient(error):
                    log.warning("batch of %d events failed, applying them one at a time error=%r",
                                len(events), error)
                    for record, event in readable:
                        await self._process_one(record, event)
                    return
                await self._wait_for_database(events[0], error)
        self._count(events, {event.id for event in applied})

    async def _readable(self, record: ConsumerRecord) -> CloudEvent | None:
        """The record's event, or None once a record that is not a contract event is parked."""
        try:
            event = decode_event(record.value)
        except InvalidEvent as error:
            await self._dead_letter(record, str(error))
            self._metrics.events_consumed.labels("unreadable", "dead_lettered").inc()
            return None
        if event.type not in TOPIC_OF_TYPE:  # a contract type this service ignores is skipped later
            await self._dead_letter(record, f"event type {event.type!r} is not in the contract")
            self._metrics.events_consumed.labels("unknown", "dead_lettered").inc()
            return None
        return event

    async def _process_one(self, record: ConsumerRecord, event: CloudEvent) -> None:
        attempt = 0
        while True:
            try:
                applied = await apply_once(self._db, self._handlers, event)
                self._count([event], {event.id} if applied else set())
                return
            except Exception as error:
                if is_transient(error):
                    await self._wait_for_database(event, error)
                    continue
                attempt += 1  # a handler bug or bad data: retry, then park it
                if attempt > self._max_retries:
                    log.error("event parked event_id=%s type=%s subject=%s topic=%s partition=%s "
                              "offset=%s error=%r", event.id, event.type, event.subject,
                              record.topic, record.partition, record.offset, error)
                    await self._dead_letter(record, f"{type(error).__name__}: {error}")
                    self._metrics.events_consumed.labels(self._label(event), "dead_lettered").inc()
                    return
                await self._pause(0.05 * 2 ** attempt)

    async def _wait_for_database(self, event: CloudEvent, error: BaseException) -> None:
        """The database is down: waiting is right, parking the event would lose it."""
        log.warning("transient failure event_id=%s type=%s error=%r", event.id, event.type, error)
        if self._stopping.is_set():
            raise error
        await self._pause(1.0)

    def _count(self, events: list[CloudEvent], applied_ids: set[str]) -> None:
        for event in events:
            applied = event.id in applied_ids
            self._metrics.events_consumed.labels(
                self._label(event), "applied" if applied else "skipped").inc()
            if applied and self.on_applied:
                self.on_applied(event)

    def _label(self, event: CloudEvent) -> str:
        return event.type if event.type in self._handlers else "unrouted"

    async def _dead_letter(self, record: ConsumerRecord, reason: str) -> None:
        headers = ((DLQ_ERROR_HEADER, reason[:1000].encode()),
                   (DLQ_SOURCE_TOPIC_HEADER, record.topic.encode()),
                   ("pmo-source-partition", str(record.partition).encode()),
                   ("pmo-source-offset", str(record.offset).encode()),
                   (DLQ_GROUP_HEADER, self._group_id.encode()),
                   ("pmo-parked-at", str(int(time.time() * 1000)).encode()))
        key = (record.key or b"").decode(errors="replace")
        value = record.value or b""
        if len(value) > MAX_PARKED_BYTES:  # an oversized record must still fit the broker's limit
            headers += (("pmo-truncated-from", str(len(value)).encode()),)
            value = value[:MAX_PARKED_BYTES]
        parked = OutgoingRecord(dead_letter_topic(record.topic), key, value, headers)
        if await self._publisher.send_batch([parked]) != 1:
            raise DeadLetterError(f"could not park record {record.topic}/{record.partition}/{record.offset}")
        self._metrics.dead_letters.labels(record.topic).inc()
        log.warning("record dead-lettered topic=%s partition=%s offset=%s reason=%s",
                    record.topic, record.partition, record.offset, reason)

    def _report_lag(self, consumer: AIOKafkaConsumer) -> None:
        """Records behind the end of every assigned partition whose end and position are known."""
        for partition in consumer.assignment():
            highwater = consumer.highwater(partition)
            position = self._positions.get(partition)
            if highwater is not None and position is not None:
                self._metrics.consumer_lag.labels(partition.topic, str(partition.partition)).set(
                    max(highwater - position, 0))

    async def _pause(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except asyncio.TimeoutError:
            pass

    async def _close(self, consumer: AIOKafkaConsumer) -> None:
        try:
            await bounded(consumer.stop(), min(self._timeout, 5.0))
        except Exception as error:  # a consumer that cannot close is dropped; a new one follows
            log.warning("consumer did not stop cleanly group=%s error=%r", self._group_id, error)


class _LogRebalance(ConsumerRebalanceListener):
    """Logs assignments: the first thing to look at when a consumer seems idle."""

    def __init__(self, group_id: str) -> None:
        self._group_id = group_id

    async def on_partitions_revoked(self, revoked) -> None:
        log.info("partitions revoked group=%s partitions=%s", self._group_id, _names(revoked))

    async def on_partitions_assigned(self, assigned) -> None:
        log.info("partitions assigned group=%s partitions=%s", self._group_id, _names(assigned))


def _names(partitions) -> str:
    return ",".join(sorted(f"{tp.topic}:{tp.partition}" for tp in partitions)) or "-"
