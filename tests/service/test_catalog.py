"""catalog over HTTP on a real database: functions, services, the lifecycle, views and events."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from shared.testing.fixtures import bearer

# Copied from contract §3 rather than imported, so these tests hold the service to the contract.
LIFECYCLE = {
    "proposed": ["in_design", "retired"],
    "in_design": ["pilot", "proposed", "retired"],
    "pilot": ["active", "in_design", "retired"],
    "active": ["improving", "retired"],
    "improving": ["active", "retired"],
    "retired": [],
}
# A legal road from `proposed` to every state.
ROAD = {
    "proposed": [],
    "in_design": ["in_design"],
    "pilot": ["in_design", "pilot"],
    "active": ["in_design", "pilot", "active"],
    "improving": ["in_design", "pilot", "active", "improving"],
    "retired": ["retired"],
}

FUNCTION = {"code": "reporting", "name": "Reporting",
            "description": "Status and performance reporting for projects and portfolios."}
SERVICE = {
    "function_code": "reporting", "name": "Executive one-pager",
    "description": "One page per program, every Monday, with the decisions it needs.",
    "target_segments": ["executive", "program_leader"],
    "value_propositions": [
        {"segment": "executive", "outcome": "In one minute I see which programs are off track.",
         "cost_estimate": "5 minutes a week"},
        {"segment": "program_leader", "outcome": "My sponsors hear one story and stop chasing me.",
         "cost_estimate": None},
    ],
    "owner": "Reporting lead", "capacity_per_month": 40,
}


def today():
    return datetime.now(UTC).date()


def pilot_plan(ends_in_days: int = 30) -> dict:
    return {"customer_ids": [str(uuid.uuid4())], "success_criteria": "Both sponsors drop slides.",
            "ends_on": (today() + timedelta(days=ends_in_days)).isoformat()}


def move_body(to: str, **overrides) -> dict:
    """A transition request that passes every gate of a legal move to `to`."""
    body = {"to": to, "reason": f"ready for {to}"}
    if to == "pilot":
        body["pilot"] = pilot_plan()
    if to == "active":
        body["evidence"] = "Pilot customers rated it 4.6 of 5."
    return body | overrides


async def create_function(client, headers, **overrides) -> dict:
    response = await client.post("/v1/functions", json=FUNCTION | overrides, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def create_service(client, headers, **overrides) -> dict:
    response = await client.post("/v1/services", json=SERVICE | overrides, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def move(client, headers, service: dict, to: str, **overrides):
    return await client.post(f"/v1/services/{service['id']}/transitions",
                             json=move_body(to, **overrides),
                             headers=headers | {"If-Match": f'"{service["version"]}"'})


async def service_in(client, headers, state: str, **overrides) -> dict:
    """A new service walked along legal moves until it is in `state`."""
    service = await create_service(client, headers, **overrides)
    for step in ROAD[state]:
        response = await move(client, headers, service, step)
        assert response.status_code == 200, response.text
        service = response.json()
    return service


async def outbox(client) -> list[dict]:
    runtime = client.app.state.runtime
    table = runtime.db.tables.outbox
    async with runtime.db.sessions() as session:
        rows = (await session.execute(select(table.c.event_type, table.c.key, table.c.payload)
                                      .order_by(table.c.id))).all()
    return [json.loads(row.payload) | {"key": row.key} for row in rows]


async def outbox_types(client) -> list[str]:
    return [event["type"] for event in await outbox(client)]


@pytest.fixture
async def reporting(catalog, admin) -> dict:
    return await create_function(catalog, admin)


# --- functions ------------------------------------------------------------------------------

async def test_function_is_created_read_listed_and_published(catalog, admin):
    created = await catalog.post("/v1/functions", json=FUNCTION, headers=admin)
    assert created.status_code == 201
    assert created.headers["location"] == "/v1/functions/reporting"
    assert created.headers["etag"] == '"1"'
    read = await catalog.get("/v1/functions/reporting", headers=admin)
    assert read.status_code == 200 and read.json() == created.json()
    assert read.json()["code"] == "reporting" and read.json()["created_at"].endswith("Z")
    page = (await catalog.get("/v1/functions", headers=admin)).json()
    assert [item["code"] for item in page["items"]] == ["reporting"] and page["next_cursor"] is None
    [event] = await outbox(catalog)
    assert event["type"] == "pmo.function.created" and event["source"] == "/pmo/catalog"
    assert event["subject"] == event["key"] == "reporting" and event["aggregateversion"] == 1
    assert {k: event["data"][k] for k in FUNCTION} == FUNCTION


async def test_function_code_is_a_unique_lowercase_slug(catalog, admin):
    await create_function(catalog, admin)
    duplicate = await catalog.post("/v1/functions", json=FUNCTION | {"name": "Again"}, headers=admin)
    assert duplicate.status_code == 409
    assert duplicate.headers["content-type"] == "application/problem+json"
    for code in ("Reporting", "risk mgmt", "", "9lives"):
        bad = await catalog.post("/v1/functions", json=FUNCTION | {"code": code}, headers=admin)
        assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["body", "code"]
    assert (await catalog.get("/v1/functions/unknown", headers=admin)).status_code == 404
    assert await outbox_types(catalog) == ["pmo.function.created"]


async def test_function_list_is_paged(catalog, admin):
    codes = [f"f{i}" for i in range(5)]
    for code in codes:
        await create_function(catalog, admin, code=code)
    seen, cursor = [], None
    while True:
        query = "/v1/functions?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = (await catalog.get(query, headers=admin)).json()
        assert len(page["items"]) <= 2
        seen += [item["code"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == codes
    assert (await catalog.get("/v1/functions?limit=201", headers=admin)).status_code == 422


# --- services -------------------------------------------------------------------------------

async def test_service_starts_proposed_and_is_published_with_its_full_state(catalog, admin, reporting):
    created = await catalog.post("/v1/services", json=SERVICE, headers=admin)
    assert created.status_code == 201
    service = created.json()
    assert created.headers["location"] == f"/v1/services/{service['id']}"
    assert created.headers["etag"] == '"1"'
    assert service["lifecycle_state"] == "proposed" and service["version"] == 1
    assert service["pilot"] is None and service["replacement_service_id"] is None
    assert service["state_changed_at"] == service["created_at"]
    assert {k: service[k] for k in SERVICE} == SERVICE
    read = await catalog.get(f"/v1/services/{service['id']}", headers=admin)
    assert read.json() == service and read.headers["etag"] == '"1"'
    event = (await outbox(catalog))[-1]
    assert event["type"] == "pmo.service.proposed" and event["subject"] == service["id"]
    assert event["key"] == service["id"] and event["aggregateversion"] == 1
    assert event["data"] == service | {"actor": "alice-admin"}


async def test_bad_service_input_is_422_and_stores_nothing(catalog, admin, reporting):
    cases = [
        (SERVICE | {"colour": "red"}, ["body", "colour"]),
        (SERVICE | {"function_code": "astrology"}, ["body", "function_code"]),
        (SERVICE | {"target_segments": ["executive"]}, ["body", "value_propositions"]),
        (SERVICE | {"target_segments": ["executive", "executive"], "value_propositions": []},
         ["body", "target_segments"]),
        (SERVICE | {"value_propositions": SERVICE["value_propositions"][:1] * 2},
         ["body", "value_propositions"]),
        (SERVICE | {"target_segments": ["board"]}, ["body", "target_segments", 0]),
        (SERVICE | {"target_segments": []}, ["body", "target_segments"]),
        (SERVICE | {"name": ""}, ["body", "name"]),
    ]
    for body, loc in cases:
        response = await catalog.post("/v1/services", json=body, headers=admin)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["loc"] == loc, response.json()
    assert (await catalog.get("/v1/services", headers=admin)).json()["items"] == []
    assert await outbox_types(catalog) == ["pmo.function.created"]


async def test_idempotency_key_replays_the_create_and_rejects_another_body(catalog, admin, reporting):
    headers = admin | {"Idempotency-Key": "import-7"}
    first = await catalog.post("/v1/services", json=SERVICE, headers=headers)
    again = await catalog.post("/v1/services", json=SERVICE, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["location"] == first.headers["location"]
    other = await catalog.post("/v1/services", json=SERVICE | {"name": "Other"}, headers=headers)
    assert other.status_code == 409
    assert len((await catalog.get("/v1/services", headers=admin)).json()["items"]) == 1
    assert (await outbox_types(catalog)).count("pmo.service.proposed") == 1


async def test_patch_edits_content_under_if_match(catalog, admin, reporting):
    service = await create_service(catalog, admin)
    url = f"/v1/services/{service['id']}"
    ok = await catalog.patch(url, json={"owner": "PMO desk", "capacity_per_month": 60},
                             headers=admin | {"If-Match": '"1"'})
    assert ok.status_code == 200 and ok.headers["etag"] == '"2"'
    assert ok.json()["owner"] == "PMO desk" and ok.json()["lifecycle_state"] == "proposed"
    stale = await catalog.patch(url, json={"owner": "Nobody"}, headers=admin | {"If-Match": '"1"'})
    assert stale.status_code == 412
    assert (await catalog.get(url, headers=admin)).json()["owner"] == "PMO desk"
    event = (await outbox(catalog))[-1]
    assert event["type"] == "pmo.service.updated" and event["aggregateversion"] == 2
    assert event["data"]["owner"] == "PMO desk"


async def test_patch_keeps_the_rules_of_create(catalog, admin, reporting):
    service = await create_service(catalog, admin)
    url = f"/v1/services/{service['id']}"
    for body, field in [({"target_segments": ["executive"]}, "value_propositions"),
                        ({"function_code": "astrology"}, "function_code"),
                        ({"name": None}, "name"),
                        ({"lifecycle_state": "active"}, "lifecycle_state")]:
        response = await catalog.patch(url, json=body, headers=admin)
        assert response.status_code == 422 and response.json()["errors"][0]["loc"] == ["body", field]
    assert (await catalog.get(url, headers=admin)).json()["version"] == 1
    narrowed = await catalog.patch(url, json={
        "target_segments": ["delivery_team"], "value_propositions": [
            {"segment": "delivery_team", "outcome": "One status, typed once.", "cost_estimate": None}]},
        headers=admin)
    assert narrowed.status_code == 200
    executive = (await catalog.get("/v1/services?segment=executive", headers=admin)).json()
    team = (await catalog.get("/v1/services?segment=delivery_team", headers=admin)).json()
    assert executive["items"] == [] and [s["id"] for s in team["items"]] == [service["id"]]


async def test_retired_service_content_is_frozen(catalog, admin, reporting):
    service = await service_in(catalog, admin, "retired")
    response = await catalog.patch(f"/v1/services/{service['id']}", json={"owner": "x"}, headers=admin)
    assert response.status_code == 409


async def test_unknown_service_is_404(catalog, admin):
    missing = str(uuid.uuid4())
    assert (await catalog.get(f"/v1/services/{missing}", headers=admin)).status_code == 404
    assert (await catalog.get(f"/v1/services/{missing}/history", headers=admin)).status_code == 404
    moved = await catalog.post(f"/v1/services/{missing}/transitions", json=move_body("in_design"),
                               headers=admin)
    assert moved.status_code == 404


# --- the lifecycle table ----------------------------------------------------------------------

PAIRS = [(current, target) for current in LIFECYCLE for target in LIFECYCLE]


@pytest.mark.parametrize(("current", "target"), PAIRS, ids=[f"{c}->{t}" for c, t in PAIRS])
async def test_lifecycle_table_is_law(catalog, admin, reporting, current, target):
    service = await service_in(catalog, admin, current)
    response = await move(catalog, admin, service, target)
    after = (await catalog.get(f"/v1/services/{service['id']}", headers=admin)).json()
    if target in LIFECYCLE[current]:
        assert response.status_code == 200, response.text
        assert response.json()["lifecycle_state"] == target == after["lifecycle_state"]
        assert response.json()["version"] == service["version"] + 1
        assert response.headers["etag"] == f'"{service["version"] + 1}"'
    else:
        assert response.status_code == 409, response.text
        problem = response.json()
        assert response.headers["content-type"] == "application/problem+json"
        assert problem["allowed"] == LIFECYCLE[current]
        assert problem["current"] == current and problem["requested"] == target
        assert after == service


async def test_transition_records_when_the_state_changed(catalog, admin, reporting):
    service = await create_service(catalog, admin)
    moved = (await move(catalog, admin, service, "in_design")).json()
    assert moved["state_changed_at"] >= service["state_changed_at"]
    assert moved["updated_at"] == moved["state_changed_at"]
    edited = (await catalog.patch(f"/v1/services/{service['id']}", json={"owner": "x"},
                                  headers=admin)).json()
    assert edited["state_changed_at"] == moved["state_changed_at"]


# --- gates ----------------------------------------------------------------------------------

async def assert_refused(client, headers, service: dict, body: dict, field) -> None:
    url = f"/v1/services/{service['id']}"
    response = await client.post(f"{url}/transitions", json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"][:len(field)] == field
    assert (await client.get(url, headers=headers)).json() == service


async def test_entering_pilot_needs_a_full_pilot_plan(catalog, admin, reporting):
    service = await service_in(catalog, admin, "in_design")
    plan = pilot_plan()
    for body, field in [
        ({"to": "pilot", "reason": "trial"}, ["body", "pilot"]),
        (move_body("pilot", pilot=plan | {"customer_ids": []}), ["body", "pilot", "customer_ids"]),
        (move_body("pilot", pilot=plan | {"customer_ids": ["not-a-uuid"]}), ["body", "pilot"]),
        (move_body("pilot", pilot={k: plan[k] for k in ("customer_ids", "ends_on")}),
         ["body", "pilot", "success_criteria"]),
        (move_body("pilot", pilot=plan | {"success_criteria": ""}), ["body", "pilot"]),
        (move_body("pilot", pilot={k: plan[k] for k in ("customer_ids", "success_criteria")}),
         ["body", "pilot", "ends_on"]),
        (move_body("pilot", pilot=plan | {"ends_on": "next spring"}), ["body", "pilot", "ends_on"]),
        (move_body("proposed", pilot=plan), ["body", "pilot"]),
    ]:
        await assert_refused(catalog, admin, service, body, field)
    entered = await move(catalog, admin, service, "pilot", pilot=plan)
    assert entered.status_code == 200 and entered.json()["pilot"] == plan


async def test_going_active_needs_evidence_and_ends_the_pilot(catalog, admin, reporting):
    piloting = await service_in(catalog, admin, "pilot")
    await assert_refused(catalog, admin, piloting, {"to": "active", "reason": "done"}, ["body", "evidence"])
    await assert_refused(catalog, admin, piloting, move_body("active", evidence=""), ["body", "evidence"])
    live = await move(catalog, admin, piloting, "active")
    assert live.status_code == 200 and live.json()["pilot"] is None
    improving = (await move(catalog, admin, live.json(), "improving")).json()
    await assert_refused(catalog, admin, improving, {"to": "active"}, ["body", "evidence"])
    assert (await move(catalog, admin, improving, "active")).status_code == 200


async def test_retiring_needs_a_reason_and_a_live_replacement(catalog, admin, reporting):
    old = await service_in(catalog, admin, "active")
    gone = await service_in(catalog, admin, "retired")
    successor = await service_in(catalog, admin, "pilot")
    for body, field in [
        ({"to": "retired"}, ["body", "reason"]),
        ({"to": "retired", "reason": ""}, ["body", "reason"]),
        (move_body("retired", replacement_service_id=str(uuid.uuid4())), ["body", "replacement_service_id"]),
        (move_body("retired", replacement_service_id=old["id"]), ["body", "replacement_service_id"]),
        (move_body("retired", replacement_service_id=gone["id"]), ["body", "replacement_service_id"]),
        (move_body("retired", replacement_service_id="nope"), ["body", "replacement_service_id"]),
        (move_body("improving", replacement_service_id=successor["id"]), ["body", "replacement_service_id"]),
    ]:
        await assert_refused(catalog, admin, old, body, field)
    retired = await move(catalog, admin, old, "retired", replacement_service_id=successor["id"])
    assert retired.status_code == 200
    assert retired.json()["replacement_service_id"] == successor["id"]
    plain = await service_in(catalog, admin, "proposed")
    assert (await move(catalog, admin, plain, "retired")).json()["replacement_service_id"] is None


# --- concurrency ----------------------------------------------------------------------------

async def test_concurrent_transitions_from_one_version_let_exactly_one_win(catalog, admin, reporting):
    service = await create_service(catalog, admin)
    url = f"/v1/services/{service['id']}/transitions"
    headers = admin | {"If-Match": '"1"'}
    first, second = await asyncio.gather(
        catalog.post(url, json=move_body("in_design", reason="first"), headers=headers),
        catalog.post(url, json=move_body("retired", reason="second"), headers=headers))
    assert sorted([first.status_code, second.status_code]) == [200, 412]
    loser = second if first.status_code == 200 else first
    assert loser.headers["content-type"] == "application/problem+json"
    winner = first if first.status_code == 200 else second
    current = (await catalog.get(f"/v1/services/{service['id']}", headers=admin)).json()
    assert current["version"] == 2 and current["lifecycle_state"] == winner.json()["lifecycle_state"]
    history = (await catalog.get(f"/v1/services/{service['id']}/history", headers=admin)).json()
    assert len(history["items"]) == 1
    assert (await outbox_types(catalog)).count("pmo.service.lifecycle_changed") == 1


# --- authorization --------------------------------------------------------------------------

async def test_analyst_moves_services_up_to_active_but_only_admin_retires_or_reactivates(
        catalog, admin, analyst):
    await create_function(catalog, analyst)
    service = await create_service(catalog, analyst)
    designed = await move(catalog, analyst, service, "in_design")
    assert designed.status_code == 200
    refused = await move(catalog, analyst, designed.json(), "retired")
    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
    live = await service_in(catalog, analyst, "improving")
    assert (await move(catalog, analyst, live, "active")).status_code == 403
    assert (await move(catalog, admin, live, "active")).status_code == 200
    assert (await catalog.patch(f"/v1/services/{live['id']}", json={"owner": "ana"},
                                headers=analyst)).status_code == 200
    current = (await catalog.get(f"/v1/services/{service['id']}", headers=analyst)).json()
    assert current["lifecycle_state"] == "in_design"
    assert (await move(catalog, admin, current, "retired")).status_code == 200


@pytest.mark.parametrize("role", ["viewer", "integration", "customer"])
async def test_readers_cannot_write(catalog, admin, reporting, role):
    service = await create_service(catalog, admin)
    reader = bearer(role, f"{role}-1", customer_id=str(uuid.uuid4()) if role == "customer" else None)
    url = f"/v1/services/{service['id']}"
    writes = [catalog.post("/v1/functions", json=FUNCTION | {"code": "risk"}, headers=reader),
              catalog.post("/v1/services", json=SERVICE, headers=reader),
              catalog.patch(url, json={"owner": "x"}, headers=reader),
              catalog.post(f"{url}/transitions", json=move_body("in_design"), headers=reader)]
    for response in await asyncio.gather(*writes):
        assert response.status_code == 403
    for path in ("/v1/functions", "/v1/functions/reporting", "/v1/services", url, f"{url}/history",
                 "/v1/catalog?segment=executive"):
        assert (await catalog.get(path, headers=reader)).status_code == 200, path
    assert (await catalog.get(url, headers=admin)).json() == service


async def test_no_token_or_a_bad_one_is_401(catalog):
    assert (await catalog.get("/v1/services")).status_code == 401
    assert (await catalog.get("/v1/catalog?segment=executive")).status_code == 401
    forged = {"Authorization": "Bearer x.y.z"}
    assert (await catalog.post("/v1/functions", json=FUNCTION, headers=forged)).status_code == 401


# --- views ----------------------------------------------------------------------------------

async def test_segment_filter_answers_with_that_segments_value_proposition(catalog, admin, reporting):
    one_pager = await create_service(catalog, admin)
    desk = await create_service(catalog, admin, name="Delivery desk", target_segments=["delivery_team"],
                                value_propositions=[])
    listed = (await catalog.get("/v1/services?segment=executive", headers=admin)).json()["items"]
    assert [item["id"] for item in listed] == [one_pager["id"]]
    assert listed[0]["value_proposition"] == SERVICE["value_propositions"][0]
    leaders = (await catalog.get("/v1/services?segment=program_leader", headers=admin)).json()["items"]
    assert leaders[0]["value_proposition"] == SERVICE["value_propositions"][1]
    team = (await catalog.get("/v1/services?segment=delivery_team", headers=admin)).json()["items"]
    assert [item["id"] for item in team] == [desk["id"]] and team[0]["value_proposition"] is None
    everyone = (await catalog.get("/v1/services", headers=admin)).json()["items"]
    assert len(everyone) == 2 and all(item["value_proposition"] is None for item in everyone)
    assert (await catalog.get("/v1/services?segment=board", headers=admin)).status_code == 422


async def test_services_filter_by_state_and_function(catalog, admin, reporting):
    await create_function(catalog, admin, code="risk", name="Risk")
    designed = await service_in(catalog, admin, "in_design")
    risky = await create_service(catalog, admin, function_code="risk", name="Risk clinic")
    by_state = (await catalog.get("/v1/services?state=in_design", headers=admin)).json()["items"]
    assert [item["id"] for item in by_state] == [designed["id"]]
    by_function = (await catalog.get("/v1/services?function_code=risk", headers=admin)).json()["items"]
    assert [item["id"] for item in by_function] == [risky["id"]]
    both = await catalog.get("/v1/services?state=proposed&function_code=reporting", headers=admin)
    assert both.json()["items"] == []
    assert (await catalog.get("/v1/services?state=dormant", headers=admin)).status_code == 422


async def test_overdue_pilots_are_listed(catalog, admin, reporting):
    late = await service_in(catalog, admin, "in_design", name="Late pilot")
    late = (await move(catalog, admin, late, "pilot", pilot=pilot_plan(ends_in_days=-1))).json()
    on_time = await service_in(catalog, admin, "pilot", name="On-time pilot")
    await service_in(catalog, admin, "active", name="Live")
    overdue = (await catalog.get("/v1/services?state=pilot&pilot_overdue=true", headers=admin)).json()
    assert [item["id"] for item in overdue["items"]] == [late["id"]]
    running = (await catalog.get("/v1/services?state=pilot&pilot_overdue=false", headers=admin)).json()
    assert [item["id"] for item in running["items"]] == [on_time["id"]]


async def test_service_list_is_paged(catalog, admin, reporting):
    ids = [(await create_service(catalog, admin, name=f"S{i}"))["id"] for i in range(5)]
    first = (await catalog.get("/v1/services?limit=2", headers=admin)).json()
    seen, cursor = [item["id"] for item in first["items"]], first["next_cursor"]
    while cursor:
        page = (await catalog.get(f"/v1/services?limit=2&cursor={cursor}", headers=admin)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
    assert seen == ids
    assert (await catalog.get("/v1/services?cursor=garbage", headers=admin)).status_code == 422


async def test_catalog_view_offers_pilot_and_active_services_by_function(catalog, admin, reporting):
    await create_function(catalog, admin, code="risk", name="Risk")
    live = await service_in(catalog, admin, "active", name="B one-pager")
    trial = await service_in(catalog, admin, "pilot", name="A briefing")
    clinic = await service_in(catalog, admin, "active", function_code="risk", name="Risk clinic",
                              target_segments=["executive"], value_propositions=[])
    for state in ("proposed", "in_design", "improving", "retired"):
        await service_in(catalog, admin, state, name=f"Not offered {state}")
    await service_in(catalog, admin, "active", name="Team only", target_segments=["delivery_team"],
                     value_propositions=[])
    response = await catalog.get("/v1/catalog?segment=executive", headers=admin)
    assert response.status_code == 200
    view = response.json()
    proposition = SERVICE["value_propositions"][0]
    assert view == {"segment": "executive", "functions": [
        {"code": "reporting", "name": "Reporting", "services": [
            {"id": trial["id"], "name": "A briefing", "lifecycle_state": "pilot",
             "outcome": proposition["outcome"], "cost_estimate": proposition["cost_estimate"]},
            {"id": live["id"], "name": "B one-pager", "lifecycle_state": "active",
             "outcome": proposition["outcome"], "cost_estimate": proposition["cost_estimate"]}]},
        {"code": "risk", "name": "Risk", "services": [
            {"id": clinic["id"], "name": "Risk clinic", "lifecycle_state": "active",
             "outcome": None, "cost_estimate": None}]}]}
    leaders = (await catalog.get("/v1/catalog?segment=program_leader", headers=admin)).json()
    assert [s["outcome"] for f in leaders["functions"] for s in f["services"]] == [
        SERVICE["value_propositions"][1]["outcome"]] * 2
    assert (await catalog.get("/v1/catalog?segment=other", headers=admin)).json()["functions"] == []
    assert (await catalog.get("/v1/catalog", headers=admin)).status_code == 422


# --- history and events -----------------------------------------------------------------------

async def walk_to_retirement(client, headers) -> tuple[dict, dict, list[dict]]:
    """A service through every state, retired in favour of a successor; returns the bodies sent."""
    successor = await service_in(client, headers, "active", name="Successor")
    service = await create_service(client, headers)
    sent = [move_body(to) for to in ("in_design", "pilot", "active", "improving")]
    sent.append(move_body("active", evidence="Effort score fell from 5 to 3."))
    sent.append(move_body("retired", reason="Merged into the successor.",
                          replacement_service_id=successor["id"]))
    for body in sent:
        response = await client.post(f"/v1/services/{service['id']}/transitions", json=body,
                                     headers=headers | {"If-Match": f'"{service["version"]}"'})
        assert response.status_code == 200, response.text
        service = response.json()
    return service, successor, sent


async def test_history_lists_every_transition_with_its_backing(catalog, admin, reporting):
    service, successor, sent = await walk_to_retirement(catalog, admin)
    url = f"/v1/services/{service['id']}/history"
    history = (await catalog.get(url, headers=admin)).json()
    assert history["next_cursor"] is None
    before_each = ["proposed"] + [body["to"] for body in sent[:-1]]
    for entry, body, before in zip(history["items"], sent, before_each, strict=True):
        assert entry["from"] == before and entry["to"] == body["to"]
        assert entry["reason"] == body["reason"] and entry["actor"] == "alice-admin"
        assert entry["at"].endswith("Z")
        assert entry["pilot"] == body.get("pilot") and entry["evidence"] == body.get("evidence")
        assert entry["replacement_service_id"] == body.get("replacement_service_id")
    assert history["items"][-1]["replacement_service_id"] == successor["id"]
    first = (await catalog.get(f"{url}?limit=4", headers=admin)).json()
    rest = (await catalog.get(f"{url}?limit=4&cursor={first['next_cursor']}", headers=admin)).json()
    assert first["items"] + rest["items"] == history["items"] and rest["next_cursor"] is None


async def test_lifecycle_events_carry_the_full_service_and_the_move(catalog, admin, reporting):
    service, successor, sent = await walk_to_retirement(catalog, admin)
    await catalog.patch(f"/v1/services/{successor['id']}", json={"owner": "x"}, headers=admin)
    events = await outbox(catalog)
    assert [event["type"] for event in events] == (
        ["pmo.function.created", "pmo.service.proposed"] + ["pmo.service.lifecycle_changed"] * 3
        + ["pmo.service.proposed"] + ["pmo.service.lifecycle_changed"] * 6 + ["pmo.service.updated"])
    moves = [event for event in events
             if event["type"] == "pmo.service.lifecycle_changed" and event["subject"] == service["id"]]
    states = ["proposed"] + [body["to"] for body in sent]
    for number, (event, body) in enumerate(zip(moves, sent, strict=True)):
        assert event["key"] == service["id"] and event["aggregateversion"] == number + 2
        data = event["data"]
        assert data["from_state"] == states[number] and data["to_state"] == body["to"]
        assert data["lifecycle_state"] == body["to"] and data["version"] == number + 2
        assert data["reason"] == body["reason"] and data["actor"] == "alice-admin"
    final = moves[-1]["data"]
    current = (await catalog.get(f"/v1/services/{service['id']}", headers=admin)).json()
    assert {k: final[k] for k in current} == current
    assert final["replacement_service_id"] == successor["id"]
    assert final["function_code"] == "reporting" and final["name"] == SERVICE["name"]


async def test_health_readiness_and_openapi(catalog):
    assert (await catalog.get("/healthz")).status_code == 200
    assert (await catalog.get("/readyz")).json() == {"status": "ready"}
    spec = (await catalog.get("/openapi.json")).json()
    operations = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert {"create_function", "list_functions", "get_function", "create_service", "list_services",
            "get_service", "update_service", "transition_service", "list_service_history",
            "get_catalog"} <= operations
