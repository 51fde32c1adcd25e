"""Property level: clients cannot set what the server owns, and every input object is closed.

Generated from each service's OpenAPI document: every request body (create, patch, transition,
policy...) is sent as a minimal valid example plus one server field; each must be refused with
422 naming that field, before any handler runs. What responses show each role is proven in
test_object_level (a customer sees no other customer's e-mail, comments or notes).
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
from security_helpers import SERVICES, create_app, example, resolve, serve, settings_for

from shared.testing.fixtures import bearer

SERVER_FIELDS = {
    "id": str(uuid.uuid4()), "status": "delivered", "version": 99, "lifecycle_state": "active",
    "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
    "state_changed_at": "2026-01-01T00:00:00Z", "endorsements": 1000, "captured_by": "mallory",
    "submitted_by": "mallory", "resolved_by": "mallory", "changed_by": "mallory", "actor": "mallory",
    "created_by": "mallory", "segment_at_submission": "executive", "score": 1e6,
}
ADMIN = bearer("pmo_admin", "alice-admin")


def bodies(name: str) -> list[tuple[str, str, str, dict, dict]]:
    document = create_app(name, settings_for(name, Path("/nonexistent"))).openapi()
    found = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if content:
                found.append((path, method, operation["operationId"], content["schema"], document))
    return found


BODIES = [(name, *entry) for name in SERVICES for entry in bodies(name)]
IDS = [f"{name}.{operation_id}" for name, _, _, operation_id, _, _ in BODIES]


@pytest.mark.parametrize(("name", "path", "method", "operation_id", "schema", "document"), BODIES,
                         ids=IDS)
async def test_server_fields_cannot_be_set(tmp_path, name, path, method, operation_id, schema,
                                           document):
    properties = resolve(schema, document).get("properties", {})
    base = example(schema, document)
    concrete = re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)
    async with serve(name, tmp_path) as client:
        for field, value in SERVER_FIELDS.items():
            if field in properties:
                continue  # a field this input legitimately takes (none of these should be)
            response = await client.request(method.upper(), concrete, json=base | {field: value},
                                            headers=ADMIN)
            assert response.status_code == 422, (operation_id, field, response.text)
            assert ["body", field] in [e["loc"] for e in response.json()["errors"]], response.text
    assert not set(properties) & {"id", "version", "status", "lifecycle_state", "endorsements",
                                  "created_at", "updated_at"}, operation_id


@pytest.mark.parametrize("name", SERVICES)
def test_every_input_object_is_closed(name):
    """extra="forbid" everywhere: a nested object accepting unknown members is a hole too."""
    open_objects = []
    for _, _, operation_id, schema, document in bodies(name):
        for where, node in _objects(schema, document, operation_id):
            additional = node.get("additionalProperties")
            if additional is not False and not (isinstance(additional, dict) and "maxProperties" in node):
                open_objects.append(where)
    assert not open_objects, f"objects that accept unknown members: {open_objects}"


def _objects(schema: dict, document: dict, where: str, seen: frozenset = frozenset()):
    ref = schema.get("$ref")
    if ref in seen:
        return
    seen = seen | {ref} if ref else seen
    node = resolve(schema, document)
    if node.get("type") == "object" or "properties" in node:
        yield where, node
    for key, child in node.get("properties", {}).items():
        yield from _objects(child, document, f"{where}.{key}", seen)
    for combinator in ("anyOf", "oneOf", "allOf"):
        for child in node.get(combinator, []):
            yield from _objects(child, document, where, seen)
    if isinstance(node.get("items"), dict):
        yield from _objects(node["items"], document, f"{where}[]", seen)


async def test_a_patch_cannot_move_state_or_version(tmp_path):
    """The end-to-end view of the rule: the stored row keeps its server fields."""
    async with serve("intake", tmp_path) as intake:
        customer = (await intake.post("/v1/customers", json={
            "name": "Alpha", "segment": "executive", "strategic_importance": 3, "maturity": 3},
            headers=ADMIN)).json()
        demand = (await intake.post("/v1/demands", json={
            "customer_id": customer["id"], "title": "T", "problem": "P", "kind": "pain_point",
            "severity": 2}, headers=ADMIN)).json()
        for sneaky in ({"status": "delivered"}, {"endorsements": 50}, {"version": 7},
                       {"captured_by": "mallory"}, {"customer_id": str(uuid.uuid4())}):
            response = await intake.patch(f"/v1/demands/{demand['id']}", json=sneaky, headers=ADMIN)
            assert response.status_code == 422, sneaky
        after = (await intake.get(f"/v1/demands/{demand['id']}", headers=ADMIN)).json()
        assert {k: after[k] for k in ("status", "endorsements", "version", "captured_by",
                                      "customer_id")} == {
            "status": "submitted", "endorsements": 0, "version": 1, "captured_by": "alice-admin",
            "customer_id": customer["id"]}
        assert json.loads(json.dumps(after)) == after
