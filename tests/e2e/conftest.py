"""End-to-end: the four services as real processes on the real broker and real databases."""

from __future__ import annotations

import contextlib
import socket

import httpx
import pytest
import pytest_asyncio

from pmo.stack import SERVICES, Stack
from shared.testing.fixtures import fresh_database_url
from shared.testing.scratch_topics import scratch_prefix


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def platform(tmp_path_factory, kafka_bootstrap_module):
    """Four service processes sharing one broker under a topic prefix of their own."""
    tmp_path = tmp_path_factory.mktemp("platform")
    prefix = scratch_prefix("e2e")
    ports = {name: free_port() for name in SERVICES}
    env = {"PMO_KAFKA_TOPIC_PREFIX": prefix, "PMO_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap_module,
           "PMO_RATE_LIMIT_WRITES_PER_MINUTE": "0", "PMO_DATA_DIR": str(tmp_path),
           "PMO_ENV": "test"}
    async with contextlib.AsyncExitStack() as stack_of_databases:
        for name, port in ports.items():
            url = await stack_of_databases.enter_async_context(fresh_database_url(tmp_path, name))
            env[f"PMO_{name.upper()}_DATABASE_URL"] = url
            env[f"PMO_{name.upper()}_PORT"] = str(port)
        stack = Stack(log_dir=tmp_path / "logs", env=env, ports=ports)
        try:
            stack.start()
            stack.wait_ready(timeout=90)
            stack.topic_prefix = prefix
            yield stack
        finally:
            stack.stop()


@pytest.fixture(scope="module")
def kafka_bootstrap_module() -> str:
    import os

    return os.environ.get("PMO_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")


@pytest_asyncio.fixture(loop_scope="module")
async def http():
    async with httpx.AsyncClient(timeout=10.0) as client:
        yield client
