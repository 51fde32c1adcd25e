"""prioritizer's use cases beyond rescoring itself (rescoring.py): which customers a change
reaches, the policy and its changes."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import func, select

from services.prioritizer import explanations, groups, inputs
from services.prioritizer.domain import (
    DEFAULT_SEGMENT_WEIGHTS,
    DEFAULT_WEIGHTS,
    OPEN_STATUSES,
    policy_problems,
)
from services.prioritizer.models import DEMAND_COLUMNS, ENDORSEMENT_COLUMNS, DemandView, PolicyRow
from services.prioritizer.rescoring import Cause, current_policy, rescore_everything
from services.prioritizer.scoring import Policy, repeat_demand
from shared.db import UnitOfWork, for_ids, ids_param, utcnow
from shared.errors import Unprocessable

_DEMANDS, _ENDORSEMENTS = DEMAND_COLUMNS, ENDORSEMENT_COLUMNS  # on the tables: see models.py


async def ensure_default_policy(uow: UnitOfWork) -> None:
    """Version 1 is the documented default; written once so history starts somewhere."""
    if await uow.session.scalar(select(func.count()).select_from(PolicyRow)):
        return
    uow.session.add(PolicyRow(version=1, weights=dict(DEFAULT_WEIGHTS),
                              segment_weights=dict(DEFAULT_SEGMENT_WEIGHTS), changed_by="system",
                              reason="default policy", created_at=utcnow()))
    await uow.commit()


async def customers_to_rescore_for(uow: UnitOfWork, customer_ids: Collection[str]) -> set[str]:
    """A customer's change moves its own items and the items it endorsed, and the open items
    similar to either whose repeat demand counts this customer's segment."""
    found, backed = set(customer_ids), set()
    asked = sorted(found)
    # Each lookup by its own index (the customers' open items; what they endorsed, by key): one
    # query with an OR of the two made SQLite walk every open demand, seconds at a million.
    for query in (_OPEN_ITEMS_OF_CUSTOMERS, _ITEMS_ENDORSED_BY_CUSTOMERS):
        for demand_id, owner, is_open in await for_ids(uow.session, query, asked):
            if is_open:
                backed.add(demand_id)
                found.add(owner)
    near_ids = [other for others in (await groups.neighbours_of(uow, backed)).values()
                for other in others]
    return found | await customers_whose_repeat_demand_moved(uow, near_ids)


_OPEN_ITEMS_OF_CUSTOMERS = select(_DEMANDS.id, _DEMANDS.customer_id, _DEMANDS.is_open).where(
    _DEMANDS.customer_id.in_(ids_param()), _DEMANDS.is_open)
_ITEMS_ENDORSED_BY_CUSTOMERS = select(_DEMANDS.id, _DEMANDS.customer_id, _DEMANDS.is_open).where(
    _DEMANDS.id.in_(select(_ENDORSEMENTS.demand_id).where(
        _ENDORSEMENTS.customer_id.in_(ids_param()))))


async def customers_whose_repeat_demand_moved(uow: UnitOfWork, demand_ids: Iterable[str]) -> set[str]:
    """Of these open demands, the customers of those whose repeat-demand factor (the customers
    and segments behind the need, and whether similar open demand counts in it) no longer reads
    as its stored explanation: only they need a rescore when a similar demand or one of its
    backers changed. Whole: a similar demand of the same customer changes no count, only the
    sentence, and a demand event would not reread an item its change did not move."""
    rows = await inputs.open_demands(uow, demand_ids)
    context = await inputs.load_context(uow, rows)
    lookup = await explanations.load(uow.session, [row.explanation or {} for row in rows])
    moved = set()
    for row in rows:
        _, fresh_inputs, fresh_sentence = repeat_demand(inputs.demand_input(row, context))
        stored = next((f for f in explanations.factors(row.explanation or {}, lookup)
                       if f.name == "repeat_demand"), None)
        if stored is None or stored.inputs != fresh_inputs or stored.explanation != fresh_sentence:
            moved.add(row.customer_id)
    return moved


async def customers_with_open_demand_on(uow: UnitOfWork, service_id: str) -> set[str]:
    query = select(DemandView.customer_id).where(DemandView.service_id == service_id,
                                                 DemandView.is_open).distinct()
    return set(await uow.session.scalars(query))


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
    cause = Cause(None, "policy.changed", row.created_at, actor)
    await rescore_everything(uow, cause, policy)
    await uow.commit(result=row)
    return row
