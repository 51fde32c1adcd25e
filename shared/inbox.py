"""The inbox: which events a consumer already applied, recorded in the same transaction."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from sqlalchemy import Select, Table, select

from shared.db import UnitOfWork, for_ids, ids_param, insert_rows, utcnow
from shared.events import CloudEvent


async def handled_among(uow: UnitOfWork, event_ids: Sequence[str]) -> set[str]:
    """Which of these events were applied already."""
    return set(await for_ids(uow.session, _handled_query(uow.tables.inbox), event_ids,
                             scalars=True))


@functools.lru_cache(maxsize=8)
def _handled_query(inbox: Table) -> Select:
    return select(inbox.c.event_id).where(inbox.c.event_id.in_(ids_param()))


async def record_handled(uow: UnitOfWork, events: Sequence[CloudEvent]) -> None:
    handled_at = utcnow()
    await insert_rows(uow.session, uow.tables.inbox, [
        {"event_id": event.id, "event_type": event.type, "handled_at": handled_at}
        for event in events])
