"""The four services as real processes: started, awaited until ready, and stopped together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

SERVICES: dict[str, int] = {"intake": 8001, "catalog": 8002, "feedback": 8003, "prioritizer": 8004}
# The web UI: a fifth process with no database or broker, calling the four over HTTP.
PORTAL, PORTAL_PORT = "portal", 8000
REPO_ROOT = Path(__file__).resolve().parents[1]


class StackError(RuntimeError):
    """A service did not become ready, or died."""


@dataclass
class ServiceProcess:
    name: str
    port: int
    log_path: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Stack:
    """Runs `uvicorn services.<name>.app:create_app --factory` for each service (see `serve`)."""

    log_dir: Path
    env: Mapping[str, str] = field(default_factory=dict)
    ports: Mapping[str, int] = field(default_factory=lambda: dict(SERVICES))
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    # uvicorn's --timeout-graceful-shutdown: how long in-flight requests may take after SIGTERM.
    graceful_seconds: float = 10.0

    def start(self, names: list[str] | None = None) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for name in names or list(self.ports):
            self.start_one(name)

    def start_one(self, name: str) -> ServiceProcess:
        service = self.services.get(name) or ServiceProcess(
            name, self.ports[name], self.log_dir / f"{name}.log")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(service.log_path, "ab")
        module = name.partition("#")[0]  # "intake#2": a second replica of intake
        service.process = subprocess.Popen(
            [sys.executable, "-m", "pmo.stack", f"services.{module}.app:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(service.port), "--no-access-log",
             "--timeout-graceful-shutdown", str(int(self.graceful_seconds))],
            cwd=REPO_ROOT, env={**os.environ, **self.env, **self._portal_env(name)},
            stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        log.close()
        self.services[name] = service
        return service

    def _portal_env(self, name: str) -> dict[str, str]:
        """The portal finds the four APIs on the ports this stack gave them."""
        if name != PORTAL:
            return {}
        return {f"PMO_PORTAL_{other.upper()}_URL": f"http://127.0.0.1:{port}"
                for other, port in self.ports.items() if other in SERVICES}

    @property
    def urls(self) -> dict[str, str]:
        return {name: service.url for name, service in self.services.items()}

    def wait_ready(self, timeout: float = 60.0, names: list[str] | None = None) -> float:
        """Polls every `/readyz` (or those of `names`) until all answer 200; returns the seconds."""
        started = time.monotonic()
        deadline = started + timeout
        pending = set(names or self.services)
        with httpx.Client(timeout=2.0) as client:
            while pending:
                for name in sorted(pending):
                    self._check_alive(name)
                    if _answers_ready(client, self.services[name].url):
                        pending.discard(name)
                if pending and time.monotonic() > deadline:
                    raise StackError(f"not ready after {timeout:.0f}s: {', '.join(sorted(pending))}; "
                                     f"see {self.log_dir}")
                if pending:
                    time.sleep(0.2)
        return time.monotonic() - started

    def _check_alive(self, name: str) -> None:
        service = self.services[name]
        if service.process is not None and service.process.poll() is not None:
            tail = service.log_path.read_text(errors="replace").splitlines()[-30:]
            raise StackError(f"{name} exited with {service.process.returncode}:\n" + "\n".join(tail))

    def first_dead(self) -> str | None:
        for name, service in self.services.items():
            if service.process is not None and service.process.poll() is not None:
                return name
        return None

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM to every service, then SIGKILL to any still running after the timeout."""
        for service in self.services.values():
            _signal(service, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for service in self.services.values():
            if service.process is None:
                continue
            try:
                service.process.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                _signal(service, signal.SIGKILL)
                service.process.wait(5)

    def kill(self, name: str) -> None:
        """SIGKILL one service, as a crash would."""
        service = self.services[name]
        _signal(service, signal.SIGKILL)
        if service.process is not None:
            service.process.wait(10)

    def terminate(self, name: str, timeout: float = 30.0) -> tuple[int, float]:
        """SIGTERM one service and wait for it: (exit code, seconds it took). SIGKILL after timeout."""
        service = self.services[name]
        if service.process is None:
            raise StackError(f"{name} was never started")
        started = time.monotonic()
        _signal(service, signal.SIGTERM)
        try:
            code = service.process.wait(timeout)
        except subprocess.TimeoutExpired:
            _signal(service, signal.SIGKILL)
            service.process.wait(10)
            raise StackError(f"{name} did not exit within {timeout:.0f}s of SIGTERM; killed") from None
        return code, time.monotonic() - started

    def restart(self, name: str, timeout: float = 60.0) -> float:
        """Starts a stopped or killed service again and waits until it is ready; returns seconds."""
        started = time.monotonic()
        self.start_one(name)
        self.wait_ready(timeout=timeout, names=[name])
        return time.monotonic() - started


def _answers_ready(client: httpx.Client, url: str) -> bool:
    try:
        return client.get(f"{url}/readyz").status_code == 200
    except httpx.HTTPError:
        return False


def _signal(service: ServiceProcess, signum: int) -> None:
    if service.process is not None and service.process.poll() is None:
        try:
            os.killpg(service.process.pid, signum)
        except ProcessLookupError:
            pass


def serve(argv: list[str] | None = None) -> None:
    """`python -m pmo.stack <uvicorn arguments>`: uvicorn, exiting 0 after a graceful SIGTERM.

    uvicorn (0.29+) re-raises the signal it shut down for once shutdown is complete, so a clean
    stop ends as "killed by SIGTERM" (status 143). The handler it restores and calls is this one,
    which turns that into the success it was.
    """
    from uvicorn.main import main as uvicorn_main

    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))
    uvicorn_main(args=argv, prog_name="uvicorn")


if __name__ == "__main__":
    serve()
