"""`pmo`: run the platform, mint development tokens, migrate, seed, and run local Kafka."""

from __future__ import annotations

import importlib
import os
import signal
import time
from pathlib import Path

import typer

from pmo import kafka_local, stack
from pmo.cli_infra import kafka_app, pg_app
from pmo.dlq import dlq_app
from shared.auth import Role, issue_token
from shared.migrations import alembic_config
from shared.settings import DEVELOPMENT_JWT_SECRET, REPO_ROOT

app = typer.Typer(name="pmo", help="pmo-platform: a PMO run as a customer-centric service.",
                  no_args_is_help=True, add_completion=False)
app.add_typer(kafka_app)
app.add_typer(pg_app)
app.add_typer(dlq_app)


def main() -> None:
    app()


def _settings_of(service: str):
    module = importlib.import_module(f"services.{service}.settings")
    return getattr(module, f"{service.capitalize()}Settings")()


def _token(sub: str, roles: list[str], customer_id: str | None = None) -> str:
    settings = _settings_of("intake")
    return issue_token(settings.jwt_secret, sub, roles, customer_id, issuer=settings.jwt_issuer,
                       audience=settings.jwt_audience)


@app.command()
def token(sub: str = typer.Option(..., help="Subject: who the token speaks for."),
          role: list[Role] = typer.Option(..., help="Role(s); repeat for several."),
          customer_id: str | None = typer.Option(None, "--customer-id",
                                                 help="Required with the customer role.")) -> None:
    """Print a development JWT (HS256, PMO_JWT_SECRET) that the local stack accepts."""
    if Role.CUSTOMER in role and not customer_id:
        raise typer.BadParameter("the customer role needs --customer-id", param_hint="--customer-id")
    typer.echo(_token(sub, [r.value for r in role], customer_id))


@app.command()
def migrate(services: list[str] = typer.Argument(None, help="Services to migrate; default all.")) -> None:
    """Apply each service's Alembic migrations to its configured database."""
    from alembic import command

    for name in services or list(stack.SERVICES):
        if name not in stack.SERVICES:
            raise typer.BadParameter(f"unknown service {name!r}")
        settings = _settings_of(name)
        command.upgrade(alembic_config(REPO_ROOT / "services" / name, settings.database_url), "head")
        typer.echo(f"{name}: migrated ({settings.database_url.split('://')[0]})")


@app.command()
def seed(timeout: float = typer.Option(120.0, help="Seconds allowed for the whole load.")) -> None:
    """Load the demo data into a running stack, once (a second run reports it was already there)."""
    from pmo.seed import load_demo_data

    report = load_demo_data(_service_urls(), _token("demo-loader", [Role.PMO_ADMIN.value]),
                            timeout=timeout)
    _print_seed(report)


def _service_urls() -> dict[str, str]:
    return {name: f"http://127.0.0.1:{_settings_of(name).port}" for name in stack.SERVICES}


def _print_seed(report) -> None:
    if report.skipped:
        typer.echo("demo data: already loaded, left as it is")
    else:
        counts = ", ".join(f"{count} {kind}" for kind, count in report.counts.items())
        typer.echo(f"demo data: loaded {counts} in {report.elapsed_seconds:.1f}s")


@app.command()
def run(seed_demo: bool = typer.Option(True, "--seed/--no-seed", help="Load demo data once.")) -> None:
    """Start Kafka, the four services and the web portal on SQLite with demo data, until Ctrl-C."""
    from pmo.seed import load_demo_data

    started = time.monotonic()
    kafka = kafka_local.start()
    typer.echo(kafka.message)
    services = stack.Stack(log_dir=Path(os.environ.get("PMO_DATA_DIR", REPO_ROOT / "var")) / "logs",
                           ports={**{name: _settings_of(name).port for name in stack.SERVICES},
                                  stack.PORTAL: _settings_of(stack.PORTAL).port})
    stopping = _install_stop_signals()
    try:
        services.start()
        services.wait_ready(timeout=120)
        typer.echo(f"all services ready in {time.monotonic() - started:.1f}s")
        if seed_demo:
            _print_seed(load_demo_data(services.urls, _token("demo-loader", [Role.PMO_ADMIN.value]),
                                       timeout=180))
        _print_urls(services)
        _wait_until_stopped(services, stopping)
    finally:
        typer.echo("stopping services and Kafka ...")
        services.stop()
        if kafka.managed_by_us and not kafka.external:
            kafka_local.stop()


def _install_stop_signals() -> list[int]:
    received: list[int] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda number, _frame: received.append(number))
    return received


def _wait_until_stopped(services: stack.Stack, stopping: list[int]) -> None:
    while not stopping:
        dead = services.first_dead()
        if dead:
            typer.echo(f"{dead} exited unexpectedly; see {services.services[dead].log_path}", err=True)
            raise typer.Exit(1)
        time.sleep(0.5)


def _print_urls(services: stack.Stack) -> None:
    typer.echo("\npmo-platform is running:")
    if stack.PORTAL in services.urls:
        typer.echo(f"  web UI       {services.urls[stack.PORTAL]}/  (open it in a browser)")
    for name, url in services.urls.items():
        if name != stack.PORTAL:
            typer.echo(f"  {name:<12} {url}/docs")
    typer.echo(f"  kafka        {kafka_local.bootstrap_address()}")
    typer.echo("  tokens       .venv/bin/pmo token --sub you --role pmo_admin")
    if _settings_of("intake").jwt_secret == DEVELOPMENT_JWT_SECRET:
        typer.echo("  (development JWT secret in use)")
    typer.echo("Ctrl-C stops everything.\n")


@app.command()
def status(url: list[str] = typer.Option(None, "--url", metavar="NAME=URL",
                                         help="Where a service answers (repeat); default "
                                              "127.0.0.1 on its configured port."),
           kafka: str | None = typer.Option(None, help="Kafka bootstrap address; default "
                                                       "PMO_KAFKA_BOOTSTRAP_SERVERS."),
           timeout: float = typer.Option(3.0, help="Seconds allowed for each call.")) -> None:
    """Every service's health, readiness, outbox backlog and consumer lag, and Kafka; exit 1 if
    anything is down."""
    import asyncio

    from pmo import status as platform

    try:
        urls = platform.default_urls() | platform.parse_url_overrides(url or [])
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--url") from None
    address = kafka or _settings_of("intake").kafka_bootstrap_servers
    report = asyncio.run(platform.collect(urls, address, platform.kafka_checker(timeout),
                                          timeout=timeout))
    typer.echo(platform.render(report))
    if not report.ok:
        raise typer.Exit(1)


prioritizer_app = typer.Typer(name="prioritizer", help="Prioritizer maintenance.", no_args_is_help=True)
app.add_typer(prioritizer_app)


@prioritizer_app.command("rebuild")
def prioritizer_rebuild() -> None:
    """Rebuild the prioritizer's read models by replaying every topic from the start (stop it first)."""
    import asyncio

    from services.prioritizer.rebuild import rebuild

    report = asyncio.run(rebuild(_settings_of("prioritizer")))
    replay = report.replay
    typer.echo(f"replayed {replay.events} events ({replay.applied} applied, {replay.superseded} "
               f"superseded, {replay.unreadable} unreadable) in {replay.seconds:.1f}s; {report.ranked} open demands ranked; "
               f"rebuilt in {report.seconds:.1f}s")
