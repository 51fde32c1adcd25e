"""intake's use cases: one async function each; only these commit."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from services.intake import domain, events, projections
from services.intake.models import CustomerRow, DemandRow, EndorsementRow
from services.intake.schemas import (
    CustomerCreate,
    CustomerUpdate,
    DemandCreate,
    DemandTransition,
    DemandUpdate,
    EndorsementCreate,
)
from shared.auth import Principal
from shared.db import UnitOfWork, exists, insert_new, new_id, utcnow
from shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from shared.http import check_version
from shared.pagination import keyset_page

REQUIRED_ON_PATCH = {"name", "segment", "strategic_importance", "maturity", "profile", "title",
                     "problem", "kind", "severity", "urgency", "reach", "tags"}


@dataclass(frozen=True)
class DemandFilter:
    customer_id: str | None = None
    status: domain.DemandStatus | None = None
    kind: domain.Kind | None = None
    service_id: str | None = None


# --- customers ------------------------------------------------------------------------------

async def register_customer(uow: UnitOfWork, cmd: CustomerCreate, actor: Principal) -> CustomerRow:
    now = utcnow()
    customer = CustomerRow(id=new_id(), created_at=now, updated_at=now, created_by=actor.sub,
                           **cmd.model_dump(mode="json"))
    uow.session.add(customer)
    await uow.session.flush()
    uow.publish(events.customer_event(events.CUSTOMER_REGISTERED, customer, actor.sub))
    await uow.commit(result=customer)
    return customer


async def update_customer(uow: UnitOfWork, customer_id: str, changes: CustomerUpdate,
                          if_match: str | None, actor: Principal) -> CustomerRow:
    customer = await visible_customer(uow, customer_id, actor)
    check_version(customer.version, if_match)
    _apply_changes(customer, changes)
    customer.updated_at = utcnow()
    await uow.session.flush()
    uow.publish(events.customer_event(events.CUSTOMER_UPDATED, customer, actor.sub))
    await uow.commit()
    return customer


async def visible_customer(uow: UnitOfWork, customer_id: str, actor: Principal) -> CustomerRow:
    """The customer, or 404 when it does not exist or the caller may not see it."""
    customer = await uow.session.get(CustomerRow, customer_id)
    if customer is None or not actor.may_see_customer(customer.id):
        raise _no_customer(customer_id)
    return customer


async def require_visible_customer(uow: UnitOfWork, customer_id: str, actor: Principal) -> None:
    """visible_customer's 404 for a caller that only needs to know: checked by key, not loaded."""
    if not actor.may_see_customer(customer_id) or not await exists(
            uow.session, CustomerRow.__table__, customer_id):
        raise _no_customer(customer_id)


def _no_customer(customer_id: str) -> NotFound:
    return NotFound(f"customer {customer_id} not found")


async def list_customers(uow: UnitOfWork, actor: Principal, *, segment: str | None,
                         business_unit: str | None, q: str | None, limit: int, cursor: str | None):
    query = select(CustomerRow)
    if actor.is_customer_only:
        query = query.where(CustomerRow.id == actor.customer_id)
    if segment:
        query = query.where(CustomerRow.segment == segment)
    if business_unit:
        query = query.where(CustomerRow.business_unit == business_unit)
    if q:
        query = query.where(func.lower(CustomerRow.name).contains(q.lower(), autoescape=True))
    return await keyset_page(uow.session, query, CustomerRow, limit, cursor)


# --- demands --------------------------------------------------------------------------------

async def submit_demand(uow: UnitOfWork, cmd: DemandCreate, actor: Principal) -> DemandRow:
    """Records a need for its customer; who captured it is kept apart from who has it."""
    await require_visible_customer(uow, cmd.customer_id, actor)
    await projections.check_references(uow, cmd.function_code, cmd.service_id)
    now = utcnow()
    demand = DemandRow(id=new_id(), status=domain.DemandStatus.SUBMITTED.value, status_reason=None,
                       endorsements=0, captured_by=actor.sub, created_at=now, updated_at=now,
                       version=1, **cmd.model_dump())
    await insert_new(uow.session, demand)  # the busiest write: no flush of a tracked object
    uow.publish(events.demand_event(events.DEMAND_SUBMITTED, demand, [], actor.sub))
    await uow.commit(result=demand)
    return demand


async def visible_demand(uow: UnitOfWork, demand_id: str, actor: Principal) -> DemandRow:
    demand = await uow.session.get(DemandRow, demand_id)
    if demand is None or not actor.may_see_customer(demand.customer_id):
        raise NotFound(f"demand {demand_id} not found")
    return demand


async def update_demand(uow: UnitOfWork, demand_id: str, changes: DemandUpdate,
                        if_match: str | None, actor: Principal) -> DemandRow:
    demand = await visible_demand(uow, demand_id, actor)
    check_version(demand.version, if_match)
    if domain.DemandStatus(demand.status) not in domain.OPEN_STATUSES | {domain.DemandStatus.IN_PROGRESS}:
        raise Conflict(f"a {demand.status} demand can no longer be edited")
    fields = changes.model_fields_set
    await projections.check_references(
        uow, changes.function_code if "function_code" in fields else None,
        changes.service_id if "service_id" in fields else None)
    _apply_changes(demand, changes)
    demand.updated_at = utcnow()
    await uow.session.flush()
    uow.publish(events.demand_event(events.DEMAND_UPDATED, demand, await _endorsers(uow, demand.id),
                                    actor.sub))
    await uow.commit()
    return demand


async def transition_demand(uow: UnitOfWork, demand_id: str, move: DemandTransition,
                            if_match: str | None, actor: Principal) -> DemandRow:
    demand = await visible_demand(uow, demand_id, actor)
    check_version(demand.version, if_match)
    current = domain.DemandStatus(demand.status)
    domain.check_demand_transition(current, move.to, by_customer=actor.is_customer_only)
    demand.status, demand.status_reason, demand.updated_at = move.to.value, move.reason, utcnow()
    await uow.session.flush()
    uow.publish(events.demand_event(
        events.DEMAND_STATUS_CHANGED, demand, await _endorsers(uow, demand.id), actor.sub,
        from_status=current.value, to_status=move.to.value, reason=move.reason))
    await uow.commit()
    return demand


async def endorse_demand(uow: UnitOfWork, demand_id: str, cmd: EndorsementCreate,
                         actor: Principal) -> EndorsementRow:
    """Another customer declares the same need: the explicit signal of repeat demand."""
    demand = await uow.session.get(DemandRow, demand_id)
    if demand is None:
        raise NotFound(f"demand {demand_id} not found")
    if actor.is_customer_only and cmd.customer_id != actor.customer_id:
        raise Forbidden("a customer endorses only in its own name")
    if await uow.session.get(CustomerRow, cmd.customer_id) is None:
        raise Unprocessable(f"unknown customer_id '{cmd.customer_id}'", "customer_id")
    domain.check_endorsement(demand.customer_id, cmd.customer_id)
    if domain.DemandStatus(demand.status) not in domain.OPEN_STATUSES | {domain.DemandStatus.IN_PROGRESS}:
        raise Conflict(f"a {demand.status} demand takes no more endorsements")
    endorsement = EndorsementRow(id=new_id(), demand_id=demand.id, customer_id=cmd.customer_id,
                                 note=cmd.note, endorsed_by=actor.sub, created_at=utcnow())
    uow.session.add(endorsement)
    try:
        await uow.session.flush()
    except IntegrityError:
        raise Conflict("this customer already endorsed this demand") from None
    demand.endorsements += 1
    demand.updated_at = endorsement.created_at
    await uow.session.flush()
    uow.publish(events.demand_event(
        events.DEMAND_ENDORSED, demand, await _endorsers(uow, demand.id), actor.sub,
        endorsement={"customer_id": cmd.customer_id, "note": cmd.note}))
    await uow.commit(result=endorsement)
    return endorsement


async def list_demands(uow: UnitOfWork, actor: Principal, where: DemandFilter, limit: int,
                       cursor: str | None):
    query = select(DemandRow)
    if actor.is_customer_only:
        query = query.where(DemandRow.customer_id == actor.customer_id)
    for column, value in ((DemandRow.customer_id, where.customer_id), (DemandRow.status, where.status),
                          (DemandRow.kind, where.kind), (DemandRow.service_id, where.service_id)):
        if value is not None:
            query = query.where(column == value)
    return await keyset_page(uow.session, query, DemandRow, limit, cursor)


async def list_endorsements(uow: UnitOfWork, demand_id: str, actor: Principal, limit: int,
                            cursor: str | None):
    """A customer sees only the endorsements made in its own name: never another's note or id."""
    query = select(EndorsementRow).where(EndorsementRow.demand_id == demand_id)
    if not actor.is_customer_only:
        await visible_demand(uow, demand_id, actor)
        return await keyset_page(uow.session, query, EndorsementRow, limit, cursor)
    query = query.where(EndorsementRow.customer_id == actor.customer_id)
    demand = await uow.session.get(DemandRow, demand_id)
    if demand is None or (demand.customer_id != actor.customer_id
                          and await uow.session.scalar(query.limit(1)) is None):
        raise NotFound(f"demand {demand_id} not found")
    return await keyset_page(uow.session, query, EndorsementRow, limit, cursor)


async def _endorsers(uow: UnitOfWork, demand_id: str) -> list[str]:
    query = (select(EndorsementRow.customer_id).where(EndorsementRow.demand_id == demand_id)
             .order_by(EndorsementRow.created_at))
    return list(await uow.session.scalars(query))


def _apply_changes(row: CustomerRow | DemandRow, changes: CustomerUpdate | DemandUpdate) -> None:
    """Applies the fields the client sent; null may clear optional fields, never required ones."""
    values = changes.model_dump(mode="json", exclude_unset=True)
    for name, value in values.items():
        if value is None and name in REQUIRED_ON_PATCH:
            raise Unprocessable(f"{name} cannot be null", name)
    if "due_date" in values:
        values["due_date"] = changes.due_date
    for name, value in values.items():
        setattr(row, name, value)


async def visible_endorsement(uow: UnitOfWork, demand_id: str, endorsement_id: str,
                              actor: Principal) -> EndorsementRow:
    """The endorsement, or 404; a customer reaches the ones made in its name, on any demand."""
    endorsement = await uow.session.get(EndorsementRow, endorsement_id)
    if (endorsement is None or endorsement.demand_id != demand_id
            or not actor.may_see_customer(endorsement.customer_id)):
        raise NotFound(f"endorsement {endorsement_id} not found")
    return endorsement
