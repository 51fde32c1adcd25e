"""Server-Sent Events of score changes, read from the score trail so every replica can serve them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable

import anyio
from starlette.responses import StreamingResponse

from services.prioritizer import views
from shared.db import Database
from shared.errors import ServiceUnavailable
from shared.schemas import rfc3339

KEEPALIVE_SECONDS = 15.0


class ScoreStream:
    """Bounded number of listeners, each tailing the score trail from where it joined."""

    def __init__(self, db: Database, max_clients: int, poll_seconds: float = 0.2) -> None:
        self._db = db
        self._max_clients = max_clients
        self._poll_seconds = poll_seconds
        self._clients = 0

    @property
    def clients(self) -> int:
        return self._clients

    def admit(self) -> None:
        if self._clients >= self._max_clients:
            raise ServiceUnavailable(f"the rankings stream already serves {self._max_clients} clients")
        self._clients += 1

    def release(self) -> None:
        self._clients = max(self._clients - 1, 0)

    def response(self, last_event_id: int | None) -> StreamingResponse:
        """Admits one listener (503 when full); its slot is freed when the response ends, however."""
        self.admit()
        return _ReleasingResponse(self.events(last_event_id), self.release,
                                  media_type="text/event-stream",
                                  headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def events(self, last_event_id: int | None) -> AsyncIterator[str]:
        """SSE frames; `last_event_id` resumes after a reconnect without losing changes."""
        last = last_event_id if last_event_id is not None else await self._read(views.last_change_id)
        yield "retry: 2000\n\n"
        idle = 0.0
        while True:
            changes = await self._read(views.changes_after, last)
            for change in changes:
                last = change.id
                yield _frame(change)
            if changes:
                idle = 0.0
                continue
            await asyncio.sleep(self._poll_seconds)
            idle += self._poll_seconds
            if idle >= KEEPALIVE_SECONDS:
                idle = 0.0
                yield ": keep-alive\n\n"

    async def _read(self, query, *args):
        """A short read shielded from the disconnect's cancellation: cancelled half-way, the session
        could not give its connection back (anyio re-cancels every await in the scope)."""
        with anyio.CancelScope(shield=True):
            async with self._db.uow() as uow:
                return await query(uow, *args)


class _ReleasingResponse(StreamingResponse):
    """A stream whose listener slot is given back when the response ends, even if the client left
    before the first frame (a generator never started never runs its `finally`)."""

    def __init__(self, content, release: Callable[[], None], **kwargs) -> None:
        super().__init__(content, **kwargs)
        self._release = release

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()


def _frame(change) -> str:
    data = {"demand_id": change.demand_id, "previous_score": change.previous_score,
            "score": change.score, "policy_version": change.policy_version,
            "cause_event_id": change.cause_event_id, "cause_type": change.cause_type,
            "at": rfc3339(change.at)}
    return f"id: {change.id}\nevent: score_changed\ndata: {json.dumps(data)}\n\n"
