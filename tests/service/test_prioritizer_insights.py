"""Coverage, policy sensitivity, recommendations and roadmaps over HTTP, fed through the consumer path."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import func, select
from test_prioritizer import customer, demand, feed

from services.prioritizer.models import ScoreChangeRow
from shared.testing.fixtures import bearer


async def registered(client, **fields) -> dict:
    c = customer(**fields)
    await feed(client, "pmo.customer.registered", c)
    return c


async def submitted(client, owner: dict, index: int, **extra) -> dict:
    d = demand(owner["id"], title=f"Need {index}", problem=f"Problem number {index}",
               function_code=f"f{index}", **extra)
    await feed(client, "pmo.demand.submitted", d)
    return d


async def ok(client, url: str, headers) -> dict:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def service(state: str = "active", **extra) -> dict:
    return {"id": str(uuid.uuid4()), "function_code": "reporting", "name": "Status pack",
            "lifecycle_state": state, "state_changed_at": "2025-01-01T00:00:00Z"} | extra


async def rated(client, service_id: str, owner: dict, csat: int, value: int, effort=None):
    response = {"id": str(uuid.uuid4()), "customer_id": owner["id"], "service_id": service_id,
                "segment": owner["segment"], "csat": csat, "perceived_value": value,
                "effort": effort, "nps": None}
    await feed(client, "pmo.feedback.submitted", response)


async def published(client, event_type: str) -> list[dict]:
    db = client.app.state.runtime.db
    outbox = db.tables.outbox
    async with db.sessions() as session:
        rows = await session.execute(select(outbox.c.payload).where(outbox.c.event_type == event_type)
                                     .order_by(outbox.c.id))
        return [json.loads(payload)["data"] for (payload,) in rows]


async def test_coverage_flags_a_segment_whose_needs_are_all_outside_the_top(prioritizer, viewer):
    for index in range(4):
        owner = await registered(prioritizer, segment="executive", importance=5)
        await submitted(prioritizer, owner, index, severity=5)
    quiet = await registered(prioritizer, segment="delivery_team", importance=1)
    need = await submitted(prioritizer, quiet, 9, severity=1)
    report = await ok(prioritizer, "/v1/coverage?top_n=3", viewer)
    by_segment = {s["segment"]: s for s in report["segments"]}
    assert report["starved_segments"] == ["delivery_team"]
    assert by_segment["executive"]["in_top_n"] == 3 and not by_segment["executive"]["starved"]
    team = by_segment["delivery_team"]
    assert team["starved"] and team["best_rank"] == 5 and team["needs"][0]["demand_id"] == need["id"]
    assert not by_segment["other"]["starved"] and by_segment["other"]["open_needs"] == 0
    assert not (await ok(prioritizer, "/v1/coverage?top_n=5", viewer))["starved_segments"]
    token = bearer("customer", "c", customer_id=quiet["id"])
    assert (await prioritizer.get("/v1/coverage", headers=token)).status_code == 403


async def test_sensitivity_reports_every_weight_and_rewrites_nothing(prioritizer, admin):
    for index in range(12):
        owner = await registered(prioritizer, importance=index % 5 + 1, segment="executive")
        await submitted(prioritizer, owner, index, severity=index % 5 + 1, reach=1 + 37 * index)
    db = prioritizer.app.state.runtime.db
    async with db.sessions() as session:
        trail = await session.scalar(select(func.count()).select_from(ScoreChangeRow))
    report = await ok(prioritizer, "/v1/policy/sensitivity", admin)
    assert report["items_considered"] == 12 and len(report["baseline_top"]) == 10
    assert {w["factor"] for w in report["weights"]} >= {"pain", "reach", "volume_dampening"}
    for weight in report["weights"]:
        for change in weight["changes"]:
            assert 0 <= change["overlap"] <= 10 and len(change["entered"]) == len(change["left"])
            assert change["overlap"] == 10 - len(change["left"])
    assert report["most_sensitive"] == report["weights"][0]["factor"]
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ScoreChangeRow)) == trail


async def test_pilot_feedback_drives_roll_out_and_unchanged_advice_is_not_republished(prioritizer, viewer):
    pilot = service("pilot")
    await feed(prioritizer, "pmo.service.proposed", pilot)
    raters = [await registered(prioritizer) for _ in range(4)]
    for rater in raters[:3]:
        await rated(prioritizer, pilot["id"], rater, 5, 5)
    [advice] = (await ok(prioritizer, f"/v1/recommendations?service_id={pilot['id']}", viewer))["items"]
    assert advice["action"] == "roll_out" and advice["signals"]["responses"] == 3
    assert "CSAT 5.0/5" in advice["rationale"]
    before = len(await published(prioritizer, "pmo.recommendation.changed"))
    await rated(prioritizer, pilot["id"], raters[3], 5, 5)
    assert len(await published(prioritizer, "pmo.recommendation.changed")) == before
    await feed(prioritizer, "pmo.service.lifecycle_changed", pilot | {"lifecycle_state": "retired"},
               version=2)
    assert (await ok(prioritizer, "/v1/recommendations", viewer))["items"] == []
    assert (await published(prioritizer, "pmo.recommendation.changed"))[-1]["withdrawn"]


async def test_a_shared_need_no_service_covers_is_proposed_until_a_pilot_covers_it(prioritizer, viewer):
    owners = [await registered(prioritizer, segment=s) for s in ("executive", "delivery_team")]
    text = {"title": "Dependencies between programs surface too late",
            "problem": "We learn about slips in programs we depend on at their go-live."}
    needs = [demand(o["id"], **text, function_code="schedule") for o in owners]
    for need in needs:
        await feed(prioritizer, "pmo.demand.submitted", need)
    [proposal] = (await ok(prioritizer, "/v1/recommendations?action=propose_service", viewer))["items"]
    assert proposal["service_id"] is None and proposal["signals"]["customers"] == 2
    assert proposal["id"] == min(n["id"] for n in needs)
    plan = service("pilot", function_code="schedule", name="Dependency map")
    await feed(prioritizer, "pmo.service.proposed", plan)
    await feed(prioritizer, "pmo.demand.updated", needs[0] | {"service_id": plan["id"]}, version=2)
    assert (await ok(prioritizer, "/v1/recommendations?action=propose_service", viewer))["items"] == []


async def test_active_service_rules_improve_simplify_and_retire(prioritizer, viewer):
    unloved, heavy, stale = service(), service(name="Gate reviews"), service(name="Old digest")
    for s in (unloved, heavy, stale):
        await feed(prioritizer, "pmo.service.proposed", s)
    for _ in range(3):
        await rated(prioritizer, unloved["id"], await registered(prioritizer), 2, 3)
        await rated(prioritizer, heavy["id"], await registered(prioritizer, maturity=5), 4, 3, effort=6)
        await rated(prioritizer, stale["id"], await registered(prioritizer), 3, 2)
    items = {i["service_id"]: i for i in (await ok(prioritizer, "/v1/recommendations", viewer))["items"]}
    assert items[unloved["id"]]["action"] == "improve"
    assert items[heavy["id"]]["action"] == "simplify"
    assert items[heavy["id"]]["signals"]["mature_responses"] == 3
    assert items[stale["id"]]["action"] == "retire"
    assert items[stale["id"]]["signals"]["days_in_state"] > 180


async def test_roadmap_puts_quick_wins_on_big_pain_first_within_capacity(prioritizer, analyst):
    owner = await registered(prioritizer, segment="program_leader")
    small_pain = await submitted(prioritizer, owner, 1, severity=2, effort_estimate=2)
    big_pain = await submitted(prioritizer, owner, 2, severity=5, effort_estimate=3)
    large = await submitted(prioritizer, owner, 3, severity=5, effort_estimate=15)
    unknown = await submitted(prioritizer, owner, 4, severity=4, effort_estimate=None)
    plan = await ok(prioritizer, f"/v1/roadmap?customer_id={owner['id']}&capacity_days=15", analyst)
    assert [i["demand_id"] for i in plan["now"]] == [big_pain["id"], small_pain["id"], unknown["id"]]
    assert [i["demand_id"] for i in plan["next"]] == [large["id"]] and plan["later"] == []
    assert plan["now"][2]["effort_days"] == plan["default_effort_days"]
    assert not plan["now"][2]["effort_estimated"]
    segment = await ok(prioritizer, "/v1/roadmap?segment=program_leader&capacity_days=5&limit=1",
                       analyst)
    assert segment["later_total"] == 2 and len(segment["later"]) == 1 and segment["next_cursor"]
    assert (await prioritizer.get("/v1/roadmap", headers=analyst)).status_code == 422


async def test_a_customer_reads_only_its_own_roadmap(prioritizer):
    mine, theirs = await registered(prioritizer), await registered(prioritizer)
    own = await submitted(prioritizer, mine, 1)
    await submitted(prioritizer, theirs, 2)
    token = bearer("customer", "me", customer_id=mine["id"])
    plan = await ok(prioritizer, "/v1/roadmap", token)
    assert [i["demand_id"] for i in plan["now"]] == [own["id"]] and plan["customer_id"] == mine["id"]
    other = await prioritizer.get(f"/v1/roadmap?customer_id={theirs['id']}", headers=token)
    assert other.status_code == 404 and other.headers["content-type"] == "application/problem+json"
    segment = await prioritizer.get("/v1/roadmap?segment=executive", headers=token)
    assert segment.status_code == 403
    assert (await prioritizer.get("/v1/recommendations", headers=token)).status_code == 403
