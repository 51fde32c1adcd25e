"""What intake publishes: contract §6 types, each carrying the full aggregate."""

from __future__ import annotations

from typing import Any

from services.intake.models import CustomerRow, DemandRow
from services.intake.schemas import CustomerOut, DemandOut
from shared.events import CloudEvent, new_event

SOURCE = "intake"

CUSTOMER_REGISTERED = "pmo.customer.registered"
CUSTOMER_UPDATED = "pmo.customer.updated"
DEMAND_SUBMITTED = "pmo.demand.submitted"
DEMAND_UPDATED = "pmo.demand.updated"
DEMAND_STATUS_CHANGED = "pmo.demand.status_changed"
DEMAND_ENDORSED = "pmo.demand.endorsed"


def customer_event(event_type: str, customer: CustomerRow, actor: str) -> CloudEvent:
    data = CustomerOut.model_validate(customer).model_dump(mode="json") | {"actor": actor}
    return new_event(SOURCE, event_type, customer.id, data, customer.version)


def demand_event(event_type: str, demand: DemandRow, endorsed_by: list[str], actor: str,
                 **extra: Any) -> CloudEvent:
    """A demand event; `endorsed_by` lists the endorsing customers, the repeat-demand signal."""
    data = DemandOut.model_validate(demand).model_dump(mode="json")
    data |= {"endorsed_by": endorsed_by, "actor": actor, **extra}
    return new_event(SOURCE, event_type, demand.id, data, demand.version)
