"""Grouping, scores and recommendations are deterministic: consuming events live and rebuilding
from the topics give identical results, and groups do not depend on the order demands arrived."""

from __future__ import annotations

import asyncio
import random
import uuid

import pytest
from sqlalchemy import select

from services.prioritizer import explanations, handlers
from services.prioritizer.app import SPEC
from services.prioritizer.consumers import HANDLERS
from services.prioritizer.models import DemandView, RecommendationRow
from services.prioritizer.rebuild import rebuild
from services.prioritizer.settings import PrioritizerSettings
from shared.bus import KafkaPublisher, OutgoingRecord, ensure_topics
from shared.consumer import apply_once
from shared.db import Database
from shared.events import encode_event, new_event
from shared.events.registry import TOPICS
from shared.migrations import upgrade_to_head
from shared.testing.fixtures import fresh_database_url
from shared.testing.scratch_topics import scratch_prefix

pytestmark = pytest.mark.kafka

TEXTS = [("Weekly status report built by hand",
          "Every week we rebuild the status report by hand from three spreadsheets."),
         ("Status report takes a day to build by hand",
          "Our analyst spends a day every week building the status report by hand."),
         ("Building the weekly status report by hand",
          "The status report is built by hand every week from spreadsheets; it takes a day."),
         ("Risk log reviewed too rarely", "Risks turn into issues between monthly risk reviews.")]


def _customers():
    return [{"id": str(uuid.uuid4()), "name": f"C{i}", "segment": segment,
             "strategic_importance": i % 5 + 1, "maturity": 4}
            for i, segment in enumerate(["executive", "delivery_team", "program_leader",
                                         "functional_partner"])]


def _demand_events(customers, service_id):
    events = []
    for index in range(8):
        title, problem = TEXTS[index % 4]
        data = {"id": str(uuid.uuid4()), "customer_id": customers[index % 4]["id"], "title": title,
                "problem": problem, "kind": "pain_point", "function_code": "reporting",
                "service_id": service_id if index % 3 == 0 else None, "severity": index % 5 + 1,
                "urgency": 3, "reach": 5 * index + 1, "effort_estimate": 3 + index,
                "status": "submitted", "endorsed_by": [], "tags": ["status-report"],
                "created_at": f"2026-11-{10 + index}T10:00:00Z"}
        events.append(new_event("intake", "pmo.demand.submitted", data["id"], data, 1))
    endorsed = events[3].data | {"endorsed_by": [customers[0]["id"]], "endorsements": 1}
    closed = events[1].data | {"status": "withdrawn"}
    return events + [new_event("intake", "pmo.demand.endorsed", endorsed["id"], endorsed, 2),
                     new_event("intake", "pmo.demand.status_changed", closed["id"], closed, 3)]


def _events():
    customers = _customers()
    service = {"id": str(uuid.uuid4()), "function_code": "reporting", "name": "Status pack",
               "lifecycle_state": "pilot", "state_changed_at": "2026-10-01T00:00:00Z"}
    events = [new_event("intake", "pmo.customer.registered", c["id"], c, 1) for c in customers]
    events.append(new_event("catalog", "pmo.service.proposed", service["id"], service, 1))
    events += _demand_events(customers, service["id"])
    for index, customer in enumerate(customers):
        response = {"id": str(uuid.uuid4()), "customer_id": customer["id"],
                    "service_id": service["id"], "segment": customer["segment"], "csat": 4 + index % 2,
                    "perceived_value": 4, "effort": 2, "nps": 9}
        events.append(new_event("feedback", "pmo.feedback.submitted", response["id"], response, 1))
    return events


async def _fed(url: str, events) -> Database:
    db = Database(url, SPEC.tables)
    await upgrade_to_head(db.engine, SPEC.service_dir)
    async with db.uow() as uow:
        await handlers.ensure_default_policy(uow)
    for event in events:
        await apply_once(db, HANDLERS, event)
    return db


async def _state(db: Database) -> tuple[dict, dict]:
    """The ranked demands and the advice. A closed demand keeps the score it last had while
    open, which depends on how events were batched (closed within the batch that opened it,
    it was never ranked), so only open demands are compared."""
    async with db.sessions() as session:
        rows = list(await session.scalars(select(DemandView).where(DemandView.is_open)))
        whole = await explanations.read_whole(session, [row.explanation for row in rows])
        demands = {row.id: (row.score, row.group_id, explanation)
                   for row, explanation in zip(rows, whole)}
        advice = {row.id: (row.action, row.rationale)
                  for row in await session.scalars(select(RecommendationRow))}
    return demands, advice


async def _publish(bootstrap: str, prefix: str, events) -> None:
    await ensure_topics(bootstrap, [prefix + topic for topic in TOPICS])
    publisher = KafkaPublisher(bootstrap, 10.0, "prioritizer-replay-test")
    try:
        for event in events:  # one by one, so record timestamps keep the live order
            record = OutgoingRecord(prefix + event.topic, event.subject, encode_event(event))
            assert await publisher.send_batch([record]) == 1
            await asyncio.sleep(0.003)
    finally:
        await publisher.stop()


async def test_live_consumption_and_rebuild_agree_on_groups_scores_and_advice(tmp_path, kafka_bootstrap):
    prefix = scratch_prefix("pr")
    events = _events()
    await _publish(kafka_bootstrap, prefix, events)
    async with fresh_database_url(tmp_path / "live", "prioritizer") as live_url:
        live = await _fed(live_url, events)
        try:
            expected = await _state(live)
        finally:
            await live.dispose()
    async with fresh_database_url(tmp_path, "prioritizer") as url:
        settings = PrioritizerSettings(database_url=url, kafka_topic_prefix=prefix,
                                       kafka_bootstrap_servers=kafka_bootstrap,
                                       consumer_group=f"replay-{prefix}")
        report = await rebuild(settings)
        # The endorsement and the withdrawal supersede their demands' submissions.
        assert (report.replay.applied, report.replay.superseded) == (len(events) - 2, 2)
        assert report.ranked == 7
        db = Database(url, SPEC.tables)
        try:
            assert await _state(db) == expected
        finally:
            await db.dispose()
    demands, advice = expected
    assert len({group for _, group, _ in demands.values() if group}) == 2  # reports; one risk pair
    assert any(action == "roll_out" for action, _ in advice.values())


async def test_groups_and_repeat_demand_do_not_depend_on_arrival_order(tmp_path):
    events = _events()
    head = [e for e in events if e.type in ("pmo.customer.registered", "pmo.service.proposed")]
    submissions = [e for e in events if e.type == "pmo.demand.submitted"]
    shuffled = list(submissions)
    random.Random(7).shuffle(shuffled)
    results = []
    for name, order in (("in_order", submissions), ("shuffled", shuffled)):
        async with fresh_database_url(tmp_path / name, "prioritizer") as url:
            db = await _fed(url, head + order)
            try:
                demands, _ = await _state(db)
            finally:
                await db.dispose()
        results.append({demand_id: (group, next(f["value"] for f in explanation["factors"]
                                                 if f["name"] == "repeat_demand"))
                        for demand_id, (_, group, explanation) in demands.items()})
    assert results[0] == results[1]
    assert sum(1 for group, _ in results[0].values() if group) >= 4
