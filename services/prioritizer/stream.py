"""Server-Sent Events of score changes, read from the score trail so every replica can serve them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

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

    def admit(self) -> None:
        if self._clients >= self._max_clients:
            raise ServiceUnavailable(f"the rankings stream already serves {self._max_clients} clients")
        self._clients += 1

    async def events(self, last_event_id: int | None) -> AsyncIterator[str]:
        """SSE frames; `last_event_id` resumes after a reconnect without losing changes."""
        try:
            async with self._db.uow() as uow:
                last = last_event_id if last_event_id is not None else await views.last_change_id(uow)
            yield "retry: 2000\n\n"
            idle = 0.0
            while True:
                async with self._db.uow() as uow:
                    changes = await views.changes_after(uow, last)
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
        finally:
            self._clients -= 1


def _frame(change) -> str:
    data = {"demand_id": change.demand_id, "previous_score": change.previous_score,
            "score": change.score, "policy_version": change.policy_version,
            "cause_event_id": change.cause_event_id, "cause_type": change.cause_type,
            "at": rfc3339(change.at)}
    return f"id: {change.id}\nevent: score_changed\ndata: {json.dumps(data)}\n\n"
