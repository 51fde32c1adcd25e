"""Secrets never reach the logs; every change names its actor (`sub`) in history and in events."""

from __future__ import annotations

import json
import logging
import time
import uuid

import jwt
from security_helpers import feed, serve
from sqlalchemy import select

from shared.auth import issue_token

SECRET = "s3cr3t-" + uuid.uuid4().hex + "-never-logged"


def token(sub: str, role: str = "pmo_admin", secret: str = SECRET, **claims) -> str:
    if not claims:
        return issue_token(secret, sub, [role])
    now = int(time.time())
    body = {"sub": sub, "roles": [role], "iss": "pmo-platform", "aud": "pmo-platform", "iat": now,
            "exp": now + 600} | claims
    return jwt.encode(body, secret, algorithm="HS256")


def auth(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


async def test_tokens_and_the_jwt_secret_never_appear_in_logs(tmp_path, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    good, expired = token("alice"), token("alice", exp=int(time.time()) - 3600)
    forged = token("mallory", secret="guessed-" + "x" * 40)
    tampered = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    async with serve("intake", tmp_path, jwt_secret=SECRET, log_level="DEBUG") as intake:
        assert (await intake.get("/v1/customers", headers=auth(good))).status_code == 200
        for bad in (expired, forged, tampered, "garbage." + SECRET):
            assert (await intake.get("/v1/customers", headers=auth(bad))).status_code == 401
        created = await intake.post("/v1/customers", headers=auth(good), json={
            "name": "Alpha", "segment": "executive", "strategic_importance": 3, "maturity": 3})
        assert created.status_code == 201
        await intake.get("/readyz")
        await intake.get("/metrics")
        settings = intake.app.state.runtime.settings
        logging.getLogger("pmo.test").info("settings at startup %r", settings)
    captured = capfd.readouterr()
    logs = "\n".join(record.getMessage() + " " + str(record.__dict__) for record in caplog.records)
    logs += captured.out + captured.err
    assert logs.strip(), "nothing was logged: the test would prove nothing"
    for secret in (SECRET, good, expired, forged, tampered, good.split(".")[2]):
        assert secret not in logs


async def test_intake_and_catalog_changes_name_their_actor_in_events_and_history(tmp_path):
    sub = "actor-" + uuid.uuid4().hex[:8]
    headers = auth(token(sub))
    async with serve("intake", tmp_path, jwt_secret=SECRET) as intake:
        customer = (await intake.post("/v1/customers", headers=headers, json={
            "name": "Alpha", "segment": "executive", "strategic_importance": 3, "maturity": 3})).json()
        other = (await intake.post("/v1/customers", headers=headers, json={
            "name": "Beta", "segment": "other", "strategic_importance": 3, "maturity": 3})).json()
        await intake.patch(f"/v1/customers/{customer['id']}", headers=headers, json={"maturity": 4})
        demand = (await intake.post("/v1/demands", headers=headers, json={
            "customer_id": customer["id"], "title": "T", "problem": "P", "kind": "pain_point",
            "severity": 2})).json()
        assert demand["captured_by"] == sub
        await intake.patch(f"/v1/demands/{demand['id']}", headers=headers, json={"severity": 3})
        await intake.post(f"/v1/demands/{demand['id']}/endorsements", headers=headers,
                          json={"customer_id": other["id"]})
        await intake.post(f"/v1/demands/{demand['id']}/transitions", headers=headers,
                          json={"to": "triaged"})
        assert_every_event_names(await outbox(intake), sub, 7)
    async with serve("catalog", tmp_path, jwt_secret=SECRET) as catalog:
        await catalog.post("/v1/functions", headers=headers, json={
            "code": "reporting", "name": "Reporting", "description": "Reports"})
        service = (await catalog.post("/v1/services", headers=headers, json={
            "function_code": "reporting", "name": "Dashboard", "description": "D",
            "target_segments": ["executive"]})).json()
        await catalog.patch(f"/v1/services/{service['id']}", headers=headers, json={"owner": "PMO"})
        await catalog.post(f"/v1/services/{service['id']}/transitions",
                           headers=headers | {"If-Match": '"2"'},
                           json={"to": "in_design", "reason": "go"})
        history = (await catalog.get(f"/v1/services/{service['id']}/history", headers=headers)).json()
        assert [entry["actor"] for entry in history["items"]] == [sub]
        assert_every_event_names(await outbox(catalog), sub, 4)


async def test_feedback_and_prioritizer_changes_name_their_actor(tmp_path):
    sub = "actor-" + uuid.uuid4().hex[:8]
    headers = auth(token(sub))
    customer_id, service_id = str(uuid.uuid4()), str(uuid.uuid4())
    async with serve("feedback", tmp_path, jwt_secret=SECRET) as feedback:
        await feed(feedback, "pmo.customer.registered", {
            "id": customer_id, "name": "Alpha", "segment": "executive", "strategic_importance": 3,
            "maturity": 2})
        await feed(feedback, "pmo.service.proposed", {
            "id": service_id, "function_code": "reporting", "name": "Dashboard",
            "lifecycle_state": "active"})
        await feedback.post("/v1/responses", headers=headers, json={
            "customer_id": customer_id, "service_id": service_id, "csat": 1, "perceived_value": 1})
        [alert] = (await feedback.get("/v1/alerts", headers=headers)).json()["items"]
        await feedback.post(f"/v1/alerts/{alert['id']}/assign", headers=headers,
                            json={"assignee": "Sam"})
        resolved = (await feedback.post(f"/v1/alerts/{alert['id']}/resolve", headers=headers,
                                        json={"note": "called back"})).json()
        assert resolved["resolved_by"] == sub
        assert_every_event_names(await outbox(feedback), sub, 4)
    async with serve("prioritizer", tmp_path, jwt_secret=SECRET) as prioritizer:
        owner = str(uuid.uuid4())
        await feed(prioritizer, "pmo.customer.registered", {
            "id": owner, "name": "Alpha", "segment": "executive", "strategic_importance": 3,
            "maturity": 3, "actor": "intake-clerk"})
        await feed(prioritizer, "pmo.demand.submitted", {
            "id": str(uuid.uuid4()), "customer_id": owner, "title": "T", "problem": "P",
            "kind": "pain_point", "function_code": None, "service_id": None, "severity": 3,
            "urgency": 3, "reach": 1, "effort_estimate": None, "status": "submitted",
            "endorsements": 0, "endorsed_by": [], "created_at": "2026-11-01T09:00:00Z",
            "actor": "portal-user"})
        changed = await prioritizer.put("/v1/policy", headers=headers, json={"weights": {"pain": 0.3}})
        assert changed.status_code == 200 and changed.json()["changed_by"] == sub
        causes = [event["data"]["cause"] for event in await outbox(prioritizer)
                  if event["type"] == "pmo.demand.reprioritized"]
        assert causes and causes[0]["actor"] == "portal-user"
        assert causes[-1] == causes[-1] | {"type": "policy.changed", "actor": sub}


async def outbox(client) -> list[dict]:
    runtime = client.app.state.runtime
    table = runtime.db.tables.outbox
    async with runtime.db.sessions() as session:
        rows = (await session.execute(select(table.c.payload).order_by(table.c.id))).all()
    return [json.loads(row.payload) for row in rows]


def assert_every_event_names(events: list[dict], sub: str, at_least: int) -> None:
    assert len(events) >= at_least, [event["type"] for event in events]
    missing = [event["type"] for event in events if event["data"].get("actor") != sub]
    assert not missing, f"events without the actor: {missing}"
