"""feedback over HTTP on a real database: responses, summaries, detractor alerts, surveys."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from services.feedback.consumers import HANDLERS
from shared.consumer import apply_once
from shared.events import new_event
from shared.testing.fixtures import bearer

EXEC_A = "0c000000-0000-4000-8000-00000000000a"
TEAM_B = "0c000000-0000-4000-8000-00000000000b"
EXEC_C = "0c000000-0000-4000-8000-00000000000c"
STRANGER = "0c000000-0000-4000-8000-0000000000ff"
DASHBOARD = "5e000000-0000-4000-8000-000000000001"
RISK_REVIEW = "5e000000-0000-4000-8000-000000000002"
OLD_DIGEST = "5e000000-0000-4000-8000-000000000003"
DEMAND = "de000000-0000-4000-8000-000000000001"
NOW = datetime(2026, 3, 15, 12, tzinfo=UTC)


def customer(customer_id: str, name: str, segment: str) -> dict:
    """A customer as intake publishes it: the full aggregate, more than feedback keeps."""
    return {"id": customer_id, "name": name, "segment": segment, "business_unit": "Ops",
            "strategic_importance": 4, "maturity": 2, "contact_email": None,
            "profile": {"motivations": [], "priorities": [], "preferred_terms": []},
            "version": 1, "actor": "intake-test"}


def service(service_id: str, name: str, function_code: str, state: str) -> dict:
    return {"id": service_id, "function_code": function_code, "name": name,
            "description": "", "lifecycle_state": state, "target_segments": []}


async def feed(client, event_type: str, subject: str, data: dict, version: int = 1,
               source: str = "intake"):
    event = new_event(source, event_type, subject, data, version)
    assert await apply_once(client.app.state.runtime.db, HANDLERS, event)
    return event


async def known_world(client) -> None:
    """Three customers in two segments and three services, one of them retired."""
    for who in ((EXEC_A, "COO office", "executive"), (TEAM_B, "ERP delivery", "delivery_team"),
                (EXEC_C, "CFO office", "executive")):
        await feed(client, "pmo.customer.registered", who[0], customer(*who))
    for what in ((DASHBOARD, "Executive dashboard", "reporting", "active"),
                 (RISK_REVIEW, "Risk review", "risk", "pilot"),
                 (OLD_DIGEST, "Weekly digest", "reporting", "retired")):
        await feed(client, "pmo.service.proposed", what[0], service(*what), source="catalog")


def rating(customer_id: str, service_id: str, csat: int, value: int, nps: int | None,
           effort: int | None, **extra) -> dict:
    return {"customer_id": customer_id, "service_id": service_id, "csat": csat,
            "perceived_value": value, "nps": nps, "effort": effort, **extra}


async def submit(client, headers, body: dict, at: datetime | None = None) -> dict:
    if at is not None:
        client.app.state.runtime.extras["clock"] = lambda: at
    response = await client.post("/v1/responses", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def outbox(client) -> list[tuple[str, dict]]:
    runtime = client.app.state.runtime
    table = runtime.db.tables.outbox
    async with runtime.db.sessions() as session:
        rows = (await session.execute(select(table.c.event_type, table.c.payload)
                                      .order_by(table.c.id))).all()
    return [(row.event_type, json.loads(row.payload)) for row in rows]


# The responses whose numbers the tests below work out by hand; `NOW` is 2026-03-15 12:00 UTC.
HAND_COMPUTED = [  # (when, customer, service, csat, perceived value, nps, effort)
    ((2025, 10, 1), EXEC_A, DASHBOARD, 1, 1, 2, 7),
    ((2026, 1, 10), EXEC_A, DASHBOARD, 5, 4, 10, 2),
    ((2026, 1, 20), TEAM_B, DASHBOARD, 2, 2, 3, 6),
    ((2026, 2, 5), EXEC_A, DASHBOARD, 4, 5, None, None),
    ((2026, 3, 1), EXEC_C, DASHBOARD, 3, 3, 8, 4),
    ((2026, 3, 10), TEAM_B, DASHBOARD, 4, 4, 6, 3),
    ((2026, 3, 12), EXEC_C, RISK_REVIEW, 4, 3, None, 5),
]


async def hand_computed_set(client, headers) -> None:
    for when, *scores in HAND_COMPUTED:
        await submit(client, headers, rating(*scores), datetime(*when, tzinfo=UTC))
    client.app.state.runtime.extras["clock"] = lambda: NOW


async def test_response_is_created_read_and_published_with_the_segment(feedback, integration):
    await known_world(feedback)
    created = await submit(feedback, integration, rating(TEAM_B, DASHBOARD, 4, 5, 9, 2,
                                                         comment="Saves us a day", channel="portal"))
    assert created["segment"] == "delivery_team" and created["created_at"].endswith("Z")
    response = await feedback.get(f"/v1/responses/{created['id']}", headers=integration)
    assert response.status_code == 200 and response.json() == created
    listed = (await feedback.get(f"/v1/responses?service_id={DASHBOARD}", headers=integration)).json()
    assert [item["id"] for item in listed["items"]] == [created["id"]]
    unhappy = await submit(feedback, integration, rating(TEAM_B, DASHBOARD, 2, 3, None, 5))
    events = await outbox(feedback)
    assert [event_type for event_type, _ in events] == [
        "pmo.feedback.submitted", "pmo.feedback.submitted", "pmo.feedback.detractor_flagged"]
    submitted, alert = events[0][1], events[2][1]
    assert submitted["subject"] == created["id"] and submitted["source"] == "/pmo/feedback"
    assert submitted["data"]["segment"] == "delivery_team" and submitted["data"]["csat"] == 4
    assert alert["aggregateversion"] == 1 and alert["subject"] == alert["data"]["id"]
    assert alert["data"]["response_id"] == unhappy["id"] and alert["data"]["status"] == "open"
    assert alert["data"]["customer_id"] == TEAM_B and "overdue" not in alert["data"]


async def test_unknown_or_retired_references_are_422_and_store_nothing(feedback, admin):
    await known_world(feedback)
    cases = [(rating(STRANGER, DASHBOARD, 4, 4, 9, 2), "customer_id"),
             (rating(EXEC_A, "5e000000-0000-4000-8000-0000000000ff", 4, 4, 9, 2), "service_id"),
             (rating(EXEC_A, OLD_DIGEST, 1, 1, 0, 7), "service_id")]
    for body, field in cases:
        response = await feedback.post("/v1/responses", json=body, headers=admin)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["loc"] == ["body", field]
    extra = await feedback.post("/v1/responses", json=rating(EXEC_A, DASHBOARD, 4, 4, 9, 2) | {"mood": 1},
                                headers=admin)
    assert extra.status_code == 422
    out_of_scale = await feedback.post("/v1/responses", json=rating(EXEC_A, DASHBOARD, 6, 4, 11, 8),
                                       headers=admin)
    assert {tuple(e["loc"]) for e in out_of_scale.json()["errors"]} == {
        ("body", "csat"), ("body", "nps"), ("body", "effort")}
    assert (await feedback.get("/v1/responses", headers=admin)).json()["items"] == []
    assert (await feedback.get("/v1/alerts", headers=admin)).json()["items"] == []
    assert await outbox(feedback) == []


async def test_service_summary_matches_the_hand_computed_numbers(feedback, admin, viewer):
    await known_world(feedback)
    await hand_computed_set(feedback, admin)
    customer_token = bearer("customer", "coo", customer_id=EXEC_A)
    for headers in (viewer, customer_token):
        response = await feedback.get(f"/v1/services/{DASHBOARD}/summary", headers=headers)
        assert response.status_code == 200
    # The window since 2025-12-15 12:00 drops October's response and excludes the other service.
    assert response.json() == {
        "service_id": DASHBOARD, "window_days": 90, "responses": 5, "csat_avg": 3.6,
        "perceived_value_avg": 3.6, "nps": -25.0, "effort_avg": 3.75,
        "by_segment": {
            "delivery_team": {"responses": 2, "csat_avg": 3.0, "perceived_value_avg": 3.0,
                              "nps": -100.0, "effort_avg": 4.5},
            "executive": {"responses": 3, "csat_avg": 4.0, "perceived_value_avg": 4.0,
                          "nps": 50.0, "effort_avg": 3.0}},
        "trend": [
            {"period": "2025-12", "csat_avg": None, "perceived_value_avg": None, "responses": 0},
            {"period": "2026-01", "csat_avg": 3.5, "perceived_value_avg": 3.0, "responses": 2},
            {"period": "2026-02", "csat_avg": 4.0, "perceived_value_avg": 5.0, "responses": 1},
            {"period": "2026-03", "csat_avg": 3.5, "perceived_value_avg": 3.5, "responses": 2}]}
    # Since 2026-02-03: nps answers 8 and 6 only, so 0 promoters and 1 detractor of 2.
    recent = (await feedback.get(f"/v1/services/{DASHBOARD}/summary?window_days=40",
                                 headers=viewer)).json()
    assert (recent["responses"], recent["nps"], recent["csat_avg"]) == (3, -50.0, 3.67)
    no_nps = (await feedback.get(f"/v1/services/{RISK_REVIEW}/summary", headers=viewer)).json()
    assert (no_nps["responses"], no_nps["nps"], no_nps["csat_avg"], no_nps["effort_avg"]) == (
        1, None, 4.0, 5.0)
    unknown = await feedback.get(f"/v1/services/{STRANGER}/summary", headers=viewer)
    assert unknown.status_code == 404
    assert (await feedback.get(f"/v1/services/{DASHBOARD}/summary?window_days=0",
                               headers=viewer)).status_code == 422


async def test_portfolio_summary_puts_every_known_service_side_by_side(feedback, admin, viewer):
    await known_world(feedback)
    await hand_computed_set(feedback, admin)
    portfolio = (await feedback.get("/v1/summary", headers=viewer)).json()
    assert [item["name"] for item in portfolio["items"]] == [
        "Executive dashboard", "Risk review", "Weekly digest"]
    dashboard, risk, digest = portfolio["items"]
    assert (dashboard["responses"], dashboard["csat_avg"], dashboard["nps"], dashboard["open_alerts"]) == (
        5, 3.6, -25.0, 3)
    assert (risk["responses"], risk["nps"], risk["lifecycle_state"]) == (1, None, "pilot")
    assert (digest["responses"], digest["csat_avg"], digest["open_alerts"]) == (0, None, 0)
    executives = (await feedback.get("/v1/summary?segment=executive&function_code=reporting",
                                     headers=viewer)).json()
    assert executives["segment"] == "executive"
    assert [(i["name"], i["responses"], i["csat_avg"], i["nps"], i["open_alerts"])
            for i in executives["items"]] == [("Executive dashboard", 3, 4.0, 50.0, 1),
                                              ("Weekly digest", 0, None, None, 0)]
    assert (await feedback.get("/v1/summary?segment=martians", headers=viewer)).status_code == 422


async def test_detractors_open_alerts_that_are_assigned_resolved_and_go_overdue(feedback, admin, viewer):
    await known_world(feedback)
    await hand_computed_set(feedback, admin)
    alerts = (await feedback.get("/v1/alerts?status=open", headers=viewer)).json()["items"]
    # Detractors: October (csat 1, nps 2), January (csat 2, nps 3), March (nps 6); no others.
    assert [(a["csat"], a["nps"], a["overdue"]) for a in alerts] == [
        (1, 2, True), (2, 3, True), (4, 6, False)]
    assert alerts[2]["reason"].startswith("nps 6") and "csat 2" in alerts[1]["reason"]
    overdue = (await feedback.get("/v1/alerts?overdue=true", headers=viewer)).json()["items"]
    assert [a["id"] for a in overdue] == [alerts[0]["id"], alerts[1]["id"]]
    url = f"/v1/alerts/{alerts[1]['id']}"
    assigned = await feedback.post(f"{url}/assign", json={"assignee": "ana"}, headers=admin)
    assert assigned.status_code == 200 and assigned.headers["etag"] == '"2"'
    assert assigned.json()["assignee"] == "ana"
    stale = await feedback.post(f"{url}/resolve", json={"note": "called"},
                                headers=admin | {"If-Match": '"1"'})
    assert stale.status_code == 412
    assert (await feedback.post(f"{url}/resolve", json={}, headers=admin)).status_code == 422
    assert (await feedback.post(f"{url}/resolve", json={"note": "x"}, headers=viewer)).status_code == 403
    resolved = await feedback.post(f"{url}/resolve", json={"note": "Called; training booked"},
                                   headers=admin | {"If-Match": '"2"'})
    body = resolved.json()
    assert resolved.status_code == 200 and body["status"] == "resolved" and not body["overdue"]
    assert body["resolved_at"] == "2026-03-15T12:00:00Z" and body["resolved_by"] == "alice-admin"
    again = await feedback.post(f"{url}/resolve", json={"note": "twice"}, headers=admin)
    assert again.status_code == 409
    assert (await feedback.post(f"{url}/assign", json={"assignee": "bo"}, headers=admin)).status_code == 409
    overdue = (await feedback.get("/v1/alerts?overdue=true", headers=viewer)).json()["items"]
    assert [a["id"] for a in overdue] == [alerts[0]["id"]]
    fresh = (await feedback.get("/v1/alerts?overdue=false&status=open", headers=viewer)).json()["items"]
    assert [a["id"] for a in fresh] == [alerts[2]["id"]]
    fetched = await feedback.get(f"/v1/alerts/{alerts[0]['id']}", headers=viewer)
    assert fetched.headers["etag"] == '"1"' and fetched.json()["overdue"] is True
    types = [event_type for event_type, _ in await outbox(feedback)]
    assert types.count("pmo.feedback.submitted") == 7
    assert types.count("pmo.feedback.detractor_flagged") == 3


async def test_a_delivered_demand_opens_a_survey_that_the_response_closes(feedback, admin):
    await known_world(feedback)
    demand = {"id": DEMAND, "customer_id": TEAM_B, "service_id": DASHBOARD, "title": "Weekly KPIs",
              "status": "delivered", "from_status": "in_progress", "to_status": "delivered"}
    moving = demand | {"status": "in_progress", "from_status": "planned", "to_status": "in_progress"}
    await feed(feedback, "pmo.demand.status_changed", DEMAND, moving, 4)
    own = bearer("customer", "erp-lead", customer_id=TEAM_B)
    assert (await feedback.get("/v1/surveys/pending", headers=own)).json()["items"] == []
    delivered = await feed(feedback, "pmo.demand.status_changed", DEMAND, demand, 5)
    # At-least-once delivery: the same event again is recognized by the inbox and changes nothing.
    assert not await apply_once(feedback.app.state.runtime.db, HANDLERS, delivered)
    pending = (await feedback.get("/v1/surveys/pending", headers=own)).json()["items"]
    assert len(pending) == 1
    assert pending[0]["demand_id"] == DEMAND and pending[0]["service_id"] == DASHBOARD
    assert pending[0]["status"] == "pending" and pending[0]["demand_title"] == "Weekly KPIs"
    other = bearer("customer", "coo", customer_id=EXEC_A)
    assert (await feedback.get("/v1/surveys/pending", headers=other)).json()["items"] == []
    assert (await feedback.get("/v1/surveys/pending", headers=bearer("viewer"))).status_code == 403
    await submit(feedback, own, rating(TEAM_B, DASHBOARD, 5, 5, 10, 1, demand_id=DEMAND))
    assert (await feedback.get("/v1/surveys/pending", headers=admin)).json()["items"] == []


async def test_customer_token_sees_and_submits_only_its_own(feedback, admin):
    await known_world(feedback)
    assert (await feedback.get("/v1/responses")).status_code == 401
    own = bearer("customer", "coo", customer_id=EXEC_A)
    mine = await submit(feedback, own, rating(EXEC_A, DASHBOARD, 4, 4, 9, 2))
    assert mine["submitted_by"] == "coo"
    theirs = await submit(feedback, admin, rating(TEAM_B, DASHBOARD, 3, 3, 7, 3))
    foreign = await feedback.post("/v1/responses", json=rating(TEAM_B, DASHBOARD, 5, 5, 10, 1), headers=own)
    assert foreign.status_code == 404
    assert (await feedback.get(f"/v1/responses/{theirs['id']}", headers=own)).status_code == 404
    listed = (await feedback.get("/v1/responses", headers=own)).json()["items"]
    assert [item["id"] for item in listed] == [mine["id"]]
    filtered = (await feedback.get(f"/v1/responses?customer_id={TEAM_B}", headers=own)).json()
    assert filtered["items"] == []
    assert (await feedback.get("/v1/alerts", headers=own)).status_code == 403
    assert len((await feedback.get("/v1/responses", headers=admin)).json()["items"]) == 2


async def test_projections_keep_the_newest_version(feedback, admin):
    await known_world(feedback)
    moved = customer(EXEC_A, "COO office", "program_leader") | {"version": 3}
    await feed(feedback, "pmo.customer.updated", EXEC_A, moved, 3)
    late = customer(EXEC_A, "COO office", "other") | {"version": 2}
    await feed(feedback, "pmo.customer.updated", EXEC_A, late, 2)
    created = await submit(feedback, admin, rating(EXEC_A, RISK_REVIEW, 4, 4, None, None))
    assert created["segment"] == "program_leader"
    retired = service(RISK_REVIEW, "Risk review", "risk", "retired") | {"from_state": "pilot",
                                                                       "to_state": "retired"}
    await feed(feedback, "pmo.service.lifecycle_changed", RISK_REVIEW, retired, 4, source="catalog")
    refused = await feedback.post("/v1/responses", json=rating(EXEC_A, RISK_REVIEW, 4, 4, 9, 2),
                                  headers=admin)
    assert refused.status_code == 422


async def test_idempotency_key_replays_without_a_second_response_or_alert(feedback, admin):
    await known_world(feedback)
    headers = admin | {"Idempotency-Key": "survey-17"}
    body = rating(TEAM_B, DASHBOARD, 1, 2, 0, 7)
    first = await feedback.post("/v1/responses", json=body, headers=headers)
    again = await feedback.post("/v1/responses", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and first.headers["location"] == again.headers["location"]
    changed = await feedback.post("/v1/responses", json=body | {"csat": 2}, headers=headers)
    assert changed.status_code == 409
    assert len((await feedback.get("/v1/responses", headers=admin)).json()["items"]) == 1
    assert len((await feedback.get("/v1/alerts", headers=admin)).json()["items"]) == 1


async def test_lists_are_paged_by_cursor(feedback, admin):
    await known_world(feedback)
    start = NOW - timedelta(days=1)
    ids = [(await submit(feedback, admin, rating(EXEC_C, DASHBOARD, 3, 3, 7, 3),
                         start + timedelta(minutes=i)))["id"] for i in range(5)]
    seen, cursor = [], None
    while True:
        page = (await feedback.get("/v1/responses?limit=2" + (f"&cursor={cursor}" if cursor else ""),
                                   headers=admin)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ids
    assert (await feedback.get("/v1/alerts?cursor=garbage", headers=admin)).status_code == 422
