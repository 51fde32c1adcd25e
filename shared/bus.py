"""The Kafka publisher: idempotent, acks=all, and every call bounded by a timeout."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from shared.events.envelope import CONTENT_TYPE

log = logging.getLogger("pmo.bus")


@dataclass(frozen=True)
class OutgoingRecord:
    topic: str
    key: str
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()


class PublishError(RuntimeError):
    """The broker did not acknowledge in time; the caller keeps the record and retries later."""


class KafkaPublisher:
    """Wraps one idempotent producer and rebuilds it when the broker made it hang.

    aiokafka's idempotent producer can wait forever while the broker is down (aiokafka #1101),
    so every start, send and stop runs under `asyncio.wait_for`.
    """

    def __init__(self, bootstrap_servers: str, timeout_seconds: float, client_id: str) -> None:
        self._bootstrap = bootstrap_servers
        self._timeout = timeout_seconds
        self._client_id = client_id
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

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
            await asyncio.wait_for(producer.start(), self._timeout)
        except (KafkaError, OSError, asyncio.TimeoutError) as error:
            await self._abandon(producer)
            raise PublishError(f"cannot reach Kafka at {self._bootstrap}: {error!r}") from error
        self._producer = producer
        return producer

    async def send_batch(self, records: Sequence[OutgoingRecord]) -> int:
        """Sends records in order and returns how many were acknowledged, counted from the first.

        Stops at the first failure so that a later event of the same key never overtakes it.
        """
        async with self._lock:
            producer = await self._ensure_started()
            futures = []
            try:
                for record in records:
                    headers = [("content-type", CONTENT_TYPE.encode()), *record.headers]
                    futures.append(await asyncio.wait_for(
                        producer.send(record.topic, record.value, key=record.key.encode(),
                                      headers=headers), self._timeout))
            except (KafkaError, asyncio.TimeoutError) as error:
                log.warning("kafka send failed error=%r queued=%d", error, len(futures))
                await self._reset()
            acknowledged = 0
            for future in futures:
                try:
                    await asyncio.wait_for(asyncio.shield(future), self._timeout)
                except (KafkaError, asyncio.TimeoutError) as error:
                    log.warning("kafka ack failed error=%r acknowledged=%d", error, acknowledged)
                    await self._reset()
                    break
                acknowledged += 1
            return acknowledged

    async def is_reachable(self) -> bool:
        """True when the broker answers a metadata request within the timeout."""
        try:
            producer = await self._ensure_started()
            await asyncio.wait_for(producer.client.fetch_all_metadata(), min(self._timeout, 3.0))
            return True
        except (PublishError, KafkaError, OSError, asyncio.TimeoutError):
            return False

    async def _reset(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await self._abandon(producer)

    async def _abandon(self, producer: AIOKafkaProducer) -> None:
        try:
            await asyncio.wait_for(producer.stop(), self._timeout)
        except (KafkaError, OSError, asyncio.TimeoutError, asyncio.CancelledError):
            log.warning("kafka producer did not stop cleanly; dropped")

    async def stop(self) -> None:
        async with self._lock:
            await self._reset()


async def ensure_topics(bootstrap_servers: str, topics: Sequence[str], partitions: int = 3,
                        timeout_seconds: float = 10.0) -> None:
    """Creates the topics that do not exist yet; existing ones are left as they are."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers,
                                request_timeout_ms=int(timeout_seconds * 1000))
    await asyncio.wait_for(admin.start(), timeout_seconds)
    try:
        existing = set(await asyncio.wait_for(admin.list_topics(), timeout_seconds))
        missing = [NewTopic(name, partitions, 1) for name in topics if name not in existing]
        if missing:
            try:
                await asyncio.wait_for(admin.create_topics(missing), timeout_seconds)
            except TopicAlreadyExistsError:
                pass  # another service created it between our list and create
    finally:
        await asyncio.wait_for(admin.close(), timeout_seconds)
