"""Broker and process faults against real service processes on SQLite and the fault broker.

One platform (intake, feedback, prioritizer) serves the whole module; the tests run in order
and each checks its own invariant on what it did, so a later test never relies on an earlier
one having passed.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from datetime import UTC, datetime

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from faultkit import (
    ADMIN,
    Load,
    above,
    backlog,
    create_customers,
    customers_of,
    duplicates,
    eventually,
    events_of,
    metric,
    observe,
    pmo,
    positive,
    query,
    read_topics,
    sqlite_platform,
    versions_by_key,
    zero,
)
from pmo.dlq import list_dead_letters
from services.feedback.consumers import HANDLERS as FEEDBACK_HANDLERS
from services.intake.consumers import HANDLERS as INTAKE_HANDLERS
from services.prioritizer.consumers import HANDLERS as PRIORITIZER_HANDLERS
from shared.bus import KafkaPublisher, OutgoingRecord, bounded
from shared.events import encode_event, new_event
from shared.events.registry import TOPIC_OF_TYPE

pytestmark = [pytest.mark.faults, pytest.mark.timeout(240)]

DEMANDS = 2000
CUSTOMER_TOPIC, DEMAND_TOPIC = "pmo.intake.customer.v1", "pmo.intake.demand.v1"
FEEDBACK_TOPIC, PRIORITY_TOPIC = "pmo.feedback.response.v1", "pmo.prioritizer.priority.v1"
CONSUMERS = {"intake": INTAKE_HANDLERS, "feedback": FEEDBACK_HANDLERS,
             "prioritizer": PRIORITIZER_HANDLERS}


@pytest.fixture(scope="module")
def platform(broker, tmp_path_factory):
    platform = sqlite_platform(broker, tmp_path_factory.mktemp("broker-faults"),
                               ["intake", "feedback", "prioritizer"])
    try:
        platform.stack.start()
        platform.stack.wait_ready(timeout=90)
        yield platform
    finally:
        platform.stack.stop()


async def test_intake_takes_every_write_while_the_broker_is_killed_twice(platform, broker):
    intake = platform.url("intake")
    async with httpx.AsyncClient(timeout=30) as http:
        customers = await create_customers(http, intake, 200)
        load = Load(http, intake, customers, total=DEMANDS, rate_per_second=45, update_every=20,
                    tag="kill")
        probe = KafkaPublisher(broker.bootstrap, 5.0, "fault-probe")
        raw = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, enable_idempotence=True)
        await asyncio.wait_for(raw.start(), 10)
        assert await probe.send_batch([OutgoingRecord(platform.topic("probe"), "k", b"up")]) == 1
        running = asyncio.create_task(load.run())
        outages = []
        await load.reached(300)
        for number in (1, 2):
            killed, posted = time.monotonic(), load.posted
            assert posted < DEMANDS, "the broker must die while demands are being posted"
            broker.kill()
            restarting = asyncio.create_task(broker.restart())  # the JVM needs 10 s and more
            peak = await eventually(lambda: positive(metric(http, intake, "pmo_outbox_backlog")),
                                    timeout=15, what="a backlog while the broker is down")
            if number == 1:
                await _prove_a_hung_producer_is_dropped(platform, probe, raw)
            restart_seconds = await restarting
            returned = time.monotonic()
            if number == 1:  # the dropped producer is rebuilt on the next call
                assert await probe.send_batch([OutgoingRecord(platform.topic("probe"), "k", b"back")]) == 1
                assert probe.producers_created == 2
                published = await metric(http, intake, "pmo_events_published_total")
                await eventually(lambda: above(metric(http, intake, "pmo_events_published_total"),
                                                published), timeout=30, what="the relay publishing again")
            outages.append({"posted_at_kill": posted, "down_s": round(returned - killed, 1),
                            "broker_restart_s": round(restart_seconds, 1), "backlog_seen": int(peak)})
        prioritizer = platform.url("prioritizer")
        lag = await eventually(lambda: positive(metric(http, prioritizer, "pmo_consumer_lag")),
                               timeout=30, what="the prioritizer's lag showing it is behind")
        await asyncio.wait_for(running, 120)
        await probe.stop()
        relay_errors = await metric(http, intake, "pmo_outbox_relay_errors_total")
        assert relay_errors > 0

        await eventually(lambda: zero(asyncio.to_thread(backlog, platform, "intake")), timeout=60,
                         what="intake's outbox backlog back to 0 within 60 s of the broker's return")
        drained_after = time.monotonic() - returned
        assert await metric(http, intake, "pmo_outbox_backlog") == 0

        assert load.errors == [] and load.statuses[201] == DEMANDS, (load.statuses, load.errors[:5])
        posted_ids = set(load.created.values())
        assert len(posted_ids) == DEMANDS

        async def all_ranked() -> bool:
            return await asyncio.to_thread(
                lambda: query(platform.sqlite_files["prioritizer"], "SELECT count(*) FROM demands")[0][0]
            ) >= DEMANDS
        await eventually(all_ranked, timeout=150, what="the prioritizer holding all demands")
        complete_after = time.monotonic() - returned
        held = query(platform.sqlite_files["prioritizer"], "SELECT id FROM demands")
        assert sorted(row[0] for row in held) == sorted(posted_ids)  # exactly those, each once

        records = await read_topics(broker.bootstrap, [platform.topic(DEMAND_TOPIC)])
        submitted = {body["id"] for _, body in events_of(records)
                     if body["type"] == "pmo.demand.submitted"}
        applied = query(platform.sqlite_files["prioritizer"],
                        "SELECT count(*), count(DISTINCT event_id) FROM inbox "
                        "WHERE event_type = 'pmo.demand.submitted'")[0]
        assert len(submitted) == DEMANDS and applied == (DEMANDS, DEMANDS)
        await eventually(lambda: zero(metric(http, prioritizer, "pmo_consumer_lag")),
                         timeout=30, what="prioritizer consumer lag back to 0")
        observe("1 broker SIGKILL x2 during 2000 posts",
                posts_201=load.statuses[201], updates_200=load.updates, transport_errors=len(load.errors),
                **{f"latency_{k}": v for k, v in load.latency_summary().items()},
                outages=outages, relay_errors=relay_errors, prioritizer_lag_seen=int(lag),
                backlog_zero_after_return_s=round(drained_after, 1),
                prioritizer_complete_after_return_s=round(complete_after, 1),
                duplicate_records_on_demand_topic=duplicates(records))


async def _prove_a_hung_producer_is_dropped(platform, probe: KafkaPublisher, raw) -> None:
    """The broker is down: a bare idempotent producer waits on, ours gives up and is rebuilt."""
    async def bare() -> tuple[str, float, str]:
        began = time.monotonic()
        try:
            await asyncio.wait_for(raw.send_and_wait(platform.topic("probe"), b"down", key=b"k"), 8)
            outcome = "acknowledged?!"
        except asyncio.TimeoutError:
            outcome = "no answer after 8 s"
        except Exception as error:
            outcome = f"raised {type(error).__name__}"
        waited = time.monotonic() - began
        try:
            await bounded(raw.stop(), 3)
            stopped = "stopped"
        except Exception as error:
            stopped = f"stop() gave up: {type(error).__name__}"
        return outcome, waited, stopped

    async def ours() -> tuple[int, float]:
        began = time.monotonic()
        acknowledged = await probe.send_batch([OutgoingRecord(platform.topic("probe"), "k", b"down")])
        return acknowledged, time.monotonic() - began

    (outcome, waited, stopped), (acknowledged, seconds) = await asyncio.gather(bare(), ours())
    assert acknowledged == 0 and probe.producers_dropped == 1 and seconds < 5.0 + 1.0
    observe("publisher while the broker is down", aiokafka_send_and_wait=outcome,
            aiokafka_waited_s=round(waited, 1), aiokafka_stop=stopped,
            ours_returned_after_s=round(seconds, 1), ours_acknowledged=acknowledged,
            producers_dropped=probe.producers_dropped)


async def test_each_aggregate_is_seen_in_version_order(platform, broker):
    """Reads every topic the platform wrote: per key, the versions a consumer applies rise by one."""
    topics = [platform.topic(name) for name in (CUSTOMER_TOPIC, DEMAND_TOPIC, PRIORITY_TOPIC)]
    records = await read_topics(broker.bootstrap, topics)
    by_topic = {topic: [r for r in records if r.topic == topic] for topic in topics}
    multi = 0
    for topic, topic_records in by_topic.items():
        for key, versions in versions_by_key(topic_records).items():
            assert versions == sorted(set(versions)), f"{topic} key {key}: {versions}"
            multi += len(versions) > 1
    intake_keys = versions_by_key(by_topic[topics[1]])
    final = dict(query(platform.sqlite_files["intake"], "SELECT id, version FROM demands"))
    assert all(versions == list(range(1, final[key] + 1)) for key, versions in intake_keys.items())
    observe("7 per-aggregate order (SQLite, through the broker kills)", records=len(records),
            aggregates=sum(len(versions_by_key(r)) for r in by_topic.values()),
            aggregates_with_several_versions=multi,
            duplicates_dropped_by_inbox=duplicates(records))


async def test_pmo_dlq_replays_a_parked_record_once(platform, broker):
    """A record an older, buggy version parked is re-driven by `pmo dlq replay` after the fix."""
    source = platform.topic(CUSTOMER_TOPIC)
    key = str(uuid.uuid4())
    async with httpx.AsyncClient(timeout=30) as http:
        event = await _good_event(CUSTOMER_TOPIC, key, platform, http)
    headers = (("pmo-error", b"KeyError: 'segment' (fixed since)"), ("pmo-source-topic", source.encode()),
               ("pmo-consumer-group", f"{platform.prefix}prioritizer".encode()))
    publisher = KafkaPublisher(broker.bootstrap, 10.0, "fault-dlq")
    try:
        assert await publisher.send_batch([OutgoingRecord(source + ".dlq", key, encode_event(event),
                                                          headers)]) == 1
    finally:
        await publisher.stop()
    listed = pmo(platform, "dlq", "list", "--topic", CUSTOMER_TOPIC)
    assert f"key={key}" in listed and "\tparked\t" in listed and "1 dead letter(s)" in listed
    assert "replayed 1," in pmo(platform, "dlq", "replay", "--topic", CUSTOMER_TOPIC)
    for service in ("feedback", "prioritizer"):
        async def applied(service=service) -> bool:
            return bool(await asyncio.to_thread(query, platform.sqlite_files[service],
                                                "SELECT 1 FROM inbox WHERE event_id = ?", (event.id,)))
        await eventually(applied, timeout=30, what=f"{service} applying the replayed record")
    assert "replayed 0," in pmo(platform, "dlq", "replay", "--topic", CUSTOMER_TOPIC + ".dlq")
    assert "\treplayed\t" in pmo(platform, "dlq", "list", "--topic", CUSTOMER_TOPIC)
    observe("pmo dlq", replayed_once=True, applied_by=["feedback", "prioritizer"])


def _consumed_topics() -> dict[str, list[str]]:
    """Every topic some service consumes, with the services consuming it."""
    topics: dict[str, list[str]] = {}
    for service, handlers in CONSUMERS.items():
        for topic in sorted({TOPIC_OF_TYPE[event_type] for event_type in handlers}):
            topics.setdefault(topic, []).append(service)
    return topics


async def _good_event(topic: str, key: str, platform, http: httpx.AsyncClient):
    """An event every consumer of the topic handles, on the poison's key (its partition)."""
    now = datetime.now(UTC).isoformat()
    if topic == CUSTOMER_TOPIC:
        data = {"id": key, "name": "After the poison", "segment": "other", "strategic_importance": 3,
                "maturity": 3, "business_unit": None, "contact_email": None, "profile": {},
                "version": 1, "created_at": now, "updated_at": now}
        return new_event("intake", "pmo.customer.registered", key, data, 1)
    if topic == "pmo.catalog.function.v1":
        return new_event("catalog", "pmo.function.created", key, {"code": "f" + key[:8], "name": "F"}, 1)
    if topic == "pmo.catalog.service.v1":
        data = {"id": key, "function_code": "risk", "name": "After the poison", "description": "-",
                "lifecycle_state": "proposed", "state_changed_at": now, "owner": "o",
                "value_propositions": [], "target_segments": [], "version": 1}
        return new_event("catalog", "pmo.service.proposed", key, data, 1)
    if topic == FEEDBACK_TOPIC:
        data = {"id": key, "service_id": str(uuid.uuid4()), "customer_id": None, "csat": 4,
                "perceived_value": 4, "effort": None, "segment": "other", "submitted_at": now}
        return new_event("feedback", "pmo.feedback.submitted", key, data, 1)
    if topic == DEMAND_TOPIC:  # a real status change, sent again under a new id
        demand = (await http.post(f"{platform.url('intake')}/v1/demands", headers=ADMIN, json={
            "customer_id": (await customers_of(http, platform))[0], "title": "Poison neighbour",
            "problem": "Shares a partition with a poison record.", "kind": "pain_point",
            "severity": 2})).json()
        moved = await http.post(f"{platform.url('intake')}/v1/demands/{demand['id']}/transitions",
                                headers=ADMIN, json={"to": "triaged"})
        assert moved.status_code == 200, moved.text
        row = query(platform.sqlite_files["intake"], "SELECT payload FROM outbox WHERE key = ? AND "
                    "event_type = 'pmo.demand.status_changed'", (demand["id"],))
        body = json.loads(row[0][0])
        return new_event("intake", body["type"], key, body["data"] | {"id": key}, 1)
    raise AssertionError(f"no good event for {topic}")


async def test_poison_records_go_to_dlq_on_every_consumed_topic(platform, broker):
    topics = _consumed_topics()
    publisher = KafkaPublisher(broker.bootstrap, 10.0, "fault-poison")
    good: dict[str, str] = {}
    async with httpx.AsyncClient(timeout=30) as http:
        try:
            for topic in topics:
                key = str(uuid.uuid4())
                event = await _good_event(topic, key, platform, http)
                sent = await publisher.send_batch([
                    OutgoingRecord(platform.topic(topic), key, b'{"not": "a CloudEvent"'),
                    OutgoingRecord(platform.topic(topic), key, encode_event(event))])
                assert sent == 2
                good[topic] = event.id
        finally:
            await publisher.stop()
        for topic, services in topics.items():
            for service in services:
                async def handled(service=service, event_id=good[topic]) -> bool:
                    return bool(await asyncio.to_thread(
                        query, platform.sqlite_files[service], "SELECT 1 FROM inbox WHERE event_id = ?",
                        (event_id,)))
                await eventually(handled, timeout=30, what=f"{service} past the poison on {topic}")
        counts = {service: await metric(http, platform.url(service), "pmo_dead_letters_total")
                  for service in CONSUMERS}
    letters = await list_dead_letters(broker.bootstrap, prefix=platform.prefix, timeout=10)
    parked = Counter((letter.source_topic, letter.group) for letter in letters
                     if "not a CloudEvent" in letter.error)
    expected = {(platform.topic(topic), f"{platform.prefix}{service}")
                for topic, services in topics.items() for service in services}
    assert set(parked) == expected and all(count == 1 for count in parked.values()), parked
    assert counts == {service: sum(service in s for s in topics.values()) for service in CONSUMERS}
    observe("4 poison on every consumed topic", topics=len(topics), parked=sum(parked.values()),
            dead_letter_metrics=counts)


async def test_sigterm_under_load_finishes_requests_and_flushes_the_outbox(platform, broker):
    stack, intake_db = platform.stack, platform.sqlite_files["intake"]
    intake = platform.url("intake")
    async with httpx.AsyncClient(timeout=30) as http:
        customers = await customers_of(http, platform)
        load = Load(http, intake, customers, total=100_000, rate_per_second=150, concurrency=16,
                    tag="term")
        running = asyncio.create_task(load.run())
        await load.reached(600)
        code, seconds = await asyncio.to_thread(stack.terminate, "intake", 30)
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    assert code == 0 and seconds < stack.graceful_seconds
    assert set(load.statuses) == {201}, load.statuses
    stored = {row[0] for row in query(intake_db, "SELECT title FROM demands WHERE title LIKE 'term %'")}
    # Every write that committed was answered 201; a request refused at the door left nothing.
    assert stored == set(load.created)
    assert backlog(platform, "intake") == 0
    records = await read_topics(broker.bootstrap, [platform.topic(DEMAND_TOPIC)])
    assert set(load.created.values()) <= {r.key.decode() for r in records}
    observe("6 SIGTERM under load", requests_answered_201=load.statuses[201],
            refused_after_sigterm=dict(Counter(error.split(": ", 1)[1].split("(")[0]
                                                for error in load.errors)),
            exit_code=code, exit_s=round(seconds, 1),
            outbox_left=0)

    # With the broker down too, shutdown stays inside its budget and the rows wait in the outbox.
    stack.start_one("intake")
    await asyncio.to_thread(stack.wait_ready, 60, ["intake"])
    broker.stop()
    async with httpx.AsyncClient(timeout=30) as http:
        for number in range(20):
            response = await http.post(f"{intake}/v1/demands", headers=ADMIN,
                                       json={"customer_id": customers[0], "title": f"down {number}",
                                             "problem": "Posted while Kafka is down.",
                                             "kind": "pain_point", "severity": 3})
            assert response.status_code == 201, response.text
    code, seconds = await asyncio.to_thread(stack.terminate, "intake", 30)
    assert code == 0 and seconds < stack.graceful_seconds
    waiting = backlog(platform, "intake")
    assert waiting >= 20
    await broker.restart()
    stack.start_one("intake")
    await asyncio.to_thread(stack.wait_ready, 60, ["intake"])
    await eventually(lambda: zero(asyncio.to_thread(backlog, platform, "intake")), timeout=30,
                     what="the rows left at shutdown published after the restart")
    observe("6 SIGTERM with the broker down", exit_code=code, exit_s=round(seconds, 1),
            rows_kept_in_outbox=waiting)
