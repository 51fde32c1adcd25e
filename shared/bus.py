"""The Kafka publisher: idempotent, acks=all, and every call bounded by a timeout."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError, for_code

from shared.events.envelope import CONTENT_TYPE

log = logging.getLogger("pmo.bus")
T = TypeVar("T")


@dataclass(frozen=True)
class OutgoingRecord:
    topic: str
    key: str
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()


class PublishError(RuntimeError):
    """The broker did not acknowledge in time; the caller keeps the record and retries later."""


async def bounded(awaitable: Awaitable[T], seconds: float) -> T:
    """`asyncio.wait_for` that never waits on the work it gave up on.

    On timeout the work is cancelled and left to end on its own, and TimeoutError is raised at
    once. `wait_for` instead waits until the cancelled work has finished, and aiokafka swallows
    CancelledError in places (its group coordinator's heartbeat and commit loops), so a
    `wait_for` around `consumer.stop()` can outlive its timeout for good while the broker is down.
    """
    task = asyncio.ensure_future(awaitable)
    try:
        done, _ = await asyncio.wait({task}, timeout=max(seconds, 0.0))
    except asyncio.CancelledError:
        task.cancel()
        raise
    if not done:
        task.cancel()
        task.add_done_callback(_retrieve)
        raise asyncio.TimeoutError(f"gave up after {seconds:.1f}s")
    if task.cancelled():
        # Cancelled from inside (aiokafka's stop() awaits its own cancelled tasks): a failed
        # call, not a request to stop the caller, which a bare CancelledError would look like.
        raise CancelledInside(f"{awaitable!r} ended cancelled")
    return task.result()


class CancelledInside(KafkaError):
    """An aiokafka call ended with CancelledError although nobody cancelled the caller."""


def _retrieve(task: asyncio.Future) -> None:
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log "exception was never retrieved"


class KafkaPublisher:
    """Wraps one idempotent producer and rebuilds it when the broker made it hang.

    aiokafka's idempotent producer can wait forever while the broker is down (aiokafka #1101),
    so every start, send and stop runs under `bounded`.
    """

    def __init__(self, bootstrap_servers: str, timeout_seconds: float, client_id: str) -> None:
        self._bootstrap = bootstrap_servers
        self._timeout = timeout_seconds
        self._client_id = client_id
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()
        self._closing: set[asyncio.Future] = set()  # dropped producers being stopped
        self.producers_created = 0
        self.producers_dropped = 0  # dropped after a missed deadline: rebuilt on the next call

    async def _ensure_started(self) -> AIOKafkaProducer:
        if self._producer is not None:
            return self._producer
        producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            client_id=self._client_id,
            enable_idempotence=True,
            acks="all",
            linger_ms=2,
            request_timeout_ms=int(self._timeout * 1000),
            max_batch_size=256 * 1024,
        )
        try:
            await bounded(producer.start(), self._timeout)
        except BaseException as error:  # cancelled too: a half-started producer must not leak
            await self._abandon(producer)
            if isinstance(error, (KafkaError, OSError, asyncio.TimeoutError)):
                raise PublishError(f"cannot reach Kafka at {self._bootstrap}: {error!r}") from error
            raise
        self._producer = producer
        self.producers_created += 1
        return producer

    async def send_batch(self, records: Sequence[OutgoingRecord]) -> int:
        """Sends records in order and returns how many were acknowledged, counted from the first.

        Stops at the first failure so that a later event of the same key never overtakes it. The
        whole batch shares one deadline (`timeout_seconds`); a producer that missed it is dropped
        and the next call builds a new one.
        """
        async with self._lock:
            producer = await self._ensure_started()
            deadline = asyncio.get_running_loop().time() + self._timeout
            futures: list[asyncio.Future] = []
            try:
                for record in records:
                    headers = [("content-type", CONTENT_TYPE.encode()), *record.headers]
                    futures.append(await bounded(
                        producer.send(record.topic, record.value, key=record.key.encode(),
                                      headers=headers), _left(deadline)))
            except (KafkaError, asyncio.TimeoutError) as error:
                log.warning("kafka send failed error=%r queued=%d", error, len(futures))
            if futures:
                await asyncio.wait(futures, timeout=_left(deadline))
            acknowledged = _acknowledged_prefix(futures)
            if acknowledged < len(records):
                self.producers_dropped += 1
                log.warning("kafka did not acknowledge in time acknowledged=%d of=%d; producer dropped",
                            acknowledged, len(records))
                self._drop()
            return acknowledged

    async def is_reachable(self, timeout_seconds: float = 2.0) -> bool:
        """True when the broker answers a metadata request in time (never waits longer)."""
        async def probe() -> None:
            async with self._lock:
                producer = await self._ensure_started()
                await producer.client.fetch_all_metadata()

        try:
            await bounded(probe(), timeout_seconds)
            return True
        except (PublishError, KafkaError, OSError, asyncio.TimeoutError):
            return False

    def _drop(self) -> None:
        """Forgets the producer at once; it is stopped in the background, bounded."""
        producer, self._producer = self._producer, None
        if producer is not None:
            closing = asyncio.ensure_future(self._abandon(producer))
            self._closing.add(closing)
            closing.add_done_callback(self._closing.discard)

    async def _reset(self) -> None:
        self._drop()
        if self._closing:
            await asyncio.wait(set(self._closing))

    async def _abandon(self, producer: AIOKafkaProducer) -> None:
        # Bounded: stop() flushes first, which is exactly what hangs while the broker is gone.
        try:
            await bounded(producer.stop(), min(self._timeout, 5.0))
        except (KafkaError, OSError, asyncio.TimeoutError):
            log.warning("kafka producer did not stop cleanly; dropped")

    async def stop(self, timeout_seconds: float | None = None) -> None:
        """Drops the producer, waiting at most `timeout_seconds` (default: the Kafka timeout)."""
        async def reset() -> None:
            async with self._lock:
                await self._reset()

        try:
            await bounded(reset(), timeout_seconds or self._timeout)
        except asyncio.TimeoutError:
            log.warning("kafka publisher not stopped in time; abandoned")


def _left(deadline: float) -> float:
    return max(deadline - asyncio.get_running_loop().time(), 0.0)


def _acknowledged_prefix(futures: list[asyncio.Future]) -> int:
    count = 0
    for future in futures:
        if not future.done() or future.cancelled() or future.exception() is not None:
            break
        count += 1
    for future in futures[count:]:
        if future.done() and not future.cancelled():
            future.exception()  # retrieved, so asyncio does not log "never retrieved"
    return count


@contextlib.asynccontextmanager
async def kafka_admin(bootstrap_servers: str,
                      timeout_seconds: float) -> AsyncIterator[AIOKafkaAdminClient]:
    """An admin client, started and, however the work ends (a failed start too), closed, each
    within the timeout: a broker that does not answer must not hold the caller."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers,
                                request_timeout_ms=int(timeout_seconds * 1000))
    try:
        await bounded(admin.start(), timeout_seconds)
        yield admin
    finally:
        await bounded(admin.close(), timeout_seconds)


async def ensure_topics(bootstrap_servers: str, topics: Sequence[str], partitions: int = 3,
                        timeout_seconds: float = 10.0) -> None:
    """Creates the topics that do not exist yet (replication factor 1); existing ones are left
    as they are, and a topic the broker refused to create raises."""
    async with kafka_admin(bootstrap_servers, timeout_seconds) as admin:
        existing = set(await bounded(admin.list_topics(), timeout_seconds))
        missing = [NewTopic(name, partitions, 1) for name in topics if name not in existing]
        if not missing:
            return
        response = await bounded(admin.create_topics(missing), timeout_seconds)
        # create_topics reports per-topic errors in the response instead of raising them; one
        # already there was created by another service between our list and create.
        for topic, error_code, *details in response.topic_errors:
            if error_code not in (0, TopicAlreadyExistsError.errno):
                raise for_code(error_code)(f"creating topic {topic!r} failed: {details}")
