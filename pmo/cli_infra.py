"""CLI commands for local infrastructure: `pmo kafka ...` and `pmo pg ...` (mounted by pmo/cli.py)."""

from __future__ import annotations

from typing import Any, NoReturn

import typer

from pmo import kafka_local, postgres_local

kafka_app = typer.Typer(
    name="kafka",
    help="Run the project's own single-node Kafka (KRaft) from Maven jars.",
    no_args_is_help=True,
)
pg_app = typer.Typer(
    name="pg",
    help="Run a private PostgreSQL cluster for tests and benchmarks.",
    no_args_is_help=True,
)


def _print_table(rows: dict[str, Any]) -> None:
    width = max(len(key) for key in rows)
    for key, value in rows.items():
        typer.echo(f"{key:<{width}}  {'-' if value is None else value}")


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code=1)


@kafka_app.command("start")
def kafka_start(
    wait: float = typer.Option(90.0, help="Seconds to wait until clients can fetch metadata."),
) -> None:
    """Start Kafka unless a broker already answers on the bootstrap address."""
    try:
        handle = kafka_local.start(wait_seconds=wait)
    except kafka_local.KafkaStartError as error:
        _fail(f"kafka start failed: {error}")
    typer.echo(f"{handle.message} [{handle.seconds:.1f}s]")


@kafka_app.command("stop")
def kafka_stop(
    timeout: float = typer.Option(30.0, help="Seconds to wait after SIGTERM before SIGKILL."),
) -> None:
    """Stop the Kafka broker started by pmo; an external broker is left alone."""
    if kafka_local.stop(timeout=timeout):
        typer.echo("kafka stopped")
    elif kafka_local.is_external():
        typer.echo(f"kafka at {kafka_local.bootstrap_address()} is external; left running")
    else:
        typer.echo("kafka was not running")


@kafka_app.command("status")
def kafka_status() -> None:
    """Show the broker's state; exit 1 when it does not answer."""
    state = kafka_local.status()
    _print_table(state)
    if not state["reachable"]:
        raise typer.Exit(code=1)


@pg_app.command("start")
def pg_start() -> None:
    """Start the PostgreSQL cluster (created on first use) and print its base DSN."""
    try:
        typer.echo(postgres_local.start())
    except postgres_local.PostgresUnavailable as error:
        _fail(f"postgres start failed: {error}")


@pg_app.command("stop")
def pg_stop() -> None:
    """Stop the PostgreSQL cluster."""
    try:
        stopped = postgres_local.stop()
    except postgres_local.PostgresUnavailable as error:
        _fail(f"postgres stop failed: {error}")
    typer.echo("postgres stopped" if stopped else "postgres was not running")


@pg_app.command("status")
def pg_status() -> None:
    """Show the cluster's state; exit 1 when it is not running."""
    try:
        state = postgres_local.status()
    except postgres_local.PostgresUnavailable as error:
        _fail(str(error))
    _print_table(state)
    if not state["running"]:
        raise typer.Exit(code=1)
