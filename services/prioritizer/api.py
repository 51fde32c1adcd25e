"""prioritizer's routes: parse, authorize, call a handler or a view, shape the answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from services.prioritizer import handlers, views
from services.prioritizer.domain import Segment
from services.prioritizer.schemas import (
    PolicyOut,
    PolicyUpdate,
    RankingDetail,
    RankingItem,
    RankingPage,
    ScoreChangeOut,
)
from shared.auth import EVERYONE, Role
from shared.deps import Caller, Db
from shared.http import Cursor, Limit, resource_response
from shared.schemas import Page

_A, _N, _V = Role.PMO_ADMIN, Role.PMO_ANALYST, Role.VIEWER

ACCESS = {
    "list_rankings": EVERYONE,
    "get_ranking": EVERYONE,
    "get_ranking_history": EVERYONE,
    "stream_rankings": frozenset({_A, _N, _V}),
    "get_policy": EVERYONE,
    "update_policy": frozenset({_A}),
    "list_policy_history": frozenset({_A, _N, _V}),
}

router = APIRouter()
OpenStatus = Annotated[str | None, Query(pattern="^(submitted|triaged|planned)$")]
Uuid = Annotated[str | None, Query(pattern=r"^[0-9a-fA-F-]{36}$")]



@router.get("/rankings", operation_id="list_rankings", tags=["rankings"], response_model=RankingPage)
async def list_rankings(caller: Caller, db: Db, limit: Limit = 50, cursor: Cursor = None,
                        segment: Segment | None = None,
                        function_code: Annotated[str | None, Query(max_length=64)] = None,
                        service_id: Uuid = None, status: OpenStatus = None) -> RankingPage:
    where = views.RankingFilter(segment=segment, function_code=function_code,
                                service_id=service_id, status=status)
    async with db.uow() as uow:
        items, next_cursor = await views.ranking_page(uow, caller, where, limit, cursor)
        policy = await handlers.current_policy(uow)
    return RankingPage(items=[RankingItem.model_validate(item) for item in items],
                       next_cursor=next_cursor, policy_version=policy.version)


@router.get("/rankings/stream", operation_id="stream_rankings", tags=["rankings"],
            response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "One `score_changed` event per changed score"}})
async def stream_rankings(request: Request, caller: Caller,
                          last_event_id: Annotated[int | None, Header(alias="Last-Event-ID", ge=0)] = None
                          ) -> StreamingResponse:
    stream = request.app.state.runtime.extras["stream"]
    stream.admit()
    return StreamingResponse(stream.events(last_event_id), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/rankings/{demand_id}", operation_id="get_ranking", tags=["rankings"],
            response_model=RankingDetail)
async def get_ranking(demand_id: str, caller: Caller, db: Db) -> RankingDetail:
    async with db.uow() as uow:
        item = await views.explained_item(uow, caller, demand_id)
    return RankingDetail.model_validate(item)


@router.get("/rankings/{demand_id}/history", operation_id="get_ranking_history", tags=["rankings"],
            response_model=Page[ScoreChangeOut])
async def get_ranking_history(demand_id: str, caller: Caller, db: Db, limit: Limit = 50,
                              cursor: Cursor = None) -> Page[ScoreChangeOut]:
    async with db.uow() as uow:
        rows, next_cursor = await views.score_history(uow, caller, demand_id, limit, cursor)
    return Page(items=[ScoreChangeOut.model_validate(row) for row in rows], next_cursor=next_cursor)


@router.get("/policy", operation_id="get_policy", tags=["policy"], response_model=PolicyOut)
async def get_policy(caller: Caller, db: Db) -> JSONResponse:
    async with db.uow() as uow:
        row = await views.current_policy_row(uow)
    return resource_response(PolicyOut.model_validate(row), row.version)


@router.put("/policy", operation_id="update_policy", tags=["policy"], response_model=PolicyOut)
async def update_policy(body: PolicyUpdate, caller: Caller, db: Db) -> JSONResponse:
    async with db.uow() as uow:
        row = await handlers.change_policy(uow, body, caller.sub)
    return resource_response(PolicyOut.model_validate(row), row.version)


@router.get("/policy/history", operation_id="list_policy_history", tags=["policy"],
            response_model=list[PolicyOut])
async def list_policy_history(caller: Caller, db: Db) -> list[PolicyOut]:
    async with db.uow() as uow:
        rows = await views.policy_history(uow)
    return [PolicyOut.model_validate(row) for row in rows]
