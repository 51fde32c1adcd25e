"""`pmo status`: every service's health and readiness, Kafka, consumer lag and outbox backlog.

Reads only what each service publishes (`/healthz`, `/readyz`, `/metrics`) plus one metadata
request to Kafka, so it works the same against the local stack, docker compose or a
port-forwarded Kubernetes deployment.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families

# The sums shown per service, by Prometheus metric (family) name.
METRIC_COLUMNS = {"outbox": "pmo_outbox_backlog", "lag": "pmo_consumer_lag",
                  "dead letters": "pmo_dead_letters"}


@dataclass
class ServiceStatus:
    name: str
    url: str
    alive: bool = False
    ready: bool = False
    detail: str = ""
    outbox_backlog: float | None = None
    consumer_lag: float | None = None
    dead_letters: float | None = None

    @property
    def ok(self) -> bool:
        return self.alive and self.ready


@dataclass
class PlatformStatus:
    services: list[ServiceStatus]
    kafka_address: str
    kafka_reachable: bool

    @property
    def ok(self) -> bool:
        return self.kafka_reachable and all(service.ok for service in self.services)


async def probe_service(client: httpx.AsyncClient, name: str, url: str) -> ServiceStatus:
    """Health, readiness and the backlog, lag and dead-letter sums of one service."""
    status = ServiceStatus(name, url)
    try:
        status.alive = (await client.get(f"{url}/healthz")).status_code == 200
        ready = await client.get(f"{url}/readyz")
        status.ready = ready.status_code == 200
        if not status.ready:
            status.detail = _problem_detail(ready)
        metrics = await client.get(f"{url}/metrics")
    except httpx.HTTPError as error:
        status.detail = status.detail or f"unreachable: {type(error).__name__}"
        return status
    if metrics.status_code == 200:
        sums = metric_sums(metrics.text)
        status.outbox_backlog = sums.get(METRIC_COLUMNS["outbox"])
        status.consumer_lag = sums.get(METRIC_COLUMNS["lag"])
        status.dead_letters = sums.get(METRIC_COLUMNS["dead letters"])
    return status


def _problem_detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    return str(body.get("detail") or f"HTTP {response.status_code}")


def metric_sums(text: str) -> dict[str, float]:
    """Sum of every sample of each metric family (counters by their `_total` samples)."""
    sums: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        if family.type not in ("gauge", "counter", "untyped"):
            continue
        values = [sample.value for sample in family.samples
                  if not sample.name.endswith(("_created", "_bucket", "_sum", "_count"))]
        sums[family.name] = sum(values)
    return sums


async def collect(urls: Mapping[str, str], kafka_address: str,
                  kafka_check: Callable[[str], Awaitable[bool]], *, timeout: float = 3.0,
                  transport: httpx.AsyncBaseTransport | None = None) -> PlatformStatus:
    """Probes every service and Kafka concurrently."""
    async with httpx.AsyncClient(timeout=timeout, transport=transport) as client:
        probes = (probe_service(client, name, url.rstrip("/")) for name, url in urls.items())
        services, kafka = await asyncio.gather(asyncio.gather(*probes), kafka_check(kafka_address))
    return PlatformStatus(list(services), kafka_address, kafka)


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def render(status: PlatformStatus) -> str:
    """One table: a row per service, then Kafka."""
    header = ("SERVICE", "HEALTH", "READY", "OUTBOX", "LAG", "DLQ", "URL / DETAIL")
    rows = [header]
    for service in status.services:
        rows.append((service.name, "up" if service.alive else "DOWN",
                     "ready" if service.ready else "NOT READY", _number(service.outbox_backlog),
                     _number(service.consumer_lag), _number(service.dead_letters),
                     service.url + (f"  {service.detail}" if service.detail else "")))
    kafka = "up" if status.kafka_reachable else "DOWN"
    rows.append(("kafka", kafka, "ready" if status.kafka_reachable else "NOT READY", "-", "-", "-",
                 status.kafka_address))
    widths = [max(len(row[column]) for row in rows) for column in range(len(header) - 1)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1]
             for row in rows]
    lines.append("all services healthy and ready" if status.ok else "PROBLEMS: see the rows above")
    return "\n".join(line.rstrip() for line in lines)


SERVICE_NAMES = ("intake", "catalog", "feedback", "prioritizer", "portal")


def default_urls() -> dict[str, str]:
    """Each service on 127.0.0.1 at its configured port (PMO_<SERVICE>_PORT)."""
    import importlib

    urls = {}
    for name in SERVICE_NAMES:
        module = importlib.import_module(f"services.{name}.settings")
        settings = getattr(module, f"{name.capitalize()}Settings")()
        urls[name] = f"http://127.0.0.1:{settings.port}"
    return urls


def parse_url_overrides(values: list[str]) -> dict[str, str]:
    """`NAME=URL` pairs; a NAME outside the platform's services is refused."""
    overrides = {}
    for value in values:
        name, separator, url = value.partition("=")
        if not separator or name not in SERVICE_NAMES or not url.startswith(("http://", "https://")):
            names = ", ".join(SERVICE_NAMES)
            raise ValueError(f"expected NAME=URL with NAME one of {names}: {value!r}")
        overrides[name] = url
    return overrides


def kafka_checker(timeout: float) -> Callable[[str], Awaitable[bool]]:
    """A metadata request to the broker, off the event loop."""
    from pmo.kafka_local import broker_answers

    async def check(address: str) -> bool:
        return await asyncio.to_thread(broker_answers, address, timeout)

    return check
