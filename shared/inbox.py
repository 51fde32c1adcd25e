"""The inbox: which events a consumer already applied, recorded in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from shared.db import UnitOfWork, utcnow
from shared.events import CloudEvent

_CHUNK = 500  # bound on the IN list: SQLite and asyncpg both take far more, plans stay cheap


async def handled_among(uow: UnitOfWork, event_ids: Sequence[str]) -> set[str]:
    """Which of these events were applied already."""
    inbox = uow.tables.inbox
    found: set[str] = set()
    for start in range(0, len(event_ids), _CHUNK):
        chunk = event_ids[start:start + _CHUNK]
        found |= set(await uow.session.scalars(
            select(inbox.c.event_id).where(inbox.c.event_id.in_(chunk))))
    return found


async def record_handled(uow: UnitOfWork, events: Sequence[CloudEvent]) -> None:
    handled_at = utcnow()
    await uow.session.execute(uow.tables.inbox.insert(), [
        {"event_id": event.id, "event_type": event.type, "handled_at": handled_at}
        for event in events])
