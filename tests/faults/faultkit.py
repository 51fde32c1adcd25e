"""What the fault tests share: their own broker, service stacks, load, probes and observations.

Nothing here touches the shared broker on 127.0.0.1:9092: every fault test runs its own broker
(and PostgreSQL cluster where needed) on free ports, with its own data directory.
"""

from __future__ import annotations

import asyncio
import json
import random
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from aiokafka import ConsumerRecord

from pmo import kafka_local
from pmo.stack import Stack
from shared.replay import read_to_end
from shared.settings import REPO_ROOT
from shared.testing.fixtures import bearer
from shared.testing.scratch_topics import scratch_prefix

ADMIN = bearer("pmo_admin", "fault-admin")
PMO = str(Path(sys.executable).with_name("pmo"))
# Observations of this run, printed at the end of the session (conftest) and optionally written
# as JSON to $PMO_FAULTS_REPORT: docs/reliability.md quotes them.
OBSERVED: dict[str, dict[str, Any]] = defaultdict(dict)


def observe(test: str, **numbers: Any) -> None:
    OBSERVED[test].update(numbers)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def free_port_pair() -> int:
    """A port p with p + 1 free too (the broker and its controller)."""
    for _ in range(50):
        port = free_port()
        if port < 65535 and _is_free(port + 1):
            return port
    raise RuntimeError("no two consecutive free ports")


def _is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


@dataclass
class Broker:
    """A Kafka broker of the fault tests' own: started, SIGKILLed, restarted, stopped."""

    bootstrap: str
    root: Path
    restarts: list[float] = field(default_factory=list)

    def start(self) -> float:
        handle = kafka_local.start(wait_seconds=120, bootstrap=self.bootstrap, root=self.root)
        if not handle.managed_by_us:
            raise RuntimeError(f"{self.bootstrap} is not our broker: {handle.message}")
        return handle.seconds

    def kill(self) -> None:
        if kafka_local.kill(root=self.root) is None:
            raise RuntimeError("the fault broker was not running")

    def stop(self) -> None:
        kafka_local.stop(timeout=30, root=self.root)

    async def restart(self) -> float:
        """Starts the broker again (in a thread: the event loop keeps serving the test's load)."""
        seconds = await asyncio.to_thread(self.start)
        self.restarts.append(seconds)
        return seconds


def stack_env(broker: Broker, prefix: str, data_dir: Path, databases: dict[str, str],
              ports: dict[str, int]) -> dict[str, str]:
    env = {"PMO_KAFKA_TOPIC_PREFIX": prefix, "PMO_KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
           "PMO_RATE_LIMIT_WRITES_PER_MINUTE": "0", "PMO_DATA_DIR": str(data_dir), "PMO_ENV": "test",
           "PMO_LOG_LEVEL": "INFO"}
    for name, url in databases.items():
        env[f"PMO_{name.upper()}_DATABASE_URL"] = url
        env[f"PMO_{name.upper()}_PORT"] = str(ports[name])
        env[f"PMO_{name.upper()}_CONSUMER_GROUP"] = f"{prefix}{name}"
    return env


@dataclass
class Platform:
    """Service processes sharing the fault broker under a topic prefix of their own."""

    stack: Stack
    prefix: str
    sqlite_files: dict[str, Path]
    databases: dict[str, str] = field(default_factory=dict)  # PostgreSQL DSNs for asyncpg

    def url(self, name: str) -> str:
        return self.stack.services[name].url

    def topic(self, name: str) -> str:
        return self.prefix + name


def sqlite_platform(broker: Broker, data_dir: Path, names: list[str],
                    env: dict[str, str] | None = None) -> Platform:
    """Service processes on SQLite files in `data_dir`, sharing the broker under a fresh prefix."""
    prefix = scratch_prefix("f")
    ports = {name: free_port() for name in names}
    files = {name: data_dir / f"{name}.db" for name in names}
    databases = {name: f"sqlite+aiosqlite:///{path}" for name, path in files.items()}
    stack = Stack(log_dir=data_dir / "logs",
                  env=stack_env(broker, prefix, data_dir, databases, ports) | (env or {}), ports=ports)
    return Platform(stack, prefix, files)


def query(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Reads a service's SQLite file beside the running service (WAL lets both work)."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


async def eventually(probe: Callable[[], Awaitable[Any]], *, timeout: float,
                     what: str | Callable[[], str], interval: float = 0.2) -> Any:
    """Polls `probe` until it returns something truthy; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(interval)
    what = what() if callable(what) else what
    raise AssertionError(f"{what} not reached within {timeout:.0f}s (last: {last!r})")


async def metric(http: httpx.AsyncClient, url: str, name: str, **labels: str) -> float:
    """The sum of a Prometheus sample over the series matching the labels (0 when absent)."""
    text = (await http.get(f"{url}/metrics")).text
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name) or line.startswith("#"):
            continue
        series, _, value = line.rpartition(" ")
        metric_name, _, label_text = series.partition("{")
        if metric_name != name:
            continue
        found = dict(part.split("=", 1) for part in label_text.rstrip("}").split(",") if "=" in part)
        if all(found.get(key, "").strip('"') == wanted for key, wanted in labels.items()):
            total += float(value)
    return total


async def read_topics(bootstrap: str, topics: list[str], timeout: float = 20.0) -> list[ConsumerRecord]:
    by_partition, _ = await read_to_end(topics, bootstrap, timeout)
    return [record for records in by_partition.values() for record in records]


def events_of(records: list[ConsumerRecord]) -> list[tuple[ConsumerRecord, dict[str, Any]]]:
    """The records that are CloudEvents, in partition order, with their parsed bodies."""
    parsed = []
    for record in sorted(records, key=lambda r: (r.topic, r.partition, r.offset)):
        try:
            parsed.append((record, json.loads(record.value)))
        except ValueError:
            continue  # a poison record: consumers park it, it carries no version
    return parsed


def versions_by_key(records: list[ConsumerRecord]) -> dict[str, list[int]]:
    """Per key, the aggregate versions in the order a consumer applies them: duplicates (the
    same event id again, from a resend after a lost ack) are what the inbox drops."""
    seen: set[str] = set()
    versions: dict[str, list[int]] = defaultdict(list)
    for record, body in events_of(records):
        if body["id"] in seen:
            continue
        seen.add(body["id"])
        versions[record.key.decode()].append(int(body["aggregateversion"]))
    return versions


def duplicates(records: list[ConsumerRecord]) -> int:
    """Records that repeat an event already on the topic (a resend after a lost ack)."""
    counts = Counter(body["id"] for _, body in events_of(records))
    return sum(count - 1 for count in counts.values())


async def create_customers(http: httpx.AsyncClient, intake: str, count: int) -> list[str]:
    segments = ["executive", "program_leader", "delivery_team", "functional_partner", "other"]
    ids = []
    for number in range(count):
        response = await http.post(f"{intake}/v1/customers", headers=ADMIN, json={
            "name": f"Fault customer {number}", "segment": segments[number % len(segments)],
            "strategic_importance": number % 5 + 1, "maturity": (number * 3) % 5 + 1})
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def words(number: int, count: int = 6) -> list[str]:
    """Distinct made-up words per demand: realistic text rarely repeats a whole need, and the
    prioritizer's repeat-demand grouping would otherwise merge every load demand into one."""
    rng = random.Random(number)
    return ["".join(rng.choice("bcdfghjklmnpqrstvwxz") + rng.choice("aeiou") for _ in range(4))
            for _ in range(count)]


async def customers_of(http: httpx.AsyncClient, platform: Platform, count: int = 20) -> list[str]:
    """The customers intake knows, registering some when a test runs on a fresh platform."""
    known = [row[0] for row in query(platform.sqlite_files["intake"], "SELECT id FROM customers")]
    return known or await create_customers(http, platform.url("intake"), count)


def demand_body(customer_id: str, number: int, tag: str) -> dict[str, Any]:
    title_words, problem_words = words(number, 3), words(number + 1_000_000, 8)
    return {"customer_id": customer_id, "title": f"{tag} {number} " + " ".join(title_words),
            "problem": "Teams report " + " ".join(problem_words) + ".",
            "kind": ["pain_point", "new_service", "service_change", "support_request"][number % 4],
            "severity": number % 5 + 1, "urgency": (number * 7) % 5 + 1, "reach": number % 50 + 1,
            "effort_estimate": number % 10 + 1}


@dataclass
class Load:
    """Posts demands at a steady rate with several clients; every answer is kept."""

    http: httpx.AsyncClient
    intake: str
    customers: list[str]
    total: int
    rate_per_second: float
    concurrency: int = 8
    tag: str = "load"
    update_every: int = 0  # every n-th demand is also patched and triaged (more versions per key)
    statuses: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    created: dict[str, str] = field(default_factory=dict)  # title -> id
    attempted: list[str] = field(default_factory=list)
    updates: int = 0

    @property
    def posted(self) -> int:
        return len(self.attempted)

    async def run(self) -> None:
        queue: asyncio.Queue[int] = asyncio.Queue()
        started = time.monotonic()

        async def client() -> None:
            while True:
                number = await queue.get()
                try:
                    await self._one(number)
                finally:
                    queue.task_done()

        workers = [asyncio.create_task(client()) for _ in range(self.concurrency)]
        try:
            for number in range(self.total):
                # Paced, not flooded: the load must still run while the faults happen.
                await asyncio.sleep(max(started + number / self.rate_per_second - time.monotonic(), 0))
                await queue.put(number)
            await queue.join()
        finally:
            for worker in workers:
                worker.cancel()

    async def _one(self, number: int) -> None:
        body = demand_body(random.Random(number).choice(self.customers), number, self.tag)
        self.attempted.append(body["title"])
        began = time.monotonic()
        try:
            response = await self.http.post(f"{self.intake}/v1/demands", headers=ADMIN, json=body)
        except httpx.HTTPError as error:
            self.errors.append(f"{body['title']}: {error!r}")
            return
        self.latencies.append(time.monotonic() - began)
        self.statuses[response.status_code] += 1
        if response.status_code != 201:
            self.errors.append(f"{body['title']}: {response.status_code} {response.text[:200]}")
            return
        demand_id = response.json()["id"]
        self.created[body["title"]] = demand_id
        if self.update_every and number % self.update_every == 0:
            await self._evolve(demand_id, number)

    async def _evolve(self, demand_id: str, number: int) -> None:
        url = f"{self.intake}/v1/demands/{demand_id}"
        for response in [
            await self.http.patch(url, headers=ADMIN, json={"severity": (number + 1) % 5 + 1}),
            await self.http.post(f"{url}/transitions", headers=ADMIN, json={"to": "triaged"}),
            await self.http.patch(url, headers=ADMIN, json={"urgency": (number + 2) % 5 + 1}),
        ]:
            self.statuses[response.status_code] += 1
            if response.status_code != 200:
                self.errors.append(f"{url}: {response.status_code} {response.text[:200]}")
            else:
                self.updates += 1

    async def reached(self, count: int, timeout: float = 120.0) -> None:
        async def enough() -> bool:
            return self.posted >= count
        await eventually(enough, timeout=timeout, what=f"{count} demands posted", interval=0.05)

    def latency_summary(self) -> dict[str, float]:
        if not self.latencies:
            return {}
        ordered = sorted(self.latencies)
        return {"p50_ms": round(statistics.median(ordered) * 1000, 1),
                "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 1),
                "max_ms": round(ordered[-1] * 1000, 1)}


def backlog(platform: Platform, service: str) -> int:
    return query(platform.sqlite_files[service], "SELECT count(*) FROM outbox WHERE sent_at IS NULL")[0][0]


def inbox_count(platform: Platform, service: str = "prioritizer") -> int:
    return query(platform.sqlite_files[service], "SELECT count(*) FROM inbox")[0][0]


# Probes for `eventually`: each awaits a fresh measurement and says whether it is there yet.
async def above(value: Awaitable[float], floor: float) -> bool:
    return (await value) > floor


async def at_least(value: Awaitable[float], wanted: float) -> bool:
    return (await value) >= wanted


async def positive(value: Awaitable[float]) -> float | None:
    number = await value
    return number if number > 0 else None


async def zero(value: Awaitable[float]) -> bool:
    return (await value) == 0


def pmo(platform: Platform, *arguments: str) -> str:
    """Runs the `pmo` CLI against the platform (its broker, prefix and databases)."""
    result = subprocess.run([PMO, *arguments], env={**os.environ, **platform.stack.env}, cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout
