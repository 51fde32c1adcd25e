"""prioritizer's read side: the ranking, one item's explanation, score and policy history."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Row, and_, bindparam, func, or_, select

from services.prioritizer import explanations
from services.prioritizer.explain import largest_customer_share
from services.prioritizer.models import DEMAND_COLUMNS, DemandView, PolicyRow, ScoreChangeRow
from services.prioritizer.ranking import top_contributor_share
from services.prioritizer.scoring import Score
from shared.auth import Principal
from shared.db import UnitOfWork
from shared.errors import NotFound, Unprocessable
from shared.http import decode_cursor, encode_cursor


@dataclass(frozen=True)
class RankingFilter:
    segment: str | None = None
    function_code: str | None = None
    service_id: str | None = None
    status: str | None = None


def stored_score(row: DemandView | Row, lookup: explanations.Lookup) -> Score:
    return Score(row.score, explanations.factors(row.explanation, lookup),
                 row.explanation["policy_version"])


def ranking_item(row: DemandView | Row, rank: int, lookup: explanations.Lookup, *,
                 explained: bool = False) -> dict:
    """`lookup`: what explanations.load read for the row's stored explanation."""
    score = stored_score(row, lookup)
    keys = ("name", "value", "weight", "contribution") + (("inputs", "explanation") if explained else ())
    return {"rank": rank, "demand_id": row.id, "title": row.title, "customer_id": row.customer_id,
            "segment": row.segment, "status": row.status, "score": row.score,
            "policy_version": score.policy_version, "scored_at": row.scored_at,
            "factors": [{key: getattr(factor, key) for key in keys} for factor in score.factors],
            "top_contributor_share": top_contributor_share(score),
            "largest_customer_share": largest_customer_share(score.factors, row.customer_id),
            "group_id": row.group_id}


async def ranking_page(uow: UnitOfWork, actor: Principal, where: RankingFilter, limit: int,
                       cursor: str | None) -> tuple[list[dict], str | None]:
    """Open demand by score, highest first; `rank` is the position in the list as filtered."""
    query = select(DemandView).where(DemandView.is_open, DemandView.score_version > 0)
    if actor.is_customer_only:
        query = query.where(DemandView.customer_id == actor.customer_id)
    for column, value in ((DemandView.segment, where.segment),
                          (DemandView.function_code, where.function_code),
                          (DemandView.service_id, where.service_id), (DemandView.status, where.status)):
        if value is not None:
            query = query.where(column == value)
    offset = 0
    if cursor:
        after_score, after_id, offset = decode_cursor(cursor, 3, shape=(float, str, int))
        _check_cursor(isinstance(after_score, (int, float)) and abs(after_score) < 1e9
                      and isinstance(after_id, str) and _small_int(offset))
        query = query.where(or_(DemandView.score < after_score,
                                and_(DemandView.score == after_score, DemandView.id > after_id)))
    rows = list(await uow.session.scalars(
        query.order_by(DemandView.score.desc(), DemandView.id).limit(limit + 1)))
    lookup = await explanations.load(uow.session, [row.explanation for row in rows[:limit]])
    items = [ranking_item(row, offset + index, lookup)
             for index, row in enumerate(rows[:limit], start=1)]
    if len(rows) <= limit:
        return items, None
    last = rows[limit - 1]
    return items, encode_cursor([last.score, last.id, offset + limit])


async def explained_item(uow: UnitOfWork, actor: Principal, demand_id: str) -> dict:
    row = await visible_demand(uow, actor, demand_id)
    rank = await global_rank(uow, row) if row.is_open else None
    lookup = await explanations.load(uow.session, [row.explanation])
    return ranking_item(row, rank, lookup, explained=True)


async def visible_demand(uow: UnitOfWork, actor: Principal, demand_id: str) -> Row:
    """One demand's row as stored, for reading (a row, not a mapped object: the ORM's get cost
    ~150 µs more, on every read of one ranked item)."""
    row = (await uow.session.execute(_DEMAND_BY_ID, {"demand_id": demand_id})).first()
    if row is None or row.score_version == 0 or not actor.may_see_customer(row.customer_id):
        raise NotFound(f"demand {demand_id} is not ranked")
    return row


_DEMAND_BY_ID = select(*DEMAND_COLUMNS).where(DEMAND_COLUMNS.id == bindparam("demand_id"))


async def global_rank(uow: UnitOfWork, row: DemandView | Row) -> int:
    ahead = await uow.session.scalar(select(func.count()).select_from(DemandView).where(
        DemandView.is_open, DemandView.score_version > 0,
        or_(DemandView.score > row.score, and_(DemandView.score == row.score, DemandView.id < row.id))))
    return int(ahead or 0) + 1


async def score_history(uow: UnitOfWork, actor: Principal, demand_id: str, limit: int,
                        cursor: str | None) -> tuple[list[ScoreChangeRow], str | None]:
    """A demand's score changes, oldest first; the trail is append-only, so ids page it."""
    await visible_demand(uow, actor, demand_id)
    after = decode_cursor(cursor, 1, shape=(int,))[0] if cursor else 0
    _check_cursor(_small_int(after))
    query = (select(ScoreChangeRow).where(ScoreChangeRow.demand_id == demand_id,
                                          ScoreChangeRow.id > after)
             .order_by(ScoreChangeRow.id).limit(limit + 1))
    rows = list(await uow.session.scalars(query))
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], encode_cursor([rows[limit - 1].id])


async def policy_history(uow: UnitOfWork) -> list[PolicyRow]:
    return list(await uow.session.scalars(select(PolicyRow).order_by(PolicyRow.version)))


async def current_policy_row(uow: UnitOfWork) -> PolicyRow:
    return await uow.session.scalar(select(PolicyRow).order_by(PolicyRow.version.desc()).limit(1))


async def changes_after(uow: UnitOfWork, last_id: int, limit: int = 500) -> list[ScoreChangeRow]:
    query = select(ScoreChangeRow).where(ScoreChangeRow.id > last_id).order_by(ScoreChangeRow.id)
    return list(await uow.session.scalars(query.limit(limit)))


async def last_change_id(uow: UnitOfWork) -> int:
    return int(await uow.session.scalar(select(func.max(ScoreChangeRow.id))) or 0)


def _small_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2 ** 63


def _check_cursor(sound: bool) -> None:
    """A cursor that decodes but does not hold what this API puts in one (a database would choke)."""
    if not sound:
        raise Unprocessable("cursor is not one this API issued", "cursor", where="query")
