"""intake over HTTP on a real database: customers, demands, endorsements, idempotency, ETags."""

from __future__ import annotations

import json

from sqlalchemy import select

from services.intake.consumers import HANDLERS
from shared.consumer import apply_once
from shared.events import new_event
from shared.testing.fixtures import bearer

CUSTOMER = {
    "name": "Finance Transformation Office", "segment": "program_leader",
    "business_unit": "Finance", "strategic_importance": 4, "maturity": 2,
    "contact_email": "fto@example.org",
    "profile": {"value_to_organization": "Runs the ledger migration", "serves": "CFO",
                "motivations": ["predictability"], "priorities": ["close on time"],
                "preferred_terms": ["milestones", "burn-down"]},
}


def demand_body(customer_id: str, **overrides) -> dict:
    body = {"customer_id": customer_id, "title": "Status reports take two days a week",
            "problem": "Every Friday the team rebuilds the same status deck by hand.",
            "kind": "pain_point", "severity": 4, "urgency": 3, "reach": 25}
    return body | overrides


async def create_customer(client, headers, **overrides) -> dict:
    response = await client.post("/v1/customers", json=CUSTOMER | overrides, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def outbox_types(client) -> list[str]:
    runtime = client.app.state.runtime
    outbox = runtime.db.tables.outbox
    async with runtime.db.sessions() as session:
        rows = (await session.execute(select(outbox.c.event_type, outbox.c.payload)
                                      .order_by(outbox.c.id))).all()
    return [row.event_type for row in rows]


async def test_customer_is_created_read_and_listed(intake, admin):
    created = await create_customer(intake, admin)
    response = await intake.get(f"/v1/customers/{created['id']}", headers=admin)
    assert response.status_code == 200
    assert response.headers["etag"] == '"1"'
    assert response.json() == created
    assert created["created_at"].endswith("Z")
    page = (await intake.get("/v1/customers?segment=program_leader&q=finance", headers=admin)).json()
    assert [item["id"] for item in page["items"]] == [created["id"]]
    assert await outbox_types(intake) == ["pmo.customer.registered"]


async def test_unknown_fields_and_bad_values_are_422_and_store_nothing(intake, admin):
    response = await intake.post("/v1/customers", json=CUSTOMER | {"colour": "red"}, headers=admin)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422 and problem["errors"][0]["loc"] == ["body", "colour"]
    bad = await intake.post("/v1/customers", json=CUSTOMER | {"strategic_importance": 9}, headers=admin)
    assert bad.status_code == 422
    assert (await intake.get("/v1/customers", headers=admin)).json()["items"] == []
    assert await outbox_types(intake) == []


async def test_no_token_is_401_and_viewer_cannot_write(intake, viewer):
    assert (await intake.get("/v1/customers")).status_code == 401
    forged = {"Authorization": "Bearer " + "x.y.z"}
    assert (await intake.get("/v1/customers", headers=forged)).status_code == 401
    assert (await intake.post("/v1/customers", json=CUSTOMER, headers=viewer)).status_code == 403


async def test_patch_with_stale_if_match_is_412(intake, admin):
    created = await create_customer(intake, admin)
    url = f"/v1/customers/{created['id']}"
    ok = await intake.patch(url, json={"maturity": 3}, headers=admin | {"If-Match": '"1"'})
    assert ok.status_code == 200 and ok.json()["version"] == 2 and ok.headers["etag"] == '"2"'
    stale = await intake.patch(url, json={"maturity": 4}, headers=admin | {"If-Match": '"1"'})
    assert stale.status_code == 412
    assert (await intake.get(url, headers=admin)).json()["maturity"] == 3
    assert await outbox_types(intake) == ["pmo.customer.registered", "pmo.customer.updated"]


async def test_idempotency_key_replays_and_rejects_a_different_body(intake, admin):
    headers = admin | {"Idempotency-Key": "import-42"}
    first = await intake.post("/v1/customers", json=CUSTOMER, headers=headers)
    again = await intake.post("/v1/customers", json=CUSTOMER, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again.headers["location"] == first.headers["location"]
    other = await intake.post("/v1/customers", json=CUSTOMER | {"name": "Other"}, headers=headers)
    assert other.status_code == 409
    assert len((await intake.get("/v1/customers", headers=admin)).json()["items"]) == 1


async def test_demand_status_machine_allows_the_table_and_names_allowed_moves(intake, admin):
    customer = await create_customer(intake, admin)
    demand = (await intake.post("/v1/demands", json=demand_body(customer["id"]), headers=admin)).json()
    url = f"/v1/demands/{demand['id']}/transitions"
    illegal = await intake.post(url, json={"to": "delivered"}, headers=admin)
    assert illegal.status_code == 409
    assert illegal.json()["allowed"] == ["triaged", "rejected", "withdrawn"]
    for target in ("triaged", "planned", "in_progress", "delivered"):
        moved = await intake.post(url, json={"to": target, "reason": "on track"}, headers=admin)
        assert moved.status_code == 200 and moved.json()["status"] == target
    final = await intake.post(url, json={"to": "withdrawn"}, headers=admin)
    assert final.status_code == 409 and final.json()["allowed"] == []


async def test_customer_token_sees_only_its_own_demands(intake, admin):
    mine = await create_customer(intake, admin)
    theirs = await create_customer(intake, admin, name="Sales Ops")
    own = bearer("customer", "fto-user", customer_id=mine["id"])
    created = await intake.post("/v1/demands", json=demand_body(mine["id"]), headers=own)
    assert created.status_code == 201
    assert created.json()["captured_by"] == "fto-user"
    foreign = await intake.post("/v1/demands", json=demand_body(theirs["id"]), headers=own)
    assert foreign.status_code == 404
    other = (await intake.post("/v1/demands", json=demand_body(theirs["id"]), headers=admin)).json()
    assert (await intake.get(f"/v1/demands/{other['id']}", headers=own)).status_code == 404
    listed = (await intake.get("/v1/demands", headers=own)).json()["items"]
    assert [item["customer_id"] for item in listed] == [mine["id"]]


async def test_endorsement_is_once_per_customer_and_counts(intake, admin):
    owner = await create_customer(intake, admin)
    peer = await create_customer(intake, admin, name="HR Programs", segment="functional_partner")
    demand = (await intake.post("/v1/demands", json=demand_body(owner["id"]), headers=admin)).json()
    url = f"/v1/demands/{demand['id']}/endorsements"
    first = await intake.post(url, json={"customer_id": peer["id"], "note": "same here"}, headers=admin)
    assert first.status_code == 201
    assert (await intake.get(first.headers["location"], headers=admin)).status_code == 200
    repeat = await intake.post(url, json={"customer_id": peer["id"]}, headers=admin)
    assert repeat.status_code == 409
    self_endorse = await intake.post(url, json={"customer_id": owner["id"]}, headers=admin)
    assert self_endorse.status_code == 422
    refreshed = (await intake.get(f"/v1/demands/{demand['id']}", headers=admin)).json()
    assert refreshed["endorsements"] == 1 and refreshed["version"] == 2
    types = await outbox_types(intake)
    assert types.count("pmo.demand.endorsed") == 1


async def test_references_are_checked_against_the_catalog_projection(intake, admin):
    db = intake.app.state.runtime.db
    await apply_once(db, HANDLERS, new_event("catalog", "pmo.function.created", "reporting",
                                             {"code": "reporting", "name": "Reporting"}, 1))
    service = {"id": "6f1c1e8e-0000-4000-8000-000000000001", "function_code": "reporting",
               "name": "Status digest", "lifecycle_state": "retired",
               "replacement_service_id": "6f1c1e8e-0000-4000-8000-000000000002"}
    await apply_once(db, HANDLERS, new_event("catalog", "pmo.service.lifecycle_changed",
                                             service["id"], service, 5))
    customer = await create_customer(intake, admin)
    unknown = await intake.post("/v1/demands", json=demand_body(customer["id"], function_code="astrology"),
                                headers=admin)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["loc"] == ["body", "function_code"]
    retired = await intake.post("/v1/demands", json=demand_body(
        customer["id"], function_code="reporting", service_id=service["id"]), headers=admin)
    assert retired.status_code == 422
    assert retired.json()["replacement_service_id"] == service["replacement_service_id"]
    ok = await intake.post("/v1/demands", json=demand_body(customer["id"], function_code="reporting"),
                           headers=admin)
    assert ok.status_code == 201


async def test_cursor_pages_are_stable_while_rows_are_inserted(intake, admin):
    ids = [(await create_customer(intake, admin, name=f"C{i}"))["id"] for i in range(5)]
    first = (await intake.get("/v1/customers?limit=2", headers=admin)).json()
    await create_customer(intake, admin, name="late")
    seen = [item["id"] for item in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = (await intake.get(f"/v1/customers?limit=2&cursor={cursor}", headers=admin)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
    assert seen[:5] == ids and len(seen) == len(set(seen)) == 6
    bad = await intake.get("/v1/customers?cursor=garbage", headers=admin)
    assert bad.status_code == 422


async def test_body_over_64_kib_is_413(intake, admin):
    huge = CUSTOMER | {"profile": {"motivations": ["x" * 100] * 700}}
    response = await intake.post("/v1/customers", content=json.dumps(huge), headers=admin | {
        "content-type": "application/json"})
    assert response.status_code == 413


async def test_health_and_readiness(intake):
    assert (await intake.get("/healthz")).status_code == 200
    assert (await intake.get("/readyz")).json() == {"status": "ready"}
    assert "pmo_http_requests_total" in (await intake.get("/metrics")).text
