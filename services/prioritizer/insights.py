"""The prioritizer's read side beyond the ranking: demand groups, segment coverage, policy
sensitivity, what would move one item, and recommendations. Queries here; rules in pure modules."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, and_, func, or_, select

from services.prioritizer import explain, explanations, grouping, groups, inputs, roadmap, views
from services.prioritizer.domain import Segment
from services.prioritizer.models import DemandView, EndorsementView, RecommendationRow
from services.prioritizer.scoring import Policy
from services.prioritizer.sensitivity import StoredItem, sensitivity
from shared.auth import Principal
from shared.db import UnitOfWork
from shared.errors import Forbidden, NotFound, Unprocessable
from shared.http import decode_cursor, encode_cursor

BEST_PER_SEGMENT = 3
MEMBERS_SHOWN = 50
_RANKED = (DemandView.is_open, DemandView.score_version > 0)


async def demand_groups_page(uow: UnitOfWork, actor: Principal, limit: int, cursor: str | None,
                             min_customers: int, function_code: str | None,
                             service_id: str | None) -> tuple[list[dict], str | None]:
    """Groups of open demand by id; `min_customers` counts distinct customers who raised a member."""
    query = (select(DemandView.group_id).where(DemandView.is_open, DemandView.group_id.is_not(None))
             .group_by(DemandView.group_id)
             .having(func.count(DemandView.customer_id.distinct()) >= min_customers))
    for column, value in ((DemandView.function_code, function_code),
                          (DemandView.service_id, service_id)):
        if value is not None:
            query = query.where(column == value)
    if actor.is_customer_only:
        query = query.where(DemandView.group_id.in_(select(DemandView.group_id).where(
            DemandView.customer_id == actor.customer_id, DemandView.is_open)))
    if cursor:
        query = query.where(DemandView.group_id > str(decode_cursor(cursor, 1)[0]))
    ids = list(await uow.session.scalars(query.order_by(DemandView.group_id).limit(limit + 1)))
    members = await groups.group_members(uow, ids[:limit])
    items = [await _group(uow, actor, gid, members.get(gid, [])) for gid in ids[:limit]]
    return items, (encode_cursor([ids[limit - 1]]) if len(ids) > limit else None)


async def _group(uow: UnitOfWork, actor: Principal, group_id: str, members: list[DemandView]) -> dict:
    backers = sorted({m.customer_id for m in members} | {c for m in members for c in m.endorsed_by})
    customers = await inputs.customers_by_id(uow, backers)
    segments = sorted({c.segment for c in customers.values()})
    shown = [m for m in members if actor.may_see_customer(m.customer_id)]
    services = {m.service_id for m in members}
    return {
        "group_id": group_id, "label": (shown or members)[0].title if members else "",
        "keywords": grouping.keywords(m.terms for m in members),
        "function_code": next(iter({m.function_code for m in members}), None)
        if len({m.function_code for m in members}) == 1 else None,
        "service_id": next(iter(services)) if len(services) == 1 else None,
        "member_count": len(members),
        "members": [{"demand_id": m.id, "title": m.title, "customer_id": m.customer_id,
                     "segment": m.segment, "status": m.status, "score": m.score,
                     "endorsements": len(m.endorsed_by)} for m in shown[:MEMBERS_SHOWN]],
        "customers": [c for c in backers if actor.may_see_customer(c)],
        "customer_count": len(backers), "segments": segments,
        "endorsements": sum(len(m.endorsed_by) for m in members),
    }


async def coverage(uow: UnitOfWork, top_n: int) -> dict[str, Any]:
    """Per segment: its best-ranked open needs, how many sit in the top N, and whether none does."""
    cut = (await uow.session.execute(
        select(DemandView.score, DemandView.id).where(*_RANKED)
        .order_by(DemandView.score.desc(), DemandView.id).offset(top_n - 1).limit(1))).first()
    segments = [await _segment_coverage(uow, segment.value, cut) for segment in Segment]
    return {"top_n": top_n, "threshold_score": cut[0] if cut else None, "segments": segments,
            "starved_segments": [s["segment"] for s in segments if s["starved"]]}


async def _segment_coverage(uow: UnitOfWork, segment: str, cut) -> dict[str, Any]:
    mine = (*_RANKED, DemandView.segment == segment)
    open_needs = int(await uow.session.scalar(select(func.count()).where(*mine)) or 0)
    within = True if cut is None else or_(
        DemandView.score > cut[0], and_(DemandView.score == cut[0], DemandView.id <= cut[1]))
    in_top = int(await uow.session.scalar(select(func.count()).where(*mine, within)) or 0)
    best = list(await uow.session.scalars(select(DemandView).where(*mine)
                                          .order_by(DemandView.score.desc(), DemandView.id)
                                          .limit(BEST_PER_SEGMENT)))
    needs = [{"demand_id": row.id, "title": row.title, "customer_id": row.customer_id,
              "status": row.status, "score": row.score, "rank": await views.global_rank(uow, row)}
             for row in best]
    return {"segment": segment, "open_needs": open_needs, "in_top_n": in_top,
            "best_rank": needs[0]["rank"] if needs else None, "needs": needs,
            "starved": open_needs > 0 and in_top == 0}


async def policy_sensitivity(uow: UnitOfWork, policy: Policy, top_n: int) -> dict[str, Any]:
    rows = (await uow.session.execute(
        select(DemandView.id, DemandView.customer_id, DemandView.submitted_at,
               DemandView.explanation).where(*_RANKED))).all()
    lookup = await explanations.load(uow.session, [row.explanation for row in rows])
    items = [StoredItem(demand_id, customer_id, submitted_at,
                        {f.name: f.value for f in explanations.factors(explanation, lookup)})
             for demand_id, customer_id, submitted_at, explanation in rows]
    return {"policy_version": policy.version, **sensitivity(items, policy.weights, top_n)}


async def move_it(uow: UnitOfWork, row: DemandView | Row, policy: Policy,
                  target_rank: int) -> dict | None:
    """What would lift an open item into the top `target_rank`, every other item held as it is."""
    if not row.is_open:
        return None
    own = list(await uow.session.scalars(select(DemandView).where(
        DemandView.customer_id == row.customer_id, DemandView.is_open)))
    context = await inputs.load_context(uow, own)
    own_items = [inputs.demand_input(demand, context) for demand in own]
    as_of = {demand.id: demand.scored_at for demand in own}
    others = list(await uow.session.scalars(
        select(DemandView.score).where(*_RANKED, DemandView.id != row.id)
        .order_by(DemandView.score.desc(), DemandView.id).limit(target_rank)))
    answer = explain.what_would_move_it(row.id, own_items, policy, as_of, others, target_rank)
    answer["rank"] = await views.global_rank(uow, row)
    return answer


async def recommendations_page(uow: UnitOfWork, limit: int, cursor: str | None,
                               action: str | None, service_id: str | None
                               ) -> tuple[list[RecommendationRow], str | None]:
    query = select(RecommendationRow)
    if action is not None:
        query = query.where(RecommendationRow.action == action)
    if service_id is not None:
        query = query.where(RecommendationRow.service_id == service_id)
    if cursor:
        query = query.where(RecommendationRow.id > str(decode_cursor(cursor, 1)[0]))
    rows = list(await uow.session.scalars(query.order_by(RecommendationRow.id).limit(limit + 1)))
    return rows[:limit], (encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None)


async def roadmap_for(uow: UnitOfWork, actor: Principal, customer_id: str | None,
                      segment: str | None, capacity_days: int, limit: int,
                      cursor: str | None) -> dict[str, Any]:
    """now/next/later for a customer (the open needs it raised or endorsed) or a segment; `later`,
    the part that grows, is paged by `limit` and `cursor`."""
    customer_id, segment = _roadmap_subject(actor, customer_id, segment)
    if customer_id is not None:
        endorsed = select(EndorsementView.demand_id).where(EndorsementView.customer_id == customer_id)
        where = or_(DemandView.customer_id == customer_id, DemandView.id.in_(endorsed))
    else:
        where = DemandView.segment == segment
    rows = list(await uow.session.scalars(select(DemandView).where(*_RANKED, where)))
    lookup = await explanations.load(uow.session, [row.explanation for row in rows])
    items = [roadmap.RoadmapItem(row.id, row.title, row.customer_id, row.score,
                                 _pain(row, lookup), row.effort_estimate) for row in rows]
    plan = roadmap.plan(items, capacity_days)
    start = _offset(cursor)
    later = plan["later"]
    return {"customer_id": customer_id, "segment": segment, "capacity_days": capacity_days,
            "quick_win_days": roadmap.QUICK_WIN_DAYS,
            "default_effort_days": roadmap.DEFAULT_EFFORT_DAYS,
            "now": plan["now"], "next": plan["next"], "later": later[start:start + limit],
            "later_total": len(later),
            "next_cursor": encode_cursor([start + limit]) if start + limit < len(later) else None}


def _roadmap_subject(actor: Principal, customer_id: str | None,
                     segment: str | None) -> tuple[str | None, str | None]:
    if actor.is_customer_only:
        if segment is not None:
            raise Forbidden("a customer reads its own roadmap, not a segment's")
        if customer_id not in (None, actor.customer_id):
            raise NotFound(f"customer {customer_id} not found")
        return actor.customer_id, None
    if (customer_id is None) == (segment is None):
        raise Unprocessable("name exactly one of customer_id and segment", "customer_id",
                            where="query")
    return customer_id, segment


def _pain(row: DemandView, lookup: explanations.Lookup) -> float:
    return next((f.value for f in explanations.factors(row.explanation, lookup)
                 if f.name == "pain"), 0.0)


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    value = decode_cursor(cursor, 1)[0]
    if not isinstance(value, int) or value < 0:
        raise Unprocessable("cursor is not one this API issued", "cursor", where="query")
    return value
