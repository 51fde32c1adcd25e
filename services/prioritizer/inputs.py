"""Building pure scoring inputs from the read models: the customers, feedback and similar demand
behind a set of open demands, loaded in a few queries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Row, select

from services.prioritizer import groups
from services.prioritizer.models import (
    CUSTOMER_COLUMNS,
    DEMAND_COLUMNS,
    CustomerView,
    DemandView,
    ServiceFeedbackView,
)
from services.prioritizer.scoring import Backer, DemandInput, ServiceSatisfaction
from shared.db import UnitOfWork, for_ids, ids_param


@dataclass(frozen=True)
class Context:
    """What the scores of some demands depend on besides their own fields."""

    customers: dict[str, CustomerView | Row]
    satisfaction: dict[str, ServiceSatisfaction]
    similar: dict[str, list[str]]  # demand id → customers behind the open demands similar to it
    # One Backer per customer, however many of the demands it stands behind.
    backers: dict[str, Backer] = field(default_factory=dict)

    def backer(self, customer_id: str) -> Backer:
        found = self.backers.get(customer_id)
        if found is None:
            found = self.backers[customer_id] = backer(customer_id, self.customers)
        return found


async def load_context(uow: UnitOfWork, demands: Sequence[DemandView | Row]) -> Context:
    similar = await _similar(uow, [d.id for d in demands])
    ids = ({d.customer_id for d in demands} | {cid for d in demands for cid in d.endorsed_by}
           | {cid for customers in similar.values() for cid in customers})
    customers = {row.id: row for row in await for_ids(uow.session, _CUSTOMER_ROWS, sorted(ids))}
    satisfaction = await satisfaction_of(uow, {d.service_id for d in demands if d.service_id})
    return Context(customers, satisfaction, similar)


async def open_demands(uow: UnitOfWork, demand_ids: Iterable[str]) -> list[DemandView]:
    return await for_ids(uow.session, _OPEN_DEMANDS, sorted(set(demand_ids)), scalars=True)


_OPEN_DEMANDS = select(DemandView).where(DemandView.id.in_(ids_param()), DemandView.is_open)


def demand_input(row: DemandView | Row, context: Context) -> DemandInput:
    similar_customers = context.similar.get(row.id, [])
    return DemandInput(
        demand_id=row.id, kind=row.kind, function_code=row.function_code, severity=row.severity,
        urgency=row.urgency, reach=row.reach, effort_estimate=row.effort_estimate,
        submitted_at=row.submitted_at, requester=context.backer(row.customer_id),
        endorsers=tuple(context.backer(cid) for cid in row.endorsed_by if cid != row.customer_id),
        satisfaction=context.satisfaction.get(row.service_id) if row.service_id else None,
        similar=tuple(context.backer(cid) for cid in similar_customers))


def backer(customer_id: str, customers: Mapping[str, CustomerView | Row]) -> Backer:
    """A customer not heard of yet scores neutral; its registration event rescores it later."""
    customer = customers.get(customer_id)
    if customer is None:
        return Backer(customer_id, None, None, None)
    return Backer(customer_id, customer.segment, customer.strategic_importance, customer.maturity)


async def _similar(uow: UnitOfWork, demand_ids: list[str]) -> dict[str, list[str]]:
    """For each demand, the customers who raised or endorsed the open demands similar to it."""
    neighbours = await groups.neighbours_of(uow, demand_ids)
    other_ids = sorted({other for others in neighbours.values() for other in others})
    backers = {demand_id: {customer_id, *endorsed_by} for demand_id, customer_id, endorsed_by
               in await for_ids(uow.session, _BACKERS_OF_OPEN, other_ids)}
    return {demand_id: sorted({cid for other in others for cid in backers.get(other, ())})
            for demand_id, others in neighbours.items() if others}


_DEMANDS = DEMAND_COLUMNS  # on the table: see models.py
_BACKERS_OF_OPEN = select(_DEMANDS.id, _DEMANDS.customer_id, _DEMANDS.endorsed_by).where(
    _DEMANDS.id.in_(ids_param()), _DEMANDS.is_open)


async def customers_by_id(uow: UnitOfWork, ids: Iterable[str]) -> dict[str, CustomerView]:
    return {row.id: row
            for row in await for_ids(uow.session, CUSTOMERS, sorted(set(ids)), scalars=True)}


CUSTOMERS = select(CustomerView).where(CustomerView.id.in_(ids_param()))
# Scoring only reads them: rows of the table's columns, not mapped objects (models.py says why).
_CUSTOMER_ROWS = select(*CUSTOMER_COLUMNS).where(CUSTOMER_COLUMNS.id.in_(ids_param()))


async def satisfaction_of(uow: UnitOfWork, service_ids: set[str]) -> dict[str, ServiceSatisfaction]:
    rows = await for_ids(uow.session, _FEEDBACK, sorted(service_ids), scalars=True)
    return {row.service_id: ServiceSatisfaction(row.responses, row.csat_sum / row.responses,
                                                row.perceived_value_sum / row.responses)
            for row in rows if row.responses}


_FEEDBACK = select(ServiceFeedbackView).where(ServiceFeedbackView.service_id.in_(ids_param()))
