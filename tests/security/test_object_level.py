"""Object level: a customer reaches only its own objects, in every service, on every endpoint with an id.

Another customer's object answers 404 (its existence is not revealed) and lists are filtered.
catalog is public-read by design (functions, services, their history and the catalog view are
what every role may read), so it has no customer-owned objects; its writes are staff-only, which
the role matrix proves.
"""

from __future__ import annotations

import uuid

from security_helpers import feed

from shared.testing.fixtures import bearer

ADMIN = bearer("pmo_admin", "alice-admin")


def as_customer(customer_id: str) -> dict[str, str]:
    return bearer("customer", f"portal-{customer_id[:8]}", customer_id)


def customer_body(name: str, email: str) -> dict:
    return {"name": name, "segment": "program_leader", "strategic_importance": 3, "maturity": 2,
            "contact_email": email}


def demand_body(customer_id: str, title: str) -> dict:
    return {"customer_id": customer_id, "title": title, "problem": f"{title}, every week.",
            "kind": "pain_point", "severity": 3}


async def created(response) -> dict:
    assert response.status_code == 201, response.text
    return response.json()


# --- intake: customers, demands, endorsements -----------------------------------------------

async def intake_world(intake) -> dict:
    a = await created(await intake.post("/v1/customers", json=customer_body("Alpha", "a@example.org"),
                                        headers=ADMIN))
    b = await created(await intake.post("/v1/customers", json=customer_body("Beta", "b@example.org"),
                                        headers=ADMIN))
    c = await created(await intake.post("/v1/customers", json=customer_body("Gamma", "c@example.org"),
                                        headers=ADMIN))
    demand_a = await created(await intake.post(
        "/v1/demands", json=demand_body(a["id"], "Alpha's status decks"), headers=as_customer(a["id"])))
    demand_b = await created(await intake.post(
        "/v1/demands", json=demand_body(b["id"], "Beta's vendor audit"), headers=as_customer(b["id"])))
    endorsement = await created(await intake.post(
        f"/v1/demands/{demand_a['id']}/endorsements",
        json={"customer_id": b["id"], "note": "Beta's private remark"}, headers=as_customer(b["id"])))
    return {"a": a, "b": b, "c": c, "demand_a": demand_a, "demand_b": demand_b,
            "endorsement": endorsement}


async def test_intake_customer_reaches_only_its_own_customer_record(intake):
    world = await intake_world(intake)
    a, b = world["a"], world["b"]
    alpha = as_customer(a["id"])
    assert (await intake.get(f"/v1/customers/{a['id']}", headers=alpha)).status_code == 200
    assert (await intake.get(f"/v1/customers/{b['id']}", headers=alpha)).status_code == 404
    listed = (await intake.get("/v1/customers", headers=alpha)).json()["items"]
    assert [c["id"] for c in listed] == [a["id"]]
    assert "b@example.org" not in (await intake.get("/v1/customers?q=Beta", headers=alpha)).text


async def test_intake_customer_reaches_only_its_own_demands(intake):
    world = await intake_world(intake)
    a, b, mine, theirs = world["a"], world["b"], world["demand_a"], world["demand_b"]
    alpha = as_customer(a["id"])
    assert (await intake.get(f"/v1/demands/{mine['id']}", headers=alpha)).status_code == 200
    for call in (
        intake.get(f"/v1/demands/{theirs['id']}", headers=alpha),
        intake.patch(f"/v1/demands/{theirs['id']}", json={"severity": 5}, headers=alpha),
        intake.post(f"/v1/demands/{theirs['id']}/transitions", json={"to": "withdrawn"}, headers=alpha),
        intake.get(f"/v1/demands/{theirs['id']}/endorsements", headers=alpha),
        intake.post("/v1/demands", json=demand_body(b["id"], "In Beta's name"), headers=alpha),
    ):
        response = await call
        assert response.status_code == 404, response.text
    for query in ("", f"?customer_id={b['id']}", "?status=submitted"):
        listed = (await intake.get(f"/v1/demands{query}", headers=alpha)).json()["items"]
        assert {d["customer_id"] for d in listed} <= {a["id"]}
    unchanged = (await intake.get(f"/v1/demands/{theirs['id']}", headers=ADMIN)).json()
    assert unchanged["severity"] == 3 and unchanged["status"] == "submitted"


async def test_intake_endorsements_show_a_customer_only_what_it_wrote(intake):
    world = await intake_world(intake)
    a, b, c, mine, endorsement = (world[k] for k in ("a", "b", "c", "demand_a", "endorsement"))
    owner, endorser, stranger = as_customer(a["id"]), as_customer(b["id"]), as_customer(c["id"])
    own_listing = await intake.get(f"/v1/demands/{mine['id']}/endorsements", headers=owner)
    assert own_listing.status_code == 200 and own_listing.json()["items"] == []
    assert "Beta's private remark" not in own_listing.text and b["id"] not in own_listing.text
    single = f"/v1/demands/{mine['id']}/endorsements/{endorsement['id']}"
    assert (await intake.get(single, headers=owner)).status_code == 404
    assert (await intake.get(single, headers=stranger)).status_code == 404
    assert (await intake.get(f"/v1/demands/{mine['id']}/endorsements",
                             headers=stranger)).status_code == 404
    assert (await intake.get(single, headers=endorser)).json()["note"] == "Beta's private remark"
    listed = (await intake.get(f"/v1/demands/{mine['id']}/endorsements", headers=endorser)).json()
    assert [e["id"] for e in listed["items"]] == [endorsement["id"]]
    staff = (await intake.get(f"/v1/demands/{mine['id']}/endorsements", headers=ADMIN)).json()
    assert [e["id"] for e in staff["items"]] == [endorsement["id"]]
    in_anothers_name = await intake.post(f"/v1/demands/{world['demand_b']['id']}/endorsements",
                                         json={"customer_id": a["id"]}, headers=stranger)
    assert in_anothers_name.status_code == 403


# --- feedback: responses, surveys, summaries ------------------------------------------------

SERVICE = "5e000000-0000-4000-8000-000000000001"


async def feedback_world(feedback) -> dict:
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    for customer_id, name in ((a, "Alpha"), (b, "Beta")):
        await feed(feedback, "pmo.customer.registered", {
            "id": customer_id, "name": name, "segment": "executive", "strategic_importance": 3,
            "maturity": 2})
    await feed(feedback, "pmo.service.proposed", {
        "id": SERVICE, "function_code": "reporting", "name": "Dashboard", "lifecycle_state": "active"})
    responses = {}
    for customer_id, comment in ((a, "Alpha's candid comment"), (b, "Beta's candid comment")):
        responses[customer_id] = await created(await feedback.post("/v1/responses", json={
            "customer_id": customer_id, "service_id": SERVICE, "csat": 1, "perceived_value": 2,
            "nps": 3, "comment": comment}, headers=as_customer(customer_id)))
    return {"a": a, "b": b, "responses": responses}


async def test_feedback_customer_reaches_only_its_own_responses(feedback):
    world = await feedback_world(feedback)
    a, b = world["a"], world["b"]
    alpha = as_customer(a)
    mine, theirs = world["responses"][a], world["responses"][b]
    assert (await feedback.get(f"/v1/responses/{mine['id']}", headers=alpha)).status_code == 200
    assert (await feedback.get(f"/v1/responses/{theirs['id']}", headers=alpha)).status_code == 404
    for query in ("", f"?customer_id={b}", f"?service_id={SERVICE}"):
        listed = await feedback.get(f"/v1/responses{query}", headers=alpha)
        assert {r["customer_id"] for r in listed.json()["items"]} <= {a}
        assert "Beta's candid comment" not in listed.text
    in_anothers_name = await feedback.post("/v1/responses", json={
        "customer_id": b, "service_id": SERVICE, "csat": 5, "perceived_value": 5},
        headers=alpha)
    assert in_anothers_name.status_code == 404


async def test_feedback_summaries_and_surveys_show_a_customer_no_other_customers_words(feedback):
    world = await feedback_world(feedback)
    alpha = as_customer(world["a"])
    for customer_id, title in ((world["a"], "Alpha's delivered need"), (world["b"], "Beta's secret")):
        await feed(feedback, "pmo.demand.status_changed", {
            "id": str(uuid.uuid4()), "customer_id": customer_id, "title": title,
            "service_id": SERVICE, "to_status": "delivered"})
    surveys = (await feedback.get("/v1/surveys/pending", headers=alpha)).json()["items"]
    assert [s["demand_title"] for s in surveys] == ["Alpha's delivered need"]
    staff_view = (await feedback.get("/v1/surveys/pending", headers=ADMIN)).json()["items"]
    assert len(staff_view) == 2
    for path in (f"/v1/services/{SERVICE}/summary", "/v1/summary", "/v1/surveys/pending",
                 f"/v1/surveys/pending?customer_id={world['b']}"):
        response = await feedback.get(path, headers=alpha)
        assert response.status_code == 200, path
        assert "candid comment" not in response.text and world["b"] not in response.text
        assert "Beta's secret" not in response.text
    for path in ("/v1/alerts", f"/v1/alerts/{uuid.uuid4()}"):
        assert (await feedback.get(path, headers=alpha)).status_code == 403  # staff follow-ups


# --- prioritizer: rankings, history, roadmap, groups ----------------------------------------

def demand_event(customer_id: str, title: str) -> dict:
    return {"id": str(uuid.uuid4()), "customer_id": customer_id, "title": title,
            "problem": f"{title}: rebuilt by hand every week.", "kind": "pain_point",
            "function_code": "reporting", "service_id": None, "severity": 3, "urgency": 3,
            "reach": 10, "effort_estimate": 5, "status": "submitted", "endorsements": 0,
            "endorsed_by": [], "created_at": "2026-11-01T09:00:00Z"}


async def prioritizer_world(prioritizer) -> dict:
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    for customer_id in (a, b):
        await feed(prioritizer, "pmo.customer.registered", {
            "id": customer_id, "name": "Customer", "segment": "program_leader",
            "strategic_importance": 3, "maturity": 3})
    mine = demand_event(a, "Weekly status report assembly")
    theirs = demand_event(b, "Weekly status report assembly for the board")
    for demand in (mine, theirs):
        await feed(prioritizer, "pmo.demand.submitted", demand)
    return {"a": a, "b": b, "mine": mine, "theirs": theirs}


async def test_prioritizer_customer_reaches_only_its_own_rankings_and_roadmap(prioritizer):
    world = await prioritizer_world(prioritizer)
    alpha = as_customer(world["a"])
    mine, theirs = world["mine"]["id"], world["theirs"]["id"]
    assert (await prioritizer.get(f"/v1/rankings/{mine}", headers=alpha)).status_code == 200
    assert (await prioritizer.get(f"/v1/rankings/{mine}/history", headers=alpha)).status_code == 200
    for path in (f"/v1/rankings/{theirs}", f"/v1/rankings/{theirs}/history",
                 f"/v1/roadmap?customer_id={world['b']}"):
        assert (await prioritizer.get(path, headers=alpha)).status_code == 404, path
    ranked = await prioritizer.get("/v1/rankings", headers=alpha)
    assert [item["demand_id"] for item in ranked.json()["items"]] == [mine]
    roadmap = await prioritizer.get("/v1/roadmap", headers=alpha)
    assert roadmap.status_code == 200 and theirs not in roadmap.text and world["b"] not in roadmap.text


async def test_prioritizer_groups_show_a_customer_only_its_own_members(prioritizer):
    world = await prioritizer_world(prioritizer)
    response = await prioritizer.get("/v1/demand-groups?min_customers=1",
                                     headers=as_customer(world["a"]))
    if response.status_code == 404:  # the groups view is optional in the contract
        return
    assert response.status_code == 200, response.text
    [group] = response.json()["items"]
    text = str({key: value for key, value in group.items() if key != "group_id"})
    assert world["theirs"]["id"] not in text and world["b"] not in text
    assert "for the board" not in text  # another customer's title, not even as a group label
    assert group["member_count"] == 2  # that others share the need is told, not who they are
