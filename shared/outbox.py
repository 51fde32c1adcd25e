"""The outbox relay: publishes committed events in order and marks them sent after the ack."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import func, select, text, update

from shared.bus import KafkaPublisher, OutgoingRecord, PublishError
from shared.db import Database, is_postgres, utcnow
from shared.metrics import ServiceMetrics

log = logging.getLogger("pmo.outbox")

# One relay at a time per database keeps per-aggregate order even with several replicas.
RELAY_LOCK_ID = 0x504D4F


class OutboxRelay:
    """Polls as the guarantee and wakes on every commit for freshness."""

    def __init__(self, db: Database, publisher: KafkaPublisher, *, topic_prefix: str,
                 batch_size: int, poll_seconds: float, metrics: ServiceMetrics) -> None:
        self._db = db
        self._publisher = publisher
        self._prefix = topic_prefix
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._metrics = metrics
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        backoff = self._poll_seconds
        while not self._stopping:
            try:
                sent, full = await self.publish_pending()
                backoff = self._poll_seconds
                if full:
                    continue
            except Exception as error:  # the relay must outlive any failure and retry
                self._metrics.relay_errors.inc()
                log.warning("outbox relay round failed error=%r", error)
                backoff = min(backoff * 2, 30.0)
            await self._sleep(backoff)

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), seconds)
        except asyncio.TimeoutError:
            pass
        self._wake.clear()

    async def publish_pending(self) -> tuple[int, bool]:
        """One round: returns how many rows were sent and whether the batch was full."""
        if is_postgres(self._db.engine):
            # Rows stay locked while they are in flight, so a second replica cannot send them too.
            async with self._db.sessions() as session, session.begin():
                locked = await session.scalar(text(f"SELECT pg_try_advisory_xact_lock({RELAY_LOCK_ID})"))
                if not locked:
                    return 0, False
                rows = (await session.execute(self._pending_query().with_for_update())).all()
                acknowledged = await self._send(rows)
                await self._mark(session, rows, acknowledged)
        else:
            # SQLite has one connection: never hold it while Kafka may take seconds to answer.
            async with self._db.sessions() as session:
                rows = (await session.execute(self._pending_query())).all()
            acknowledged = await self._send(rows)
            async with self._db.sessions() as session, session.begin():
                await self._mark(session, rows, acknowledged)
        await self.refresh_backlog()
        if acknowledged < len(rows):
            raise PublishError(f"{len(rows) - acknowledged} outbox rows wait for Kafka")
        return acknowledged, len(rows) == self._batch_size

    def _pending_query(self):
        outbox = self._db.tables.outbox
        return (select(outbox.c.id, outbox.c.topic, outbox.c.key, outbox.c.event_type,
                       outbox.c.payload)
                .where(outbox.c.sent_at.is_(None)).order_by(outbox.c.id).limit(self._batch_size))

    async def _send(self, rows) -> int:
        if not rows:
            return 0
        records = [OutgoingRecord(self._prefix + row.topic, row.key, row.payload.encode())
                   for row in rows]
        try:
            return await self._publisher.send_batch(records)
        except PublishError as error:
            log.warning("outbox relay cannot publish error=%s", error)
            return 0

    async def _mark(self, session, rows, acknowledged: int) -> None:
        """Marks the acknowledged prefix sent and counts an attempt on the first row left."""
        outbox = self._db.tables.outbox
        sent_ids = [row.id for row in rows[:acknowledged]]
        if sent_ids:
            await session.execute(update(outbox).where(outbox.c.id.in_(sent_ids))
                                  .values(sent_at=utcnow()))
        for row in rows[:acknowledged]:
            self._metrics.events_published.labels(row.event_type).inc()
        if acknowledged < len(rows):
            self._metrics.relay_errors.inc()
            await session.execute(update(outbox).where(outbox.c.id == rows[acknowledged].id)
                                  .values(attempts=outbox.c.attempts + 1,
                                          last_error="not acknowledged by Kafka"))

    async def backlog(self) -> int:
        outbox = self._db.tables.outbox
        async with self._db.sessions() as session:
            count = await session.scalar(select(func.count()).select_from(outbox)
                                         .where(outbox.c.sent_at.is_(None)))
        return int(count or 0)

    async def refresh_backlog(self) -> None:
        self._metrics.outbox_backlog.set(await self.backlog())

    async def drain(self, timeout_seconds: float) -> None:
        """Publishes what is pending before shutdown, giving up after the timeout."""
        try:
            async with asyncio.timeout(timeout_seconds):
                while True:
                    sent, full = await self.publish_pending()
                    if not full:
                        return
        except (TimeoutError, PublishError, OSError) as error:
            log.warning("outbox not drained at shutdown error=%r", error)

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
