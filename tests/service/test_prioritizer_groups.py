"""Repeat demand detected from text, fairness scenarios, and each score's accountability."""

from __future__ import annotations

from test_prioritizer import customer, demand, feed, rankings

from shared.http import encode_cursor
from shared.testing.fixtures import bearer

REPORT = {"title": "Weekly status report built by hand",
          "problem": "Every week we rebuild the status report by hand from three spreadsheets; "
                     "it takes a whole day of an analyst."}
REPORT_AGAIN = {"title": "Status report takes a day to build by hand",
                "problem": "Our analyst spends a whole day every week building the status report "
                           "by hand from spreadsheets."}
RISK = {"title": "Risk log reviewed too rarely",
        "problem": "Risks turn into issues between the monthly risk reviews of the steering committee."}


async def registered(client, **fields) -> dict:
    c = customer(**fields)
    await feed(client, "pmo.customer.registered", c)
    return c


async def submitted(client, owner: dict, text: dict, **extra) -> dict:
    d = demand(owner["id"], **text, **extra)
    await feed(client, "pmo.demand.submitted", d)
    return d


async def groups(client, headers, query: str = "") -> list[dict]:
    response = await client.get(f"/v1/demand-groups{query}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def detail(client, headers, demand_id: str, query: str = "") -> dict:
    response = await client.get(f"/v1/rankings/{demand_id}{query}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def factor(item: dict, name: str) -> dict:
    return next(f for f in item["factors"] if f["name"] == name)


async def test_similar_demands_of_different_customers_form_a_group(prioritizer, viewer):
    owners = [await registered(prioritizer, segment=s) for s in ("executive", "delivery_team")]
    first = await submitted(prioritizer, owners[0], REPORT)
    second = await submitted(prioritizer, owners[1], REPORT_AGAIN, created_at="2026-11-02T09:00:00Z")
    elsewhere = await submitted(prioritizer, owners[1], REPORT, function_code="risk")
    unrelated = await submitted(prioritizer, owners[0], RISK)
    [group] = await groups(prioritizer, viewer)
    assert group["group_id"] == first["id"] and group["label"] == REPORT["title"]
    assert {m["demand_id"] for m in group["members"]} == {first["id"], second["id"]}
    assert group["customer_count"] == 2 and group["segments"] == ["delivery_team", "executive"]
    shared = await detail(prioritizer, viewer, second["id"])
    assert shared["group_id"] == first["id"]
    assert factor(shared, "repeat_demand")["inputs"]["distinct_customers"] == 2
    assert factor(shared, "repeat_demand")["inputs"]["customer_ids"] == sorted(o["id"] for o in owners)
    for alone in (elsewhere, unrelated):
        item = await detail(prioritizer, viewer, alone["id"])
        assert item["group_id"] is None
        assert factor(item, "repeat_demand")["inputs"]["distinct_customers"] == 1


async def test_a_group_dissolves_when_its_members_close(prioritizer, viewer):
    owners = [await registered(prioritizer) for _ in range(2)]
    first = await submitted(prioritizer, owners[0], REPORT)
    second = await submitted(prioritizer, owners[1], REPORT_AGAIN)
    before = factor(await detail(prioritizer, viewer, first["id"]), "repeat_demand")["value"]
    await feed(prioritizer, "pmo.demand.status_changed", second | {"status": "delivered"}, version=2)
    assert await groups(prioritizer, viewer) == []
    alone = await detail(prioritizer, viewer, first["id"])
    assert alone["group_id"] is None and factor(alone, "repeat_demand")["value"] < before


async def test_one_customers_similar_items_group_but_add_no_breadth(prioritizer, viewer):
    loud = await registered(prioritizer, segment="delivery_team")
    items = [await submitted(prioritizer, loud, REPORT) for _ in range(4)]
    assert await groups(prioritizer, viewer) == []  # min_customers defaults to 2
    [group] = await groups(prioritizer, viewer, "?min_customers=1")
    assert group["member_count"] == 4 and group["customer_count"] == 1
    for item in items:
        assert factor(await detail(prioritizer, viewer, item["id"]), "repeat_demand")["value"] == 0


async def test_a_shared_need_outranks_one_customers_spam_and_spam_never_gains_top_places(
        prioritizer, viewer):
    segments = ("executive", "program_leader", "functional_partner", "delivery_team")
    others = [await registered(prioritizer, segment=segments[i % 4], importance=3) for i in range(12)]
    for index, other in enumerate(others):
        await submitted(prioritizer, other, {"title": f"Need {index}", "problem": f"Problem {index}"},
                        function_code=f"f{index}", severity=3 + index % 2)
    loud = await registered(prioritizer, segment="executive", importance=5)
    await submitted(prioritizer, loud, REPORT, severity=4)
    top = (await rankings(prioritizer, viewer, "?limit=10"))["items"]
    loud_before = sum(1 for item in top if item["customer_id"] == loud["id"])
    for _ in range(15):
        await submitted(prioritizer, loud, REPORT, severity=4)
    shared = await submitted(prioritizer, others[0], RISK, severity=4)
    await feed(prioritizer, "pmo.demand.endorsed",
               shared | {"endorsed_by": [others[1]["id"], others[2]["id"]]}, version=2)
    top = (await rankings(prioritizer, viewer, "?limit=10"))["items"]
    assert top[0]["demand_id"] == shared["id"]
    assert sum(1 for item in top if item["customer_id"] == loud["id"]) == loud_before == 1
    assert top[0]["largest_customer_share"] < 1.0


async def test_largest_customer_share_is_one_for_a_single_voice(prioritizer, viewer):
    owner = await registered(prioritizer)
    need = await submitted(prioritizer, owner, RISK)
    [item] = (await rankings(prioritizer, viewer))["items"]
    assert item["largest_customer_share"] == 1.0 and item["demand_id"] == need["id"]


async def test_what_would_move_it_is_computed_and_holds_when_applied(prioritizer, viewer):
    for index in range(11):
        owner = await registered(prioritizer, segment="executive", importance=4)
        await submitted(prioritizer, owner, {"title": f"Need {index}", "problem": f"Problem {index}"},
                        function_code=f"f{index}", severity=4, urgency=4)
    low_owner = await registered(prioritizer, segment="other", importance=2)
    low = await submitted(prioritizer, low_owner, RISK, severity=2, urgency=2)
    move = (await detail(prioritizer, viewer, low["id"]))["what_would_move_it"]
    assert move["rank"] == 12 and not move["in_target"] and move["gap"] > 0
    levers = {lever["lever"]: lever for lever in move["levers"]}
    assert all(lever["resulting_score"] > move["target_score"] for lever in levers.values())
    needed = levers["endorsements"]["needed"]
    backers = [await registered(prioritizer, segment=s, importance=3)
               for s in ("executive", "program_leader", "delivery_team", "functional_partner",
                         "executive", "program_leader", "delivery_team", "functional_partner")[:needed]]
    await feed(prioritizer, "pmo.demand.endorsed",
               low | {"endorsed_by": [b["id"] for b in backers]}, version=2)
    after = await detail(prioritizer, viewer, low["id"])
    assert after["rank"] <= 10 and after["what_would_move_it"]["in_target"]


async def test_a_customer_sees_only_its_own_members_of_a_group(prioritizer):
    mine, theirs = await registered(prioritizer), await registered(prioritizer)
    own = await submitted(prioritizer, mine, REPORT)
    await submitted(prioritizer, theirs, REPORT_AGAIN)
    lonely = await registered(prioritizer)
    token = bearer("customer", "me", customer_id=mine["id"])
    [group] = await groups(prioritizer, token)
    assert [m["demand_id"] for m in group["members"]] == [own["id"]]
    assert group["customers"] == [mine["id"]] and group["customer_count"] == 2
    assert await groups(prioritizer, bearer("customer", "x", customer_id=lonely["id"])) == []
    bad = await prioritizer.get("/v1/demand-groups?cursor=%%%", headers=token)
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"


async def test_a_customers_new_segment_reaches_the_similar_items_of_others(prioritizer, viewer):
    first, second = await registered(prioritizer, segment="executive"), await registered(
        prioritizer, segment="executive")
    mine = await submitted(prioritizer, first, REPORT)
    await submitted(prioritizer, second, REPORT_AGAIN)
    before = factor(await detail(prioritizer, viewer, mine["id"]), "repeat_demand")["inputs"]
    await feed(prioritizer, "pmo.customer.updated", second | {"segment": "delivery_team"}, version=2)
    after = factor(await detail(prioritizer, viewer, mine["id"]), "repeat_demand")["inputs"]
    assert (before["distinct_segments"], after["distinct_segments"]) == (1, 2)
    history = (await prioritizer.get(f"/v1/rankings/{mine['id']}/history", headers=viewer)).json()
    assert history["items"][-1]["cause_type"] == "pmo.customer.updated"


async def test_forged_cursors_are_refused_not_crashed_on(prioritizer, viewer):
    owner = await registered(prioritizer)
    need = await submitted(prioritizer, owner, RISK)
    for url in (f"/v1/rankings?cursor={encode_cursor([10 ** 30, 'x', 1])}",
                f"/v1/rankings?cursor={encode_cursor([0.5, 'x', -1])}",
                f"/v1/rankings/{need['id']}/history?cursor={encode_cursor([2 ** 70])}",
                f"/v1/roadmap?customer_id={owner['id']}&cursor={encode_cursor(['x'])}"):
        response = await prioritizer.get(url, headers=viewer)
        assert response.status_code == 422, (url, response.text)
        assert response.headers["content-type"] == "application/problem+json"
