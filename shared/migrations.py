"""Alembic, once for every service: each service's env.py hands its metadata to `run_env`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import create_engine, forget_beliefs


def alembic_config(service_dir: Path, database_url: str | None = None) -> Config:
    config = Config(str(service_dir / "alembic.ini"))
    config.set_main_option("script_location", str(service_dir / "migrations"))
    if database_url:
        config.set_main_option("sqlalchemy.url", database_url)
    return config


async def upgrade_to_head(engine: AsyncEngine, service_dir: Path) -> None:
    """Applies the service's migrations on the engine the app already built."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade_on, service_dir)


def _upgrade_on(connection: Connection, service_dir: Path) -> None:
    config = alembic_config(service_dir)
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def run_env(metadata: MetaData, default_url: Callable[[], str]) -> None:
    """The body of every env.py: online on a given connection, or on the configured URL."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _migrate(connection, metadata)
        return
    url = context.config.get_main_option("sqlalchemy.url") or default_url()
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True,
                          render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_migrate_url(url, metadata))


async def _migrate_url(url: str, metadata: MetaData) -> None:
    # Built as the services build theirs: a migration that writes JSON writes the text they do.
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(_migrate, metadata)
    await engine.dispose()


def _migrate(connection: Connection, metadata: MetaData) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
    forget_beliefs(connection.engine)
