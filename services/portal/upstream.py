"""Calls to the four APIs on behalf of the signed-in person, with failures turned into answers."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx

log = logging.getLogger("pmo.portal.upstream")

# What a panel says when its source cannot answer; the panel decides whether to show it.
_SAYINGS = {
    0: "is not reachable right now",
    403: "is not available to your role",
    404: "is not available yet",
    409: "refused the change",
    412: "changed meanwhile; reload and try again",
    422: "did not accept the input",
    429: "is busy; try again in a minute",
    503: "is not ready right now",
}


class SignInAgain(Exception):
    """An API refused the token (expired or revoked): the person has to sign in again."""


@dataclass
class Answer:
    """One API answer; `status` 0 means the API could not be reached at all."""

    service: str
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def items(self) -> list[dict]:
        if self.ok and isinstance(self.body, dict) and isinstance(self.body.get("items"), list):
            return self.body["items"]
        return []

    @property
    def message(self) -> str:
        """A sentence for a person: what went wrong, in the API's words when it gave some."""
        if self.ok:
            return ""
        detail = self.body.get("detail") if isinstance(self.body, dict) else None
        saying = _SAYINGS.get(self.status, f"answered {self.status}")
        if detail and self.status in (409, 412, 422, 429):
            return f"{self.service} {saying}: {detail}"
        return f"{self.service} {saying}"

    @property
    def version(self) -> int | None:
        tag = self.headers.get("etag", "").removeprefix("W/").strip('"')
        if tag.isdigit():
            return int(tag)
        version = self.body.get("version") if isinstance(self.body, dict) else None
        return version if isinstance(version, int) else None


class Upstream:
    """An httpx client per portal process; every call carries the caller's bearer token."""

    def __init__(self, client: httpx.AsyncClient, urls: dict[str, str]) -> None:
        self._client = client
        self._urls = urls

    def url(self, service: str, path: str) -> str:
        return f"{self._urls[service]}{path}"

    async def get(self, service: str, path: str, token: str, **params: Any) -> Answer:
        query = {key: value for key, value in params.items() if value not in (None, "")}
        return await self._send(service, "GET", path, token, params=query)

    async def post(self, service: str, path: str, token: str, body: dict[str, Any], *,
                   if_match: int | None = None, idempotency_key: str | None = None) -> Answer:
        headers = {"Idempotency-Key": idempotency_key or str(uuid.uuid4())}
        if if_match is not None:
            headers["If-Match"] = f'"{if_match}"'
        return await self._send(service, "POST", path, token, json=body, headers=headers)

    async def collect(self, service: str, path: str, token: str, *, at_most: int = 1000,
                      **params: Any) -> Answer:
        """Every page of a collection (up to `at_most` items) as one answer with `items`."""
        items: list[dict] = []
        cursor = None
        while True:
            answer = await self.get(service, path, token, limit=200, cursor=cursor, **params)
            if not answer.ok:
                return answer
            items += answer.items
            cursor = answer.body.get("next_cursor")
            if not cursor or len(items) >= at_most:
                return Answer(service, 200, {"items": items[:at_most], "next_cursor": None})

    @contextlib.asynccontextmanager
    async def stream(self, service: str, path: str, token: str,
                     last_event_id: str | None) -> AsyncIterator[httpx.Response]:
        """An open streaming response (SSE); the caller reads `aiter_raw()` until it ends."""
        headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        timeout = httpx.Timeout(10.0, read=None)
        async with self._client.stream("GET", self.url(service, path), headers=headers,
                                       timeout=timeout) as response:
            if response.status_code == 401:
                raise SignInAgain()
            yield response

    async def _send(self, service: str, method: str, path: str, token: str,
                    **kwargs: Any) -> Answer:
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        try:
            response = await self._client.request(method, self.url(service, path),
                                                  headers=headers, **kwargs)
        except httpx.HTTPError as error:
            log.warning("upstream unreachable service=%s path=%s error=%r", service, path, error)
            return Answer(service, 0)
        if response.status_code == 401:
            raise SignInAgain()
        try:
            body = response.json()
        except ValueError:
            body = None
        return Answer(service, response.status_code, body,
                      {key.lower(): value for key, value in response.headers.items()})
