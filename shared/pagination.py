"""Keyset pagination over (created_at, id): stable while other rows are inserted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from shared.errors import Unprocessable
from shared.http import decode_cursor, encode_cursor


async def keyset_page(session: AsyncSession, query: Select, model: Any, limit: int,
                      cursor: str | None) -> tuple[list[Any], str | None]:
    """One page in creation order; the cursor names the last row served, never an offset."""
    created_at, row_id = model.created_at, model.id
    if cursor:
        after_time, after_id = decode_cursor(cursor, 2, shape=(str, str))
        try:
            after = datetime.fromisoformat(after_time)
        except (TypeError, ValueError):
            raise Unprocessable("cursor is not one this API issued", "cursor", where="query") from None
        if after.tzinfo is None:  # every timestamp this API stores and issues is UTC
            raise Unprocessable("cursor is not one this API issued", "cursor", where="query")
        query = query.where(or_(created_at > after, and_(created_at == after, row_id > after_id)))
    rows = list(await session.scalars(query.order_by(created_at, row_id).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_cursor([last.created_at.isoformat(), last.id])
