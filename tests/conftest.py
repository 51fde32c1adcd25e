"""Fixtures for every test: per-test databases, settings and role headers."""

from __future__ import annotations

import os

import pytest

from shared.testing.fixtures import bearer


@pytest.fixture
def admin() -> dict[str, str]:
    return bearer("pmo_admin", "alice-admin")


@pytest.fixture
def analyst() -> dict[str, str]:
    return bearer("pmo_analyst", "ana-analyst")


@pytest.fixture
def viewer() -> dict[str, str]:
    return bearer("viewer", "vic-viewer")


@pytest.fixture
def integration() -> dict[str, str]:
    return bearer("integration", "erp-integration")


@pytest.fixture
def kafka_bootstrap() -> str:
    return os.environ.get("PMO_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
