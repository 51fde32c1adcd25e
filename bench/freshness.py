"""2. Freshness: a 201 on intake to the demand ranked on the prioritizer, at a fixed rate.

Intake and the prioritizer run as real processes (pmo.stack.Stack) on the real broker under a unique
topic prefix. "Ranked" is the prioritizer's first committed score-trail row for the demand (its SQLite database
polled every 10 ms for rows past the last seen). The load generator is bench.common.LightPoster:
it shares the two cores with the services, so it must cost them little. Baseline in the same run: raw aiokafka produce-to-consume latency on the same broker.
`python -m bench.freshness --rate 100 --seconds 20`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.common import LightPoster, free_port, machine, percentile, scratch_topics
from pmo.stack import Stack
from shared.auth import issue_token
from shared.settings import DEVELOPMENT_JWT_SECRET

BOOTSTRAP = "127.0.0.1:9092"


async def raw_latency(topic: str, count: int, rate: float) -> list[float]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=BOOTSTRAP, auto_offset_reset="earliest",
                                group_id=f"{topic}.g")
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, enable_idempotence=True, acks="all")
    await consumer.start()
    await producer.start()
    latencies: list[float] = []
    try:
        await producer.send_and_wait(topic, b"warm")  # creates the topic
        async def consume() -> None:
            async for record in consumer:
                if record.value != b"warm":
                    latencies.append(time.perf_counter() - float(record.value))
                if len(latencies) >= count:
                    return
        reader = asyncio.create_task(consume())
        start = time.perf_counter()
        for n in range(count):
            await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
            await producer.send(topic, str(time.perf_counter()).encode())
        await asyncio.wait_for(reader, 60)
    finally:
        await producer.stop()
        await consumer.stop()
    return latencies


async def submit(intake: str, rate: float, seconds: float, token: str, customers: list[str],
                 db: Path) -> tuple[list[float], int]:
    accepted: dict[str, float] = {}
    ranked: dict[str, float] = {}
    done = asyncio.Event()

    async def poll() -> None:
        """New score-trail rows since the last look: the first one of a demand is its ranking."""
        connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        seen = 0
        try:
            while not done.is_set() or len(ranked) < len(accepted):
                now = time.perf_counter()
                for row_id, demand_id in connection.execute(
                        "SELECT id, demand_id FROM score_history WHERE id > ? ORDER BY id", (seen,)):
                    ranked.setdefault(demand_id, now)
                    seen = row_id
                await asyncio.sleep(0.01)
                if done.is_set() and now - done_at > 60:
                    return
        finally:
            connection.close()

    async def one(n: int) -> None:
        nonlocal failed
        body = json.dumps({
            "customer_id": customers[n % len(customers)], "severity": 3,
            "title": f"{uuid.uuid4().hex[:10]} {uuid.uuid4().hex[:10]}", "kind": "pain_point",
            "problem": f"{uuid.uuid4().hex[:10]} {uuid.uuid4().hex[:10]}"}).encode()
        try:
            status, answer = await poster.post("/v1/demands", body, {
                "Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())})
        except (OSError, asyncio.IncompleteReadError, ValueError):
            failed += 1
            return
        if status == 201:
            accepted[json.loads(answer)["id"]] = time.perf_counter()

    done_at, failed = 0.0, 0
    poller = asyncio.create_task(poll())
    poster = LightPoster(intake, connections=100)
    try:
        tasks, start = [], time.perf_counter()
        for n in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
    finally:
        await poster.close()
    done_at = time.perf_counter()
    done.set()
    await poller
    if failed:
        print(f"  {failed} submissions failed at the transport (connection reset or timeout)")
    return [ranked[d] - t for d, t in accepted.items() if d in ranked], len(accepted)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--customers", type=int, default=200)
    args = parser.parse_args()
    print("freshness:", machine())
    with scratch_topics(BOOTSTRAP) as prefix:
        raw = asyncio.run(raw_latency(prefix + "raw", int(args.rate * 5), args.rate))
        with tempfile.TemporaryDirectory(prefix="pmo-bench-") as tmp:
            workdir = Path(tmp)
            ports = {"intake": free_port(), "prioritizer": free_port()}
            stack = Stack(workdir / "logs", ports=ports, env={
                "PMO_DATA_DIR": str(workdir), "PMO_KAFKA_TOPIC_PREFIX": prefix,
                "PMO_RATE_LIMIT_WRITES_PER_MINUTE": "0", "PMO_LOG_LEVEL": "WARNING"})
            try:
                stack.start()
                stack.wait_ready(timeout=120)
                token = issue_token(DEVELOPMENT_JWT_SECRET, "bench", ["pmo_admin"])
                intake = stack.services["intake"].url
                # Many customers, as an intake serving an organization has.
                customers = [httpx.post(intake + "/v1/customers", headers={
                    "Authorization": f"Bearer {token}"}, json={
                    "name": f"Fresh Co {n}", "segment": "delivery_team", "strategic_importance": 3,
                    "maturity": 3}, timeout=10).raise_for_status().json()["id"]
                    for n in range(args.customers)]
                time.sleep(3)  # the customer reaches the prioritizer before its demand
                latencies, accepted = asyncio.run(submit(
                    intake, args.rate, args.seconds, token, customers, workdir / "prioritizer.db"))
            finally:
                stack.stop()
    ms = lambda values, q: percentile(values, q) * 1000  # noqa: E731
    print(f"  raw produce->consume ({len(raw)} records at {args.rate:.0f}/s): "
          f"p50 {ms(raw, .5):.1f} ms  p99 {ms(raw, .99):.1f} ms")
    print(f"  201 on intake -> ranked ({len(latencies)}/{accepted} ranked, {args.rate:.0f}/s for "
          f"{args.seconds:.0f} s): p50 {ms(latencies, .5):.1f} ms  p99 {ms(latencies, .99):.1f} ms "
          f"(targets p50 < 100, p99 < 500)")


if __name__ == "__main__":
    main()
