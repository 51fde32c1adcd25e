"""What every benchmark needs: the machine's description, free ports, a uvicorn process, wrk."""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from pmo.kafka_local import DEFAULT_BOOTSTRAP
from shared.testing.scratch_topics import delete_topics, scratch_prefix

REPO_ROOT = Path(__file__).resolve().parents[1]


def machine() -> str:
    """nproc, memory, CPU model and Python version, for the results table."""
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        model = found.group(1).strip() if found else model
    memory = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kb = int(re.search(r"MemTotal:\s*(\d+)", meminfo.read_text()).group(1))
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    return (f"nproc={os.cpu_count()} memory={memory} cpu={model!r} "
            f"python={platform.python_version()}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_uvicorn(app: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    """One uvicorn worker, access log off, as `pmo run` starts a service."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1",
             "--port", str(port), "--no-access-log", "--log-level", "warning"],
            cwd=REPO_ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 60.0) -> float:
    started = time.monotonic()
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() - started < timeout:
            if process.poll() is not None:
                raise RuntimeError(f"{url} exited with {process.returncode}")
            try:
                if client.get(url).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
    raise RuntimeError(f"{url} not ready after {timeout}s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def require_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is needed for the write-path benchmark: sudo apt-get install -y wrk")
    return path


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class LightPoster:
    """JSON POSTs over kept-alive HTTP/1.1 connections on raw asyncio streams.

    A load generator shares the machine with the services it measures; httpx spends about as
    much CPU per request as the server does, this a small fraction of it, so the cores go to
    the system under test. Only what these benchmarks send and receive is understood:
    fixed-length bodies, no redirects, no TLS.
    """

    def __init__(self, url: str, connections: int) -> None:
        host_port = url.removeprefix("http://").split("/")[0]
        self._host, port = host_port.split(":")
        self._port = int(port)
        self._idle: asyncio.Queue = asyncio.Queue()
        for _ in range(connections):
            self._idle.put_nowait(None)  # opened on first use

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        connection = await self._idle.get()
        try:
            if connection is None:
                connection = await asyncio.open_connection(self._host, self._port)
            reader, writer = connection
            head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
            writer.write(f"POST {path} HTTP/1.1\r\nHost: {self._host}\r\nContent-Type: "
                         f"application/json\r\nContent-Length: {len(body)}\r\n{head}\r\n"
                         .encode() + body)
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            answer = await reader.readexactly(length)
        except BaseException:
            if connection is not None:
                connection[1].close()
            self._idle.put_nowait(None)
            raise
        self._idle.put_nowait(connection)
        return status, answer

    async def close(self) -> None:
        while not self._idle.empty():
            connection = self._idle.get_nowait()
            if connection is not None:
                connection[1].close()


@contextlib.contextmanager
def scratch_topics(bootstrap: str = DEFAULT_BOOTSTRAP) -> Iterator[str]:
    """A topic prefix for one benchmark run on the local broker; its topics are deleted after
    (shared/testing/scratch_topics.py says why)."""
    prefix = scratch_prefix("bench")
    try:
        yield prefix
    finally:
        asyncio.run(delete_topics(bootstrap, [prefix]))
