"""The outbox relay: publishes committed events in order and marks them sent after the ack.

Guarantees (docs/reliability.md explains them):
- rows go out in id order and a round stops at the first row Kafka did not acknowledge, so an
  event never overtakes an earlier one of the same aggregate;
- a row is marked sent only after the broker acknowledged it (at least once: a lost ack means
  the row is sent again, and consumers drop the copy through their inbox);
- every round selects the unsent rows afresh (`sent_at IS NULL ORDER BY id`), never "ids above
  the last one sent", so a row that committed late with a smaller id is still published;
- on PostgreSQL one relay per database works at a time (a transaction-scoped advisory lock), so
  several replicas keep the order; a replica that dies mid-round releases the lock with its
  connection and another one takes over.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import func, select, text, update

from shared.bus import KafkaPublisher, OutgoingRecord, PublishError, bounded
from shared.db import Database, is_postgres, utcnow
from shared.metrics import ServiceMetrics

log = logging.getLogger("pmo.outbox")

# One relay at a time per database keeps per-aggregate order even with several replicas.
RELAY_LOCK_ID = 0x504D4F
# After a failed round the relay waits this long at most before trying again; commits do not
# wake it meanwhile, so a down broker is not hammered by every write.
MAX_BACKOFF_SECONDS = 5.0


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
        self._stop = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            self._wake.clear()  # a commit during this round wakes the next one at once
            try:
                _sent, full = await self.publish_pending()
                failures = 0
                if full:
                    continue
                await self._sleep(self._poll_seconds, wake_on_commit=True)
            except Exception as error:  # the relay must outlive any failure and retry
                failures += 1
                self._metrics.relay_errors.inc()
                log.warning("outbox relay round failed failures=%d error=%r", failures, error)
                await self._sleep(min(0.25 * 2 ** failures, MAX_BACKOFF_SECONDS), wake_on_commit=False)

    async def _sleep(self, seconds: float, *, wake_on_commit: bool) -> None:
        waits = [asyncio.ensure_future(self._stop.wait())]
        if wake_on_commit:
            waits.append(asyncio.ensure_future(self._wake.wait()))
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waits:
                waiter.cancel()

    async def publish_pending(self) -> tuple[int, bool]:
        """One round: returns how many rows were sent and whether the batch was full.

        Raises PublishError when Kafka did not acknowledge every row of the round.
        """
        if is_postgres(self._db.engine):
            # The advisory lock makes this the only relay of the database until it commits; the
            # row locks keep anything else that would touch these rows out while they are in
            # flight. The transaction lasts one round, bounded by the Kafka timeout.
            async with self._db.sessions() as session, session.begin():
                locked = await session.scalar(text(f"SELECT pg_try_advisory_xact_lock({RELAY_LOCK_ID})"))
                if not locked:
                    return 0, False
                rows = (await session.execute(self._pending_query().with_for_update())).all()
                acknowledged = await self._send(rows)
                await self._mark(session, rows, acknowledged)
        else:
            # SQLite has one connection: never hold it while Kafka may take seconds to answer.
            # One process per SQLite file, so no other relay can take these rows meanwhile.
            async with self._db.sessions() as session:
                rows = (await session.execute(self._pending_query())).all()
            acknowledged = await self._send(rows)
            async with self._db.sessions() as session, session.begin():
                await self._mark(session, rows, acknowledged)
        if acknowledged < len(rows):
            # The gauge is counted on every scrape; between scrapes it matters only when rows
            # are stuck, so a healthy round (one per commit under load) does not count again.
            await self.refresh_backlog()
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

    async def drain(self, timeout_seconds: float) -> bool:
        """Publishes what is pending before shutdown, giving up after the timeout; True if empty."""
        async def rounds() -> None:
            while (await self.publish_pending())[1]:
                pass

        try:
            await bounded(rounds(), timeout_seconds)
            return True
        except Exception as error:  # Kafka or the database is down: the rows wait for next start
            log.warning("outbox not drained at shutdown error=%r", error)
            return False

    def stop(self) -> None:
        self._stop.set()
