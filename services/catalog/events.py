"""What catalog publishes: contract §6 types, each carrying the full aggregate."""

from __future__ import annotations

from typing import Any

from services.catalog.models import FunctionRow, ServiceRow
from services.catalog.schemas import FunctionOut, ServiceOut
from shared.events import CloudEvent, new_event

SOURCE = "catalog"

FUNCTION_CREATED = "pmo.function.created"
SERVICE_PROPOSED = "pmo.service.proposed"
SERVICE_UPDATED = "pmo.service.updated"
SERVICE_LIFECYCLE_CHANGED = "pmo.service.lifecycle_changed"


def function_event(event_type: str, function: FunctionRow, actor: str) -> CloudEvent:
    """A function event; its subject is the code, the key other services refer to it by."""
    data = FunctionOut.model_validate(function).model_dump(mode="json") | {"actor": actor}
    return new_event(SOURCE, event_type, function.code, data, function.version)


def service_event(event_type: str, service: ServiceRow, actor: str, **extra: Any) -> CloudEvent:
    """A service event: the full service as `GET /v1/services/{id}` answers it, plus `extra`."""
    data = ServiceOut.model_validate(service).model_dump(mode="json") | {"actor": actor, **extra}
    return new_event(SOURCE, event_type, service.id, data, service.version)
