"""A run's scratch topics are deleted by their prefix, and nothing else is
(shared/testing/scratch_topics.py). Against the real local broker."""

from __future__ import annotations

import os

import pytest

from shared.bus import bounded, ensure_topics, kafka_admin
from shared.testing.polling import eventually
from shared.testing.scratch_topics import SCRATCH, delete_topics, made, scratch_prefix

pytestmark = pytest.mark.kafka

BOOTSTRAP = (os.environ.get("PMO_KAFKA_BOOTSTRAP_SERVERS") or "127.0.0.1:9092").split(",")[0]


async def topic_names() -> set[str]:
    async with kafka_admin(BOOTSTRAP, 30) as admin:
        return set(await bounded(admin.list_topics(), 30))


async def test_deleting_a_prefix_removes_its_topics_and_dead_letters_only():
    mine, neighbour = scratch_prefix("own"), scratch_prefix("own")
    assert mine.startswith(SCRATCH) and mine != neighbour and {mine, neighbour} <= set(made())
    names = [mine + "pmo.intake.demand.v1", mine + "pmo.intake.demand.v1.dlq",
             neighbour + "pmo.intake.demand.v1"]
    await ensure_topics(BOOTSTRAP, names, partitions=1, timeout_seconds=30)
    assert set(names) <= await topic_names()

    assert await delete_topics(BOOTSTRAP, [mine]) == 2

    async def gone() -> set[str] | None:  # the broker's metadata follows the deletion shortly
        left = await topic_names()
        return left if not any(name.startswith(mine) for name in left) else None

    assert neighbour + "pmo.intake.demand.v1" in await eventually(gone, what="topics deleted")
    assert await delete_topics(BOOTSTRAP, [mine]) == 0
    assert await delete_topics(BOOTSTRAP, []) == 0
    await delete_topics(BOOTSTRAP, [neighbour])
