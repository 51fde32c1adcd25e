"""Service tests: each app under its lifespan on a real database; Kafka is left out here."""

from __future__ import annotations

import importlib

import pytest

from shared.testing.fixtures import fresh_database_url, running_client


def service_settings(settings_class, database_url: str, tmp_path, **overrides):
    return settings_class(database_url=database_url, data_dir=tmp_path, kafka_enabled=False,
                          rate_limit_writes_per_minute=0, **overrides)


async def _serve(name: str, settings_class_name: str, tmp_path):
    app_module = importlib.import_module(f"services.{name}.app")
    settings_class = getattr(importlib.import_module(f"services.{name}.settings"), settings_class_name)
    async with fresh_database_url(tmp_path, name) as url:
        app = app_module.create_app(service_settings(settings_class, url, tmp_path))
        async with running_client(app) as client:
            client.app = app
            yield client


@pytest.fixture
async def intake(tmp_path):
    async for client in _serve("intake", "IntakeSettings", tmp_path):
        yield client


@pytest.fixture
async def catalog(tmp_path):
    async for client in _serve("catalog", "CatalogSettings", tmp_path):
        yield client


@pytest.fixture
async def feedback(tmp_path):
    async for client in _serve("feedback", "FeedbackSettings", tmp_path):
        yield client


@pytest.fixture
async def prioritizer(tmp_path):
    async for client in _serve("prioritizer", "PrioritizerSettings", tmp_path):
        yield client


@pytest.fixture
async def prioritizer_db(tmp_path):
    """The prioritizer's database alone, migrated, with the default policy: for tests that drive
    its handlers directly and read what they wrote."""
    from services.prioritizer import handlers
    from services.prioritizer.app import SPEC
    from shared.db import Database
    from shared.migrations import upgrade_to_head

    async with fresh_database_url(tmp_path, "prioritizer") as url:
        database = Database(url, SPEC.tables)
        await upgrade_to_head(database.engine, SPEC.service_dir)
        async with database.uow() as uow:
            await handlers.ensure_default_policy(uow)
        yield database
        await database.dispose()
