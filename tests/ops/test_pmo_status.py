"""`pmo status`: health, readiness, backlog and lag of every service, and Kafka, in one table."""

from __future__ import annotations

import contextlib

import httpx
from typer.testing import CliRunner

from pmo.cli import app as cli
from pmo.status import collect, metric_sums, render
from services.intake.app import create_app as create_intake
from services.intake.settings import IntakeSettings
from services.prioritizer.app import create_app as create_prioritizer
from services.prioritizer.settings import PrioritizerSettings
from shared.testing.fixtures import fresh_database_url


class HostRouter(httpx.AsyncBaseTransport):
    """Sends each request to the in-process app named by its host; other hosts refuse."""

    def __init__(self, apps) -> None:
        self._transports = {host: httpx.ASGITransport(app=app) for host, app in apps.items()}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self._transports.get(request.url.host)
        if transport is None:
            raise httpx.ConnectError("connection refused", request=request)
        return await transport.handle_async_request(request)


async def _kafka_up(_address: str) -> bool:
    return True


async def _kafka_down(_address: str) -> bool:
    return False


@contextlib.asynccontextmanager
async def _running(tmp_path):
    async with fresh_database_url(tmp_path, "intake") as intake_url, \
            fresh_database_url(tmp_path, "prioritizer") as prioritizer_url:
        apps = {"intake": create_intake(IntakeSettings(database_url=intake_url, data_dir=tmp_path,
                                                       kafka_enabled=False)),
                "prioritizer": create_prioritizer(PrioritizerSettings(
                    database_url=prioritizer_url, data_dir=tmp_path, kafka_enabled=False))}
        async with apps["intake"].router.lifespan_context(apps["intake"]), \
                apps["prioritizer"].router.lifespan_context(apps["prioritizer"]):
            yield HostRouter(apps)


async def test_all_services_up_and_kafka_reachable_is_ok(tmp_path):
    async with _running(tmp_path) as transport:
        status = await collect({"intake": "http://intake", "prioritizer": "http://prioritizer"},
                               "kafka:9092", _kafka_up, transport=transport)
    assert status.ok
    intake = status.services[0]
    assert (intake.alive, intake.ready) == (True, True)
    assert (intake.outbox_backlog, intake.consumer_lag, intake.dead_letters) == (0, 0, 0)
    table = render(status)
    assert table.splitlines()[0].split()[:6] == ["SERVICE", "HEALTH", "READY", "OUTBOX", "LAG", "DLQ"]
    assert "all services healthy and ready" in table


async def test_a_service_down_or_kafka_down_is_not_ok(tmp_path):
    async with _running(tmp_path) as transport:
        status = await collect({"intake": "http://intake", "catalog": "http://catalog"},
                               "kafka:9092", _kafka_down, transport=transport)
    assert not status.ok
    catalog = status.services[1]
    assert not catalog.alive and "unreachable" in catalog.detail
    rows = {line.split()[0]: line.split()[1:3] for line in render(status).splitlines()[1:-1]}
    assert rows == {"intake": ["up", "ready"], "catalog": ["DOWN", "NOT"], "kafka": ["DOWN", "NOT"]}
    assert render(status).endswith("PROBLEMS: see the rows above")


def test_metric_sums_add_every_sample_of_a_family():
    text = """# TYPE pmo_consumer_lag gauge
pmo_consumer_lag{partition="0",topic="a"} 3.0
pmo_consumer_lag{partition="1",topic="a"} 4.0
# TYPE pmo_dead_letters_total counter
pmo_dead_letters_total{topic="a"} 2.0
pmo_dead_letters_created{topic="a"} 1.7e9
# TYPE pmo_outbox_backlog gauge
pmo_outbox_backlog 5.0
"""
    assert metric_sums(text) == {"pmo_consumer_lag": 7.0, "pmo_dead_letters": 2.0,
                                 "pmo_outbox_backlog": 5.0}


def test_the_command_exits_1_when_nothing_answers():
    nowhere = "http://127.0.0.1:9"
    args = ["status", "--kafka", "127.0.0.1:9", "--timeout", "1"]
    for name in ("intake", "catalog", "feedback", "prioritizer", "portal"):
        args += ["--url", f"{name}={nowhere}"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert "PROBLEMS" in result.output and result.output.count("DOWN") == 6


def test_the_command_refuses_an_unknown_service():
    result = CliRunner().invoke(cli, ["status", "--url", "billing=http://127.0.0.1:9"])
    assert result.exit_code == 2
