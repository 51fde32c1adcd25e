"""What intake reacts to: catalog events feed its projection of functions and services."""

from __future__ import annotations

from services.intake import projections
from shared.db import UnitOfWork
from shared.events import CloudEvent


async def on_function_created(event: CloudEvent, uow: UnitOfWork) -> None:
    await projections.upsert_function(uow, event.data["code"], event.data.get("name", event.data["code"]))


async def on_service_changed(event: CloudEvent, uow: UnitOfWork) -> None:
    await projections.upsert_service(uow, event.data, event.aggregateversion)


HANDLERS = {
    "pmo.function.created": on_function_created,
    "pmo.service.proposed": on_service_changed,
    "pmo.service.updated": on_service_changed,
    "pmo.service.lifecycle_changed": on_service_changed,
}
