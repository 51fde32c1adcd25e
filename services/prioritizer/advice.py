"""Keeping recommendations current: recomputed when a service, its feedback or its demand changes,
stored, and published as `pmo.recommendation.changed` only when the action or rationale changes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select

from services.prioritizer import events, groups, inputs
from services.prioritizer.models import (
    DemandView,
    RecommendationRow,
    ServiceFeedbackView,
    ServiceView,
)
from services.prioritizer.recommendations import (
    COVERING_STATES,
    GroupSignals,
    Recommendation,
    ServiceSignals,
    propose_for_group,
    recommend_service,
)
from shared.db import UnitOfWork


async def refresh(uow: UnitOfWork, at: datetime, *, service_ids: Iterable[str | None] = (),
                  group_ids: Iterable[str | None] = ()) -> None:
    """Recomputes the recommendations of these services and demand groups as of `at`."""
    for service_id in sorted({sid for sid in service_ids if sid}):
        signals = await service_signals(uow, service_id)
        if signals is not None:
            await _store(uow, service_id, recommend_service(signals, at), at)
    for group_id in sorted({gid for gid in group_ids if gid}):
        signals = await group_signals(uow, group_id)
        await _store(uow, group_id, propose_for_group(signals) if signals else None, at)


async def groups_on_service(uow: UnitOfWork, service_id: str) -> set[str]:
    """Groups with an open member on this service: its lifecycle decides whether they are covered."""
    query = select(DemandView.group_id).where(DemandView.service_id == service_id,
                                              DemandView.is_open, DemandView.group_id.is_not(None))
    return set(await uow.session.scalars(query.distinct()))


async def service_signals(uow: UnitOfWork, service_id: str) -> ServiceSignals | None:
    service = await uow.session.get(ServiceView, service_id)
    if service is None:
        return None
    feedback = await uow.session.get(ServiceFeedbackView, service_id)
    demand = (await uow.session.execute(
        select(func.count(), func.count(DemandView.customer_id.distinct()))
        .where(DemandView.service_id == service_id, DemandView.is_open))).one()
    segments = await uow.session.scalars(select(DemandView.segment).where(
        DemandView.service_id == service_id, DemandView.is_open,
        DemandView.segment.is_not(None)).distinct())
    return ServiceSignals(
        service_id=service.id, name=service.name, function_code=service.function_code,
        lifecycle_state=service.lifecycle_state, state_changed_at=service.state_changed_at,
        **_feedback_averages(feedback), open_demands=int(demand[0]),
        open_demand_customers=int(demand[1]), open_demand_segments=tuple(sorted(segments)))


def _feedback_averages(row: ServiceFeedbackView | None) -> dict:
    if row is None or not row.responses:
        return {}
    return {"responses": row.responses, "csat_avg": row.csat_sum / row.responses,
            "perceived_value_avg": row.perceived_value_sum / row.responses,
            "effort_avg": _avg(row.effort_sum, row.effort_responses),
            "mature_responses": row.mature_responses,
            "mature_perceived_value_avg": _avg(row.mature_perceived_value_sum, row.mature_responses),
            "mature_effort_avg": _avg(row.mature_effort_sum, row.mature_effort_responses)}


def _avg(total: int, count: int) -> float | None:
    return total / count if count else None


async def group_signals(uow: UnitOfWork, group_id: str) -> GroupSignals | None:
    members = (await groups.group_members(uow, [group_id])).get(group_id, [])
    if len(members) < 2:
        return None
    backers = {m.customer_id for m in members} | {cid for m in members for cid in m.endorsed_by}
    customers = await inputs.customers_by_id(uow, backers)
    service_ids = tuple(sorted({m.service_id for m in members if m.service_id}))
    covering = []
    for service_id in service_ids:
        service = await uow.session.get(ServiceView, service_id)
        if service is not None and service.lifecycle_state in COVERING_STATES:
            covering.append(service_id)
    functions = sorted({m.function_code for m in members if m.function_code})
    return GroupSignals(
        group_id=group_id, label=members[0].title,
        function_code=functions[0] if len(functions) == 1 else None, members=len(members),
        customers=len(backers), segments=tuple(sorted({c.segment for c in customers.values()})),
        service_ids=service_ids, covering_services=tuple(covering))


async def _store(uow: UnitOfWork, subject_id: str, advice: Recommendation | None, at: datetime) -> None:
    row = await uow.session.get(RecommendationRow, subject_id)
    if advice is None:
        if row is not None:
            row.version += 1
            row.updated_at = at
            uow.publish(events.recommendation_changed(row, row.action, withdrawn=True))
            await uow.session.delete(row)
        return
    if row is not None and (row.action, row.rationale) == (advice.action, advice.rationale):
        row.signals = advice.signals  # fresher numbers, same advice: nothing to announce
        return
    previous = row.action if row is not None else None
    if row is None:
        row = RecommendationRow(id=subject_id, version=0)
        uow.session.add(row)
    row.subject_kind, row.service_id = advice.subject_kind, advice.service_id
    row.action, row.rationale, row.signals = advice.action, advice.rationale, advice.signals
    row.version += 1
    row.updated_at = at
    uow.publish(events.recommendation_changed(row, previous))
