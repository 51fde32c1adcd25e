"""HTTP mechanisms: keyset cursors, ETag/If-Match, Idempotency-Key, body size, write rate and the
request context (request id and metrics)."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import math
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Header, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Table, bindparam, select
from sqlalchemy.exc import IntegrityError
from starlette.datastructures import MutableHeaders

from shared.auth import Principal
from shared.db import Database, UnitOfWork, insert_rows, utcnow
from shared.errors import (
    Conflict,
    PayloadTooLarge,
    PreconditionFailed,
    ProblemError,
    TooManyRequests,
    Unprocessable,
)
from shared.errors import PROBLEM_JSON, problem_body
from shared.observability import bind_request_id

MAX_LIMIT = 200

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size, 1..200")]
Cursor = Annotated[str | None, Query(max_length=500, description="Opaque cursor from next_cursor")]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=100)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)]


# --- keyset cursors -------------------------------------------------------------------------

def encode_cursor(values: list[Any]) -> str:
    """An opaque cursor for the sort key of the last item served."""
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, size: int, shape: tuple[type, ...] | None = None) -> list[Any]:
    """The values of a cursor; anyone can forge one, so each is checked before a query sees it.

    Every value must be a short string, an int the database's integers hold, or a finite float;
    `shape`, when given, names the type of each (an int passes for a float).
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        raise Unprocessable("cursor is not one this API issued", "cursor", where="query") from None
    if not isinstance(values, list) or len(values) != size or not all(map(_cursor_value, values)) \
            or (shape and not all(_of_type(value, kind) for value, kind in zip(values, shape))):
        raise Unprocessable("cursor is not one this API issued", "cursor", where="query")
    return values


def _cursor_value(value: Any) -> bool:
    if isinstance(value, str):
        return len(value) <= 200 and "\x00" not in value
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -(2**31) <= value < 2**31
    return isinstance(value, float) and math.isfinite(value)


def _of_type(value: Any, kind: type) -> bool:
    return isinstance(value, kind) or (kind is float and isinstance(value, int))


# --- ETag / If-Match ------------------------------------------------------------------------

def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None) -> int | None:
    """The version an `If-Match` header names (`"3"` or `W/"3"`); None when absent or `*`."""
    if if_match is None or if_match.strip() == "*":
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise PreconditionFailed(f"If-Match {if_match!r} is not an ETag this API issued")
    return int(value)


def check_version(current: int, if_match: str | None) -> None:
    wanted = expected_version(if_match)
    if wanted is not None and wanted != current:
        raise PreconditionFailed(f"resource is at version {current}, If-Match named {wanted}",
                                 current_version=current)


def resource_response(body: BaseModel, version: int | None, status_code: int = 200,
                      location: str | None = None) -> JSONResponse:
    """A resource with its ETag (when it is versioned) and, on create, its Location."""
    return JSONResponse(body.model_dump(mode="json"), status_code=status_code,
                        headers=resource_headers(version, location))


def resource_headers(version: int | None, location: str | None = None) -> dict[str, str]:
    headers = {"ETag": etag(version)} if version is not None else {}
    if location:
        headers["Location"] = location
    return headers


# --- Idempotency-Key ------------------------------------------------------------------------

def fingerprint(body: BaseModel) -> str:
    return hashlib.sha256(body.model_dump_json().encode()).hexdigest()


async def idempotent_create(
    db: Database, principal: Principal, key: str | None, body: BaseModel,
    create: Callable[[UnitOfWork], Awaitable[Any]], render: Callable[[Any], BaseModel],
    location: Callable[[Any], str],
) -> JSONResponse:
    """Runs a create once per (principal, key): a repeat replays the original 201, a changed body is 409."""
    print_ = fingerprint(body)
    rendered: list[dict[str, Any]] = []  # the created resource as JSON, rendered once for record and answer
    try:
        async with db.uow() as uow:
            if key:
                stored = await _stored_response(uow, principal.sub, key)
                if stored is not None:
                    return _replay(stored, print_)
                uow.before_commit(lambda: _remember(uow, principal.sub, key, print_, render, location,
                                                    rendered))
            created = await create(uow)
    except IntegrityError:
        if not key:
            raise
        async with db.uow() as uow:  # a concurrent request with the same key won the race
            stored = await _stored_response(uow, principal.sub, key)
        if stored is None:
            raise
        return _replay(stored, print_)
    answer = rendered[0] if rendered else render(created).model_dump(mode="json")
    return JSONResponse(answer, status_code=201, headers=_created_headers(created, location))


@functools.cache
def _lookup(table: Table):
    """The stored answer for (principal, key); built once per table, as statements are reused."""
    return select(table.c.fingerprint, table.c.status_code, table.c.body, table.c.headers).where(
        table.c.principal == bindparam("principal"), table.c.key == bindparam("key"))


async def _stored_response(uow: UnitOfWork, principal: str, key: str):
    query = _lookup(uow.tables.idempotency)
    return (await uow.session.execute(query, {"principal": principal, "key": key})).first()


def _replay(stored, print_: str) -> JSONResponse:
    if stored.fingerprint != print_:
        raise Conflict("Idempotency-Key was already used with a different body")
    return JSONResponse(stored.body, status_code=stored.status_code, headers=stored.headers)


async def _remember(uow: UnitOfWork, principal: str, key: str, print_: str,
                    render: Callable[[Any], BaseModel], location: Callable[[Any], str],
                    rendered: list[dict[str, Any]]) -> None:
    created = uow.result
    body = render(created).model_dump(mode="json")
    rendered.append(body)
    await insert_rows(uow.session, uow.tables.idempotency, [{
        "principal": principal, "key": key, "fingerprint": print_, "status_code": 201,
        "body": body, "headers": _created_headers(created, location), "created_at": utcnow()}])


def _created_headers(created: Any, location: Callable[[Any], str]) -> dict[str, str]:
    return resource_headers(getattr(created, "version", None), location(created))


# --- body size ------------------------------------------------------------------------------

class BodySizeLimit:
    """ASGI middleware: a body over the limit is refused with 413 before any route sees it.

    A declared Content-Length over the limit is refused unread. Any other body (chunked, or with a
    Content-Length that lies) is read here, counting, up to the limit, and handed on whole: a route
    never starts on a body that could still grow past it.
    """

    def __init__(self, app, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is None and b"transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # HTTP/1.1: a request without either has no body
            return
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        chunks, size, first = [], 0, None
        while True:
            message = await receive()
            if message["type"] != "http.request":
                first = message  # the client left before the body ended
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                await self._refuse(send)
                return
            if not message.get("more_body", False):
                first = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
                break
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return first
            return await receive()  # after the body: disconnects, which streams listen for

        await self.app(scope, replay, send)

    async def _refuse(self, send) -> None:
        error = PayloadTooLarge(f"request body exceeds {self.max_bytes} bytes")
        body = json.dumps(error.problem()).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", PROBLEM_JSON.encode()),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


class NulGuard:
    """ASGI middleware: NUL in a path or query is refused with 422 (no text here may hold one)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            for where, raw in (("path", scope.get("raw_path") or scope["path"].encode()),
                               ("query", scope.get("query_string", b""))):
                if b"%00" in raw or b"\x00" in raw or (where == "path" and "\x00" in scope["path"]):
                    detail = "text must not contain NUL (U+0000)"
                    body = problem_body(422, "Unprocessable Content", detail, "validation",
                                        errors=[{"loc": [where], "msg": detail}])
                    await JSONResponse(body, 422, media_type=PROBLEM_JSON)(scope, receive, send)
                    return
        await self.app(scope, receive, send)


class RequestContext:
    """ASGI middleware: a request id for every log line and the answer, and per-route metrics.

    The id is the caller's `X-Request-ID` or a new uuid; the answer carries it back. Requests are
    counted and timed by route template, method and status when the answer starts (a stream is
    timed to its first byte). Pure ASGI rather than `@app.middleware("http")`: Starlette's
    BaseHTTPMiddleware runs every request through an extra task and memory streams, which cost
    about as much CPU as a small route.
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _header(scope, b"x-request-id") or str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()

        async def send_with_context(message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
                _observe(scope, message["status"], time.perf_counter() - started)
            await send(message)

        with bind_request_id(request_id):
            await self.app(scope, receive, send_with_context)


def _header(scope, name: bytes) -> str | None:
    """The first value of a request header (names in ASGI scopes are lower-case)."""
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def _observe(scope, status: int, seconds: float) -> None:
    runtime = getattr(scope["app"].state, "runtime", None)
    if runtime is None:  # before the lifespan started
        return
    template = getattr(scope.get("route"), "path", "unmatched")
    method = scope["method"]
    runtime.metrics.http_requests.labels(template, method, str(status)).inc()
    runtime.metrics.http_latency.labels(template, method).observe(seconds)


# --- write rate limit -----------------------------------------------------------------------

class WriteRateLimiter:
    """Writes per principal per minute in a sliding pair of fixed windows; 0 turns it off."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._windows: dict[str, tuple[int, int, int]] = {}

    def check(self, principal: str) -> None:
        if self.per_minute <= 0:
            return
        now = self._clock()
        window = int(now // 60)
        start, previous, current = self._windows.get(principal, (window, 0, 0))
        if window != start:
            previous, current = (current if window == start + 1 else 0), 0
        weight = 1 - (now % 60) / 60  # how much of the previous window still overlaps the last minute
        if previous * weight + current >= self.per_minute:
            self._windows[principal] = (window, previous, current)
            raise TooManyRequests(f"more than {self.per_minute} writes per minute",
                                  self._seconds_until_free(now % 60, previous, current))
        self._windows[principal] = (window, previous, current + 1)
        if len(self._windows) > 100_000:
            self._windows.clear()  # bounded memory under a flood of distinct principals

    def _seconds_until_free(self, offset: float, previous: int, current: int) -> int:
        """When the next write fits: later in this window as the previous one fades, or in the next."""
        limit = self.per_minute
        if current < limit:  # refused, so previous > 0
            wait = 60 * (1 - (limit - current) / previous) - offset
        else:
            wait = 60 - offset + 60 * max(0.0, 1 - limit / current)
        return max(1, math.floor(wait) + 1)


# --- problem responses in OpenAPI ------------------------------------------------------------

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; validation errors (422) add `errors`.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["loc", "msg"],
            "properties": {"loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                           "msg": {"type": "string"}}}},
    },
}

_PROBLEMS = {
    400: "The request cannot be read",
    401: "No bearer token, or one that is not valid (see `WWW-Authenticate`)",
    403: "The token's roles may not call this operation",
    404: "No such object, or one the caller may not see",
    409: "The change conflicts with the resource's state",
    412: "`If-Match` names a version that is no longer current",
    413: "The request body is over the size limit",
    422: "The input breaks the schema or a rule; `errors` says where",
    428: "This change needs `If-Match`",
    429: "Too many writes by this caller in the last minute (see `Retry-After`)",
    503: "A dependency is unavailable; retry later (see `Retry-After`)",
}

PROBLEM_RESPONSES: dict[int, dict[str, Any]] = {
    status: {"description": description,
             "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    for status, description in _PROBLEMS.items()
}
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def problem_responses_for(methods: set[str], path: str) -> dict[int, dict[str, Any]]:
    """The problems one operation can answer with, for its OpenAPI `responses`."""
    statuses = {401, 403, 422, 503}
    if "{" in path:
        statuses.add(404)
    if methods & _WRITES:
        statuses |= {400, 404, 409, 412, 413, 428, 429}
    return {status: PROBLEM_RESPONSES[status] for status in sorted(statuses)}


def problem_response(error: ProblemError) -> JSONResponse:
    return JSONResponse(error.problem(), status_code=error.status, headers=error.headers,
                        media_type=PROBLEM_JSON)

