"""Logs as JSON lines carrying request, event and trace ids; OpenTelemetry tracing when configured.

Logging uses python-json-logger: it is a formatter for the standard `logging` module, so every
existing `log.info("... key=%s", value)` call keeps working and simply gains structured fields.
Tracing uses the OpenTelemetry API everywhere (a no-op until a provider is set) and turns the SDK
with an OTLP/HTTP exporter on only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set. The W3C
`traceparent` of the current span travels in each CloudEvent envelope, so one trace spans
request → outbox → Kafka → consumer.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from opentelemetry import context, trace
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from pythonjsonlogger.json import JsonFormatter

LOG_FORMAT_ENV = "PMO_LOG_FORMAT"
OTLP_ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_ENDPOINT"
OTEL_SERVICE_NAME_ENV = "OTEL_SERVICE_NAME"
# Probes and scrapes would be most of the spans and tell nothing.
UNTRACED_URLS = "healthz,readyz,metrics"

REQUEST_ID: ContextVar[str | None] = ContextVar("pmo_request_id", default=None)
EVENT_ID: ContextVar[str | None] = ContextVar("pmo_event_id", default=None)

_PROPAGATOR = TraceContextTextMapPropagator()
_TRACER = trace.get_tracer("pmo-platform")
_TEXT_FORMAT = "%(asctime)s level=%(levelname)s logger=%(name)s %(message)s%(context)s"
_CONTEXT_FIELDS = ("service", "request_id", "event_id", "trace_id", "span_id")


class ContextFilter(logging.Filter):
    """Adds the service name, request id, event id and trace ids to every record it passes."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.request_id = REQUEST_ID.get()
        record.event_id = getattr(record, "event_id", None) or EVENT_ID.get()
        span = trace.get_current_span().get_span_context()
        record.trace_id = format(span.trace_id, "032x") if span.is_valid else None
        record.span_id = format(span.span_id, "016x") if span.is_valid else None
        record.context = "".join(f" {name}={getattr(record, name)}" for name in _CONTEXT_FIELDS[1:]
                                 if getattr(record, name))
        return True


class _JsonLines(JsonFormatter):
    """One JSON object per line; context fields that are not set are left out."""

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        for noise in ("context", "color_message"):  # text-format context; uvicorn's ANSI copy
            log_data.pop(noise, None)
        return {key: value for key, value in log_data.items() if value is not None}


def log_formatter(log_format: str) -> logging.Formatter:
    """JSON lines, or `key=value` text lines with the context appended."""
    if log_format == "text":
        return logging.Formatter(_TEXT_FORMAT)
    return _JsonLines(["levelname", "name", "message", *_CONTEXT_FIELDS],
                      rename_fields={"levelname": "level", "name": "logger"}, timestamp="time")


def configure_logging(level: str, service: str = "pmo", log_format: str | None = None) -> None:
    """Root logging as JSON lines (PMO_LOG_FORMAT=text for key=value lines); idempotent.

    Leaves logging alone when something else already installed handlers (a test runner, an
    embedding application), as the platform always did.
    """
    log_format = (log_format or os.environ.get(LOG_FORMAT_ENV) or "json").strip().lower()
    root = logging.getLogger()
    ours = [handler for handler in root.handlers if getattr(handler, "pmo_handler", False)]
    if root.handlers and not ours:
        _quiet_aiokafka(level)
        return
    handler = ours[0] if ours else logging.StreamHandler()
    handler.pmo_handler = True  # type: ignore[attr-defined]
    handler.setFormatter(log_formatter(log_format))
    handler.filters = [ContextFilter(service)]
    if not ours:
        root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn's own lines go through the same handler, so every line of a container is one format.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    _quiet_aiokafka(level)


def _quiet_aiokafka(level: str) -> None:
    # aiokafka reports every reconnect as an error; only a debugging run wants to see them.
    logging.getLogger("aiokafka").setLevel(logging.DEBUG if level.upper() == "DEBUG" else logging.ERROR)


@contextlib.contextmanager
def bind_request_id(request_id: str) -> Iterator[None]:
    """Binds a request id to every log line written while serving the request."""
    token = REQUEST_ID.set(request_id)
    try:
        yield
    finally:
        REQUEST_ID.reset(token)


def tracing_active() -> bool:
    """True when an SDK tracer provider records spans (configured here, or by the embedder)."""
    return hasattr(trace.get_tracer_provider(), "add_span_processor")


def configure_tracing(service: str) -> bool:
    """Installs the SDK with an OTLP/HTTP exporter when OTEL_EXPORTER_OTLP_ENDPOINT is set.

    Returns whether spans are recorded; without an endpoint (and no provider set by an
    embedder or a test) tracing stays the API's no-op.
    """
    if tracing_active():
        return True
    if not os.environ.get(OTLP_ENDPOINT_ENV):
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    attributes = {} if os.environ.get(OTEL_SERVICE_NAME_ENV) else {"service.name": f"pmo-{service}"}
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return True


def instrument_app(app: Any) -> None:
    """A server span per HTTP request; probes, scrapes and per-message send/receive spans left out."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, excluded_urls=UNTRACED_URLS,
                                       exclude_spans=["receive", "send"])


def current_traceparent() -> str | None:
    """The W3C traceparent of the current span, or None when no span is recording."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


@contextlib.contextmanager
def consuming(event: Any, topic: str | None = None) -> Iterator[None]:
    """A consumer span, child of the event's traceparent, with the event id bound to log lines."""
    parent = _PROPAGATOR.extract({"traceparent": event.traceparent}) if event.traceparent else None
    attributes = {"messaging.system": "kafka", "messaging.operation.type": "process",
                  "messaging.message.id": event.id, "cloudevents.event_type": event.type,
                  "cloudevents.event_subject": event.subject}
    if topic:
        attributes["messaging.destination.name"] = topic
    token = EVENT_ID.set(event.id)
    try:
        with _TRACER.start_as_current_span(f"{event.type} process", context=parent,
                                           kind=SpanKind.CONSUMER, attributes=attributes):
            yield
    finally:
        EVENT_ID.reset(token)


@contextlib.contextmanager
def within_trace(traceparent: str | None) -> Iterator[None]:
    """Work done later on behalf of a traced step (deferred to a commit) joins that step's trace."""
    if not traceparent:
        yield
        return
    token = context.attach(_PROPAGATOR.extract({"traceparent": traceparent}))
    try:
        yield
    finally:
        context.detach(token)
