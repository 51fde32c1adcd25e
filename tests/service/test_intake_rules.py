"""intake's rules over HTTP: every status pair, and bad input of every field stores nothing."""

from __future__ import annotations

import itertools
import json

import pytest
from sqlalchemy import func, select

from services.intake.domain import DEMAND_TRANSITIONS, DemandStatus
from services.intake.models import Base

S = DemandStatus
# How to reach each status from `submitted` along the table.
PATH_TO = {
    S.SUBMITTED: [], S.TRIAGED: [S.TRIAGED], S.PLANNED: [S.TRIAGED, S.PLANNED],
    S.IN_PROGRESS: [S.TRIAGED, S.PLANNED, S.IN_PROGRESS],
    S.DELIVERED: [S.TRIAGED, S.PLANNED, S.IN_PROGRESS, S.DELIVERED],
    S.REJECTED: [S.REJECTED], S.WITHDRAWN: [S.WITHDRAWN],
}
CUSTOMER = {"name": "Ops Excellence", "segment": "delivery_team", "strategic_importance": 3,
            "maturity": 3}


async def _customer(client, headers) -> str:
    response = await client.post("/v1/customers", json=CUSTOMER, headers=headers)
    assert response.status_code == 201
    return response.json()["id"]


def _demand(customer_id: str) -> dict:
    return {"customer_id": customer_id, "title": "Handover notes get lost",
            "problem": "Shift handovers lose open actions.", "kind": "pain_point", "severity": 3}


@pytest.mark.parametrize("current,target", list(itertools.product(S, S)),
                         ids=lambda s: s.value)
async def test_every_status_pair_over_http(intake, analyst, current, target):
    customer_id = await _customer(intake, analyst)
    demand = (await intake.post("/v1/demands", json=_demand(customer_id), headers=analyst)).json()
    url = f"/v1/demands/{demand['id']}/transitions"
    for step in PATH_TO[current]:
        assert (await intake.post(url, json={"to": step}, headers=analyst)).status_code == 200
    response = await intake.post(url, json={"to": target, "reason": "review"}, headers=analyst)
    if target in DEMAND_TRANSITIONS[current]:
        assert response.status_code == 200 and response.json()["status"] == target
    else:
        assert response.status_code == 409
        assert response.json()["allowed"] == [s.value for s in DEMAND_TRANSITIONS[current]]
        assert (await intake.get(f"/v1/demands/{demand['id']}", headers=analyst)).json()["status"] == current


BAD_CUSTOMER_FIELDS = [
    ("name", ""), ("name", "x" * 201), ("name", None), ("segment", "vip"), ("segment", None),
    ("business_unit", "x" * 201), ("strategic_importance", 0), ("strategic_importance", 6),
    ("strategic_importance", "high"), ("maturity", 0), ("maturity", 6), ("contact_email", "not-an-email"),
    ("profile", "text"), ("profile", {"motivations": "one"}), ("profile", {"shoe_size": 9}),
    ("id", "00000000-0000-4000-8000-000000000000"), ("version", 7), ("created_at", "2026-01-01T00:00:00Z"),
]


@pytest.mark.parametrize("field,value", BAD_CUSTOMER_FIELDS, ids=lambda v: str(v)[:20])
async def test_bad_customer_field_is_422_naming_it_and_stores_nothing(intake, admin, field, value):
    response = await intake.post("/v1/customers", json=CUSTOMER | {field: value}, headers=admin)
    assert response.status_code == 422
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert any(field in error["loc"] for error in problem["errors"]), problem
    assert await _count(intake, "customers") == 0 and await _count(intake, "outbox") == 0


BAD_DEMAND_FIELDS = [
    ("customer_id", "nope"), ("title", ""), ("title", "x" * 201), ("problem", ""),
    ("problem", "x" * 4001), ("desired_outcome", "x" * 4001), ("kind", "wish"),
    ("function_code", "Not A Slug"), ("service_id", "123"), ("severity", 0), ("severity", 6),
    ("urgency", 0), ("urgency", 6), ("reach", 0), ("effort_estimate", 0), ("effort_estimate", 101),
    ("due_date", "tomorrow"), ("tags", "urgent"), ("tags", ["x" * 51]), ("tags", ["t"] * 21),
    ("status", "delivered"), ("endorsements", 5), ("version", 2), ("id", "00000000-0000-4000-8000-000000000000"),
]


@pytest.mark.parametrize("field,value", BAD_DEMAND_FIELDS, ids=lambda v: str(v)[:20])
async def test_bad_demand_field_is_422_naming_it_and_stores_nothing(intake, admin, field, value):
    customer_id = await _customer(intake, admin)
    response = await intake.post("/v1/demands", json=_demand(customer_id) | {field: value}, headers=admin)
    assert response.status_code == 422
    assert any(field in error["loc"] for error in response.json()["errors"]), response.json()
    assert await _count(intake, "demands") == 0
    assert await _count(intake, "outbox") == 1  # only the customer's registration


async def test_patch_cannot_null_a_required_field_or_set_server_fields(intake, admin):
    customer_id = await _customer(intake, admin)
    url = f"/v1/customers/{customer_id}"
    assert (await intake.patch(url, json={"name": None}, headers=admin)).status_code == 422
    assert (await intake.patch(url, json={"version": 9}, headers=admin)).status_code == 422
    cleared = await intake.patch(url, json={"business_unit": None}, headers=admin)
    assert cleared.status_code == 200 and cleared.json()["business_unit"] is None


async def test_unknown_customer_on_a_demand_is_404(intake, admin):
    body = _demand("00000000-0000-4000-8000-000000000000")
    assert (await intake.post("/v1/demands", json=body, headers=admin)).status_code == 404


async def test_integration_creates_customers_demands_and_endorsements(intake, integration, admin):
    owner = await _customer(intake, integration)
    peer = await _customer(intake, integration)
    demand = await intake.post("/v1/demands", json=_demand(owner), headers=integration)
    assert demand.status_code == 201
    endorsed = await intake.post(f"/v1/demands/{demand.json()['id']}/endorsements",
                                 json={"customer_id": peer}, headers=integration)
    assert endorsed.status_code == 201
    assert (await intake.patch(f"/v1/customers/{owner}", json={"maturity": 4},
                               headers=integration)).status_code == 403


async def test_events_carry_the_full_aggregate_and_increasing_versions(intake, admin):
    customer_id = await _customer(intake, admin)
    demand = (await intake.post("/v1/demands", json=_demand(customer_id), headers=admin)).json()
    await intake.patch(f"/v1/demands/{demand['id']}", json={"severity": 5}, headers=admin)
    await intake.post(f"/v1/demands/{demand['id']}/transitions", json={"to": "triaged"}, headers=admin)
    runtime = intake.app.state.runtime
    outbox = runtime.db.tables.outbox
    async with runtime.db.sessions() as session:
        rows = (await session.execute(select(outbox.c.payload).where(outbox.c.key == demand["id"])
                                      .order_by(outbox.c.id))).all()
    events = [json.loads(row.payload) for row in rows]
    assert [e["type"] for e in events] == ["pmo.demand.submitted", "pmo.demand.updated",
                                           "pmo.demand.status_changed"]
    assert [e["aggregateversion"] for e in events] == [1, 2, 3]
    assert events[-1]["data"]["from_status"] == "submitted" and events[-1]["data"]["severity"] == 5
    assert set(demand) <= set(events[0]["data"])


async def _count(client, table: str) -> int:
    async with client.app.state.runtime.db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Base.metadata.tables[table])))
