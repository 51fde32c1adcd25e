"""What feedback reacts to: customers, services, and demand deliveries that ask for a rating."""

from __future__ import annotations

from services.feedback import projections
from services.feedback.domain import DELIVERED
from shared.db import UnitOfWork
from shared.events import CloudEvent


async def on_customer_changed(event: CloudEvent, uow: UnitOfWork) -> None:
    await projections.upsert_customer(uow, event.data, event.aggregateversion)


async def on_service_changed(event: CloudEvent, uow: UnitOfWork) -> None:
    await projections.upsert_service(uow, event.data, event.aggregateversion)


async def on_demand_status_changed(event: CloudEvent, uow: UnitOfWork) -> None:
    """A delivered demand opens a pending survey; every other move is not feedback's concern."""
    if event.data.get("to_status") == DELIVERED:
        await projections.open_survey(uow, event.data, event.time)


HANDLERS = {
    "pmo.customer.registered": on_customer_changed,
    "pmo.customer.updated": on_customer_changed,
    "pmo.service.proposed": on_service_changed,
    "pmo.service.updated": on_service_changed,
    "pmo.service.lifecycle_changed": on_service_changed,
    "pmo.demand.status_changed": on_demand_status_changed,
}
