"""feedback's local copies of intake's customers and catalog's services, and surveys from deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from services.feedback.domain import RETIRED, SurveyStatus
from services.feedback.models import KnownCustomerRow, KnownServiceRow, SurveyRow
from shared.db import UnitOfWork, new_id
from shared.errors import Unprocessable
from shared.projections import keep_newest


async def known_customer(uow: UnitOfWork, customer_id: str) -> KnownCustomerRow:
    """The customer as last heard from intake; 422 naming the field when never heard of."""
    customer = await uow.session.get(KnownCustomerRow, customer_id)
    if customer is None:
        raise Unprocessable(f"unknown customer_id '{customer_id}'", "customer_id")
    return customer


async def rateable_service(uow: UnitOfWork, service_id: str) -> KnownServiceRow:
    """The service as last heard from catalog; 422 when unknown or retired."""
    service = await uow.session.get(KnownServiceRow, service_id)
    if service is None:
        raise Unprocessable(f"unknown service_id '{service_id}'", "service_id")
    if service.lifecycle_state == RETIRED:
        hint = (f"; its replacement is {service.replacement_service_id}"
                if service.replacement_service_id else "")
        raise Unprocessable(f"service '{service.name}' is retired and takes no feedback{hint}",
                            "service_id", replacement_service_id=service.replacement_service_id)
    return service


async def upsert_customer(uow: UnitOfWork, data: dict, version: int) -> None:
    await keep_newest(uow.session, KnownCustomerRow, data["id"], version,
                      {"name": data["name"], "segment": data["segment"]})


async def upsert_service(uow: UnitOfWork, data: dict, version: int) -> None:
    await keep_newest(uow.session, KnownServiceRow, data["id"], version, {
        "function_code": data["function_code"], "name": data["name"],
        "lifecycle_state": data["lifecycle_state"],
        "replacement_service_id": data.get("replacement_service_id")})


async def open_survey(uow: UnitOfWork, demand: dict, delivered_at: datetime) -> None:
    """Asks the customer to rate a delivered demand; one survey per demand, however often told."""
    existing = await uow.session.scalar(select(SurveyRow.id).where(SurveyRow.demand_id == demand["id"]))
    if existing is not None:
        return
    uow.session.add(SurveyRow(
        id=new_id(), demand_id=demand["id"], demand_title=demand.get("title"),
        customer_id=demand["customer_id"], service_id=demand.get("service_id"),
        status=SurveyStatus.PENDING.value, response_id=None, opened_at=delivered_at,
        completed_at=None))
