"""The app factory: one shape for every service, and its lifespan as the composition root."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.auth import AccessTable, TokenVerifier
from shared.bus import KafkaPublisher, bounded, ensure_topics
from shared.consumer import ConsumerRunner, EventHandler
from shared.db import Database, MechanismTables, database_is_reachable, database_unavailable
from shared.errors import (
    PreconditionFailed,
    ProblemError,
    ServiceUnavailable,
    problem_body,
)
from shared.events.registry import TOPIC_OF_TYPE, TOPICS, dead_letter_topic
from shared.http import (
    PROBLEM_RESPONSES,
    PROBLEM_SCHEMA,
    BodySizeLimit,
    NulGuard,
    RequestContext,
    WriteRateLimiter,
    problem_response,
    problem_responses_for,
)
from shared.memory import tune_garbage_collection
from shared.metrics import ServiceMetrics
from shared.migrations import upgrade_to_head
from shared.observability import configure_tracing, instrument_app
from shared.observability import configure_logging as _configure_logging
from shared.schemas import forbid_nul
from shared.settings import ServiceSettings

log = logging.getLogger("pmo.app")


@dataclass
class ServiceSpec:
    """What makes one service: its routes, tables, migrations, access table and consumers."""

    name: str
    title: str
    description: str
    router: APIRouter
    tables: MechanismTables
    service_dir: Path
    access: AccessTable
    consumes: Mapping[str, EventHandler] = field(default_factory=dict)
    # Runs once migrated, before the relay and the consumer start.
    on_start: Callable[["Runtime"], Awaitable[None]] | None = None
    on_stop: Callable[["Runtime"], Awaitable[None]] | None = None


@dataclass
class Runtime:
    """Everything the lifespan built; routes reach it through `request.app.state.runtime`."""

    settings: ServiceSettings
    spec: ServiceSpec
    db: Database
    metrics: ServiceMetrics
    verifier: TokenVerifier
    write_limiter: WriteRateLimiter
    publisher: KafkaPublisher | None = None
    relay: Any = None
    consumer: ConsumerRunner | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    tasks: list[asyncio.Task] = field(default_factory=list)

    @property
    def access(self) -> AccessTable:
        return self.spec.access


def create_service_app(spec: ServiceSpec, settings: ServiceSettings) -> FastAPI:
    """A FastAPI app with problem+json errors, health, readiness, metrics and request ids."""
    configure_logging(settings.log_level, spec.name)
    app = FastAPI(title=spec.title, description=spec.description, version="1.0.0",
                  lifespan=_lifespan(spec, settings), openapi_url="/openapi.json", docs_url="/docs",
                  redoc_url=None)
    app.include_router(spec.router, prefix="/v1")
    app.include_router(_operations_router())
    _document_problems(app)
    _install_error_handlers(app)
    _install_middleware(app, settings)
    if configure_tracing(spec.name):
        instrument_app(app)
    return app


def configure_logging(level: str, service: str = "pmo") -> None:
    """JSON log lines with request, event and trace ids (see shared.observability)."""
    _configure_logging(level, service)


def _lifespan(spec: ServiceSpec, settings: ServiceSettings):
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await _start(spec, settings)
        app.state.runtime = runtime
        try:
            yield
        finally:
            await _stop(runtime)

    return lifespan


async def _start(spec: ServiceSpec, settings: ServiceSettings) -> Runtime:
    verifier = TokenVerifier(settings)  # refuses insecure settings before anything is touched
    db = Database(settings.database_url, spec.tables)
    await upgrade_to_head(db.engine, spec.service_dir)
    runtime = Runtime(settings=settings, spec=spec, db=db, metrics=ServiceMetrics(),
                      verifier=verifier,
                      write_limiter=WriteRateLimiter(settings.rate_limit_writes_per_minute))
    # Before messaging: what a service does at start (the prioritizer rescores what a migration
    # listed) must not race the events its consumer applies; the relay sends what it published.
    if spec.on_start:
        await spec.on_start(runtime)
    if settings.kafka_enabled:
        _start_messaging(runtime)
    tune_garbage_collection()
    return runtime


def _start_messaging(runtime: Runtime) -> None:
    from shared.outbox import OutboxRelay

    settings, spec = runtime.settings, runtime.spec
    runtime.publisher = KafkaPublisher(settings.kafka_bootstrap_servers,
                                       settings.kafka_timeout_seconds, f"pmo-{spec.name}")
    runtime.relay = OutboxRelay(runtime.db, runtime.publisher, topic_prefix=settings.kafka_topic_prefix,
                                batch_size=settings.outbox_batch_size,
                                poll_seconds=settings.outbox_poll_seconds, metrics=runtime.metrics)
    runtime.db.after_commit = runtime.relay.wake
    topics_created = _background(runtime, _create_topics(runtime), "create-topics")
    _background(runtime, runtime.relay.run(), "outbox-relay")
    if spec.consumes:
        topics = sorted({TOPIC_OF_TYPE[event_type] for event_type in spec.consumes})
        runtime.consumer = ConsumerRunner(
            db=runtime.db, handlers=spec.consumes, topics=topics,
            bootstrap_servers=settings.kafka_bootstrap_servers, group_id=settings.consumer_group,
            topic_prefix=settings.kafka_topic_prefix, publisher=runtime.publisher,
            metrics=runtime.metrics, max_retries=settings.consumer_max_retries,
            batch_size=settings.consumer_batch_size,
            timeout_seconds=settings.kafka_timeout_seconds)
        _background(runtime, _consume_once_topics_exist(runtime.consumer, topics_created), "consumer")


def _background(runtime: Runtime, work, name: str) -> asyncio.Task:
    """A task that lives as long as the service; its death is logged and fails readiness."""
    task = asyncio.create_task(work, name=name)
    task.add_done_callback(_report_death)
    runtime.tasks.append(task)
    return task


def _report_death(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("background task died task=%s error=%r", task.get_name(), task.exception())


async def _consume_once_topics_exist(consumer: ConsumerRunner, topics: asyncio.Task) -> None:
    """Subscribing before the topics exist only yields metadata errors; wait for them first."""
    await asyncio.shield(topics)
    await consumer.run()


async def _create_topics(runtime: Runtime) -> None:
    """Creates every contract topic and its `.dlq` once the broker answers; retried, never fatal."""
    settings = runtime.settings
    names = [settings.topic(topic) for topic in TOPICS]
    names += [dead_letter_topic(name) for name in names]
    delay = 0.5
    while True:
        try:
            await ensure_topics(settings.kafka_bootstrap_servers, names,
                                timeout_seconds=settings.kafka_timeout_seconds)
            return
        except Exception as error:  # Kafka may come up later; the service works meanwhile
            log.info("topics not created yet error=%r", error)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)


# The whole lifespan shutdown, Kafka down or not: below uvicorn's --timeout-graceful-shutdown
# (10 s in pmo.stack), so SIGTERM always ends the process and nothing waits on a dead broker.
SHUTDOWN_BUDGET_SECONDS = 8.0


async def _stop(runtime: Runtime) -> None:
    """Stops the consumer and the relay, flushes the outbox, closes Kafka and the database."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SHUTDOWN_BUDGET_SECONDS

    def left(share: float = 1.0) -> float:
        return max((deadline - loop.time()) * share, 0.1)

    if runtime.consumer:
        runtime.consumer.stop()
    if runtime.relay:
        runtime.relay.stop()
    for task in runtime.tasks:
        if task.get_name() == "create-topics":
            task.cancel()
    if runtime.tasks:
        await asyncio.wait(runtime.tasks, timeout=left(0.4))
        for task in runtime.tasks:
            task.cancel()
        await asyncio.wait(runtime.tasks, timeout=min(left(), 1.0))
    if runtime.relay:
        await runtime.relay.drain(timeout_seconds=left(0.6))
    if runtime.spec.on_stop:
        try:
            await bounded(runtime.spec.on_stop(runtime), left(0.5))
        except asyncio.TimeoutError:
            log.warning("service on_stop did not finish in its share of the shutdown budget")
    if runtime.publisher:
        await runtime.publisher.stop(timeout_seconds=left())
    await runtime.db.dispose()


def _operations_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", operation_id="healthz", include_in_schema=True)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", operation_id="readyz")
    async def readyz(request: Request) -> JSONResponse:
        runtime: Runtime = request.app.state.runtime
        down = []
        if not await database_is_reachable(runtime.db.engine):
            down.append("database")
        if runtime.publisher and not await runtime.publisher.is_reachable():
            down.append("kafka")
        down += [task.get_name() for task in runtime.tasks
                 if task.done() and task.get_name() != "create-topics"]
        if down:
            return problem_response(ServiceUnavailable(f"not ready: {', '.join(down)} unreachable",
                                                       down=down))
        return JSONResponse({"status": "ready"})

    @router.get("/metrics", operation_id="metrics", response_class=PlainTextResponse)
    async def metrics(request: Request) -> PlainTextResponse:
        runtime: Runtime = request.app.state.runtime
        if runtime.relay:
            await runtime.relay.refresh_backlog()
        return PlainTextResponse(generate_latest(runtime.metrics.registry),
                                 media_type=CONTENT_TYPE_LATEST)

    return router


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def on_problem(_request: Request, error: ProblemError) -> JSONResponse:
        return problem_response(error)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(item["loc"]), "msg": item["msg"]} for item in error.errors()]
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors[:5])
        return problem_response(_Invalid(detail, errors))

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        titles = {400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 401: "Unauthorized",
                  403: "Forbidden"}
        body = problem_body(error.status_code, titles.get(error.status_code, "Error"),
                            str(error.detail), "http-" + str(error.status_code))
        headers = getattr(error, "headers", None)
        if error.status_code == 405:
            headers = {**(headers or {}), "Allow": _allowed_methods(request, (headers or {}).get("Allow", ""))}
        return JSONResponse(body, status_code=error.status_code, media_type="application/problem+json",
                            headers=headers)

    @app.exception_handler(StaleDataError)
    async def on_stale(_request: Request, _error: StaleDataError) -> JSONResponse:
        return problem_response(PreconditionFailed("the resource changed meanwhile; read it again"))

    @app.exception_handler(OperationalError)
    async def on_database_down(_request: Request, error: OperationalError) -> JSONResponse:
        log.warning("database unavailable error=%r", error)
        return problem_response(ServiceUnavailable("the database is not reachable; try again shortly"))

    @app.exception_handler(DBAPIError)
    async def on_database_error(_request: Request, error: DBAPIError) -> JSONResponse:
        if database_unavailable(error):  # cut connection, 57P03 starting/stopping, ...
            log.warning("database unavailable error=%r", error)
            return problem_response(ServiceUnavailable("the database connection was lost; try again"))
        log.exception("database error")
        return problem_response(ProblemError("an unexpected database error occurred"))

    @app.exception_handler(Exception)
    async def on_unexpected(_request: Request, error: Exception) -> JSONResponse:
        if database_unavailable(error):  # asyncpg's ConnectionRefusedError, the pool's timeout
            log.warning("database unavailable error=%r", error)
            return problem_response(ServiceUnavailable("the database is not reachable; try again shortly"))
        log.exception("unhandled error")
        return problem_response(ProblemError("an unexpected error occurred; it has been logged"))


def _allowed_methods(request: Request, fallback: str) -> str:
    """Every documented method on this path (Starlette names only the first matching route's)."""
    methods = {method.upper() for template, operations in request.app.openapi()["paths"].items()
               if _path_pattern(template).fullmatch(request.url.path) for method in operations}
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods)) or fallback


@functools.lru_cache(maxsize=512)
def _path_pattern(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)))


def _document_problems(app: FastAPI) -> None:
    """Every operation documents the problem+json answers it can give, with one Problem schema."""
    build_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build_openapi()
        if "Problem" in schema.get("components", {}).get("schemas", {}):
            return schema
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                if path.startswith("/v1/"):
                    for parameter in operation.get("parameters", []):
                        forbid_nul(parameter.get("schema", {}))  # NulGuard refuses it
                    if "HTTPValidationError" in json.dumps(responses.get("422", {})):
                        del responses["422"]  # ours is problem+json, not FastAPI's default body
                    for status, response in problem_responses_for({method.upper()}, path).items():
                        responses.setdefault(str(status), response)
                elif path == "/readyz":
                    responses.setdefault("503", PROBLEM_RESPONSES[503])
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        return schema

    app.openapi = openapi


class _Invalid(ProblemError):
    status, title, slug = 422, "Unprocessable Content", "validation"

    def __init__(self, detail: str, errors: list[dict[str, Any]]) -> None:
        super().__init__(detail, errors=errors)


def _install_middleware(app: FastAPI, settings: ServiceSettings) -> None:
    # Added first, so it is the innermost: 413 and NUL refusals come before it, as they did.
    app.add_middleware(RequestContext)
    if settings.cors_origin_list:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origin_list,
                           allow_methods=["*"], allow_headers=["*"],
                           expose_headers=["ETag", "Location", "X-Request-ID", "Retry-After"])
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(NulGuard)
