"""Authorization as data, proven: every operation of every service, called with every role and none.

Generated from each service's OpenAPI document, so a new endpoint is in the matrix the moment it
exists: without an ACCESS entry it fails here. For each operation and caller:
no token → 401; a role the ACCESS table leaves out → 403; a role it lists → neither 401 nor 403.
Path ids are random UUIDs (so most allowed calls end in 404, which is the point: they got past
authorization), bodies are minimal valid examples built from the schema, and a customer's
`customer_id` fields name its own customer so ownership rules do not answer 403 in its place.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
import pytest_asyncio
from security_helpers import SERVICES, access_table, asgi_status, create_app, example, settings_for

from shared.auth import Role
from shared.testing.fixtures import bearer, running_client

pytestmark = pytest.mark.asyncio(loop_scope="module")

CALLERS = [None, *Role]
PUBLIC = {"healthz", "readyz", "metrics"}  # operations outside /v1: probes and scraping


def operations(name: str) -> list[tuple[str, str, dict]]:
    document = create_app(name, settings_for(name, Path("/nonexistent"))).openapi()
    return [(path, method, operation) for path, methods in document["paths"].items()
            for method, operation in methods.items()]


MATRIX = [(name, path, method, operation["operationId"])
          for name in SERVICES for path, method, operation in operations(name) if path.startswith("/v1/")]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def apps(tmp_path_factory):
    """One running app per service for the whole matrix (the calls change nothing that matters)."""
    running = {}
    contexts = []
    for name in SERVICES:
        app = create_app(name, settings_for(name, tmp_path_factory.mktemp(name)))
        context = running_client(app)
        await context.__aenter__()
        contexts.append(context)
        running[name] = (app, app.openapi())
    yield running
    for context in reversed(contexts):
        await context.__aexit__(None, None, None)


def request_for(path: str, method: str, operation: dict, document: dict, role: Role | None):
    """The headers, path, query and body of one call as `role`."""
    customer_id = str(uuid.uuid4())
    headers = {} if role is None else bearer(role.value, f"matrix-{role.value}", customer_id)
    concrete = re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)
    query = "&".join(f"{p['name']}={example(p['schema'], document)}"
                     for p in operation.get("parameters", []) if p["in"] == "query" and p.get("required"))
    body = b""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content:
        body = json.dumps(example(content["schema"], document, {"customer_id": customer_id})).encode()
    return headers, concrete, query, body


@pytest.mark.parametrize(("name", "path", "method", "operation_id"), MATRIX,
                         ids=[f"{name}.{operation_id}" for name, _, _, operation_id in MATRIX])
async def test_each_caller_gets_what_the_access_table_says(apps, name, path, method, operation_id):
    allowed = access_table(name).get(operation_id)
    assert allowed is not None, f"{name}: operation '{operation_id}' has no entry in ACCESS"
    app, document = apps[name]
    operation = document["paths"][path][method]
    wrong = []
    for role in CALLERS:
        headers, concrete, query, body = request_for(path, method, operation, document, role)
        status, first = await asgi_status(app, method.upper(), concrete, headers, body, query)
        expected = "401" if role is None else ("403" if role not in allowed else "not 401/403")
        ok = {"401": status == 401, "403": status == 403}.get(expected, status not in (401, 403))
        if not ok:
            wrong.append(f"{role or 'no token'}: {status} (expected {expected}) {first[:200]!r}")
    assert not wrong, f"{name} {method.upper()} {path}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("name", SERVICES)
async def test_every_access_entry_names_an_operation_and_only_probes_are_public(name):
    business = {operation_id for service, _, _, operation_id in MATRIX if service == name}
    assert set(access_table(name)) <= business, "ACCESS names operations that do not exist"
    outside = {operation["operationId"] for path, _, operation in operations(name)
               if not path.startswith("/v1/")}
    assert outside == PUBLIC


@pytest.mark.parametrize("name", SERVICES)
async def test_probes_answer_without_a_token(apps, name):
    app, _ = apps[name]
    for path in ("/healthz", "/readyz", "/metrics"):
        status, _ = await asgi_status(app, "GET", path)
        assert status == 200, path
