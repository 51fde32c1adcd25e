"""A demand posted to intake is ranked by the prioritizer; events read off Kafka match the contract."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from cloudevents.core.bindings.kafka import KafkaMessage, from_structured_event

from shared.testing.polling import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.asyncio(loop_scope="module")]

CUSTOMER = {"name": "Group Finance PMO", "segment": "executive", "business_unit": "Finance",
            "strategic_importance": 5, "maturity": 2, "contact_email": "gf@example.org",
            "profile": {"preferred_terms": ["outcomes"]}}


async def post(http, url: str, body: dict, headers: dict, expected: int = 201) -> dict:
    response = await http.post(url, json=body, headers=headers)
    assert response.status_code == expected, response.text
    return response.json()


async def test_a_demand_posted_to_intake_shows_up_ranked(platform, http, admin):
    intake, prioritizer = platform.urls["intake"], platform.urls["prioritizer"]
    customer = await post(http, f"{intake}/v1/customers", CUSTOMER, admin)
    demand = await post(http, f"{intake}/v1/demands", {
        "customer_id": customer["id"], "title": "Board pack assembled by hand",
        "problem": "Three analysts spend two days a month assembling the board pack.",
        "kind": "pain_point", "severity": 4, "urgency": 4, "reach": 40, "effort_estimate": 8,
    }, admin)

    async def ranked():
        response = await http.get(f"{prioritizer}/v1/rankings/{demand['id']}", headers=admin)
        return response.json() if response.status_code == 200 else None

    item = await eventually(ranked, timeout=30, what="demand ranked by the prioritizer")
    assert item["customer_id"] == customer["id"] and item["segment"] == "executive"
    assert item["score"] == pytest.approx(sum(f["contribution"] for f in item["factors"]), abs=1e-6)
    importance = next(f for f in item["factors"] if f["name"] == "strategic_importance")
    assert importance["value"] == 1.0  # the customer's registration reached the prioritizer too
    listed = (await http.get(f"{prioritizer}/v1/rankings", headers=admin)).json()
    assert demand["id"] in [entry["demand_id"] for entry in listed["items"]]


async def test_catalog_functions_reach_intakes_projection(platform, http, admin):
    intake, catalog = platform.urls["intake"], platform.urls["catalog"]
    code = f"coaching{uuid.uuid4().hex[:6]}"
    await post(http, f"{catalog}/v1/functions",
               {"code": code, "name": "Coaching", "description": "Coaching for project leads"}, admin)
    customer = await post(http, f"{intake}/v1/customers", CUSTOMER | {"name": "Delivery"}, admin)
    body = {"customer_id": customer["id"], "title": "New leads need coaching", "kind": "new_service",
            "problem": "New project leads repeat the same planning mistakes.", "severity": 3,
            "function_code": code}

    async def accepted():
        response = await http.post(f"{intake}/v1/demands", json=body, headers=admin)
        assert response.status_code in (201, 422), response.text
        return response.status_code == 201

    await eventually(accepted, timeout=30, what="intake learning the new catalog function")


async def test_the_event_on_kafka_is_a_contract_cloudevent(platform, http, admin, kafka_bootstrap):
    intake = platform.urls["intake"]
    customer = await post(http, f"{intake}/v1/customers", CUSTOMER | {"name": "Event probe"}, admin)
    topic = platform.topic_prefix + "pmo.intake.customer.v1"
    record = await _find_record(kafka_bootstrap, topic, customer["id"])
    headers = {key: value for key, value in record.headers}
    assert headers["content-type"] == b"application/cloudevents+json"
    assert record.key == customer["id"].encode()
    event = from_structured_event(KafkaMessage(headers=headers, key=record.key, value=record.value))
    assert event.get_specversion() == "1.0"
    assert event.get_type() == "pmo.customer.registered"
    assert event.get_source() == "/pmo/intake"
    assert event.get_subject() == customer["id"]
    assert event.get_datacontenttype() == "application/json"
    assert event.get_extension("aggregateversion") == 1
    assert event.get_time() is not None
    uuid.UUID(event.get_id())
    data = event.get_data()
    assert {key: data[key] for key in customer} == customer  # the full aggregate, as the API shows it


async def _find_record(bootstrap: str, topic: str, key: str, timeout: float = 30.0):
    """Reads the topic from the start, as an independent reader would, until the key appears."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest", group_id=None)
    await asyncio.wait_for(consumer.start(), 15)
    try:
        async def partitions():
            found = consumer.partitions_for_topic(topic)
            if not found:
                await consumer._client.force_metadata_update()  # the topic may be brand new
            return found

        numbers = await eventually(partitions, timeout=timeout, what=f"topic {topic}")
        consumer.assign([TopicPartition(topic, number) for number in numbers])
        await consumer.seek_to_beginning()

        async def the_record():
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    if record.key == key.encode():
                        return record
            return None

        return await eventually(the_record, timeout=timeout, what=f"record {key} on {topic}")
    finally:
        await asyncio.wait_for(consumer.stop(), 15)
