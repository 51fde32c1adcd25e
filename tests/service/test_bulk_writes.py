"""shared.db.execute_many writes exactly what SQLAlchemy's own executemany writes, on SQLite and
(with PMO_TEST_POSTGRES_URL) on PostgreSQL: its plan converts each value with the column type's
own bind processor, moments once per distinct value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import (JSON, Column, DateTime, Integer, MetaData, String, Table, bindparam, insert,
                        select, update)

from shared.db import Database, UTCDateTime, execute_many
from shared.testing.fixtures import fresh_database_url, postgres_base_url

METADATA = MetaData()
COLUMNS = lambda: (Column("id", String(36), primary_key=True), Column("n", Integer),  # noqa: E731
                   Column("at", UTCDateTime), Column("doc", JSON))
OURS = Table("bulk_ours", METADATA, *COLUMNS())
THEIRS = Table("bulk_theirs", METADATA, *COLUMNS())

SHARED = datetime(2026, 11, 27, 3, 0, 0, 123456, tzinfo=UTC)
# The same instant written with another offset, a different instant, and no moment at all.
ROWS = [
    {"id": "a", "n": 1, "at": SHARED, "doc": {"factors": [{"v": 0.5}], "none": None}},
    {"id": "b", "n": 2, "at": SHARED.astimezone(timezone(timedelta(hours=5))), "doc": [1, "x"]},
    {"id": "c", "n": None, "at": SHARED + timedelta(microseconds=1), "doc": {}},
    {"id": "d", "n": 4, "at": None, "doc": None},
    {"id": "e", "n": 5, "at": SHARED, "doc": {"k": "é"}},
]


async def stored(db: Database, table: Table) -> list[tuple]:
    async with db.uow() as uow:
        return [tuple(row) for row in await uow.session.execute(select(table).order_by(table.c.id))]


async def test_inserts_and_updates_match_sqlalchemys_own(tmp_path):
    async with fresh_database_url(tmp_path, "bulk") as url:
        db = Database(url, None)
        try:
            async with db.engine.begin() as connection:
                await connection.run_sync(METADATA.create_all)
            async with db.uow() as uow:
                await execute_many(uow.session, insert(OURS), ROWS)
                await uow.session.execute(insert(THEIRS), ROWS)
                await uow.commit()
            assert await stored(db, OURS) == await stored(db, THEIRS)
            assert (await stored(db, OURS))[1][2] == SHARED  # answered as UTC

            later = [{"key": row["id"], "at": SHARED + timedelta(days=1), "doc": {"r": row["id"]}}
                     for row in ROWS]
            async with db.uow() as uow:
                for table in (OURS, THEIRS):
                    statement = update(table).where(table.c.id == bindparam("key")).values(
                        at=bindparam("at"), doc=bindparam("doc"))
                    if table is OURS:
                        await execute_many(uow.session, statement, later)
                    else:
                        await uow.session.execute(statement, later)
                await uow.commit()
            ours = await stored(db, OURS)
            assert ours == await stored(db, THEIRS)
            assert {row[2] for row in ours} == {SHARED + timedelta(days=1)}
        finally:
            await db.dispose()


PLAIN = Table("bulk_plain", METADATA, Column("id", String(36), primary_key=True),
              Column("at", DateTime))


@pytest.mark.skipif(postgres_base_url() is not None,
                    reason="a plain DateTime column takes no offsets on PostgreSQL")
async def test_a_plain_datetime_column_is_converted_per_row_not_per_moment(tmp_path):
    """SQLite's DateTime drops an offset without converting, so two equal moments at different
    offsets store differently: only UTCDateTime's conversions may be shared between equal moments."""
    async with fresh_database_url(tmp_path, "plain") as url:
        db = Database(url, None)
        try:
            async with db.engine.begin() as connection:
                await connection.run_sync(METADATA.create_all)
            rows = [{"id": "a", "at": SHARED}, {"id": "b", "at": SHARED.astimezone(timezone(timedelta(hours=5)))}]
            async with db.uow() as uow:
                await execute_many(uow.session, insert(PLAIN), rows)
                await uow.commit()
            async with db.uow() as uow:
                stored = dict((await uow.session.execute(select(PLAIN.c.id, PLAIN.c.at))).all())
            assert stored["a"].hour == 3 and stored["b"].hour == 8  # as SQLAlchemy itself stores them
        finally:
            await db.dispose()
