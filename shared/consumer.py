"""The consumer runner: parse, apply once through the inbox, commit offsets after the database."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError

from shared.bus import KafkaPublisher, OutgoingRecord
from shared.db import Database, UnitOfWork
from shared.errors import ServiceUnavailable
from shared.events import CloudEvent, InvalidEvent, decode_event
from shared.events.registry import dead_letter_topic
from shared.inbox import already_handled, record_handled
from shared.metrics import ServiceMetrics

log = logging.getLogger("pmo.consumer")

EventHandler = Callable[[CloudEvent, UnitOfWork], Awaitable[None]]
TRANSIENT = (ServiceUnavailable, OSError, ConnectionError)


class DeadLetterError(RuntimeError):
    """A record could not even be parked in its dead-letter topic; it will be read again."""


async def apply_once(db: Database, handlers: Mapping[str, EventHandler], event: CloudEvent) -> bool:
    """Applies one event in one transaction with its inbox record; False if seen before or unrouted."""
    handler = handlers.get(event.type)
    if handler is None:
        return False
    async with db.uow() as uow:
        if await already_handled(uow, event.id):
            return False
        await handler(event, uow)
        await record_handled(uow, event)
        await uow.commit()
    return True


class ConsumerRunner:
    """Consumes contract topics in one group; every record is handled, or parked in `.dlq`."""

    def __init__(self, *, db: Database, handlers: Mapping[str, EventHandler], topics: list[str],
                 bootstrap_servers: str, group_id: str, topic_prefix: str, publisher: KafkaPublisher,
                 metrics: ServiceMetrics, max_retries: int, timeout_seconds: float) -> None:
        self._db = db
        self._handlers = handlers
        self._topics = [topic_prefix + topic for topic in topics]
        self._bootstrap = bootstrap_servers
        self._group_id = group_id
        self._publisher = publisher
        self._metrics = metrics
        self._max_retries = max_retries
        self._timeout = timeout_seconds
        self._stopping = asyncio.Event()
        self.on_applied: Callable[[CloudEvent], None] | None = None

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        backoff = 0.5
        while not self._stopping.is_set():
            consumer = self._new_consumer()
            try:
                await asyncio.wait_for(consumer.start(), self._timeout)
                backoff = 0.5
                await self._consume(consumer)
            except Exception as error:  # the runner must outlive the broker and the database
                log.warning("consumer loop restarts group=%s error=%r", self._group_id, error)
                await self._pause(backoff)
                backoff = min(backoff * 2, 15.0)
            finally:
                await self._close(consumer)

    def _new_consumer(self) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            *self._topics, bootstrap_servers=self._bootstrap, group_id=self._group_id,
            enable_auto_commit=False, auto_offset_reset="earliest", metadata_max_age_ms=5000,
            request_timeout_ms=int(max(self._timeout, 5) * 1000) + 30000,
            session_timeout_ms=10000, heartbeat_interval_ms=3000, max_poll_records=500)

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        while not self._stopping.is_set():
            batches = await consumer.getmany(timeout_ms=500, max_records=500)
            for partition, records in batches.items():
                for record in records:
                    await self._process(record)
                try:
                    await asyncio.wait_for(
                        consumer.commit({partition: records[-1].offset + 1}), self._timeout)
                except CommitFailedError:
                    log.info("offset commit lost to a rebalance; records will be redelivered")
                self._report_lag(consumer, partition, records[-1].offset + 1)

    async def _process(self, record: ConsumerRecord) -> None:
        try:
            event = decode_event(record.value)
        except InvalidEvent as error:
            await self._dead_letter(record, str(error))
            return
        attempt = 0
        while True:
            try:
                applied = await apply_once(self._db, self._handlers, event)
                self._metrics.events_consumed.labels(event.type, "applied" if applied else "skipped").inc()
                if applied and self.on_applied:
                    self.on_applied(event)
                return
            except TRANSIENT as error:
                # The database is down: waiting is right, parking the event would lose it.
                log.warning("transient failure event_id=%s type=%s error=%r", event.id, event.type, error)
                if self._stopping.is_set():
                    raise
                await self._pause(1.0)
            except Exception as error:  # a handler bug or bad data: retry, then park it
                attempt += 1
                if attempt > self._max_retries:
                    log.error("event parked event_id=%s type=%s subject=%s topic=%s partition=%s "
                              "offset=%s error=%r", event.id, event.type, event.subject,
                              record.topic, record.partition, record.offset, error)
                    await self._dead_letter(record, f"{type(error).__name__}: {error}")
                    self._metrics.events_consumed.labels(event.type, "dead_lettered").inc()
                    return
                await self._pause(0.05 * 2 ** attempt)

    async def _dead_letter(self, record: ConsumerRecord, reason: str) -> None:
        headers = (("pmo-error", reason[:1000].encode()),
                   ("pmo-source-topic", record.topic.encode()),
                   ("pmo-source-partition", str(record.partition).encode()),
                   ("pmo-source-offset", str(record.offset).encode()))
        key = (record.key or b"").decode(errors="replace")
        parked = OutgoingRecord(dead_letter_topic(record.topic), key, record.value or b"", headers)
        if await self._publisher.send_batch([parked]) != 1:
            raise DeadLetterError(f"could not park record {record.topic}/{record.partition}/{record.offset}")
        self._metrics.dead_letters.labels(record.topic).inc()
        log.warning("record dead-lettered topic=%s partition=%s offset=%s reason=%s",
                    record.topic, record.partition, record.offset, reason)

    def _report_lag(self, consumer: AIOKafkaConsumer, partition: TopicPartition, position: int) -> None:
        highwater = consumer.highwater(partition)
        if highwater is not None:
            self._metrics.consumer_lag.labels(partition.topic, str(partition.partition)).set(
                max(highwater - position, 0))

    async def _pause(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except asyncio.TimeoutError:
            pass

    async def _close(self, consumer: AIOKafkaConsumer) -> None:
        try:
            await asyncio.wait_for(consumer.stop(), self._timeout)
        except (KafkaError, OSError, asyncio.TimeoutError):
            log.warning("consumer did not stop cleanly group=%s", self._group_id)
