"""`pmo prioritizer rebuild`: read models rebuilt from the topics alone give the same scores."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from services.prioritizer.models import MECHANISMS, DemandView
from services.prioritizer.rebuild import rebuild
from services.prioritizer.settings import PrioritizerSettings
from shared.bus import KafkaPublisher, OutgoingRecord, ensure_topics
from shared.db import Database
from shared.events import encode_event, new_event
from shared.events.registry import TOPICS
from shared.testing.fixtures import fresh_database_url
from shared.testing.scratch_topics import scratch_prefix

pytestmark = pytest.mark.kafka


def _events():
    customers = [{"id": str(uuid.uuid4()), "name": f"C{i}", "segment": segment,
                  "strategic_importance": i % 5 + 1, "maturity": 3}
                 for i, segment in enumerate(["executive", "delivery_team", "program_leader"])]
    events = [new_event("intake", "pmo.customer.registered", c["id"], c, 1) for c in customers]
    for index in range(6):
        owner = customers[index % 3]
        demand = {"id": str(uuid.uuid4()), "customer_id": owner["id"], "title": f"Need {index}",
                  "problem": "Something hurts.", "kind": "pain_point", "function_code": "risk",
                  "service_id": None, "severity": index % 5 + 1, "urgency": 3, "reach": 5 * index + 1,
                  "effort_estimate": 3, "status": "submitted", "endorsed_by": [],
                  "created_at": "2026-11-20T10:00:00Z"}
        events.append(new_event("intake", "pmo.demand.submitted", demand["id"], demand, 1))
    endorsed = events[3].data | {"endorsed_by": [customers[1]["id"]], "endorsements": 1}
    events.append(new_event("intake", "pmo.demand.endorsed", endorsed["id"], endorsed, 2))
    return events


async def _scores(settings: PrioritizerSettings) -> dict[str, float]:
    db = Database(settings.database_url, MECHANISMS)
    try:
        async with db.sessions() as session:
            rows = await session.execute(select(DemandView.id, DemandView.score))
            return dict(rows.all())
    finally:
        await db.dispose()


async def test_rebuild_from_topics_gives_the_same_scores_twice(tmp_path, kafka_bootstrap):
    prefix = scratch_prefix("rb")
    await ensure_topics(kafka_bootstrap, [prefix + topic for topic in TOPICS])
    publisher = KafkaPublisher(kafka_bootstrap, 10.0, "rebuild-test")
    events = _events()
    records = [OutgoingRecord(prefix + event.topic, event.subject, encode_event(event)) for event in events]
    assert await publisher.send_batch(records) == len(records)
    await publisher.stop()
    async with fresh_database_url(tmp_path, "prioritizer") as url:
        settings = PrioritizerSettings(database_url=url, kafka_topic_prefix=prefix,
                                       kafka_bootstrap_servers=kafka_bootstrap,
                                       consumer_group=f"rebuild-{prefix}")
        first = await rebuild(settings)
        assert first.replay.events == len(events) and first.ranked == 6
        scores = await _scores(settings)
        second = await rebuild(settings)
        # The endorsement supersedes its demand's submission: only the newest state is applied.
        assert (second.replay.applied, second.replay.superseded) == (len(events) - 1, 1)
        assert await _scores(settings) == scores
        assert len(set(scores.values())) > 1 and all(score > 0 for score in scores.values())
