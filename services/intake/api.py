"""intake's routes: parse, authorize, call a handler, shape the answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from services.intake import handlers
from services.intake.domain import DemandStatus, Kind, Segment
from services.intake.schemas import (
    CustomerCreate,
    CustomerOut,
    CustomerUpdate,
    DemandCreate,
    DemandOut,
    DemandTransition,
    DemandUpdate,
    EndorsementCreate,
    EndorsementOut,
)
from shared.auth import EVERYONE, Role
from shared.deps import Caller, Db
from shared.http import Cursor, IdempotencyKey, IfMatch, Limit, idempotent_create, resource_response
from shared.schemas import Page

_A, _N, _C, _V, _I = Role.PMO_ADMIN, Role.PMO_ANALYST, Role.CUSTOMER, Role.VIEWER, Role.INTEGRATION

# Who may call which operation; an operation missing here is refused to everyone.
ACCESS = {
    "create_customer": frozenset({_A, _N, _I}),
    "list_customers": EVERYONE,
    "get_customer": EVERYONE,
    "update_customer": frozenset({_A, _N}),
    "create_demand": frozenset({_A, _N, _I, _C}),
    "list_demands": EVERYONE,
    "get_demand": EVERYONE,
    "update_demand": frozenset({_A, _N, _C}),
    "transition_demand": frozenset({_A, _N, _C}),
    "endorse_demand": frozenset({_A, _N, _I, _C}),
    "list_endorsements": EVERYONE,
    "get_endorsement": EVERYONE,
}

router = APIRouter()
Uuid = Annotated[str, Query(pattern=r"^[0-9a-fA-F-]{36}$")]



@router.post("/customers", status_code=201, operation_id="create_customer", tags=["customers"],
             response_model=CustomerOut)
async def create_customer(body: CustomerCreate, caller: Caller, db: Db,
                          key: IdempotencyKey = None) -> JSONResponse:
    return await idempotent_create(
        db, caller, key, body, lambda uow: handlers.register_customer(uow, body, caller),
        CustomerOut.model_validate, lambda row: f"/v1/customers/{row.id}")


@router.get("/customers", operation_id="list_customers", tags=["customers"],
            response_model=Page[CustomerOut])
async def list_customers(caller: Caller, db: Db, segment: Segment | None = None,
                         business_unit: Annotated[str | None, Query(max_length=200)] = None,
                         q: Annotated[str | None, Query(max_length=200)] = None,
                         limit: Limit = 50, cursor: Cursor = None) -> Page[CustomerOut]:
    async with db.uow() as uow:
        rows, next_cursor = await handlers.list_customers(
            uow, caller, segment=segment, business_unit=business_unit, q=q, limit=limit, cursor=cursor)
    return Page(items=[CustomerOut.model_validate(row) for row in rows], next_cursor=next_cursor)


@router.get("/customers/{customer_id}", operation_id="get_customer", tags=["customers"],
            response_model=CustomerOut)
async def get_customer(customer_id: str, caller: Caller, db: Db) -> JSONResponse:
    async with db.uow() as uow:
        row = await handlers.visible_customer(uow, customer_id, caller)
    return resource_response(CustomerOut.model_validate(row), row.version)


@router.patch("/customers/{customer_id}", operation_id="update_customer", tags=["customers"],
              response_model=CustomerOut)
async def update_customer(customer_id: str, body: CustomerUpdate, caller: Caller, db: Db,
                          if_match: IfMatch = None) -> JSONResponse:
    async with db.uow() as uow:
        row = await handlers.update_customer(uow, customer_id, body, if_match, caller)
    return resource_response(CustomerOut.model_validate(row), row.version)


@router.post("/demands", status_code=201, operation_id="create_demand", tags=["demands"],
             response_model=DemandOut)
async def create_demand(body: DemandCreate, caller: Caller, db: Db,
                        key: IdempotencyKey = None) -> JSONResponse:
    return await idempotent_create(
        db, caller, key, body, lambda uow: handlers.submit_demand(uow, body, caller),
        DemandOut.model_validate, lambda row: f"/v1/demands/{row.id}")


@router.get("/demands", operation_id="list_demands", tags=["demands"], response_model=Page[DemandOut])
async def list_demands(caller: Caller, db: Db, customer_id: Uuid | None = None,
                       status: DemandStatus | None = None, kind: Kind | None = None,
                       service_id: Uuid | None = None, limit: Limit = 50,
                       cursor: Cursor = None) -> Page[DemandOut]:
    where = handlers.DemandFilter(customer_id=customer_id, status=status, kind=kind,
                                  service_id=service_id)
    async with db.uow() as uow:
        rows, next_cursor = await handlers.list_demands(uow, caller, where, limit, cursor)
    return Page(items=[DemandOut.model_validate(row) for row in rows], next_cursor=next_cursor)


@router.get("/demands/{demand_id}", operation_id="get_demand", tags=["demands"],
            response_model=DemandOut)
async def get_demand(demand_id: str, caller: Caller, db: Db) -> JSONResponse:
    async with db.uow() as uow:
        row = await handlers.visible_demand(uow, demand_id, caller)
    return resource_response(DemandOut.model_validate(row), row.version)


@router.patch("/demands/{demand_id}", operation_id="update_demand", tags=["demands"],
              response_model=DemandOut)
async def update_demand(demand_id: str, body: DemandUpdate, caller: Caller, db: Db,
                        if_match: IfMatch = None) -> JSONResponse:
    async with db.uow() as uow:
        row = await handlers.update_demand(uow, demand_id, body, if_match, caller)
    return resource_response(DemandOut.model_validate(row), row.version)


@router.post("/demands/{demand_id}/transitions", operation_id="transition_demand",
             tags=["demands"], response_model=DemandOut)
async def transition_demand(demand_id: str, body: DemandTransition, caller: Caller, db: Db,
                            if_match: IfMatch = None) -> JSONResponse:
    async with db.uow() as uow:
        row = await handlers.transition_demand(uow, demand_id, body, if_match, caller)
    return resource_response(DemandOut.model_validate(row), row.version)


@router.post("/demands/{demand_id}/endorsements", status_code=201, operation_id="endorse_demand",
             tags=["demands"], response_model=EndorsementOut)
async def endorse_demand(demand_id: str, body: EndorsementCreate, caller: Caller, db: Db,
                         key: IdempotencyKey = None) -> JSONResponse:
    return await idempotent_create(
        db, caller, key, body, lambda uow: handlers.endorse_demand(uow, demand_id, body, caller),
        EndorsementOut.model_validate,
        lambda row: f"/v1/demands/{row.demand_id}/endorsements/{row.id}")


@router.get("/demands/{demand_id}/endorsements", operation_id="list_endorsements",
            tags=["demands"], response_model=Page[EndorsementOut])
async def list_endorsements(demand_id: str, caller: Caller, db: Db, limit: Limit = 50,
                            cursor: Cursor = None) -> Page[EndorsementOut]:
    async with db.uow() as uow:
        rows, next_cursor = await handlers.list_endorsements(uow, demand_id, caller, limit, cursor)
    return Page(items=[EndorsementOut.model_validate(row) for row in rows], next_cursor=next_cursor)


@router.get("/demands/{demand_id}/endorsements/{endorsement_id}", operation_id="get_endorsement",
            tags=["demands"], response_model=EndorsementOut)
async def get_endorsement(demand_id: str, endorsement_id: str, caller: Caller,
                          db: Db) -> EndorsementOut:
    async with db.uow() as uow:
        row = await handlers.visible_endorsement(uow, demand_id, endorsement_id, caller)
    return EndorsementOut.model_validate(row)
