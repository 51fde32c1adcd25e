"""Local copies of other services' aggregates, kept from their events: the newest version wins."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession


async def keep_newest(session: AsyncSession, model: type, row_id: str, version: int,
                      fields: dict[str, Any]) -> bool:
    """Inserts or updates the row with id `row_id`; an event older than what is held changes nothing.

    Returns whether the row changed, so a caller can skip work that follows from the change.
    """
    row = await session.get(model, row_id)
    if row is None:
        session.add(model(id=row_id, version=version, **fields))
        return True
    if version <= row.version:
        return False
    row.version = version
    for name, value in fields.items():
        setattr(row, name, value)
    return True
