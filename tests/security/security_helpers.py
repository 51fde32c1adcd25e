"""Helpers for the security tests: every service's ASGI app in process, Kafka left out."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import re
import uuid
from collections.abc import AsyncIterator

from shared.consumer import apply_once
from shared.events import new_event
from shared.testing.fixtures import fresh_database_url, running_client

SERVICES = ["intake", "catalog", "feedback", "prioritizer"]


def settings_for(name: str, tmp_path, database_url: str | None = None, **overrides):
    module = importlib.import_module(f"services.{name}.settings")
    settings_class = getattr(module, f"{name.capitalize()}Settings")
    values = {"database_url": database_url or f"sqlite+aiosqlite:///{tmp_path / (name + '.db')}",
              "data_dir": tmp_path, "kafka_enabled": False, "rate_limit_writes_per_minute": 0}
    return settings_class(**(values | overrides))


def create_app(name: str, settings):
    return importlib.import_module(f"services.{name}.app").create_app(settings)


def access_table(name: str):
    return importlib.import_module(f"services.{name}.api").ACCESS


@contextlib.asynccontextmanager
async def serve(name: str, tmp_path, **overrides) -> AsyncIterator:
    """A client to one service running under its lifespan on a fresh database."""
    async with fresh_database_url(tmp_path, name) as url:
        app = create_app(name, settings_for(name, tmp_path, url, **overrides))
        async with running_client(app) as client:
            client.app, client.service = app, name
            yield client


async def feed(client, event_type: str, data: dict, version: int = 1) -> None:
    """Applies one contract event through the service's real consumer path."""
    handlers = importlib.import_module(f"services.{client.service}.consumers").HANDLERS
    event = new_event("test", event_type, data.get("id", "x"), data, version)
    await apply_once(client.app.state.runtime.db, handlers, event)


async def asgi_status(app, method: str, path: str, headers: dict[str, str] | None = None,
                      body: bytes = b"", query: str = "") -> tuple[int, bytes]:
    """Status and first body chunk of one request, sent straight to the ASGI app.

    Unlike a buffering client this also works for a stream that never ends: once the response has
    started, the client disconnects.
    """
    started: asyncio.Future = asyncio.get_running_loop().create_future()
    chunks: list[bytes] = []
    sent = False

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.shield(started)
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.start" and not started.done():
            started.set_result(message["status"])
        elif message["type"] == "http.response.body" and not chunks:
            chunks.append(message.get("body", b""))

    raw_headers = [(b"host", b"testserver")] + [
        (name.lower().encode(), value.encode()) for name, value in (headers or {}).items()]
    if body:
        raw_headers += [(b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode())]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
             "query_string": query.encode(), "headers": raw_headers, "client": ("127.0.0.1", 5000),
             "server": ("testserver", 80), "state": {}}
    task = asyncio.create_task(app(scope, receive, send))
    try:
        status = await asyncio.wait_for(asyncio.shield(started), 30)
        await asyncio.wait({task}, timeout=5)
    finally:
        if not task.done():
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return status, b"".join(chunks)


# --- minimal valid inputs from an OpenAPI document -------------------------------------------

_STRING_CANDIDATES = ["x", "reporting", "a@example.org", "2030-01-01", "2030-01-01T00:00:00Z"]


def example(schema: dict, document: dict, overrides: dict | None = None) -> object:
    """A minimal value that satisfies `schema`: required properties only, smallest sizes."""
    overrides = overrides or {}
    schema = resolve(schema, document)
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            options = [resolve(option, document) for option in schema[combinator]]
            chosen = next((o for o in options if o.get("type") != "null"), options[0])
            return example({**{k: v for k, v in schema.items() if k != combinator}, **chosen},
                           document, overrides)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object")
    if kind == "string":
        return _string(schema)
    if kind in ("integer", "number"):
        low = schema["minimum"] if "minimum" in schema else schema.get("exclusiveMinimum", 0) + 1
        return int(low) if kind == "integer" else low
    if kind == "boolean":
        return False
    if kind == "array":
        return [example(schema.get("items", {}), document, overrides)
                for _ in range(schema.get("minItems", 0))]
    if kind == "null":
        return None
    properties = schema.get("properties", {})
    return {name: overrides.get(name, example(properties.get(name, {}), document, overrides))
            for name in schema.get("required", [])}


def resolve(schema: dict, document: dict) -> dict:
    while "$ref" in schema:
        target = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        schema = target
    return schema


def _string(schema: dict) -> str:
    if schema.get("format") == "uuid":
        return str(uuid.uuid4())
    pattern = schema.get("pattern")
    low, high = schema.get("minLength", 0), schema.get("maxLength", 10_000)
    for candidate in _STRING_CANDIDATES[:2] + [str(uuid.uuid4())] + _STRING_CANDIDATES[2:]:
        if low <= len(candidate) <= high and (pattern is None or re.search(pattern, candidate)):
            if schema.get("format") in (None, "email") or candidate.count("-") == 2:
                return candidate
    return "x" * max(low, 1)
