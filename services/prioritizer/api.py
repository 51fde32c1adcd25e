"""prioritizer's routes: parse, authorize, call a handler or a view, shape the answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from services.prioritizer import handlers, insights, rescoring, views
from services.prioritizer.domain import Segment
from services.prioritizer.recommendations import ACTIONS
from services.prioritizer.schemas import (
    CoverageOut,
    DemandGroupOut,
    PolicyOut,
    PolicyUpdate,
    RankingDetail,
    RankingItem,
    RankingPage,
    RecommendationOut,
    RoadmapOut,
    ScoreChangeOut,
    SensitivityOut,
)
from shared.auth import EVERYONE, Role
from shared.deps import Caller, Db
from shared.http import Cursor, Limit, resource_response
from shared.schemas import Page

_A, _N, _V, _C = Role.PMO_ADMIN, Role.PMO_ANALYST, Role.VIEWER, Role.CUSTOMER

ACCESS = {
    "list_rankings": EVERYONE,
    "get_ranking": EVERYONE,
    "get_ranking_history": EVERYONE,
    "stream_rankings": frozenset({_A, _N, _V}),
    "get_policy": EVERYONE,
    "update_policy": frozenset({_A}),
    "list_policy_history": frozenset({_A, _N, _V}),
    "get_policy_sensitivity": frozenset({_A, _N, _V}),
    "list_demand_groups": frozenset({_A, _N, _V, _C}),
    "get_coverage": frozenset({_A, _N, _V}),
    "list_recommendations": frozenset({_A, _N, _V}),
    "get_roadmap": frozenset({_A, _N, _V, _C}),
}

router = APIRouter()
OpenStatus = Annotated[str | None, Query(pattern="^(submitted|triaged|planned)$")]
Uuid = Annotated[str | None, Query(pattern=r"^[0-9a-fA-F-]{36}$")]
TopN = Annotated[int, Query(ge=1, le=200, description="Size of the top of the ranking, 1..200")]
Action = Annotated[str | None, Query(pattern="^(" + "|".join(ACTIONS) + ")$")]


@router.get("/rankings", operation_id="list_rankings", tags=["rankings"], response_model=RankingPage)
async def list_rankings(caller: Caller, db: Db, limit: Limit = 50, cursor: Cursor = None,
                        segment: Segment | None = None,
                        function_code: Annotated[str | None, Query(max_length=64)] = None,
                        service_id: Uuid = None, status: OpenStatus = None) -> RankingPage:
    where = views.RankingFilter(segment=segment, function_code=function_code,
                                service_id=service_id, status=status)
    async with db.uow() as uow:
        items, next_cursor = await views.ranking_page(uow, caller, where, limit, cursor)
        policy = await rescoring.current_policy(uow)
    return RankingPage(items=[RankingItem.model_validate(item) for item in items],
                       next_cursor=next_cursor, policy_version=policy.version)


@router.get("/rankings/stream", operation_id="stream_rankings", tags=["rankings"],
            response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "One `score_changed` event per changed score"}})
async def stream_rankings(request: Request, caller: Caller,
                          last_event_id: Annotated[int, Header(alias="Last-Event-ID", ge=0, le=2**31 - 1)] = None
                          ) -> StreamingResponse:
    return request.app.state.runtime.extras["stream"].response(last_event_id)


@router.get("/rankings/{demand_id}", operation_id="get_ranking", tags=["rankings"],
            response_model=RankingDetail)
async def get_ranking(demand_id: str, caller: Caller, db: Db, target_rank: TopN = 10) -> RankingDetail:
    async with db.uow() as uow:
        item = await views.explained_item(uow, caller, demand_id)
        row = await views.visible_demand(uow, caller, demand_id)
        policy = await rescoring.current_policy(uow)
        item["what_would_move_it"] = await insights.move_it(uow, row, policy, target_rank)
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


@router.get("/policy/sensitivity", operation_id="get_policy_sensitivity", tags=["policy"],
            response_model=SensitivityOut)
async def get_policy_sensitivity(caller: Caller, db: Db, top_n: TopN = 10) -> SensitivityOut:
    """How the top N changes when each weight moves ±10%, from stored factor values; nothing is rewritten."""
    async with db.uow() as uow:
        policy = await rescoring.current_policy(uow)
        report = await insights.policy_sensitivity(uow, policy, top_n)
    return SensitivityOut.model_validate(report)


@router.get("/demand-groups", operation_id="list_demand_groups", tags=["rankings"],
            response_model=Page[DemandGroupOut])
async def list_demand_groups(caller: Caller, db: Db, limit: Limit = 50, cursor: Cursor = None,
                             min_customers: Annotated[int, Query(ge=1, le=100)] = 2,
                             function_code: Annotated[str | None, Query(max_length=64)] = None,
                             service_id: Uuid = None) -> Page[DemandGroupOut]:
    """Open demands detected as the same need; a customer sees the groups it has a member in."""
    async with db.uow() as uow:
        items, next_cursor = await insights.demand_groups_page(
            uow, caller, limit, cursor, min_customers, function_code, service_id)
    return Page(items=[DemandGroupOut.model_validate(item) for item in items], next_cursor=next_cursor)


@router.get("/coverage", operation_id="get_coverage", tags=["rankings"], response_model=CoverageOut)
async def get_coverage(caller: Caller, db: Db, top_n: TopN = 10) -> CoverageOut:
    """Per segment, its best-ranked open needs; `starved` when none is in the top N."""
    async with db.uow() as uow:
        report = await insights.coverage(uow, top_n)
    return CoverageOut.model_validate(report)


@router.get("/recommendations", operation_id="list_recommendations", tags=["recommendations"],
            response_model=Page[RecommendationOut])
async def list_recommendations(caller: Caller, db: Db, limit: Limit = 50, cursor: Cursor = None,
                               action: Action = None, service_id: Uuid = None
                               ) -> Page[RecommendationOut]:
    async with db.uow() as uow:
        rows, next_cursor = await insights.recommendations_page(uow, limit, cursor, action, service_id)
    return Page(items=[RecommendationOut.model_validate(row) for row in rows], next_cursor=next_cursor)


@router.get("/roadmap", operation_id="get_roadmap", tags=["roadmap"], response_model=RoadmapOut)
async def get_roadmap(caller: Caller, db: Db, customer_id: Uuid = None, segment: Segment | None = None,
                      capacity_days: Annotated[int, Query(ge=1, le=10_000)] = 20,
                      limit: Limit = 50, cursor: Cursor = None) -> RoadmapOut:
    """now/next/later for one customer or segment; a customer gets its own roadmap only."""
    async with db.uow() as uow:
        plan = await insights.roadmap_for(uow, caller, customer_id,
                                          segment.value if segment else None, capacity_days,
                                          limit, cursor)
    return RoadmapOut.model_validate(plan)
