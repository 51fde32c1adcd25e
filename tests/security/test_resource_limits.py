"""Resource consumption: bodies, strings, lists and pages are bounded; writes and streams are rationed."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest
from security_helpers import SERVICES, asgi_status, create_app, feed, resolve, serve, settings_for

from shared.http import WriteRateLimiter
from shared.errors import TooManyRequests
from shared.testing.fixtures import bearer

ADMIN = bearer("pmo_admin", "alice-admin")
LIMIT = 64 * 1024
CUSTOMER = {"name": "Alpha", "segment": "executive", "strategic_importance": 3, "maturity": 3}


def padded_customer(size: int) -> bytes:
    """A customer body of exactly `size` bytes (the padding is in a field the schema bounds)."""
    prefix, suffix = b'{"name": "Alpha", "segment": "executive", "strategic_importance": 3, ' \
                     b'"maturity": 3, "business_unit": "', b'"}'
    return prefix + b"x" * (size - len(prefix) - len(suffix)) + suffix


def assert_too_large(response) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 413


# --- body size ------------------------------------------------------------------------------

async def test_a_body_over_64_kib_is_413_with_content_length(intake):
    response = await intake.post("/v1/customers", content=padded_customer(LIMIT + 1),
                                 headers=ADMIN | {"content-type": "application/json"})
    assert_too_large(response)
    at_limit = await intake.post("/v1/customers", content=padded_customer(LIMIT),
                                 headers=ADMIN | {"content-type": "application/json"})
    assert at_limit.status_code == 422  # read in full, then refused for its over-long field


async def test_a_chunked_body_over_64_kib_is_413_without_content_length(intake):
    async def chunks():
        for _ in range(LIMIT // 4096 + 2):
            yield b" " * 4096

    response = await intake.post("/v1/customers", content=chunks(),
                                 headers=ADMIN | {"content-type": "application/json"})
    assert "content-length" not in response.request.headers
    assert_too_large(response)


async def test_a_content_length_that_lies_does_not_get_a_big_body_in(intake):
    status, body = await asgi_status(intake.app, "POST", "/v1/customers",
                                     ADMIN | {"content-length": "10"}, padded_customer(LIMIT * 2))
    assert status == 413, body


async def test_the_limit_is_a_setting(tmp_path):
    async with serve("intake", tmp_path, max_body_bytes=1024) as intake:
        response = await intake.post("/v1/customers", content=padded_customer(2048),
                                     headers=ADMIN | {"content-type": "application/json"})
        assert_too_large(response)


async def test_hostile_json_is_a_problem_not_a_crash(intake):
    for body in (b"[" * 30_000 + b"]" * 30_000, b'{"name": NaN}', b"\xff\xfe", b'{"name": "x"'):
        response = await intake.post("/v1/customers", content=body,
                                     headers=ADMIN | {"content-type": "application/json"})
        assert response.status_code in (400, 422), (body[:20], response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    infinite = await intake.post("/v1/customers", content=(
        b'{"name": "A", "segment": "executive", "strategic_importance": 1e999, "maturity": 1}'),
        headers=ADMIN | {"content-type": "application/json"})
    assert infinite.status_code == 422


async def test_nul_in_any_text_is_refused_before_it_reaches_a_database(intake):
    """PostgreSQL cannot store U+0000: it is a 422 at the door, not a 500 from the database."""
    body = CUSTOMER | {"name": "Al\x00pha", "profile": {"motivations": ["ok", "n\x00"]}}
    for response in (
        await intake.post("/v1/customers", json=body, headers=ADMIN),
        await intake.post("/v1/customers", json=CUSTOMER | {"business_unit": "\x00"}, headers=ADMIN),
        await intake.get("/v1/customers?q=a%00b", headers=ADMIN),
        await intake.get("/v1/customers/a%00b", headers=ADMIN),
    ):
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "NUL" in response.text


FORGED_CURSORS = [[10**40], [{"a": 1}], [None], ["x" * 10_000], [True], ["2026-01-01T00:00:00", 5],
                  ["2026-01-01T00:00:00", {"a": 1}], ["9999-12-31T23:59:59", "x"],
                  ["2026-01-01T00:00:00+00:00", 10**40], [1e308, "x", "z"], ["x", "y", "z"],
                  [None, None, None], [1.0, "x", 10**40], "[" * 5000]


@pytest.mark.parametrize("name", SERVICES)
async def test_a_forged_cursor_is_422_on_every_list(tmp_path, name):
    """Cursors are opaque but anyone can write one: each value is checked before a query sees it."""
    import base64
    import json

    document = documents()[name]
    paged = [path for path, methods in document["paths"].items() if "{" not in path
             and any(p["name"] == "cursor" for p in methods.get("get", {}).get("parameters", []))]
    async with serve(name, tmp_path) as client:
        if name == "prioritizer":  # something ranked, so a page has rows to number
            await feed(client, "pmo.customer.registered", {
                "id": "c0000000-0000-4000-8000-000000000001", "name": "A", "segment": "executive",
                "strategic_importance": 3, "maturity": 3})
            await feed(client, "pmo.demand.submitted", {
                "id": "d0000000-0000-4000-8000-000000000001",
                "customer_id": "c0000000-0000-4000-8000-000000000001", "title": "T", "problem": "P",
                "kind": "pain_point", "function_code": None, "service_id": None, "severity": 3,
                "urgency": 3, "reach": 1, "effort_estimate": None, "status": "submitted",
                "endorsements": 0, "endorsed_by": [], "created_at": "2026-11-01T09:00:00Z"})
        for path in paged:
            for forged in FORGED_CURSORS:
                raw = forged if isinstance(forged, str) else json.dumps(forged)
                cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
                response = await client.get(path, params={"cursor": cursor}, headers=ADMIN)
                assert response.status_code == 422, (path, forged, response.text[:200])


# --- every input is bounded ------------------------------------------------------------------

def documents():
    return {name: create_app(name, settings_for(name, Path("/nonexistent"))).openapi()
            for name in SERVICES}


@pytest.mark.parametrize("name", SERVICES)
def test_every_string_list_and_map_in_every_input_is_bounded(name):
    """Audit of the published schemas: what a client sends has a documented, enforced size."""
    document = documents()[name]
    unbounded = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    continue  # a path segment: bounded by the server's request line, compared by key
                where = f"{operation['operationId']}.{parameter['in']}.{parameter['name']}"
                unbounded += _unbounded(parameter["schema"], document, where)
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if content:
                unbounded += _unbounded(content["schema"], document, operation["operationId"])
    assert not unbounded, f"inputs without a size bound: {unbounded}"


def _unbounded(schema: dict, document: dict, where: str) -> list[str]:
    node = resolve(schema, document)
    found = []
    for combinator in ("anyOf", "oneOf", "allOf"):
        for child in node.get(combinator, []):
            found += _unbounded(child, document, where)
    kind = node.get("type")
    if kind == "string" and not _bounded_string(node):
        found.append(where)
    if kind == "array":
        if "maxItems" not in node:
            found.append(where + "[]")
        found += _unbounded(node.get("items", {}), document, where + "[]")
    if kind == "object" or "properties" in node:
        for key, child in node.get("properties", {}).items():
            found += _unbounded(child, document, f"{where}.{key}")
        if isinstance(node.get("additionalProperties"), dict):
            if "maxProperties" not in node:
                found.append(where + "{}")
            found += _unbounded(node["additionalProperties"], document, where + "{}")
            found += _unbounded(node.get("propertyNames", {"type": "string"}), document,
                                where + "{keys}")
        for pattern, child in node.get("patternProperties", {}).items():
            if "maxProperties" not in node:
                found.append(where + "{}")
            found += _unbounded({"type": "string", "pattern": pattern}, document, where + "{keys}")
            found += _unbounded(child, document, where + "{}")
    return found


def _bounded_string(node: dict) -> bool:
    pattern = node.get("pattern", "")
    anchored = pattern.startswith("^") and pattern.endswith("$") and not any(
        token in pattern for token in ("*", "+", ",}"))
    return "maxLength" in node or "enum" in node or "const" in node or anchored or \
        node.get("format") in ("date", "date-time", "uuid")


@pytest.mark.parametrize("name", SERVICES)
async def test_every_page_size_is_capped_at_200(tmp_path, name):
    document = documents()[name]
    paged = [(path, operation) for path, methods in document["paths"].items()
             for method, operation in methods.items() if method == "get" and "{" not in path
             and any(p["name"] == "limit" for p in operation.get("parameters", []))]
    assert paged
    async with serve(name, tmp_path) as client:
        for path, operation in paged:
            [limit] = [p["schema"] for p in operation["parameters"] if p["name"] == "limit"]
            assert limit.get("maximum", 10**9) <= 200, path
            too_many = await client.get(f"{path}?limit=201", headers=ADMIN)
            assert too_many.status_code == 422, (path, too_many.text)


# --- write rate per principal ---------------------------------------------------------------

async def test_writes_over_the_rate_are_429_with_retry_after_per_principal(tmp_path):
    async with serve("intake", tmp_path, rate_limit_writes_per_minute=3) as intake:
        for _ in range(3):
            assert (await intake.post("/v1/customers", json=CUSTOMER, headers=ADMIN)).status_code == 201
        refused = await intake.post("/v1/customers", json=CUSTOMER, headers=ADMIN)
        assert refused.status_code == 429
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert (await intake.get("/v1/customers", headers=ADMIN)).status_code == 200  # reads free
        other = bearer("pmo_admin", "bob-admin")
        assert (await intake.post("/v1/customers", json=CUSTOMER, headers=other)).status_code == 201


async def test_a_rate_of_zero_turns_the_limit_off(tmp_path):
    async with serve("intake", tmp_path, rate_limit_writes_per_minute=0) as intake:
        for _ in range(25):
            assert (await intake.post("/v1/customers", json=CUSTOMER, headers=ADMIN)).status_code == 201


async def test_refused_callers_do_not_spend_anyones_budget(tmp_path):
    """Unauthenticated and unauthorized writes are refused before they are counted."""
    async with serve("intake", tmp_path, rate_limit_writes_per_minute=2) as intake:
        viewer = bearer("viewer", "alice-admin")  # same sub, a role that may not write
        for _ in range(5):
            assert (await intake.post("/v1/customers", json=CUSTOMER)).status_code == 401
            assert (await intake.post("/v1/customers", json=CUSTOMER, headers=viewer)).status_code == 403
        for _ in range(2):
            assert (await intake.post("/v1/customers", json=CUSTOMER, headers=ADMIN)).status_code == 201


def test_the_window_slides_and_retry_after_tells_when_to_come_back():
    now = [170.0]  # 50 s into a minute
    limiter = WriteRateLimiter(2, clock=lambda: now[0])
    limiter.check("p")
    limiter.check("p")
    with pytest.raises(TooManyRequests) as refused:
        limiter.check("p")
    wait = int(refused.value.headers["Retry-After"])
    assert wait == 11
    now[0] += wait - 1
    with pytest.raises(TooManyRequests):  # not a second early
        limiter.check("p")
    now[0] += 1  # 1 s into the next minute: the two old writes count for 59/60 each
    limiter.check("p")
    with pytest.raises(TooManyRequests) as again:
        limiter.check("p")
    now[0] += int(again.value.headers["Retry-After"])  # half a minute on, half of them count
    limiter.check("p")
    now[0] = 400.0  # minutes later nothing counts
    limiter.check("p")
    limiter.check("p")


# --- server-sent events ---------------------------------------------------------------------

class OpenStream:
    """One SSE request kept open until `close()`, straight on the ASGI app."""

    def __init__(self, app, headers: dict[str, str]) -> None:
        self.started: asyncio.Future = asyncio.get_running_loop().create_future()
        self._closed = asyncio.Event()
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                 "scheme": "http", "path": "/v1/rankings/stream", "raw_path": b"/v1/rankings/stream",
                 "root_path": "", "query_string": b"", "client": ("127.0.0.1", 5000),
                 "server": ("testserver", 80), "state": {},
                 "headers": [(b"host", b"testserver")] + [
                     (k.lower().encode(), v.encode()) for k, v in headers.items()]}
        self._sent = False
        self.task = asyncio.create_task(app(scope, self._receive, self._send))

    async def _receive(self):
        if not self._sent:
            self._sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self._closed.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message):
        if message["type"] == "http.response.start" and not self.started.done():
            self.started.set_result(message["status"])

    async def status(self) -> int:
        return await asyncio.wait_for(asyncio.shield(self.started), 10)

    async def close(self) -> None:
        self._closed.set()
        try:
            await asyncio.wait_for(self.task, 10)
        except asyncio.TimeoutError:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


async def test_the_rankings_stream_admits_at_most_stream_max_clients(tmp_path):
    viewer = bearer("viewer", "wall-screen")
    async with serve("prioritizer", tmp_path, stream_max_clients=2) as prioritizer:
        app = prioritizer.app
        first, second = OpenStream(app, viewer), OpenStream(app, viewer)
        assert [await first.status(), await second.status()] == [200, 200]
        status, body = await asgi_status(app, "GET", "/v1/rankings/stream", viewer)
        assert status == 503, body
        full = await prioritizer.get("/v1/rankings", headers=viewer)
        assert full.status_code == 200  # the rest of the API is unaffected
        await first.close()
        await asyncio.sleep(0.05)
        third = OpenStream(app, viewer)
        assert await third.status() == 200  # a freed slot is reused
        for stream in (second, third):
            await stream.close()


async def test_a_refused_stream_says_when_to_retry(tmp_path):
    viewer = bearer("viewer", "wall-screen")
    async with serve("prioritizer", tmp_path, stream_max_clients=1) as prioritizer:
        held = OpenStream(prioritizer.app, viewer)
        assert await held.status() == 200
        refused = await prioritizer.get("/v1/rankings/stream", headers=viewer)
        assert refused.status_code == 503
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert int(refused.headers["retry-after"]) >= 1
        await held.close()
