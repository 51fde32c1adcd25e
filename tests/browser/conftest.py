"""Browser tests: the four services and the portal as real processes, driven by Debian's Chromium.

The platform starts once per session on free ports with a topic prefix of its own, loads the demo
data through the public APIs, and waits until the prioritizer has ranked every open demand.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from pmo import demo_data
from pmo.seed import load_demo_data
from pmo.stack import PORTAL, SERVICES, Stack
from shared.auth import issue_token
from shared.settings import DEVELOPMENT_JWT_SECRET
from shared.testing.fixtures import fresh_database_url
from shared.testing.scratch_topics import scratch_prefix
from ui_support import CHROMIUM, CHROMIUM_ARGS, LAPTOP, OPEN, SCREENSHOTS, Visitor

_CLEANUPS: list[Callable[[], object]] = []
BROWSER_TESTS = Path(__file__).parent


def _at_end(cleanup: Callable[[], object]) -> None:
    _CLEANUPS.append(cleanup)


def _end_browser_tests() -> None:
    """Stops Chromium, Playwright and the platform (last registered first); safe to call twice."""
    while _CLEANUPS:
        cleanup = _CLEANUPS.pop()
        with contextlib.suppress(Exception):
            cleanup()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After the last browser test, not at the end of the session: the rest of the suite should
    not share two cores with five idle processes, nor run beside Playwright's event loop."""
    result = yield
    if nextitem is None or BROWSER_TESTS not in Path(str(nextitem.path)).parents:
        _end_browser_tests()
    return result


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def admin_headers() -> dict[str, str]:
    return {"Authorization": "Bearer " + issue_token(DEVELOPMENT_JWT_SECRET, "browser-tests",
                                                     ["pmo_admin"])}


@dataclass
class Platform:
    stack: Stack
    urls: dict[str, str]
    portal: str
    customers: dict[str, dict] = field(default_factory=dict)

    def api(self, service: str) -> httpx.Client:
        return httpx.Client(base_url=self.urls[service], headers=admin_headers(), timeout=10.0)

    def customer(self, name: str) -> dict:
        return self.customers[name]


class _AsyncHelper:
    """Runs async context managers (the per-test databases) on a loop in a thread of its own,
    so they work whether or not Playwright's sync API already runs a loop in this thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.exits: list = []

    def enter(self, manager):
        value = asyncio.run_coroutine_threadsafe(manager.__aenter__(), self.loop).result(60)
        self.exits.append(manager)
        return value

    def close(self) -> None:
        for manager in reversed(self.exits):
            asyncio.run_coroutine_threadsafe(manager.__aexit__(None, None, None),
                                             self.loop).result(60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture(scope="session")
def platform(tmp_path_factory) -> Iterator[Platform]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    tmp_path = tmp_path_factory.mktemp("browser-platform")
    ports = {name: free_port() for name in [*SERVICES, PORTAL]}
    env = {"PMO_KAFKA_TOPIC_PREFIX": scratch_prefix("ui"),
           "PMO_KAFKA_BOOTSTRAP_SERVERS": os.environ.get("PMO_KAFKA_BOOTSTRAP_SERVERS",
                                                         "127.0.0.1:9092"),
           "PMO_RATE_LIMIT_WRITES_PER_MINUTE": "0", "PMO_DATA_DIR": str(tmp_path),
           # The sign-in picker of demo identities exists only in development.
           "PMO_ENV": "development",
           # Two shared cores under a full suite can make an API slow; slow is not broken here.
           "PMO_PORTAL_UPSTREAM_TIMEOUT_SECONDS": "30"}
    databases = _AsyncHelper()
    _at_end(databases.close)
    for name in SERVICES:
        env[f"PMO_{name.upper()}_DATABASE_URL"] = databases.enter(fresh_database_url(tmp_path, name))
    for name, port in ports.items():
        env[f"PMO_{name.upper()}_PORT"] = str(port)
    stack = Stack(log_dir=tmp_path / "logs", env=env, ports=ports)
    _at_end(stack.stop)
    try:
        stack.start()
        stack.wait_ready(timeout=90)
        urls = stack.urls
        load_demo_data({name: urls[name] for name in SERVICES},
                       admin_headers()["Authorization"].removeprefix("Bearer "), timeout=180)
        platform = Platform(stack, urls, urls[PORTAL])
        _wait_until_ranked(platform)
        yield platform
    finally:
        _end_browser_tests()


def _wait_until_ranked(platform: Platform, timeout: float = 60.0) -> None:
    """Every open demo demand ranked, and every customer known by name."""
    expected = sum(1 for demand in demo_data.DEMANDS if demand.demo_status in OPEN)
    deadline = time.monotonic() + timeout
    with platform.api("prioritizer") as prioritizer, platform.api("intake") as intake:
        customers = intake.get("/v1/customers", params={"limit": 200}).json()["items"]
        platform.customers = {customer["name"]: customer for customer in customers}
        while time.monotonic() < deadline:
            ranked = prioritizer.get("/v1/rankings", params={"limit": 200}).json()["items"]
            if len(ranked) >= expected:
                return
            time.sleep(0.3)
    raise AssertionError(f"the prioritizer ranked {len(ranked)} of {expected} open demo demands")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    # Playwright's sync API runs an event loop in this thread until stopped: stop it as soon as
    # the browser tests are done, or the async tests after them could not run their own loop.
    _at_end(playwright.stop)
    _at_end(chromium.close)
    try:
        yield chromium
    finally:
        _end_browser_tests()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS


@pytest.fixture
def visit(browser, platform):
    """`visit(identity, viewport=LAPTOP)` → a signed-in Visitor, closed after the test."""
    opened: list[Visitor] = []

    def open_as(identity: str | None, viewport: dict = LAPTOP) -> Visitor:
        visitor = Visitor(browser, platform.portal, viewport)
        opened.append(visitor)
        return visitor.sign_in(identity) if identity else visitor

    yield open_as
    for visitor in opened:
        with contextlib.suppress(Exception):
            visitor.close()
