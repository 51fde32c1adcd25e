"""Prometheus metrics of one service, in a registry of its own (tests build many apps)."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Process-wide because it is observed deep in the prioritizer's handlers, far from the app's
# runtime; every registry below exposes it (one service per process in production, so in the
# prioritizer it is the ranking's freshness, elsewhere it stays empty).
RANKING_FRESHNESS = Histogram(
    "pmo_ranking_freshness_seconds",
    "Seconds from an event's time to the score change it caused, by event type",
    ["type"], registry=None,
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600))


def observe_ranking_freshness(event_type: str, event_time: datetime,
                              now: datetime | None = None) -> None:
    """Records how long after its event a score changed (negative clock skew counts as 0)."""
    seconds = ((now or datetime.now(UTC)) - event_time).total_seconds()
    RANKING_FRESHNESS.labels(event_type).observe(max(seconds, 0.0))


class ServiceMetrics:
    """The documented metric names; every service exposes the same set."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.http_requests = Counter(
            "pmo_http_requests_total", "HTTP requests by route, method and status",
            ["route", "method", "status"], registry=self.registry)
        self.http_latency = Histogram(
            "pmo_http_request_duration_seconds", "HTTP request latency by route and method",
            ["route", "method"], registry=self.registry,
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
        self.events_published = Counter(
            "pmo_events_published_total", "Events acknowledged by Kafka, by type",
            ["type"], registry=self.registry)
        self.events_consumed = Counter(
            "pmo_events_consumed_total", "Events consumed, by type and outcome",
            ["type", "outcome"], registry=self.registry)
        self.outbox_backlog = Gauge(
            "pmo_outbox_backlog", "Outbox rows not yet acknowledged by Kafka", registry=self.registry)
        self.relay_errors = Counter(
            "pmo_outbox_relay_errors_total", "Failed outbox publish attempts", registry=self.registry)
        self.consumer_lag = Gauge(
            "pmo_consumer_lag", "Records behind the end of each consumed partition",
            ["topic", "partition"], registry=self.registry)
        self.dead_letters = Counter(
            "pmo_dead_letters_total", "Records sent to a dead-letter topic, by source topic",
            ["topic"], registry=self.registry)
        self.ranking_freshness = RANKING_FRESHNESS
        self.registry.register(RANKING_FRESHNESS)
