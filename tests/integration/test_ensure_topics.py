"""shared.bus.ensure_topics against the real local broker: what exists is kept, what is missing is
made, and a topic the broker refuses raises instead of leaving a consumer on nothing."""

from __future__ import annotations

import os

import pytest
from aiokafka.errors import KafkaError

from shared.bus import bounded, ensure_topics, kafka_admin
from shared.testing.scratch_topics import scratch_prefix

pytestmark = pytest.mark.kafka

BOOTSTRAP = (os.environ.get("PMO_KAFKA_BOOTSTRAP_SERVERS") or "127.0.0.1:9092").split(",")[0]


async def test_missing_topics_are_made_and_made_ones_kept():
    prefix = scratch_prefix("ensure")
    names = [prefix + "a", prefix + "b"]
    await ensure_topics(BOOTSTRAP, names[:1], partitions=1, timeout_seconds=30)
    await ensure_topics(BOOTSTRAP, names, partitions=1, timeout_seconds=30)  # one there already
    async with kafka_admin(BOOTSTRAP, 30) as admin:
        assert set(names) <= set(await bounded(admin.list_topics(), 30))


async def test_a_topic_the_broker_refuses_raises():
    with pytest.raises(KafkaError, match="creating topic"):
        await ensure_topics(BOOTSTRAP, [scratch_prefix("ensure") + "no spaces allowed"],
                            partitions=1, timeout_seconds=30)
