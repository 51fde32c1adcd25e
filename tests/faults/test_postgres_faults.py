"""PostgreSQL faults: a private cluster restarted under load, and two intake replicas on one
database whose relays must keep every aggregate's events in order."""

from __future__ import annotations

import asyncio
import random
import shutil
import time
from collections import Counter

import asyncpg
import httpx
import pytest

from faultkit import (
    ADMIN,
    Platform,
    create_customers,
    demand_body,
    duplicates,
    eventually,
    free_port,
    metric,
    observe,
    read_topics,
    stack_env,
    versions_by_key,
)
from pmo.postgres_local import PostgresUnavailable, find_bindir, private_cluster
from pmo.stack import Stack
from shared.testing.scratch_topics import scratch_prefix

try:
    find_bindir()
except PostgresUnavailable as missing:  # CI installs the server binaries; a laptop may not
    pytest.skip(f"PostgreSQL server binaries are not installed: {missing}", allow_module_level=True)

pytestmark = [pytest.mark.faults, pytest.mark.timeout(240)]

DEMAND_TOPIC = "pmo.intake.demand.v1"
REPLICAS = ("intake", "intake#2")


@pytest.fixture(scope="module")
def cluster():
    cluster = private_cluster(free_port())
    try:
        cluster.start()
        yield cluster
    finally:
        try:
            cluster.stop("immediate")
        finally:
            shutil.rmtree(cluster.directory, ignore_errors=True)


@pytest.fixture(scope="module")
def platform(broker, cluster, tmp_path_factory):
    """Two intake replicas on one database and the prioritizer, all on PostgreSQL."""
    data_dir = tmp_path_factory.mktemp("postgres")
    prefix = scratch_prefix("p")
    ports = {name: free_port() for name in (*REPLICAS, "prioritizer")}
    databases = {name: cluster.create_database(f"{name}_{prefix[:-1].replace('-', '_')}")
                 for name in ("intake", "prioritizer")}
    env = stack_env(broker, prefix, data_dir, databases, {"intake": ports["intake"],
                                                          "prioritizer": ports["prioritizer"]})
    stack = Stack(log_dir=data_dir / "logs", env=env, ports=ports)
    platform = Platform(stack, prefix, {}, {name: url.replace("postgresql+asyncpg", "postgresql")
                                            for name, url in databases.items()})
    try:
        for name in ("intake", "intake#2", "prioritizer"):  # one at a time: one migration at a time
            stack.start_one(name)
            stack.wait_ready(timeout=90, names=[name])
        yield platform
    finally:
        stack.stop()


async def fetch(platform, database: str, sql: str, *args):
    connection = await asyncpg.connect(platform.databases[database], timeout=10)
    try:
        return await connection.fetch(sql, *args)
    finally:
        await connection.close()


async def test_postgres_restart_under_load(platform, cluster):
    urls = [platform.url(name) for name in REPLICAS]
    pids = {name: platform.stack.services[name].process.pid for name in platform.stack.services}
    async with httpx.AsyncClient(timeout=30) as http:
        customers = await create_customers(http, urls[0], 20)
        answers: list[tuple[float, int, str, dict | None]] = []
        ready: list[tuple[float, int]] = []
        errors: list[str] = []
        created: set[str] = set()
        stop = asyncio.Event()

        async def write(worker: int) -> None:
            number = worker
            while not stop.is_set():
                number += 8
                try:
                    response = await http.post(f"{urls[number % 2]}/v1/demands", headers=ADMIN,
                                               json=demand_body(customers[number % 20], number, "pg"))
                except httpx.HTTPError as error:
                    errors.append(repr(error))
                    continue
                body = response.json() if response.content else None
                answers.append((time.monotonic(), response.status_code,
                                response.headers.get("content-type", ""), body))
                if response.status_code == 201:
                    created.add(body["id"])
                await asyncio.sleep(0.25)

        async def probe_readiness() -> None:
            while not stop.is_set():
                response = await http.get(f"{urls[0]}/readyz")
                ready.append((time.monotonic(), response.status_code))
                await asyncio.sleep(0.1)

        tasks = [asyncio.create_task(write(worker)) for worker in range(8)]
        tasks.append(asyncio.create_task(probe_readiness()))
        outages = []
        try:
            await asyncio.sleep(2)
            for mode in ("fast", "immediate"):  # a clean shutdown, then a crash
                down = time.monotonic()
                await asyncio.to_thread(cluster.stop, mode)
                await eventually(lambda: _seen(ready, down, 503), timeout=15, what="/readyz 503")
                await eventually(lambda: _seen(answers, down, 503), timeout=15, what="a write 503")
                await asyncio.sleep(2)
                await asyncio.to_thread(cluster.start)
                up = time.monotonic()
                await eventually(lambda: _seen(answers, up, 201), timeout=30, what="writes accepted again")
                await eventually(lambda: _seen(ready, up, 200), timeout=30, what="/readyz 200 again")
                outages.append({"mode": mode, "down_s": round(up - down, 1),
                                "writes_back_after_s": round(_first(answers, up, 201) - up, 2),
                                "ready_after_s": round(_first(ready, up, 200) - up, 2)})
                await asyncio.sleep(2)
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)

        statuses = Counter(status for _, status, _, _ in answers)
        assert errors == [] and set(statuses) <= {201, 503}, (statuses, errors[:3])
        unavailable = [(kind, body) for _, status, kind, body in answers if status == 503]
        assert all(kind.startswith("application/problem+json") and body["status"] == 503
                   for kind, body in unavailable)
        for name, process in platform.stack.services.items():  # resumed without a restart
            assert process.process.poll() is None and process.process.pid == pids[name]

        missing = [len(created)]

        async def all_ranked() -> bool:
            rows = await fetch(platform, "prioritizer", "SELECT id FROM demands")
            missing[0] = len(created - {row["id"] for row in rows})
            return missing[0] == 0
        await eventually(all_ranked, timeout=90,
                         what=lambda: f"every accepted demand ranked ({missing[0]} of {len(created)} missing)")
        prioritizer = platform.url("prioritizer")
        parked = await metric(http, prioritizer, "pmo_dead_letters_total")
        assert parked == 0  # a database outage is waited out, never dead-lettered
        backlog = await fetch(platform, "intake", "SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL")
        assert backlog[0]["n"] == 0
    observe("5 PostgreSQL restarted under load (2 intake replicas + prioritizer on PG)",
            writes=len(answers), accepted_201=statuses[201], unavailable_503=statuses[503],
            server_errors_500=statuses[500], transport_errors=len(errors),
            readyz_503=sum(status == 503 for _, status in ready), outages=outages,
            processes_restarted=0, dead_lettered=int(parked))


def _seen(samples, after: float, status: int):
    async def probe() -> bool:
        return any(sample[0] >= after and sample[1] == status for sample in samples)
    return probe()


def _first(samples, after: float, status: int) -> float:
    return min(sample[0] for sample in samples if sample[0] >= after and sample[1] == status)


async def test_two_replicas_keep_each_aggregate_in_order(platform, broker):
    """Concurrent changes of the same demands through both replicas: each relay competes for the
    database's advisory lock, and every demand's events still reach Kafka in version order."""
    urls = [platform.url(name) for name in REPLICAS]
    async with httpx.AsyncClient(timeout=30) as http:
        customers = await create_customers(http, urls[0], 5)
        demands = []
        for number in range(40):
            response = await http.post(f"{urls[number % 2]}/v1/demands", headers=ADMIN,
                                       json=demand_body(customers[number % 5], number, "order"))
            assert response.status_code == 201, response.text
            demands.append(response.json()["id"])
        statuses: Counter = Counter()

        async def change(worker: int) -> None:
            rng = random.Random(worker)
            for _ in range(40):
                demand = rng.choice(demands)
                response = await http.patch(f"{rng.choice(urls)}/v1/demands/{demand}", headers=ADMIN,
                                            json={"severity": rng.randint(1, 5), "reach": rng.randint(1, 99)})
                statuses[response.status_code] += 1

        await asyncio.gather(*(change(worker) for worker in range(16)))
        # Two writers of one row: the loser of the race gets 412 (or 409), never a 500.
        assert set(statuses) <= {200, 409, 412}, statuses

        async def published() -> bool:
            rows = await fetch(platform, "intake", "SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL")
            return rows[0]["n"] == 0
        await eventually(published, timeout=60, what="both relays done")
        published_by = {name: await metric(http, platform.url(name), "pmo_events_published_total")
                        for name in REPLICAS}
    records = await read_topics(broker.bootstrap, [platform.topic(DEMAND_TOPIC)])
    versions = versions_by_key([r for r in records if r.key.decode() in set(demands)])
    final = {row["id"]: row["version"] for row in await fetch(
        platform, "intake", "SELECT id, version FROM demands WHERE id = ANY($1::text[])", demands)}
    for demand in demands:
        assert versions[demand] == list(range(1, final[demand] + 1)), (demand, versions[demand])
    observe("7 per-aggregate order (PostgreSQL, 2 replicas racing)", updates_200=statuses[200],
            lost_races_412=statuses[412] + statuses[409], demands=len(demands),
            max_version=max(final.values()), published_by_replica=published_by,
            duplicates=duplicates(records))
