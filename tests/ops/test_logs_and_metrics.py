"""Metric names documented and on the dashboard; JSON logs with request and event ids; freshness."""

from __future__ import annotations

import io
import json
import logging
import re
from types import SimpleNamespace

from services.prioritizer.app import create_app as create_prioritizer
from services.prioritizer.settings import PrioritizerSettings
from shared.consumer import apply_once
from shared.events import new_event
from shared.metrics import ServiceMetrics
from shared.observability import (
    ContextFilter,
    bind_request_id,
    configure_logging,
    consuming,
    log_formatter,
)
from shared.testing.fixtures import fresh_database_url, running_client

from envvars import ROOT

DASHBOARD = ROOT / "deploy" / "grafana" / "pmo-platform.json"


def _metric_names() -> set[str]:
    """Every family name in a service's registry, as Prometheus exposes it."""
    names = set()
    for family in ServiceMetrics().registry.collect():
        names.add(family.name + ("_total" if family.type == "counter" else ""))
    return names


def test_every_metric_is_documented_with_its_name():
    section = (ROOT / "docs" / "operations.md").read_text().split("## Observability")[1]
    documented = set(re.findall(r"^\| `(pmo_[a-z_]+)`", section, flags=re.M))
    assert documented == _metric_names()


def test_the_dashboard_queries_only_metrics_that_exist():
    dashboard = json.loads(DASHBOARD.read_text())
    expressions = [target["expr"] for panel in dashboard["panels"]
                   for target in panel.get("targets", [])]
    used = {re.sub(r"_(bucket|sum|count)$", "", name)
            for expr in expressions for name in re.findall(r"\bpmo_[a-z_]+", expr)}
    assert used == _metric_names(), "every metric is on the dashboard, and nothing else"
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))


def _json_lines(log_format: str = "json"):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(log_formatter(log_format))
    handler.addFilter(ContextFilter("intake"))
    logger = logging.getLogger("pmo.test.observability")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger, stream


def test_log_lines_are_json_with_the_request_and_event_ids():
    logger, stream = _json_lines()
    event = SimpleNamespace(id="e-1", type="pmo.demand.submitted", subject="d-1", traceparent=None)
    with bind_request_id("r-1"):
        logger.info("demand submitted id=%s", "d-1")
        with consuming(event):
            logger.warning("handled")
    logger.info("outside")
    first, second, third = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "demand submitted id=d-1" and first["request_id"] == "r-1"
    assert first["level"] == "INFO" and first["service"] == "intake" and "time" in first
    assert "event_id" not in first
    assert second["event_id"] == "e-1" and second["request_id"] == "r-1"
    assert "request_id" not in third and "event_id" not in third


def test_text_format_keeps_key_value_lines():
    logger, stream = _json_lines("text")
    with bind_request_id("r-2"):
        logger.info("hello")
    assert re.search(r"level=INFO logger=pmo\.test\.observability hello request_id=r-2$",
                     stream.getvalue().strip())


def test_configure_logging_installs_one_json_handler_on_a_bare_root(monkeypatch):
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    monkeypatch.setattr(root, "level", root.level)
    configure_logging("INFO", "catalog")
    configure_logging("INFO", "catalog")
    [handler] = root.handlers
    stream = io.StringIO()
    handler.setStream(stream)
    logging.getLogger("pmo.test").info("configured")
    line = json.loads(stream.getvalue())
    assert line["message"] == "configured" and line["service"] == "catalog"


async def test_the_prioritizer_records_ranking_freshness_when_an_event_changes_a_score(tmp_path):
    async with fresh_database_url(tmp_path, "prioritizer") as url:
        app = create_prioritizer(PrioritizerSettings(database_url=url, data_dir=tmp_path,
                                                     kafka_enabled=False))
        async with running_client(app) as client:
            runtime = app.state.runtime
            customer = "11111111-1111-1111-1111-111111111111"
            demand = "22222222-2222-2222-2222-222222222222"
            events = [
                new_event("intake", "pmo.customer.registered", customer, {
                    "id": customer, "name": "Finance", "segment": "executive",
                    "strategic_importance": 5, "maturity": 2, "version": 1}, 1),
                new_event("intake", "pmo.demand.submitted", demand, {
                    "id": demand, "customer_id": customer, "title": "Reports by hand",
                    "problem": "Two days a week.", "kind": "pain_point", "severity": 4,
                    "urgency": 3, "reach": 10, "status": "submitted", "endorsements": 0,
                    "tags": [], "version": 1, "created_at": "2026-11-26T10:00:00Z",
                    "updated_at": "2026-11-26T10:00:00Z"}, 1)]
            for event in events:
                await apply_once(runtime.db, runtime.spec.consumes, event)
            text = (await client.get("/metrics")).text
    counts = re.findall(r'^pmo_ranking_freshness_seconds_count\{type="pmo.demand.submitted"\} (\S+)$',
                        text, flags=re.M)
    assert counts and float(counts[0]) >= 1
