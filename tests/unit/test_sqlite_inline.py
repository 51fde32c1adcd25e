"""SQLite run inline under the async engine (shared.sqlite_inline): the dialect's behaviour kept."""

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from shared.db import create_engine


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'inline.db'}")
    yield engine
    asyncio.run(engine.dispose())


def test_statements_transactions_and_errors_behave_as_on_aiosqlite(engine):
    async def scenario():
        async with engine.begin() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)"))
            await conn.execute(text("INSERT INTO t VALUES (1, 'one')"))
        async with engine.connect() as conn:  # rolled back: never committed
            await conn.execute(text("INSERT INTO t VALUES (2, 'two')"))
            await conn.rollback()
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO t VALUES (1, 'again')"))
        with pytest.raises(OperationalError):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT * FROM missing"))
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT id, name FROM t ORDER BY id"))).all()
            many = await conn.exec_driver_sql("INSERT INTO t VALUES (?, ?)", [(3, "c"), (4, "d")])
            assert many.rowcount == 2
            await conn.rollback()
        return [tuple(row) for row in rows]

    assert asyncio.run(scenario()) == [(1, "one")]


def test_a_statement_runs_on_the_event_loop_thread_not_a_driver_thread(engine):
    import threading

    from sqlalchemy import event

    @event.listens_for(engine.sync_engine, "connect")
    def add_thread_id(dbapi_connection, _record):
        dbapi_connection.create_function("thread_id", 0, threading.get_ident)

    async def scenario():
        async with engine.connect() as conn:
            return (await conn.execute(text("SELECT thread_id()"))).scalar(), threading.get_ident()

    ran_on, loop_thread = asyncio.run(scenario())
    assert ran_on == loop_thread


def test_a_closed_driver_connection_is_reported_as_a_disconnect(engine):
    from sqlalchemy.exc import DBAPIError

    async def scenario():
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            raw.driver_connection.stop()  # as if the file's connection went away
            with pytest.raises(DBAPIError) as caught:
                await conn.execute(text("SELECT 1"))
            return caught.value

    error = asyncio.run(scenario())
    assert error.connection_invalidated


def test_a_long_run_of_statements_lets_the_event_loop_turn(engine, monkeypatch):
    from shared import sqlite_inline

    async def ticks_during_transaction() -> int:
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        task = asyncio.create_task(ticker())
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))  # the connection is open and checked out
            seen = ticks
            for _ in range(5):
                await conn.execute(text("SELECT 1"))
            during = ticks - seen
        task.cancel()
        return during

    monkeypatch.setattr(sqlite_inline, "TURN_SECONDS", 3600.0)
    assert asyncio.run(ticks_during_transaction()) == 0  # inline: nothing else runs meanwhile
    monkeypatch.setattr(sqlite_inline, "TURN_SECONDS", 0.0)
    assert asyncio.run(ticks_during_transaction()) >= 5
