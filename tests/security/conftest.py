"""Security tests: every service's ASGI app in process, under its lifespan, Kafka left out."""

from __future__ import annotations

import pytest
from security_helpers import serve


@pytest.fixture
async def intake(tmp_path):
    async with serve("intake", tmp_path) as client:
        yield client


@pytest.fixture
async def catalog(tmp_path):
    async with serve("catalog", tmp_path) as client:
        yield client


@pytest.fixture
async def feedback(tmp_path):
    async with serve("feedback", tmp_path) as client:
        yield client


@pytest.fixture
async def prioritizer(tmp_path):
    async with serve("prioritizer", tmp_path) as client:
        yield client
