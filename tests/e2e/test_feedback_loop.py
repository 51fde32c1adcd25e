"""Feedback's projections fed over Kafka: responses are accepted once intake and catalog have
spoken, a delivered demand opens a survey, and satisfaction reaches the prioritizer's scores."""

from __future__ import annotations

import uuid

import pytest

from shared.testing.polling import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.asyncio(loop_scope="module")]


async def _created(http, url: str, body: dict, headers: dict) -> dict:
    response = await http.post(url, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _service(http, catalog: str, headers: dict) -> dict:
    code = f"risk{uuid.uuid4().hex[:6]}"
    await _created(http, f"{catalog}/v1/functions", {"code": code, "name": "Risk",
                                                     "description": "Risk management"}, headers)
    return await _created(http, f"{catalog}/v1/services", {
        "function_code": code, "name": "Risk clinic", "description": "Weekly risk clinic",
        "target_segments": ["delivery_team"],
        "value_propositions": [{"segment": "delivery_team", "outcome": "Risks caught early",
                                "cost_estimate": "1 hour a week"}]}, headers)


async def test_feedback_learns_customers_and_services_from_events(platform, http, admin):
    intake, catalog, feedback = (platform.urls[n] for n in ("intake", "catalog", "feedback"))
    prioritizer = platform.urls["prioritizer"]
    customer = await _created(http, f"{intake}/v1/customers", {
        "name": "Plant Ops", "segment": "delivery_team", "strategic_importance": 3,
        "maturity": 2}, admin)
    service = await _service(http, catalog, admin)
    demand = None

    async def demand_accepted():
        nonlocal demand
        response = await http.post(f"{intake}/v1/demands", json={
            "customer_id": customer["id"], "title": "Risks found too late", "kind": "service_change",
            "problem": "Risks surface in the steering meeting, weeks after they were visible.",
            "severity": 4, "service_id": service["id"], "function_code": service["function_code"]},
            headers=admin)
        demand = response.json() if response.status_code == 201 else None
        return demand

    await eventually(demand_accepted, timeout=30, what="intake knowing the new service")
    body = {"customer_id": customer["id"], "service_id": service["id"], "csat": 1,
            "perceived_value": 2, "nps": 3, "comment": "The clinic is always cancelled"}

    async def response_accepted():
        response = await http.post(f"{feedback}/v1/responses", json=body, headers=admin)
        assert response.status_code in (201, 422), response.text
        return response.status_code == 201

    await eventually(response_accepted, timeout=30, what="feedback knowing customer and service")
    alerts = (await http.get(f"{feedback}/v1/alerts?service_id={service['id']}", headers=admin)).json()
    assert len(alerts["items"]) == 1

    async def satisfaction_gap():
        response = await http.get(f"{prioritizer}/v1/rankings/{demand['id']}", headers=admin)
        if response.status_code != 200:
            return None
        gap = next(f for f in response.json()["factors"] if f["name"] == "satisfaction_gap")
        return gap["value"] > 0 and gap

    gap = await eventually(satisfaction_gap, timeout=30, what="feedback reaching the demand's score")
    assert gap["inputs"]["responses"] == 1


async def test_a_delivered_demand_opens_a_survey_that_its_response_closes(platform, http, admin):
    intake, catalog, feedback = (platform.urls[n] for n in ("intake", "catalog", "feedback"))
    customer = await _created(http, f"{intake}/v1/customers", {
        "name": "Finance PMO", "segment": "program_leader", "strategic_importance": 4,
        "maturity": 3}, admin)
    service = await _service(http, catalog, admin)

    async def demand_accepted():
        response = await http.post(f"{intake}/v1/demands", json={
            "customer_id": customer["id"], "title": "Risk reviews", "kind": "support_request",
            "problem": "We need help running our first risk review.", "severity": 3,
            "service_id": service["id"]}, headers=admin)
        return response.json() if response.status_code == 201 else None

    demand = await eventually(demand_accepted, timeout=30, what="intake knowing the service")
    for status in ("triaged", "planned", "in_progress", "delivered"):
        moved = await http.post(f"{intake}/v1/demands/{demand['id']}/transitions",
                                json={"to": status}, headers=admin)
        assert moved.status_code == 200

    async def pending():
        response = await http.get(f"{feedback}/v1/surveys/pending?customer_id={customer['id']}",
                                  headers=admin)
        return [s for s in response.json()["items"] if s["demand_id"] == demand["id"]]

    [survey] = await eventually(pending, timeout=30, what="a pending survey for the delivery")
    assert survey["service_id"] == service["id"]
    await _created(http, f"{feedback}/v1/responses", {
        "customer_id": customer["id"], "service_id": service["id"], "demand_id": demand["id"],
        "csat": 5, "perceived_value": 5, "nps": 10}, admin)
    assert await pending() == []
