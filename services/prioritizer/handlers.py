"""prioritizer's use cases: read models from events, rescoring what they touch, policy changes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from services.prioritizer import events
from services.prioritizer.domain import (
    DEFAULT_SEGMENT_WEIGHTS,
    DEFAULT_WEIGHTS,
    OPEN_STATUSES,
    policy_problems,
)
from services.prioritizer.models import (
    CustomerView,
    DemandView,
    EndorsementView,
    PolicyRow,
    ScoreChangeRow,
    ServiceFeedbackView,
)
from services.prioritizer.ranking import score_customer_items
from services.prioritizer.scoring import Backer, DemandInput, Policy, ServiceSatisfaction
from shared.db import UnitOfWork, utcnow
from shared.errors import Unprocessable


@dataclass(frozen=True)
class Cause:
    """Why scores are being recomputed: the event (or policy change) and its moment."""

    event_id: str | None
    event_type: str
    at: datetime


async def current_policy(uow: UnitOfWork) -> Policy:
    row = await uow.session.scalar(select(PolicyRow).order_by(PolicyRow.version.desc()).limit(1))
    if row is None:
        return Policy(1, dict(DEFAULT_WEIGHTS), dict(DEFAULT_SEGMENT_WEIGHTS))
    return Policy(row.version, row.weights, row.segment_weights)


async def ensure_default_policy(uow: UnitOfWork) -> None:
    """Version 1 is the documented default; written once so history starts somewhere."""
    if await uow.session.scalar(select(func.count()).select_from(PolicyRow)):
        return
    uow.session.add(PolicyRow(version=1, weights=dict(DEFAULT_WEIGHTS),
                              segment_weights=dict(DEFAULT_SEGMENT_WEIGHTS), changed_by="system",
                              reason="default policy", created_at=utcnow()))
    await uow.commit()


async def rescore_customers(uow: UnitOfWork, customer_ids: Iterable[str], cause: Cause,
                            policy: Policy | None = None) -> int:
    """Rescores the open items of these customers; returns how many scores changed."""
    customer_ids = set(customer_ids)
    if not customer_ids:
        return 0
    policy = policy or await current_policy(uow)
    demands = list(await uow.session.scalars(
        select(DemandView).where(DemandView.customer_id.in_(customer_ids), DemandView.is_open)))
    customers = await _customers_behind(uow, demands)
    satisfaction = await _satisfaction(uow, {d.service_id for d in demands if d.service_id})
    by_customer: dict[str, list[DemandView]] = {}
    for demand in demands:
        by_customer.setdefault(demand.customer_id, []).append(demand)
    changed = 0
    for rows in by_customer.values():
        inputs = [_input(row, customers, satisfaction) for row in rows]
        as_of = {row.id: max(cause.at, row.submitted_at) for row in rows}
        rows_by_id = {row.id: row for row in rows}
        for ranked in score_customer_items(inputs, policy, as_of):
            row = rows_by_id[ranked.demand_id]
            row.segment = customers[row.customer_id].segment if row.customer_id in customers else None
            changed += _record_score(uow, row, ranked.score, cause)
    return changed


def _record_score(uow: UnitOfWork, row: DemandView, score, cause: Cause) -> int:
    """Stores a new score with its trail and event; an unchanged score leaves no trace."""
    explanation = score.as_dict()
    if row.score_version and row.score == score.score and row.explanation == explanation:
        return 0
    previous = row.score if row.score_version else None
    row.score, row.explanation, row.scored_at = score.score, explanation, cause.at
    row.score_version += 1
    uow.session.add(ScoreChangeRow(demand_id=row.id, previous_score=previous, score=score.score,
                                   policy_version=score.policy_version, cause_event_id=cause.event_id,
                                   cause_type=cause.event_type, at=cause.at))
    uow.publish(events.reprioritized(row, previous, cause.event_id, cause.event_type))
    return 1


def _input(row: DemandView, customers: dict[str, CustomerView],
           satisfaction: dict[str, ServiceSatisfaction]) -> DemandInput:
    return DemandInput(
        demand_id=row.id, kind=row.kind, function_code=row.function_code, severity=row.severity,
        urgency=row.urgency, reach=row.reach, effort_estimate=row.effort_estimate,
        submitted_at=row.submitted_at, requester=_backer(row.customer_id, customers),
        endorsers=tuple(_backer(cid, customers) for cid in row.endorsed_by if cid != row.customer_id),
        satisfaction=satisfaction.get(row.service_id) if row.service_id else None)


def _backer(customer_id: str, customers: dict[str, CustomerView]) -> Backer:
    """A customer not heard of yet scores neutral; its registration event rescores it later."""
    customer = customers.get(customer_id)
    if customer is None:
        return Backer(customer_id, None, None, None)
    return Backer(customer_id, customer.segment, customer.strategic_importance, customer.maturity)


async def _customers_behind(uow: UnitOfWork, demands: list[DemandView]) -> dict[str, CustomerView]:
    ids = {d.customer_id for d in demands} | {cid for d in demands for cid in d.endorsed_by}
    if not ids:
        return {}
    rows = await uow.session.scalars(select(CustomerView).where(CustomerView.id.in_(ids)))
    return {row.id: row for row in rows}


async def _satisfaction(uow: UnitOfWork, service_ids: set[str]) -> dict[str, ServiceSatisfaction]:
    if not service_ids:
        return {}
    rows = await uow.session.scalars(
        select(ServiceFeedbackView).where(ServiceFeedbackView.service_id.in_(service_ids)))
    return {row.service_id: ServiceSatisfaction(row.responses, row.csat_sum / row.responses,
                                                row.perceived_value_sum / row.responses)
            for row in rows if row.responses}


async def customers_to_rescore_for(uow: UnitOfWork, customer_id: str) -> set[str]:
    """A customer's change moves its own items and every item it endorsed."""
    endorsed = select(DemandView.customer_id).join(
        EndorsementView, EndorsementView.demand_id == DemandView.id).where(
        EndorsementView.customer_id == customer_id, DemandView.is_open)
    return {customer_id, *await uow.session.scalars(endorsed)}


async def customers_with_open_demand_on(uow: UnitOfWork, service_id: str) -> set[str]:
    query = select(DemandView.customer_id).where(DemandView.service_id == service_id,
                                                 DemandView.is_open).distinct()
    return set(await uow.session.scalars(query))


async def all_customers_with_open_demand(uow: UnitOfWork) -> set[str]:
    return set(await uow.session.scalars(
        select(DemandView.customer_id).where(DemandView.is_open).distinct()))


def is_open(status: str) -> bool:
    return status in OPEN_STATUSES


async def change_policy(uow: UnitOfWork, update, actor: str) -> PolicyRow:
    """A new policy version; every open item is rescored under it in the same transaction."""
    current = await current_policy(uow)
    problems = policy_problems(update.weights, update.segment_weights)
    if problems:
        field, message = problems[0]
        raise Unprocessable(message, field, errors=[{"loc": ["body", *f.split(".")], "msg": m}
                                                    for f, m in problems])
    row = PolicyRow(version=current.version + 1, weights={**current.weights, **update.weights},
                    segment_weights={**current.segment_weights, **update.segment_weights},
                    changed_by=actor, reason=update.reason, created_at=utcnow())
    uow.session.add(row)
    await uow.session.flush()
    policy = Policy(row.version, row.weights, row.segment_weights)
    cause = Cause(None, "policy.changed", row.created_at)
    await rescore_customers(uow, await all_customers_with_open_demand(uow), cause, policy)
    await uow.commit(result=row)
    return row
