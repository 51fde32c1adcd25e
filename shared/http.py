"""HTTP mechanisms: keyset cursors, ETag/If-Match, Idempotency-Key, body size and write rate."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Header, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from shared.auth import Principal
from shared.db import Database, UnitOfWork, utcnow
from shared.errors import (
    Conflict,
    PayloadTooLarge,
    PreconditionFailed,
    ProblemError,
    TooManyRequests,
    Unprocessable,
)
from shared.errors import PROBLEM_JSON

MAX_LIMIT = 200

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size, 1..200")]
Cursor = Annotated[str | None, Query(max_length=500, description="Opaque cursor from next_cursor")]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=100)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)]


# --- keyset cursors -------------------------------------------------------------------------

def encode_cursor(values: list[Any]) -> str:
    """An opaque cursor for the sort key of the last item served."""
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise Unprocessable("cursor is not one this API issued", "cursor", where="query") from None
    if not isinstance(values, list) or len(values) != size:
        raise Unprocessable("cursor is not one this API issued", "cursor", where="query")
    return values


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
    headers = {"ETag": etag(version)} if version is not None else {}
    if location:
        headers["Location"] = location
    return JSONResponse(body.model_dump(mode="json"), status_code=status_code, headers=headers)


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
    try:
        async with db.uow() as uow:
            if key:
                stored = await _stored_response(uow, principal.sub, key)
                if stored is not None:
                    return _replay(stored, print_)
                uow.before_commit(lambda: _remember(uow, principal.sub, key, print_, render, location))
            created = await create(uow)
    except IntegrityError:
        if not key:
            raise
        async with db.uow() as uow:  # a concurrent request with the same key won the race
            stored = await _stored_response(uow, principal.sub, key)
        if stored is None:
            raise
        return _replay(stored, print_)
    return resource_response(render(created), getattr(created, "version", None), 201,
                             location(created))


async def _stored_response(uow: UnitOfWork, principal: str, key: str):
    table = uow.tables.idempotency
    query = select(table).where(table.c.principal == principal, table.c.key == key)
    return (await uow.session.execute(query)).first()


def _replay(stored, print_: str) -> JSONResponse:
    if stored.fingerprint != print_:
        raise Conflict("Idempotency-Key was already used with a different body")
    return JSONResponse(stored.body, status_code=stored.status_code, headers=stored.headers)


async def _remember(uow: UnitOfWork, principal: str, key: str, print_: str,
                    render: Callable[[Any], BaseModel], location: Callable[[Any], str]) -> None:
    created = uow.result
    body = render(created).model_dump(mode="json")
    await uow.session.execute(uow.tables.idempotency.insert().values(
        principal=principal, key=key, fingerprint=print_, status_code=201, body=body,
        headers=_created_headers(created, location),
        created_at=utcnow()))


def _created_headers(created: Any, location: Callable[[Any], str]) -> dict[str, str]:
    headers = {"Location": location(created)}
    if getattr(created, "version", None) is not None:
        headers["ETag"] = etag(created.version)
    return headers


# --- body size ------------------------------------------------------------------------------

class BodySizeLimit:
    """ASGI middleware: a body over the limit is refused with 413 before any route sees it."""

    def __init__(self, app, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0

        async def counting_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge()
            return message

        try:
            await self.app(scope, counting_receive, send)
        except _BodyTooLarge:
            await self._refuse(send)

    async def _refuse(self, send) -> None:
        error = PayloadTooLarge(f"request body exceeds {self.max_bytes} bytes")
        body = json.dumps(error.problem()).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", PROBLEM_JSON.encode()),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class _BodyTooLarge(Exception):
    pass


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
            retry_after = max(1, int(60 - now % 60))
            raise TooManyRequests(f"more than {self.per_minute} writes per minute", retry_after)
        self._windows[principal] = (window, previous, current + 1)
        if len(self._windows) > 100_000:
            self._windows.clear()  # bounded memory under a flood of distinct principals


def problem_response(error: ProblemError) -> JSONResponse:
    return JSONResponse(error.problem(), status_code=error.status, headers=error.headers,
                        media_type=PROBLEM_JSON)

