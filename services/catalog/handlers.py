"""catalog's use cases: one async function each; only these commit."""

from __future__ import annotations

from dataclasses import dataclass
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from services.catalog import domain, events
from services.catalog.models import FunctionRow, ServiceRow, ServiceSegmentRow, TransitionRow
from services.catalog.schemas import FunctionCreate, ServiceCreate, ServiceTransition, ServiceUpdate
from shared.auth import Principal, Role
from shared.db import UnitOfWork, new_id, utcnow
from shared.errors import Conflict, NotFound, Unprocessable
from shared.http import check_version
from shared.pagination import keyset_page

REQUIRED_ON_PATCH = {"function_code", "name", "description", "target_segments", "value_propositions"}


@dataclass(frozen=True)
class ServiceFilter:
    state: domain.LifecycleState | None = None
    function_code: str | None = None
    segment: domain.Segment | None = None
    pilot_overdue: bool | None = None


# --- functions ------------------------------------------------------------------------------

async def create_function(uow: UnitOfWork, cmd: FunctionCreate, actor: Principal) -> FunctionRow:
    """Adds a PMO function; its code is unique because other services refer to it by code."""
    if await _function(uow, cmd.code) is not None:
        raise Conflict(f"function '{cmd.code}' already exists")
    function = FunctionRow(id=new_id(), created_at=utcnow(), created_by=actor.sub, **cmd.model_dump())
    uow.session.add(function)
    try:
        await uow.session.flush()
    except IntegrityError:  # a concurrent create of the same code got there first
        raise Conflict(f"function '{cmd.code}' already exists") from None
    uow.publish(events.function_event(events.FUNCTION_CREATED, function, actor.sub))
    await uow.commit(result=function)
    return function


async def find_function(uow: UnitOfWork, code: str) -> FunctionRow:
    function = await _function(uow, code)
    if function is None:
        raise NotFound(f"function {code} not found")
    return function


async def list_functions(uow: UnitOfWork, limit: int, cursor: str | None):
    return await keyset_page(uow.session, select(FunctionRow), FunctionRow, limit, cursor)


async def _function(uow: UnitOfWork, code: str) -> FunctionRow | None:
    return await uow.session.scalar(select(FunctionRow).where(FunctionRow.code == code))


# --- services -------------------------------------------------------------------------------

async def propose_service(uow: UnitOfWork, cmd: ServiceCreate, actor: Principal) -> ServiceRow:
    """Adds a service to a function; every service starts life as `proposed`."""
    await _check_function_code(uow, cmd.function_code)
    content = cmd.model_dump(mode="json")
    domain.check_propositions(content["target_segments"], content["value_propositions"])
    now = utcnow()
    service = ServiceRow(id=new_id(), lifecycle_state=domain.LifecycleState.PROPOSED.value,
                         state_changed_at=now, pilot=None, pilot_ends_on=None,
                         replacement_service_id=None, created_by=actor.sub, created_at=now,
                         updated_at=now, **content)
    uow.session.add(service)
    await uow.session.flush()
    await _index_segments(uow, service)
    uow.publish(events.service_event(events.SERVICE_PROPOSED, service, actor.sub))
    await uow.commit(result=service)
    return service


async def find_service(uow: UnitOfWork, service_id: str) -> ServiceRow:
    service = await uow.session.get(ServiceRow, service_id)
    if service is None:
        raise NotFound(f"service {service_id} not found")
    return service


async def update_service(uow: UnitOfWork, service_id: str, changes: ServiceUpdate,
                         if_match: str | None, actor: Principal) -> ServiceRow:
    """Edits content; the lifecycle state only moves through transitions."""
    service = await find_service(uow, service_id)
    check_version(service.version, if_match)
    if domain.LifecycleState(service.lifecycle_state) in domain.FROZEN_STATES:
        raise Conflict(f"a {service.lifecycle_state} service can no longer be edited")
    values = changes.model_dump(mode="json", exclude_unset=True)
    for name, value in values.items():
        if value is None and name in REQUIRED_ON_PATCH:
            raise Unprocessable(f"{name} cannot be null", name)
    if "function_code" in values:
        await _check_function_code(uow, values["function_code"])
    domain.check_propositions(values.get("target_segments", service.target_segments),
                              values.get("value_propositions", service.value_propositions))
    for name, value in values.items():
        setattr(service, name, value)
    service.updated_at = utcnow()
    await uow.session.flush()
    if "target_segments" in values:
        await _index_segments(uow, service)
    uow.publish(events.service_event(events.SERVICE_UPDATED, service, actor.sub))
    await uow.commit()
    return service


async def transition_service(uow: UnitOfWork, service_id: str, move: ServiceTransition,
                             if_match: str | None, actor: Principal) -> ServiceRow:
    """Moves a service along its lifecycle, after the table, the role and the gates agree."""
    service = await find_service(uow, service_id)
    check_version(service.version, if_match)
    current = domain.LifecycleState(service.lifecycle_state)
    domain.check_move(current, move.to, is_admin=Role.PMO_ADMIN in actor.roles)
    domain.check_gates(current, move.to, reason=move.reason, evidence=move.evidence,
                       has_pilot=move.pilot is not None,
                       has_replacement=move.replacement_service_id is not None)
    if move.replacement_service_id is not None:
        await _check_replacement(uow, service.id, move.replacement_service_id)
    now = utcnow()
    pilot = move.pilot.model_dump(mode="json") if move.pilot else None
    service.lifecycle_state, service.state_changed_at, service.updated_at = move.to.value, now, now
    service.pilot, service.pilot_ends_on = pilot, move.pilot.ends_on if move.pilot else None
    service.replacement_service_id = move.replacement_service_id
    uow.session.add(TransitionRow(
        id=new_id(), service_id=service.id, from_state=current.value, to_state=move.to.value,
        reason=move.reason, evidence=move.evidence, pilot=pilot,
        replacement_service_id=move.replacement_service_id, actor=actor.sub, created_at=now))
    await uow.session.flush()
    uow.publish(events.service_event(
        events.SERVICE_LIFECYCLE_CHANGED, service, actor.sub, from_state=current.value,
        to_state=move.to.value, reason=move.reason, evidence=move.evidence))
    await uow.commit()
    return service


async def list_services(uow: UnitOfWork, where: ServiceFilter, limit: int, cursor: str | None):
    query = select(ServiceRow)
    if where.state is not None:
        query = query.where(ServiceRow.lifecycle_state == where.state)
    if where.function_code is not None:
        query = query.where(ServiceRow.function_code == where.function_code)
    if where.segment is not None:
        query = query.where(ServiceRow.id.in_(_serving(where.segment)))
    if where.pilot_overdue is not None:
        # Overdue: still in pilot after its end date, waiting for the roll-out-or-rework call.
        overdue = ServiceRow.pilot_ends_on < utcnow().date()
        query = query.where(ServiceRow.lifecycle_state == domain.LifecycleState.PILOT,
                            overdue if where.pilot_overdue else ~overdue)
    return await keyset_page(uow.session, query, ServiceRow, limit, cursor)


async def service_history(uow: UnitOfWork, service_id: str, limit: int, cursor: str | None):
    await find_service(uow, service_id)
    query = select(TransitionRow).where(TransitionRow.service_id == service_id)
    return await keyset_page(uow.session, query, TransitionRow, limit, cursor)


async def offered_to(uow: UnitOfWork,
                     segment: domain.Segment) -> list[tuple[FunctionRow, list[ServiceRow]]]:
    """The services a segment can use today, grouped by function; functions and services by name."""
    query = (select(FunctionRow, ServiceRow)
             .join(ServiceRow, ServiceRow.function_code == FunctionRow.code)
             .where(ServiceRow.lifecycle_state.in_(domain.OFFERED_STATES),
                    ServiceRow.id.in_(_serving(segment)))
             .order_by(FunctionRow.name, FunctionRow.code, ServiceRow.name, ServiceRow.id))
    grouped: dict[str, tuple[FunctionRow, list[ServiceRow]]] = {}
    for function, service in (await uow.session.execute(query)).all():
        grouped.setdefault(function.code, (function, []))[1].append(service)
    return list(grouped.values())


def _serving(segment: domain.Segment):
    return select(ServiceSegmentRow.service_id).where(ServiceSegmentRow.segment == segment)


async def _check_function_code(uow: UnitOfWork, code: str) -> None:
    if await _function(uow, code) is None:
        raise Unprocessable(f"unknown function_code '{code}'", "function_code")


async def _check_replacement(uow: UnitOfWork, service_id: str, replacement_id: str) -> None:
    replacement = await uow.session.get(ServiceRow, replacement_id)
    state = domain.LifecycleState(replacement.lifecycle_state) if replacement else None
    domain.check_replacement(service_id, replacement_id, state)


async def _index_segments(uow: UnitOfWork, service: ServiceRow) -> None:
    """Rewrites the segment rows of a service from its `target_segments`."""
    await uow.session.execute(
        delete(ServiceSegmentRow).where(ServiceSegmentRow.service_id == service.id))
    await uow.session.execute(insert(ServiceSegmentRow), [
        {"service_id": service.id, "segment": segment} for segment in service.target_segments])
