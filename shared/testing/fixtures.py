"""Building blocks for test fixtures: a fresh database per test and an app under its lifespan."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from shared.auth import issue_token
from shared.settings import DEVELOPMENT_JWT_SECRET

TEST_POSTGRES_ENV = "PMO_TEST_POSTGRES_URL"


def postgres_base_url() -> str | None:
    """The PostgreSQL server tests run against, or None to use SQLite files."""
    return os.environ.get(TEST_POSTGRES_ENV) or None


@contextlib.asynccontextmanager
async def fresh_database_url(tmp_path: Path, name: str) -> AsyncIterator[str]:
    """A new empty database for one test: a SQLite file, or a PostgreSQL database dropped after."""
    base = postgres_base_url()
    if base is None:
        yield f"sqlite+aiosqlite:///{tmp_path / (name + '.db')}"
        return
    database = f"t_{name}_{uuid.uuid4().hex[:12]}"
    admin_dsn = make_url(base).set(drivername="postgresql", database="postgres")
    dsn = admin_dsn.render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{database}"')
    finally:
        await connection.close()
    try:
        yield make_url(base).set(database=database).render_as_string(hide_password=False)
    finally:
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        finally:
            await connection.close()


@contextlib.asynccontextmanager
async def running_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client to the app running under its real lifespan (migrations, relay, consumers)."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


def bearer(role: str, sub: str | None = None, customer_id: str | None = None,
           secret: str = DEVELOPMENT_JWT_SECRET) -> dict[str, str]:
    """An Authorization header for a development token with one role."""
    token = issue_token(secret, sub or f"test-{role}", [role], customer_id)
    return {"Authorization": f"Bearer {token}"}
