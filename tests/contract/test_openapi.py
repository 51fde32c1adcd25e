"""Every service publishes OpenAPI 3.1 with stable snake_case operationIds, each in its access table."""

from __future__ import annotations

import importlib
import re

import pytest

SERVICES = ["intake", "catalog", "feedback", "prioritizer"]
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")


def _app_and_access(name: str):
    app_module = importlib.import_module(f"services.{name}.app")
    api_module = importlib.import_module(f"services.{name}.api")
    settings_module = importlib.import_module(f"services.{name}.settings")
    settings = getattr(settings_module, f"{name.capitalize()}Settings")(kafka_enabled=False)
    return app_module.create_app(settings), api_module.ACCESS


def _operations(schema: dict):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


@pytest.mark.parametrize("name", SERVICES)
def test_openapi_is_31_with_snake_case_operation_ids(name):
    app, _ = _app_and_access(name)
    schema = app.openapi()
    assert schema["openapi"].startswith("3.1")
    ids = [operation["operationId"] for _, _, operation in _operations(schema)]
    assert all(SNAKE.match(operation_id) for operation_id in ids), ids
    assert len(ids) == len(set(ids))
    assert {"healthz", "readyz", "metrics"} <= set(ids)


@pytest.mark.parametrize("name", SERVICES)
def test_every_business_operation_is_in_the_access_table_and_nothing_else_is(name):
    app, access = _app_and_access(name)
    business = {operation["operationId"] for path, _, operation in _operations(app.openapi())
                if path.startswith("/v1/")}
    assert business == set(access)


def test_the_event_registry_is_the_contract_table():
    from shared.events.registry import TOPICS

    assert set(TOPICS) == {"pmo.intake.customer.v1", "pmo.intake.demand.v1", "pmo.catalog.function.v1",
                           "pmo.catalog.service.v1", "pmo.feedback.response.v1",
                           "pmo.prioritizer.priority.v1"}
    contract_types = {
        "pmo.customer.registered", "pmo.customer.updated", "pmo.demand.submitted",
        "pmo.demand.updated", "pmo.demand.status_changed", "pmo.demand.endorsed",
        "pmo.function.created", "pmo.service.proposed", "pmo.service.updated",
        "pmo.service.lifecycle_changed", "pmo.feedback.submitted", "pmo.feedback.detractor_flagged",
        "pmo.demand.reprioritized", "pmo.recommendation.changed",
    }
    registered = {event_type for types in TOPICS.values() for event_type in types}
    assert contract_types <= registered
