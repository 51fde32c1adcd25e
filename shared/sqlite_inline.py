"""SQLite under the async engine without a thread between the event loop and the database.

aiosqlite runs every call (open a cursor, execute, fetch, close) on a thread of its own and wakes
the event loop for each result: four thread hops a statement, about 115 µs each on these
machines, which came to most of what a one-event transaction or an intake request cost. A
SQLite statement on a local file takes microseconds and holds the GIL for most of it, so here
the calls run inline, as coroutines that complete without suspending; SQLAlchemy's aiosqlite
dialect drives them unchanged (`create_async_engine(..., module=inline_dbapi())`).

What that gives up: while a statement runs, the event loop waits for it. So an engine on it must
hold one connection (shared.db.create_engine does): two connections of one process writing one
file would wait for each other's lock with the loop held, and neither could finish. Each service
has its own file; a lock held by another process (an operator's `pmo` command on a running
service's file) is waited for up to the busy timeout (shared.db: well under the Kafka consumer's
session timeout), as before, but with the loop held. A long transaction lets the loop turn
between statements every TURN_SECONDS.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from types import SimpleNamespace
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_dbapi,
)

# aiosqlite's own keyword arguments to connect(), meaningless without its thread.
_AIOSQLITE_ONLY = ("iter_chunk_size", "loop")
# The longest a run of statements holds the event loop before the next one lets it turn.
TURN_SECONDS = 0.05


class InlineCursor:
    """aiosqlite's cursor interface over a sqlite3 cursor, made when the dialect enters it (so
    a closed connection fails there, where the dialect maps it to a disconnect)."""

    def __init__(self, connection: "InlineConnection") -> None:
        self._connection = connection
        self._cursor: sqlite3.Cursor | None = None

    async def __aenter__(self) -> "InlineCursor":
        self._cursor = self._connection._open().cursor()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Any = ()) -> "InlineCursor":
        await self._connection.take_turns()
        self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Any) -> "InlineCursor":
        await self._connection.take_turns()
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def setinputsizes(self, *_sizes: Any) -> None:
        return None

    def setoutputsize(self, *_args: Any) -> None:
        return None

    async def nextset(self) -> None:
        return None

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class InlineConnection:
    """aiosqlite's connection interface over a sqlite3 connection."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._connection: sqlite3.Connection | None = connection  # None once closed, as aiosqlite
        self._turn_taken = time.monotonic()

    def cursor(self) -> InlineCursor:
        return InlineCursor(self)

    async def take_turns(self) -> None:
        """Gives the event loop a turn once a run of statements has held it for a while, so a
        long transaction does not starve Kafka heartbeats and probes for its whole length."""
        now = time.monotonic()
        if now - self._turn_taken > TURN_SECONDS:
            await asyncio.sleep(0)
            self._turn_taken = time.monotonic()

    async def commit(self) -> None:
        self._open().commit()

    async def rollback(self) -> None:
        self._open().rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def stop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._open().create_function(*args, **kwargs)

    @property
    def in_transaction(self) -> bool:
        return self._open().in_transaction

    @property
    def isolation_level(self) -> str | None:
        return self._open().isolation_level

    def _open(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("Connection closed")  # what aiosqlite raises; the dialect maps it
        return self._connection


class _InlineAdaptedConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()

    @property
    def isolation_level(self) -> str | None:
        return self._connection.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        # aiosqlite's setter queues the change onto its thread; here it is just set.
        self._connection._conn.isolation_level = value


class InlineDbapi(AsyncAdapt_aiosqlite_dbapi):
    """The DB-API the aiosqlite dialect expects, opening inline connections."""

    def connect(self, *args: Any, **kwargs: Any) -> _InlineAdaptedConnection:
        for name in _AIOSQLITE_ONLY:
            kwargs.pop(name, None)
        kwargs["check_same_thread"] = False  # the pool may close it from a finalizer's thread
        return _InlineAdaptedConnection(self, InlineConnection(sqlite3.connect(*args, **kwargs)))


def inline_dbapi() -> InlineDbapi:
    """The `module=` for create_async_engine on a sqlite+aiosqlite URL."""
    errors = {name: getattr(sqlite3, name) for name in (
        "DatabaseError", "Error", "IntegrityError", "NotSupportedError", "OperationalError",
        "ProgrammingError", "InterfaceError", "DataError", "InternalError", "Warning")}
    driver = SimpleNamespace(Connection=InlineConnection, sqlite_version=sqlite3.sqlite_version,
                             sqlite_version_info=sqlite3.sqlite_version_info, **errors)
    return InlineDbapi(driver, sqlite3)
