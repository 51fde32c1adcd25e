"""1. Write path: POST /v1/demands on intake vs a bare FastAPI app, same database, same run.

Throughput from wrk (closed loop), the two apps measured in alternating rounds; p99 from an
open-loop generator (bench.common.LightPoster) at half of intake's saturation rate.
`python -m bench.write_path [--postgres] [--seconds 10] [--rounds 3]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from bench.common import (LightPoster, free_port, machine, percentile, require_wrk,
                          start_uvicorn, stop, wait_ready)
from shared.auth import issue_token
from shared.settings import DEVELOPMENT_JWT_SECRET

LUA = Path(__file__).with_name("post_demand.lua")


def wrk(url: str, seconds: int, connections: int, env: dict[str, str]) -> tuple[float, int]:
    """Requests/s and non-2xx answers of one closed-loop run, each request with a key never
    used before (BENCH_RUN), so intake never answers from its idempotency store."""
    out = subprocess.run(
        [require_wrk(), "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(LUA), url],
        capture_output=True, text=True, check=True,
        env={**os.environ, **env, "BENCH_RUN": uuid.uuid4().hex}).stdout
    rate = float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))
    non2xx = int(re.search(r"BENCH non2xx=(\d+)", out).group(1))
    return rate, non2xx


async def open_loop(url: str, rate: float, seconds: float, token: str, customer: str) -> list[float]:
    """Fixed-rate arrivals (not waiting for answers), so queueing shows in the latency."""
    latencies: list[float] = []
    errors = 0
    poster = LightPoster(url, connections=200)

    async def one(n: int) -> None:
        nonlocal errors
        body = json.dumps({"customer_id": customer, "title": f"Open loop {n}", "kind": "pain_point",
                           "problem": f"Open loop problem statement {n}", "severity": 3}).encode()
        started = time.perf_counter()
        status, _ = await poster.post("/v1/demands", body, {
            "Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())})
        latencies.append(time.perf_counter() - started)
        errors += status != 201

    try:
        tasks, start, total = [], time.perf_counter(), int(rate * seconds)
        for n in range(total):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
    finally:
        await poster.close()
    if errors:
        print(f"  open loop: {errors} answers were not 201")
    return latencies


def run_backend(label: str, database_url: str, args, workdir: Path) -> None:
    """Both apps up at once, measured in turns (intake, bare, intake, bare, ...): a slow spell
    of this shared machine then hits both, and the median of the per-round ratios is reported."""
    token = issue_token(DEVELOPMENT_JWT_SECRET, "bench", ["pmo_admin"])
    intake_env = {"PMO_DATA_DIR": str(workdir), "PMO_INTAKE_DATABASE_URL": database_url,
                  "PMO_KAFKA_ENABLED": "false", "PMO_RATE_LIMIT_WRITES_PER_MINUTE": "0",
                  "PMO_LOG_LEVEL": "WARNING"}
    apps = {"intake": ("services.intake.app:create_app", intake_env),
            "bare": ("bench.bare_app:create_app", {"BENCH_DATABASE_URL": database_url})}
    print(f"{label}:")
    processes, urls = {}, {}
    try:
        for name, (app, env) in apps.items():
            port = free_port()
            processes[name] = start_uvicorn(app, port, env, workdir / f"{name}.log")
            urls[name] = f"http://127.0.0.1:{port}"
            wait_ready(urls[name] + "/readyz", processes[name])
        customer = httpx.post(urls["intake"] + "/v1/customers", headers={
            "Authorization": f"Bearer {token}"}, json={
            "name": "Bench Co", "segment": "delivery_team", "strategic_importance": 3,
            "maturity": 3}, timeout=10).raise_for_status().json()["id"]
        wrk_env = {"BENCH_TOKEN": token, "BENCH_CUSTOMER": customer}
        rates: dict[str, list[float]] = {name: [] for name in apps}
        for name in apps:
            wrk(urls[name], 2, args.connections, wrk_env)  # warm-up
        for _ in range(args.rounds):
            for name in apps:
                rate, non2xx = wrk(urls[name], args.seconds, args.connections, wrk_env)
                rates[name].append(rate)
                if non2xx:
                    print(f"  {name}: {non2xx} answers were not 2xx")
        ratios = sorted(i / b for i, b in zip(rates["intake"], rates["bare"]))
        ratio = statistics.median(ratios)
        intake_rate = statistics.median(rates["intake"])
        latencies = asyncio.run(open_loop(urls["intake"], intake_rate / 2, args.seconds, token,
                                          customer))
    finally:
        for process in processes.values():
            stop(process)
    for name in apps:
        print(f"  {name:8s} req/s per round: "
              + ", ".join(f"{rate:.0f}" for rate in rates[name]))
    p50, p99 = percentile(latencies, .5) * 1000, percentile(latencies, .99) * 1000
    print(f"  throughput ratio intake/bare, median of {len(ratios)} rounds = {ratio:.2f} "
          f"(rounds {', '.join(f'{r:.2f}' for r in ratios)}; target >= 0.70: "
          f"{'met' if ratio >= 0.7 else 'NOT met'})")
    print(f"  intake at half saturation ({intake_rate / 2:.0f}/s open loop): p50 {p50:.1f} ms, "
          f"p99 {p99:.1f} ms (target < 50 ms: {'met' if p99 < 50 else 'NOT met'})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
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
