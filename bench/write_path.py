"""1. Write path: POST /v1/demands on intake vs a bare FastAPI app, same database, same run.

Throughput from wrk (closed loop); p99 from an open-loop httpx generator at half of each app's own
saturation rate. `python -m bench.write_path [--postgres] [--seconds 10]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from bench.common import (free_port, machine, percentile, require_wrk, start_uvicorn,
                          stop, wait_ready)
from shared.auth import issue_token
from shared.settings import DEVELOPMENT_JWT_SECRET

LUA = Path(__file__).with_name("post_demand.lua")


def wrk(url: str, seconds: int, connections: int, env: dict[str, str]) -> tuple[float, int]:
    out = subprocess.run(
        [require_wrk(), "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(LUA), url],
        capture_output=True, text=True, env={**os.environ, **env}, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))
    non2xx = int(re.search(r"BENCH non2xx=(\d+)", out).group(1))
    return rate, non2xx


async def open_loop(url: str, rate: float, seconds: float, token: str, customer: str) -> list[float]:
    """Fixed-rate arrivals (not waiting for answers), so queueing shows in the latency."""
    latencies: list[float] = []
    errors = 0

    async def one(client: httpx.AsyncClient, n: int) -> None:
        nonlocal errors
        body = {"customer_id": customer, "title": f"Open loop {n}", "kind": "pain_point",
                "problem": f"Open loop problem statement {n}", "severity": 3}
        started = time.perf_counter()
        answer = await client.post(url + "/v1/demands", json=body, headers={
            "Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())})
        latencies.append(time.perf_counter() - started)
        errors += answer.status_code != 201

    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(timeout=30.0, limits=limits) as client:
        tasks, start, total = [], time.perf_counter(), int(rate * seconds)
        for n in range(total):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(client, n)))
        await asyncio.gather(*tasks)
    if errors:
        print(f"  open loop: {errors} answers were not 201")
    return latencies


def measure(name: str, app: str, env: dict[str, str], args, workdir: Path, token: str,
            customer: str | None = None) -> dict:
    port = free_port()
    process = start_uvicorn(app, port, env, workdir / f"{name}.log")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url + "/readyz", process)
        if customer is None:
            customer = httpx.post(url + "/v1/customers", headers={"Authorization": f"Bearer {token}"},
                                  json={"name": "Bench Co", "segment": "delivery_team",
                                        "strategic_importance": 3, "maturity": 3},
                                  timeout=10).raise_for_status().json()["id"]
        wrk_env = {"BENCH_TOKEN": token, "BENCH_CUSTOMER": customer}
        wrk(url, 2, args.connections, wrk_env)  # warm-up
        rate, non2xx = wrk(url, args.seconds, args.connections, wrk_env)
        latencies = asyncio.run(open_loop(url, rate / 2, args.seconds, token, customer))
    finally:
        stop(process)
    result = {"rate": rate, "non2xx": non2xx, "p50": percentile(latencies, .5) * 1000,
              "p99": percentile(latencies, .99) * 1000, "customer": customer}
    print(f"  {name:8s} {rate:8.0f} req/s (non-2xx {non2xx})  at {rate / 2:.0f}/s open loop: "
          f"p50 {result['p50']:.1f} ms  p99 {result['p99']:.1f} ms")
    return result


def run_backend(label: str, database_url: str, args, workdir: Path) -> None:
    token = issue_token(DEVELOPMENT_JWT_SECRET, "bench", ["pmo_admin"])
    intake_env = {"PMO_DATA_DIR": str(workdir), "PMO_INTAKE_DATABASE_URL": database_url,
                  "PMO_KAFKA_ENABLED": "false", "PMO_RATE_LIMIT_WRITES_PER_MINUTE": "0",
                  "PMO_LOG_LEVEL": "WARNING"}
    print(f"{label}:")
    intake = measure("intake", "services.intake.app:create_app", intake_env, args, workdir, token)
    bare = measure("bare", "bench.bare_app:create_app", {"BENCH_DATABASE_URL": database_url},
                   args, workdir, token, intake["customer"])
    ratio = intake["rate"] / bare["rate"]
    print(f"  throughput ratio intake/bare = {ratio:.2f} (target >= 0.70: "
          f"{'met' if ratio >= 0.7 else 'NOT met'}); intake p99 at half saturation "
          f"{intake['p99']:.1f} ms (target < 50 ms: {'met' if intake['p99'] < 50 else 'NOT met'})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--postgres", action="store_true", help="also on pmo.postgres_local")
    args = parser.parse_args()
    print("write path:", machine())
    with tempfile.TemporaryDirectory(prefix="pmo-bench-") as tmp:
        workdir = Path(tmp)
        run_backend("SQLite", f"sqlite+aiosqlite:///{workdir / 'bench.db'}", args, workdir)
        if args.postgres:
            from pmo import postgres_local
            was_running = postgres_local.status().get("running")
            postgres_local.start()
            name = f"bench_{uuid.uuid4().hex[:8]}"
            try:
                run_backend("PostgreSQL", postgres_local.create_database(name), args, workdir)
            finally:
                postgres_local.drop_database(name)
                if not was_running:
                    postgres_local.stop()


if __name__ == "__main__":
    main()
