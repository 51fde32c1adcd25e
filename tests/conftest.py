"""Fixtures for every test: per-test databases, settings and role headers."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from shared.testing import scratch_topics
from shared.testing.fixtures import bearer


@pytest.hookimpl(trylast=True)  # after pytest's own, which tears the fixtures' platforms down
def pytest_sessionfinish(session, exitstatus) -> None:
    """The topics this session's tests made on the shared broker go with it
    (shared/testing/scratch_topics.py), once nothing that uses them runs: a running service
    would create them again. A broker already stopped has nothing to tidy: said, not failed,
    since the tests' outcome is decided."""
    prefixes = scratch_topics.made()
    if not prefixes:
        return
    bootstrap = os.environ.get("PMO_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092").split(",")[0]
    try:
        asyncio.run(scratch_topics.delete_topics(bootstrap, prefixes))
    except Exception as error:  # noqa: BLE001 - any failure to tidy is reported the same way
        print(f"\nscratch topics of {len(prefixes)} prefix(es) left on {bootstrap}: {error!r}",
              file=sys.stderr)


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
