"""The inbox: which events a consumer already applied, recorded in the same transaction."""

from __future__ import annotations

from sqlalchemy import select

from shared.db import UnitOfWork, utcnow
from shared.events import CloudEvent


async def already_handled(uow: UnitOfWork, event_id: str) -> bool:
    inbox = uow.tables.inbox
    found = await uow.session.scalar(select(inbox.c.event_id).where(inbox.c.event_id == event_id))
    return found is not None


async def record_handled(uow: UnitOfWork, event: CloudEvent) -> None:
    await uow.session.execute(uow.tables.inbox.insert().values(
        event_id=event.id, event_type=event.type, handled_at=utcnow()))
