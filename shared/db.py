"""Database engine, the mechanism tables every service owns, and the unit of work."""

from __future__ import annotations

import asyncio
import functools
import uuid
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import orjson
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Select,
    bindparam,
    event,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.types import TypeDecorator

from shared.errors import ServiceUnavailable
from shared.events import CloudEvent, encode_event
from shared.sqlite_inline import inline_dbapi

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Now, timezone-aware UTC, at microsecond precision (keyset cursors rely on it)."""
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator):
    """Stores UTC and always answers timezone-aware datetimes, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class MechanismTables:
    outbox: Table
    inbox: Table
    idempotency: Table


def add_mechanism_tables(metadata: MetaData) -> MechanismTables:
    """Adds the outbox, inbox and idempotency tables to a service's own metadata."""
    outbox = Table(
        "outbox", metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("key", String(200), nullable=False),
        Column("event_type", String(200), nullable=False),
        Column("payload", Text, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("sent_at", UTCDateTime, nullable=True, index=True),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("last_error", Text, nullable=True),
    )
    inbox = Table(
        "inbox", metadata,
        Column("event_id", String(36), primary_key=True),
        Column("event_type", String(200), nullable=False),
        Column("handled_at", UTCDateTime, nullable=False),
    )
    idempotency = Table(
        "idempotency_keys", metadata,
        Column("principal", String(200), primary_key=True),
        Column("key", String(200), primary_key=True),
        Column("fingerprint", String(64), nullable=False),
        Column("status_code", Integer, nullable=False),
        Column("body", JSON, nullable=False),
        Column("headers", JSON, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
    )
    return MechanismTables(outbox=outbox, inbox=inbox, idempotency=idempotency)


def json_text(value: Any) -> str:
    """A JSON column's text: orjson writes (and reads) it several times faster than the standard
    library, which matters when a rescore rewrites ten thousand explanations."""
    return orjson.dumps(value).decode()


JSON_CODEC = {"json_serializer": json_text, "json_deserializer": orjson.loads}


async def execute_many(session: AsyncSession, statement: UpdateBase,
                       rows: Sequence[Mapping[str, Any]]) -> None:
    """One INSERT or UPDATE for many rows, through the driver's executemany.

    SQLAlchemy builds and type-processes a parameter dictionary per row, which cost more than the
    database's own work when a rescore writes ten thousand rows; this compiles the statement once,
    converts each value with its column type's own bind processor and hands the driver tuples.
    Bound names are the keys of the rows (an INSERT of a table takes them as its columns).
    """
    if not rows:
        return
    connection = await session.connection()
    sql, plan = _executemany_plan(statement, connection.dialect, tuple(rows[0]))
    plan = [(name, _once_per_value(processor) if moment else processor)
            for name, processor, moment in plan]
    await connection.exec_driver_sql(sql, [
        tuple(row[name] if processor is None else processor(row[name]) for name, processor in plan)
        for row in rows])


@functools.lru_cache(maxsize=128)
def _executemany_plan(statement: UpdateBase, dialect, keys: tuple[str, ...]):
    """The statement's SQL for this dialect and, per positional parameter, its name, its type
    conversion and whether it is a moment; kept for statements built once (compiling costs
    about a millisecond)."""
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    names = compiled.positiontup or []
    plan = []
    for name in names:
        column_type = compiled.binds[name].type
        processor = column_type.dialect_impl(dialect).bind_processor(dialect)
        # Only UTCDateTime: it converts to UTC first, so equal moments (at any offset) convert
        # alike; a plain DateTime on SQLite drops the offset, so equal moments may not.
        plan.append((name, processor, processor is not None and isinstance(column_type, UTCDateTime)))
    return compiled.string, plan


def _once_per_value(processor: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A moment's conversion done once per distinct value: the rows of one rescore share their
    cause's time, and formatting it for SQLite is most of what a row's parameters cost."""
    converted: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        if value not in converted:
            converted[value] = processor(value)
        return converted[value]
    return convert


@functools.lru_cache(maxsize=64)
def _insert_into(table: Table) -> UpdateBase:
    return table.insert()


async def insert_new(session: AsyncSession, row: Any) -> None:
    """Inserts a new ORM object's row with one statement, leaving the object out of the session.

    For the busiest creates: a flush of one new object (change tracking, the unit of work's
    sort, the version counter) cost more than the INSERT it emits. The object must be complete,
    its version counter included, and is not tracked afterwards.
    """
    await insert_records(session, row.__table__, [row])


async def insert_records(session: AsyncSession, table: Table, records: Sequence[Any]) -> None:
    """One INSERT of objects that carry every column of `table` as an attribute (ORM objects
    kept out of the session, plain records); one lacking a column is refused, since an INSERT of
    every column would write NULL past that column's default."""
    for record in records:
        unset = [column.key for column in table.columns if column.key not in vars(record)]
        if unset:
            raise ValueError(f"{type(record).__name__} lacks {', '.join(unset)}")
    await insert_rows(session, table, [{column.key: getattr(record, column.key)
                                        for column in table.columns} for record in records])


async def insert_rows(session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """One INSERT of these rows into `table`, through execute_many's cached plan."""
    await execute_many(session, _insert_into(table), rows)


async def insert_missing_rows(session: AsyncSession, table: Table,
                              rows: Sequence[Mapping[str, Any]]) -> None:
    """One INSERT of these rows, leaving alone those whose primary key is already there (ON
    CONFLICT DO NOTHING): for rows that never change once written, where reading which exist
    first would cost a statement more and still race another transaction."""
    if rows:
        dialect = (await session.connection()).dialect.name
        await execute_many(session, _insert_missing_into(table, dialect), rows)


@functools.lru_cache(maxsize=32)
def _insert_missing_into(table: Table, dialect: str) -> UpdateBase:
    if dialect == "postgresql":
        return postgresql_insert(table).on_conflict_do_nothing()
    return sqlite_insert(table).on_conflict_do_nothing()


@functools.lru_cache(maxsize=64)
def _by_key(table: Table) -> Select:
    (key,) = table.primary_key.columns
    return select(key).where(key == bindparam("key"))


async def exists(session: AsyncSession, table: Table, key: Any) -> bool:
    """Whether a row with this primary key exists, without loading it as an object."""
    return (await session.execute(_by_key(table), {"key": key})).first() is not None


# Ids per IN list: SQLite and asyncpg take far more, but plans and parameter lists stay cheap.
IN_CHUNK = 500


def ids_param() -> BindParameter:
    """The `ids` parameter of a statement built once and run for many id lists (for_ids): building
    a statement costs more than SQLite takes to run it, and an event runs about twenty."""
    return bindparam("ids", expanding=True)


async def for_ids(session: AsyncSession, statement: Executable, ids: Iterable[Any], *,
                  scalars: bool = False, **params: Any) -> list[Any]:
    """The rows (or, with `scalars`, the first column's values or ORM objects) of `statement` for
    these ids, IN_CHUNK at a time; no query at all for none. A DELETE or UPDATE is run alike,
    and its result (without RETURNING) not read; it must be on the table, not the mapped class:
    the ORM would match the session's objects against the unbound `ids` and keep them all."""
    ids = list(ids)
    run = session.scalars if scalars else session.execute
    collect = not isinstance(statement, UpdateBase)  # a DELETE or UPDATE: nothing to collect
    found: list[Any] = []
    for start in range(0, len(ids), IN_CHUNK):
        result = await run(statement, {**params, "ids": ids[start:start + IN_CHUNK]})
        if collect:
            found.extend(result)
    return found


# What a process believes of a database beyond one transaction (rows it saw committed, say), per
# engine: dropped whenever a migration runs on that engine (shared.migrations), since a migration
# may drop or recreate the tables a belief is about.
_beliefs: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


def beliefs(engine: Any) -> dict[str, Any]:
    """This process's beliefs about the database behind `engine` (async or sync), by name."""
    return _beliefs.setdefault(getattr(engine, "sync_engine", engine), {})


def forget_beliefs(engine: Any) -> None:
    _beliefs.pop(getattr(engine, "sync_engine", engine), None)


def create_engine(database_url: str) -> AsyncEngine:
    """An async engine; SQLite gets one shared connection (it serializes writers anyway)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=60,
                                     module=inline_dbapi(), **JSON_CODEC)
        event.listen(engine.sync_engine, "connect", _tune_sqlite)
        return engine
    # A bounded connect: asyncpg's default would wait 60 s for a server that does not answer.
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True, pool_timeout=10,
                               connect_args={"timeout": CONNECT_TIMEOUT_SECONDS}, **JSON_CODEC)


SQLITE_BUSY_TIMEOUT_MS = 4000
# Every SQLite connection of a service. Statements run inline on the event loop
# (shared.sqlite_inline): a wait for another process's lock holds it, so the busy timeout stays
# well under the Kafka session timeout (10 s).
SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
                  f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}", "PRAGMA foreign_keys=ON")


def _tune_sqlite(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def is_postgres(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"


# SQLSTATEs that mean "the server cannot serve now", not "this statement is wrong": class 08
# (connection exceptions), admin/crash shutdown, cannot connect now, too many connections.
UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})
CONNECT_TIMEOUT_SECONDS = 5.0


def database_unavailable(error: BaseException) -> bool:
    """True when an error means the database cannot be reached right now: retry, never park.

    Covers what asyncpg really raises through SQLAlchemy during a restart: ConnectionRefusedError
    straight from the pool while the server is down, DBAPIError with `connection_invalidated` for
    a connection cut mid-statement (08003, 57P01), DBAPIError 57P03 while it starts or stops, and
    the pool's own timeout.
    """
    if isinstance(error, (FileNotFoundError, PermissionError)):
        return False  # a misconfigured SQLite path, not an outage
    if isinstance(error, (OperationalError, InterfaceError, OSError, PoolTimeoutError,
                          asyncio.TimeoutError)):
        return True  # InterfaceError: "the underlying connection is closed", from asyncpg
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        error = error.orig
    sqlstate = str(getattr(error, "sqlstate", None) or "")
    return sqlstate.startswith("08") or sqlstate in UNAVAILABLE_SQLSTATES


async def database_is_reachable(engine: AsyncEngine, timeout_seconds: float = 3.0) -> bool:
    try:
        async with asyncio.timeout(timeout_seconds):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        return True
    except Exception as error:
        if database_unavailable(error):
            return False
        raise


class DeferredWork(Protocol):
    async def run(self, uow: "UnitOfWork") -> None: ...


Deferred = TypeVar("Deferred", bound=DeferredWork)


class UnitOfWork:
    """One transaction: rows, outbox events and idempotency records commit together or not at all.

    Handlers are the only callers of `commit`; a unit left without commit rolls back.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], tables: MechanismTables,
                 after_commit: Callable[[], None] | None = None, publishing: bool = True) -> None:
        self._sessions = sessions
        self.tables = tables
        self._after_commit = after_commit
        self.publishing = publishing  # off: publish() drops events (a rebuild), so skip making them
        self._before_commit: list[Callable[[], Any]] = []
        self._on_committed: list[Callable[[], None]] = []
        self._deferred: dict[Callable[[], Any], Any] = {}
        self._outbox_rows: list[dict[str, Any]] = []
        self.result: Any = None

    async def __aenter__(self) -> "UnitOfWork":
        self.session = self._sessions()
        return self

    async def __aexit__(self, exc_type, exc, tb) -> None:
        # close() rolls back what was not committed without expiring loaded rows, so routes can
        # still render what a handler returned.
        await self.session.close()
        if exc is not None and database_unavailable(exc):
            raise ServiceUnavailable("the database is not reachable; try again shortly") from exc

    def publish(self, event: CloudEvent) -> None:
        """Queues an event in this transaction's outbox; the relay sends it after commit."""
        if not self.publishing:
            return
        self._outbox_rows.append(
            {"event_id": event.id, "topic": event.topic, "key": event.subject,
             "event_type": event.type, "payload": encode_event(event).decode(),
             "created_at": utcnow(), "attempts": 0}
        )

    def deferred(self, kind: Callable[[], Deferred]) -> Deferred:
        """This transaction's collector of deferred work of one kind, made on first use; its
        `run(uow)` is awaited once, just before commit. Handlers that share a transaction (a
        batch of events) add to one collector, so the work is done once for all of them."""
        collector = self._deferred.get(kind)
        if collector is None:
            collector = self._deferred[kind] = kind()
            self.before_commit(lambda: collector.run(self))
        return collector

    def before_commit(self, hook: Callable[[], Any]) -> None:
        """Runs `hook` inside the transaction, just before it commits (after handlers set `result`)."""
        self._before_commit.append(hook)

    def on_committed(self, hook: Callable[[], None]) -> None:
        """Runs `hook` once this transaction has committed; never if it fails or rolls back: for
        what a process may only believe of the database once the write is durable."""
        self._on_committed.append(hook)

    async def commit(self, result: Any = None) -> None:
        """Commits everything queued; `result` is what the transaction produced, for hooks."""
        if result is not None:
            self.result = result
        # Hooks before the outbox is written: work deferred to the end of the transaction may
        # publish events. They see the rows flushed, as a query of theirs would.
        await self.session.flush()
        for hook in self._before_commit:
            outcome = hook()
            if hasattr(outcome, "__await__"):
                await outcome
        self._before_commit.clear()
        published = len(self._outbox_rows)
        # Flush the rows first: their locks are taken before the outbox ids are drawn, so two
        # transactions changing one aggregate get outbox ids in the order they commit.
        await self.session.flush()
        if self._outbox_rows:
            await insert_rows(self.session, self.tables.outbox, self._outbox_rows)
            self._outbox_rows = []
        await self.session.commit()
        for hook in self._on_committed:
            hook()
        self._on_committed.clear()
        if published and self._after_commit:
            self._after_commit()


class Database:
    """The engine and session factory of one service, and the unit-of-work factory over them."""

    def __init__(self, database_url: str, tables: MechanismTables) -> None:
        self.engine = create_engine(database_url)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.tables = tables
        self.after_commit: Callable[[], None] | None = None
        # Off while a read model is rebuilt from topics: what it recomputes was published before.
        self.publishing = True

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.tables, self.after_commit, self.publishing)

    async def dispose(self) -> None:
        await self.engine.dispose()
