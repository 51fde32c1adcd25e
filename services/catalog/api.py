"""catalog's routes: parse, authorize, call a handler, shape the answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from services.catalog import domain, handlers
from services.catalog.domain import LifecycleState, Segment
from services.catalog.models import FunctionRow, ServiceRow
from services.catalog.schemas import (
    CatalogEntry,
    CatalogFunction,
    CatalogOut,
    FunctionCreate,
    FunctionOut,
    ServiceCreate,
    ServiceListItem,
    ServiceOut,
    ServiceTransition,
    ServiceUpdate,
    TransitionOut,
    ValueProposition,
)
from shared.auth import EVERYONE, Role
from shared.deps import Caller, Db
from shared.http import Cursor, IdempotencyKey, IfMatch, Limit, idempotent_create, resource_response
from shared.schemas import Page

_A, _N = Role.PMO_ADMIN, Role.PMO_ANALYST

# Who may call which operation; an operation missing here is refused to everyone.
# Retiring is further kept to pmo_admin by the domain (`check_move`), since it is one `to` value.
ACCESS = {
    "create_function": frozenset({_A, _N}),
    "list_functions": EVERYONE,
    "get_function": EVERYONE,
    "create_service": frozenset({_A, _N}),
    "list_services": EVERYONE,
    "get_service": EVERYONE,
    "update_service": frozenset({_A, _N}),
    "transition_service": frozenset({_A, _N}),
    "list_service_history": EVERYONE,
    "get_catalog": EVERYONE,
}

router = APIRouter()
Code = Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_-]{0,63}$")]
Overdue = Annotated[bool | None, Query(
    description="true: pilots past their end date; false: pilots still within it")]



@router.post("/functions", status_code=201, operation_id="create_function", tags=["functions"],
             response_model=FunctionOut)
async def create_function(body: FunctionCreate, caller: Caller, db: Db,
                          key: IdempotencyKey = None) -> JSONResponse:
    return await idempotent_create(
        db, caller, key, body, lambda uow: handlers.create_function(uow, body, caller),
        FunctionOut.model_validate, lambda row: f"/v1/functions/{row.code}")


@router.get("/functions", operation_id="list_functions", tags=["functions"],
            response_model=Page[FunctionOut])
async def list_functions(caller: Caller, db: Db, limit: Limit = 50,
                         cursor: Cursor = None) -> Page[FunctionOut]:
    async with db.uow() as uow:
        rows, next_cursor = await handlers.list_functions(uow, limit, cursor)
    return Page(items=[FunctionOut.model_validate(row) for row in rows], next_cursor=next_cursor)


@router.get("/functions/{code}", operation_id="get_function", tags=["functions"],
            response_model=FunctionOut)
async def get_function(code: str, caller: Caller, db: Db) -> JSONResponse:
    async with db.uow() as uow:
        row = await handlers.find_function(uow, code)
    return resource_response(FunctionOut.model_validate(row), row.version)


@router.post("/services", status_code=201, operation_id="create_service", tags=["services"],
             response_model=ServiceOut)
async def create_service(body: ServiceCreate, caller: Caller, db: Db,
                         key: IdempotencyKey = None) -> JSONResponse:
    return await idempotent_create(
        db, caller, key, body, lambda uow: handlers.propose_service(uow, body, caller),
        ServiceOut.model_validate, lambda row: f"/v1/services/{row.id}")


@router.get("/services", operation_id="list_services", tags=["services"],
            response_model=Page[ServiceListItem])
async def list_services(caller: Caller, db: Db, state: LifecycleState | None = None,
                        function_code: Code = None, segment: Segment | None = None,
                        pilot_overdue: Overdue = None, limit: Limit = 50,
                        cursor: Cursor = None) -> Page[ServiceListItem]:
    where = handlers.ServiceFilter(state=state, function_code=function_code, segment=segment,
                                   pilot_overdue=pilot_overdue)
    async with db.uow() as uow:
        rows, next_cursor = await handlers.list_services(uow, where, limit, cursor)
    return Page(items=[_listed(row, segment) for row in rows], next_cursor=next_cursor)


@router.get("/services/{service_id}", operation_id="get_service", tags=["services"],
            response_model=ServiceOut)
async def get_service(service_id: str, caller: Caller, db: Db) -> JSONResponse:
    async with db.uow() as uow:
        row = await handlers.find_service(uow, service_id)
    return resource_response(ServiceOut.model_validate(row), row.version)


@router.patch("/services/{service_id}", operation_id="update_service", tags=["services"],
              response_model=ServiceOut)
async def update_service(service_id: str, body: ServiceUpdate, caller: Caller, db: Db,
                         if_match: IfMatch = None) -> JSONResponse:
    async with db.uow() as uow:
        row = await handlers.update_service(uow, service_id, body, if_match, caller)
    return resource_response(ServiceOut.model_validate(row), row.version)


@router.post("/services/{service_id}/transitions", operation_id="transition_service",
             tags=["services"], response_model=ServiceOut)
async def transition_service(service_id: str, body: ServiceTransition, caller: Caller, db: Db,
                             if_match: IfMatch = None) -> JSONResponse:
    async with db.uow() as uow:
        row = await handlers.transition_service(uow, service_id, body, if_match, caller)
    return resource_response(ServiceOut.model_validate(row), row.version)


@router.get("/services/{service_id}/history", operation_id="list_service_history",
            tags=["services"], response_model=Page[TransitionOut])
async def list_service_history(service_id: str, caller: Caller, db: Db, limit: Limit = 50,
                               cursor: Cursor = None) -> Page[TransitionOut]:
    async with db.uow() as uow:
        rows, next_cursor = await handlers.service_history(uow, service_id, limit, cursor)
    return Page(items=[TransitionOut.model_validate(row) for row in rows], next_cursor=next_cursor)


@router.get("/catalog", operation_id="get_catalog", tags=["catalog"], response_model=CatalogOut)
async def get_catalog(segment: Segment, caller: Caller, db: Db) -> CatalogOut:
    """What one segment can use today, described in its own words; a view, not a paged list."""
    async with db.uow() as uow:
        offered = await handlers.offered_to(uow, segment)
    return CatalogOut(segment=segment, functions=[
        _catalog_function(function, services, segment) for function, services in offered])


def _listed(row: ServiceRow, segment: Segment | None) -> ServiceListItem:
    """A listed service; seen from a segment, it carries the value proposition written for it."""
    item = ServiceListItem.model_validate(row)
    proposition = domain.proposition_for(row.value_propositions, segment) if segment else None
    if proposition is not None:
        item.value_proposition = ValueProposition.model_validate(proposition)
    return item


def _catalog_function(function: FunctionRow, services: list[ServiceRow],
                      segment: Segment) -> CatalogFunction:
    entries = []
    for service in services:
        proposition = domain.proposition_for(service.value_propositions, segment) or {}
        entries.append(CatalogEntry(id=service.id, name=service.name,
                                    lifecycle_state=service.lifecycle_state,
                                    outcome=proposition.get("outcome"),
                                    cost_estimate=proposition.get("cost_estimate")))
    return CatalogFunction(code=function.code, name=function.name, services=entries)
