"""feedback's routes: parse, authorize, call a handler, shape the answer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from services.feedback import handlers
from services.feedback.domain import AlertStatus, Segment
from services.feedback.schemas import (
    AlertAssign,
    AlertOut,
    AlertResolve,
    PortfolioSummary,
    ResponseCreate,
    ResponseOut,
    ServiceSummary,
    SurveyOut,
)
from shared.auth import EVERYONE, Role
from shared.deps import Caller, Db
from shared.db import utcnow
from shared.http import Cursor, IdempotencyKey, IfMatch, Limit, idempotent_create, resource_response
from shared.schemas import Page

_A, _N, _C, _V, _I = Role.PMO_ADMIN, Role.PMO_ANALYST, Role.CUSTOMER, Role.VIEWER, Role.INTEGRATION

# Who may call which operation; an operation missing here is refused to everyone.
ACCESS = {
    "create_response": frozenset({_A, _N, _I, _C}),
    "list_responses": EVERYONE,
    "get_response": EVERYONE,
    "get_service_summary": EVERYONE,
    "get_portfolio_summary": EVERYONE,
    "list_alerts": frozenset({_A, _N, _V}),
    "get_alert": frozenset({_A, _N, _V}),
    "assign_alert": frozenset({_A, _N}),
    "resolve_alert": frozenset({_A, _N}),
    "list_pending_surveys": frozenset({_A, _N, _C, _I}),
}

SUMMARY_RULES = (
    "Averages are arithmetic means of the answers given, rounded to 2 decimals (halves away from "
    "zero); null when nobody answered. `nps` is % promoters (9-10) minus % detractors (0-6) over "
    "the responses that gave an nps, rounded the same way, null when none did. The window is the "
    "last `window_days` days up to now.")

router = APIRouter()
Uuid = Annotated[str, Query(pattern=r"^[0-9a-fA-F-]{36}$")]
WindowDays = Annotated[int, Query(ge=1, le=3650, description="Days back from now the summary covers")]


def now(request: Request) -> datetime:
    """The current time; tests replace the clock through `runtime.extras["clock"]`."""
    clock: Callable[[], datetime] = request.app.state.runtime.extras.get("clock", utcnow)
    return clock()


def overdue_days(request: Request) -> int:
    return request.app.state.runtime.settings.alert_overdue_days


Now = Annotated[datetime, Depends(now)]
OverdueDays = Annotated[int, Depends(overdue_days)]


@router.post("/responses", status_code=201, operation_id="create_response", tags=["responses"],
             response_model=ResponseOut,
             description="A detractor (csat <= 2, or nps <= 6) also opens a follow-up alert.")
async def create_response(body: ResponseCreate, caller: Caller, db: Db, at: Now,
                          key: IdempotencyKey = None) -> JSONResponse:
    return await idempotent_create(
        db, caller, key, body, lambda uow: handlers.submit_response(uow, body, caller, at),
        ResponseOut.model_validate, lambda row: f"/v1/responses/{row.id}")


@router.get("/responses", operation_id="list_responses", tags=["responses"],
            response_model=Page[ResponseOut])
async def list_responses(caller: Caller, db: Db, service_id: Uuid | None = None,
                         customer_id: Uuid | None = None, limit: Limit = 50,
                         cursor: Cursor = None) -> Page[ResponseOut]:
    async with db.uow() as uow:
        rows, next_cursor = await handlers.list_responses(
            uow, caller, service_id=service_id, customer_id=customer_id, limit=limit, cursor=cursor)
    return Page(items=[ResponseOut.model_validate(row) for row in rows], next_cursor=next_cursor)


@router.get("/responses/{response_id}", operation_id="get_response", tags=["responses"],
            response_model=ResponseOut)
async def get_response(response_id: str, caller: Caller, db: Db) -> ResponseOut:
    async with db.uow() as uow:
        row = await handlers.visible_response(uow, response_id, caller)
    return ResponseOut.model_validate(row)


@router.get("/services/{service_id}/summary", operation_id="get_service_summary",
            tags=["summaries"], response_model=ServiceSummary,
            description=SUMMARY_RULES + " `by_segment` lists the segments that answered; `trend` "
                        "has one point per calendar month (UTC) of the window, ascending.")
async def get_service_summary(service_id: str, caller: Caller, db: Db, at: Now,
                              window_days: WindowDays = 90) -> ServiceSummary:
    async with db.uow() as uow:
        summary = await handlers.service_summary(uow, service_id, window_days, at)
    return ServiceSummary.model_validate(summary)


@router.get("/summary", operation_id="get_portfolio_summary", tags=["summaries"],
            response_model=PortfolioSummary,
            description="Every known service's headline numbers side by side, in name order. "
                        + SUMMARY_RULES + " `segment` counts only that segment's responses.")
async def get_portfolio_summary(caller: Caller, db: Db, at: Now, segment: Segment | None = None,
                                function_code: Annotated[str | None, Query(max_length=64)] = None,
                                window_days: WindowDays = 90) -> PortfolioSummary:
    async with db.uow() as uow:
        summary = await handlers.portfolio_summary(
            uow, segment=segment, function_code=function_code, window_days=window_days, now=at)
    return PortfolioSummary.model_validate(summary)


@router.get("/alerts", operation_id="list_alerts", tags=["alerts"], response_model=Page[AlertOut])
async def list_alerts(caller: Caller, db: Db, at: Now, days: OverdueDays,
                      status: AlertStatus | None = None, service_id: Uuid | None = None,
                      customer_id: Uuid | None = None, overdue: bool | None = None,
                      limit: Limit = 50, cursor: Cursor = None) -> Page[AlertOut]:
    where = handlers.AlertFilter(status=status, service_id=service_id, customer_id=customer_id,
                                 overdue=overdue)
    async with db.uow() as uow:
        rows, next_cursor = await handlers.list_alerts(uow, where, at, days, limit, cursor)
    return Page(items=[AlertOut.of(row, at, days) for row in rows], next_cursor=next_cursor)


@router.get("/alerts/{alert_id}", operation_id="get_alert", tags=["alerts"], response_model=AlertOut)
async def get_alert(alert_id: str, caller: Caller, db: Db, at: Now,
                    days: OverdueDays) -> JSONResponse:
    async with db.uow() as uow:
        row = await handlers.get_alert(uow, alert_id)
    return resource_response(AlertOut.of(row, at, days), row.version)


@router.post("/alerts/{alert_id}/assign", operation_id="assign_alert", tags=["alerts"],
             response_model=AlertOut)
async def assign_alert(alert_id: str, body: AlertAssign, caller: Caller, db: Db, at: Now,
                       days: OverdueDays, if_match: IfMatch = None) -> JSONResponse:
    async with db.uow() as uow:
        row = await handlers.assign_alert(uow, alert_id, body, if_match, caller, at)
    return resource_response(AlertOut.of(row, at, days), row.version)


@router.post("/alerts/{alert_id}/resolve", operation_id="resolve_alert", tags=["alerts"],
             response_model=AlertOut, description="Resolving an already resolved alert is 409.")
async def resolve_alert(alert_id: str, body: AlertResolve, caller: Caller, db: Db, at: Now,
                        days: OverdueDays, if_match: IfMatch = None) -> JSONResponse:
    async with db.uow() as uow:
        row = await handlers.resolve_alert(uow, alert_id, body, if_match, caller, at)
    return resource_response(AlertOut.of(row, at, days), row.version)


@router.get("/surveys/pending", operation_id="list_pending_surveys", tags=["surveys"],
            response_model=Page[SurveyOut],
            description="Delivered demands still waiting for their customer's rating.")
async def list_pending_surveys(caller: Caller, db: Db, customer_id: Uuid | None = None,
                               service_id: Uuid | None = None, limit: Limit = 50,
                               cursor: Cursor = None) -> Page[SurveyOut]:
    async with db.uow() as uow:
        rows, next_cursor = await handlers.list_pending_surveys(
            uow, caller, customer_id=customer_id, service_id=service_id, limit=limit, cursor=cursor)
    return Page(items=[SurveyOut.model_validate(row) for row in rows], next_cursor=next_cursor)
