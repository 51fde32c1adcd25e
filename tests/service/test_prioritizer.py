"""prioritizer over HTTP on a real database, fed through its real consumer path."""

from __future__ import annotations

import uuid

import pytest

from services.prioritizer import explanations
from services.prioritizer.consumers import HANDLERS
from shared.consumer import apply_batch, apply_once
from shared.events import new_event
from shared.testing.fixtures import bearer


def customer(segment="program_leader", importance=3, maturity=3, **extra) -> dict:
    return {"id": str(uuid.uuid4()), "name": f"{segment} customer", "segment": segment,
            "strategic_importance": importance, "maturity": maturity} | extra


def demand(customer_id: str, **extra) -> dict:
    return {"id": str(uuid.uuid4()), "customer_id": customer_id, "title": "Reports by hand",
            "problem": "The status deck is rebuilt by hand every week.", "kind": "pain_point",
            "function_code": "reporting", "service_id": None, "severity": 3, "urgency": 3,
            "reach": 10, "effort_estimate": 5, "status": "submitted", "endorsements": 0,
            "endorsed_by": [], "created_at": "2026-11-01T09:00:00Z"} | extra


async def feed(client, event_type: str, data: dict, version: int = 1, subject: str | None = None):
    event = new_event("test", event_type, subject or data.get("id", "x"), data, version)
    return await apply_once(client.app.state.runtime.db, HANDLERS, event), event


async def rankings(client, headers, query: str = "") -> dict:
    response = await client.get(f"/v1/rankings{query}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_submitted_demand_is_ranked_with_factors_that_add_up(prioritizer, viewer):
    owner = customer()
    await feed(prioritizer, "pmo.customer.registered", owner)
    need = demand(owner["id"])
    await feed(prioritizer, "pmo.demand.submitted", need)
    page = await rankings(prioritizer, viewer)
    [item] = page["items"]
    assert item["demand_id"] == need["id"] and item["rank"] == 1 and page["policy_version"] == 1
    assert item["score"] == pytest.approx(sum(f["contribution"] for f in item["factors"]), abs=1e-6)
    assert {f["name"] for f in item["factors"]} >= {"strategic_importance", "pain", "repeat_demand",
                                                   "volume_dampening", "maturity_fit", "age"}
    detail = (await prioritizer.get(f"/v1/rankings/{need['id']}", headers=viewer)).json()
    assert detail["rank"] == 1 and all("explanation" in f for f in detail["factors"])


async def test_the_same_event_twice_is_applied_once(prioritizer, viewer):
    owner = customer()
    await feed(prioritizer, "pmo.customer.registered", owner)
    applied, event = await feed(prioritizer, "pmo.demand.submitted", demand(owner["id"]))
    assert applied
    assert not await apply_once(prioritizer.app.state.runtime.db, HANDLERS, event)
    history = (await prioritizer.get(f"/v1/rankings/{event.subject}/history", headers=viewer)).json()
    assert len(history["items"]) == 1


async def test_a_batch_lands_as_one_by_one_would_with_each_customer_rescored_once(
        prioritizer, viewer):
    owner, other = customer(importance=2), customer("executive", importance=5)
    first, second, third = demand(owner["id"]), demand(owner["id"], severity=5), demand(other["id"])
    events = [new_event("test", "pmo.customer.registered", c["id"], c, 1) for c in (owner, other)]
    events += [new_event("test", "pmo.demand.submitted", d["id"], d, 1) for d in (first, second, third)]
    events.append(new_event("test", "pmo.customer.updated", owner["id"], owner | {"strategic_importance": 4}, 2))
    db = prioritizer.app.state.runtime.db
    applied = await apply_batch(db, HANDLERS, [*events, events[2]])  # a redelivery inside the batch
    assert [event.id for event in applied] == [event.id for event in events]
    assert await apply_batch(db, HANDLERS, events) == []  # all of them seen by the inbox

    items = (await rankings(prioritizer, viewer))["items"]
    assert [item["demand_id"] for item in items][:1] == [third["id"]]
    by_id = {item["demand_id"]: item for item in items}
    importance = {f["name"]: f for f in by_id[second["id"]]["factors"]}["strategic_importance"]
    assert importance["value"] == 0.75  # the update later in the batch (4 of 5) counted
    for need in (first, second, third):  # rescored once, after the whole batch: one trail entry
        trail = (await prioritizer.get(f"/v1/rankings/{need['id']}/history", headers=viewer)).json()
        assert len(trail["items"]) == 1


async def test_importance_change_rescores_that_customers_items(prioritizer, viewer):
    owner = customer(importance=2)
    await feed(prioritizer, "pmo.customer.registered", owner)
    need = demand(owner["id"])
    await feed(prioritizer, "pmo.demand.submitted", need)
    before = (await rankings(prioritizer, viewer))["items"][0]["score"]
    await feed(prioritizer, "pmo.customer.updated", owner | {"strategic_importance": 5}, version=2)
    after = (await rankings(prioritizer, viewer))["items"][0]["score"]
    assert after > before
    await feed(prioritizer, "pmo.customer.updated", owner | {"strategic_importance": 1}, version=1)
    assert (await rankings(prioritizer, viewer))["items"][0]["score"] == after  # stale event ignored


async def test_a_shared_need_outranks_one_customers_many_similar_items(prioritizer, viewer):
    loud = customer(segment="delivery_team", importance=3)
    await feed(prioritizer, "pmo.customer.registered", loud)
    for _ in range(6):
        await feed(prioritizer, "pmo.demand.submitted", demand(loud["id"], severity=3, urgency=4))
    backers = [customer(segment=s, importance=3) for s in ("executive", "program_leader", "functional_partner")]
    for backer in backers:
        await feed(prioritizer, "pmo.customer.registered", backer)
    shared = demand(backers[0]["id"], severity=3, urgency=3)
    await feed(prioritizer, "pmo.demand.submitted", shared)
    await feed(prioritizer, "pmo.demand.endorsed",
               shared | {"endorsements": 2, "endorsed_by": [b["id"] for b in backers[1:]]}, version=3)
    items = (await rankings(prioritizer, viewer))["items"]
    assert items[0]["demand_id"] == shared["id"]
    loud_scores = [i["score"] for i in items if i["customer_id"] == loud["id"]]
    assert loud_scores == sorted(loud_scores, reverse=True) and loud_scores[0] > loud_scores[-1]


async def test_closed_demand_leaves_the_ranking(prioritizer, viewer):
    owner = customer()
    await feed(prioritizer, "pmo.customer.registered", owner)
    need = demand(owner["id"])
    await feed(prioritizer, "pmo.demand.submitted", need)
    await feed(prioritizer, "pmo.demand.status_changed", need | {"status": "delivered"}, version=5)
    assert (await rankings(prioritizer, viewer))["items"] == []
    detail = (await prioritizer.get(f"/v1/rankings/{need['id']}", headers=viewer)).json()
    assert detail["rank"] is None and detail["status"] == "delivered"


async def test_policy_change_rescores_everything_and_bumps_version(prioritizer, admin, analyst):
    owner = customer()
    await feed(prioritizer, "pmo.customer.registered", owner)
    await feed(prioritizer, "pmo.demand.submitted", demand(owner["id"]))
    before = (await rankings(prioritizer, admin))["items"][0]
    assert (await prioritizer.put("/v1/policy", json={"weights": {"pain": 0.5}}, headers=analyst)).status_code == 403
    bad = await prioritizer.put("/v1/policy", json={"weights": {"loudness": 1}}, headers=admin)
    assert bad.status_code == 422
    changed = await prioritizer.put("/v1/policy", json={"weights": {"pain": 0.5}, "reason": "pain first"},
                                    headers=admin)
    assert changed.status_code == 200 and changed.json()["version"] == 2
    after = await rankings(prioritizer, admin)
    assert after["policy_version"] == 2 and after["items"][0]["score"] != before["score"]
    history = (await prioritizer.get("/v1/policy/history", headers=admin)).json()
    assert [p["version"] for p in history] == [1, 2]


async def test_customer_sees_only_its_own_rankings(prioritizer):
    mine, theirs = customer(), customer()
    for c in (mine, theirs):
        await feed(prioritizer, "pmo.customer.registered", c)
    own_need, other_need = demand(mine["id"]), demand(theirs["id"])
    await feed(prioritizer, "pmo.demand.submitted", own_need)
    await feed(prioritizer, "pmo.demand.submitted", other_need)
    token = bearer("customer", "me", customer_id=mine["id"])
    items = (await rankings(prioritizer, token))["items"]
    assert [i["demand_id"] for i in items] == [own_need["id"]]
    assert (await prioritizer.get(f"/v1/rankings/{other_need['id']}", headers=token)).status_code == 404
    assert (await prioritizer.get("/v1/rankings/stream", headers=token)).status_code == 403


async def test_rankings_page_with_a_cursor(prioritizer, viewer):
    owners = [customer() for _ in range(5)]
    for owner in owners:
        await feed(prioritizer, "pmo.customer.registered", owner)
        await feed(prioritizer, "pmo.demand.submitted", demand(owner["id"]))
    first = await rankings(prioritizer, viewer, "?limit=2")
    second = await rankings(prioritizer, viewer, f"?limit=2&cursor={first['next_cursor']}")
    assert [i["rank"] for i in first["items"] + second["items"]] == [1, 2, 3, 4]
    assert (await prioritizer.get("/v1/rankings?limit=500", headers=viewer)).status_code == 422


async def test_a_rescore_keeps_the_sessions_own_copy_of_a_demand_in_step(prioritizer):
    """Scores are written in bulk, past the ORM: a demand the transaction also holds as an object
    must read the new score, and flushing it must not write the old one back."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from services.prioritizer import rescoring
    from services.prioritizer.models import DemandView

    owner = customer()
    await feed(prioritizer, "pmo.customer.registered", owner)
    need = demand(owner["id"])
    await feed(prioritizer, "pmo.demand.submitted", need)
    db = prioritizer.app.state.runtime.db
    later = rescoring.Cause(None, "test.aged", datetime(2027, 3, 1, tzinfo=UTC))  # older: new age
    async with db.uow() as uow:
        held = await uow.session.get(DemandView, need["id"])
        before = (held.score, held.score_version)
        assert await rescoring.rescore_customers(uow, {owner["id"]: later}) == 1
        assert (held.score, held.score_version) != before
        held.title = "Reports by hand, weekly"  # another change to the same row, then a flush
        await uow.session.flush()
        await uow.commit()
        (explanation,) = await explanations.read_whole(uow.session, [held.explanation])
    async with db.uow() as uow:
        stored = (await uow.session.execute(select(
            DemandView.score, DemandView.score_version, DemandView.title)
            .where(DemandView.id == need["id"]))).one()
    assert tuple(stored) == (held.score, held.score_version, "Reports by hand, weekly")
    age = next(f for f in explanation["factors"] if f["name"] == "age")
    assert age["inputs"]["days_waiting"] > 100


async def test_an_endorsers_change_rescores_the_demand_it_endorsed(prioritizer, viewer):
    owner, backer = customer(importance=2), customer("executive", importance=3)
    for who in (owner, backer):
        await feed(prioritizer, "pmo.customer.registered", who)
    need = demand(owner["id"])
    await feed(prioritizer, "pmo.demand.submitted", need)
    await feed(prioritizer, "pmo.demand.endorsed",
               need | {"endorsements": 1, "endorsed_by": [backer["id"]]}, version=2)

    def importance(page) -> float:
        [item] = page["items"]
        return next(f for f in item["factors"] if f["name"] == "strategic_importance")["value"]

    assert importance(await rankings(prioritizer, viewer)) == 0.5  # the endorser's 3 of 5
    await feed(prioritizer, "pmo.customer.updated", backer | {"strategic_importance": 5}, version=2)
    assert importance(await rankings(prioritizer, viewer)) == 1.0


async def test_feedback_in_the_batch_that_brings_a_demand_on_its_service_rescores_that_demand(
        prioritizer, viewer):
    """A new demand is stored when its batch settles; feedback on its service earlier in the
    same transaction must still count its customer among those to rescore."""
    owner, service_id = customer(), str(uuid.uuid4())
    need = demand(owner["id"], service_id=service_id)
    feedback = {"id": str(uuid.uuid4()), "customer_id": owner["id"], "service_id": service_id,
                "segment": owner["segment"], "csat": 1, "perceived_value": 1, "effort": None,
                "nps": None}
    events = [new_event("test", "pmo.customer.registered", owner["id"], owner, 1),
              new_event("test", "pmo.demand.submitted", need["id"], need, 1),
              new_event("test", "pmo.feedback.submitted", feedback["id"], feedback, 1)]
    await apply_batch(prioritizer.app.state.runtime.db, HANDLERS, events)
    trail = (await prioritizer.get(f"/v1/rankings/{need['id']}/history", headers=viewer)).json()
    assert [item["cause_type"] for item in trail["items"]] == ["pmo.feedback.submitted"]
    [item] = (await rankings(prioritizer, viewer))["items"]
    gap = next(f for f in item["factors"] if f["name"] == "satisfaction_gap")
    assert gap["value"] == 1.0  # the worst rating, counted in the same batch
