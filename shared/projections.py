"""Local copies of other services' aggregates, kept from their events: the newest version wins."""

from __future__ import annotations

import contextlib
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession


async def keep_newest(session: AsyncSession, model: type, row_id: str, version: int,
                      fields: dict[str, Any], held: dict[str, Any] | None = None) -> bool:
    """Inserts or updates the row with id `row_id`; an event older than what is held changes nothing.

    Returns whether the row changed, so a caller can skip work that follows from the change.
    `held`: the rows of this model the transaction looked up or added so far, by id. Given it,
    a batch of events finds rows added by earlier events without flushing them first (an INSERT
    round trip per event).
    """
    if held is not None and row_id in held:
        row = held[row_id]
    else:
        with session.no_autoflush if held is not None else contextlib.nullcontext():
            row = await session.get(model, row_id)
    if row is None:
        row = model(id=row_id, version=version, **fields)
        session.add(row)
        if held is not None:
            held[row_id] = row
        return True
    if held is not None:
        held[row_id] = row
    if version <= row.version:
        return False
    row.version = version
    for name, value in fields.items():
        setattr(row, name, value)
    return True
