"""The write path's baseline: a bare FastAPI app, one insert plus one extra row in one transaction.

`uvicorn bench.bare_app:create_app --factory` with BENCH_DATABASE_URL set (same database and
driver as intake).
"""

from __future__ import annotations

import os
import uuid
from contextlib import asynccontextmanager
from datetime import datetime, timezone

from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from shared.sqlite_inline import inline_dbapi

metadata = MetaData()
demands = Table("bare_demand", metadata, Column("id", String(36), primary_key=True),
                Column("customer_id", String(36)), Column("title", String(200)),
                Column("problem", Text), Column("kind", String(40)), Column("severity", Integer),
                Column("created_at", DateTime(timezone=True)))
extra = Table("bare_extra", metadata, Column("id", String(36), primary_key=True),
              Column("demand_id", String(36)), Column("payload", Text))


class DemandIn(BaseModel):
    customer_id: str
    title: str
    problem: str
    kind: str
    severity: int


def create_app() -> FastAPI:
    url = make_url(os.environ["BENCH_DATABASE_URL"])
    # The same SQLite driver as the services (shared.sqlite_inline): the baseline is the stack
    # without the platform's work, not a slower driver.
    # One connection, as the services have: inline statements of two connections of one process
    # on one file would wait for each other's write lock with the event loop held.
    engine = create_async_engine(url, module=inline_dbapi(), pool_size=1, max_overflow=0) \
        if url.get_backend_name() == "sqlite" else create_async_engine(url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)

    @app.get("/readyz")
    async def ready() -> dict:
        return {"status": "ready"}

    @app.post("/v1/demands", status_code=201)
    async def create(body: DemandIn) -> dict:
        demand_id = str(uuid.uuid4())
        async with engine.begin() as connection:
            await connection.execute(insert(demands).values(
                id=demand_id, created_at=datetime.now(timezone.utc), **body.model_dump()))
            await connection.execute(insert(extra).values(
                id=str(uuid.uuid4()), demand_id=demand_id, payload=body.model_dump_json()))
        return {"id": demand_id, **body.model_dump()}

    return app
