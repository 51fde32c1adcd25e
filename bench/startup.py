"""5. Start-up: the Stack (what `pmo run --no-seed` starts) until every /readyz answers 200.

Baseline in the same run: the bare FastAPI app (bench/bare_app.py) started the same way.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.common import free_port, machine, scratch_topics, start_uvicorn, stop, wait_ready
from pmo.stack import Stack


def main() -> None:
    print("start-up:", machine())
    with scratch_topics() as prefix, tempfile.TemporaryDirectory(prefix="pmo-bench-") as tmp:
        workdir = Path(tmp)
        port = free_port()
        started = time.monotonic()
        bare = start_uvicorn("bench.bare_app:create_app", port,
                             {"BENCH_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'bare.db'}"},
                             workdir / "bare.log")
        try:
            wait_ready(f"http://127.0.0.1:{port}/readyz", bare)
            bare_seconds = time.monotonic() - started
        finally:
            stop(bare)
        ports = {name: free_port() for name in ("intake", "catalog", "feedback", "prioritizer")}
        stack = Stack(workdir / "logs", ports=ports, env={
            "PMO_DATA_DIR": str(workdir), "PMO_KAFKA_TOPIC_PREFIX": prefix})
        started = time.monotonic()
        try:
            stack.start()
            stack.wait_ready(timeout=120)
            stack_seconds = time.monotonic() - started
        finally:
            stack.stop()
    print(f"  four services ready (fresh databases, migrations, broker): {stack_seconds:.1f} s "
          f"(target < 30 s: {'met' if stack_seconds < 30 else 'NOT met'})")
    print(f"  baseline bare FastAPI app ready: {bare_seconds:.1f} s "
          f"(ratio {stack_seconds / bare_seconds:.1f}x)")


if __name__ == "__main__":
    main()
