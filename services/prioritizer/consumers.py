"""What the prioritizer reacts to: every change that can move a score, routed by event type."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.prioritizer import advice, grouping, handlers
from services.prioritizer.rescoring import Cause
from services.prioritizer.models import (
    CustomerView,
    EndorsementView,
    ServiceFeedbackView,
    ServiceView,
)
from services.prioritizer.pending import Pending
from shared.consumer import Handlers
from shared.db import UnitOfWork
from shared.events import CloudEvent
from shared.observability import current_traceparent
from shared.projections import keep_newest


def _cause(event: CloudEvent) -> Cause:
    actor = event.data.get("actor")
    return Cause(event.id, event.type, event.time, actor if isinstance(actor, str) else None,
                 current_traceparent())


async def on_customer_changed(event: CloudEvent, uow: UnitOfWork) -> None:
    data = event.data
    fields = {"name": data["name"], "segment": data["segment"],
              "strategic_importance": data["strategic_importance"], "maturity": data["maturity"]}
    pending = uow.deferred(Pending)
    if not await keep_newest(uow.session, CustomerView, data["id"], event.aggregateversion, fields,
                             held=pending.customers):
        return  # an older event arriving late must not undo a newer one
    pending.customer_changed(data["id"], _cause(event))


async def on_demand_changed(event: CloudEvent, uow: UnitOfWork) -> None:
    data = event.data
    pending = uow.deferred(Pending)
    row = await pending.demand(uow, data["id"])
    if row is not None and row.version >= event.aggregateversion:
        return
    fields = {
        "customer_id": data["customer_id"], "title": data["title"], "problem": data["problem"],
        "kind": data["kind"], "function_code": data.get("function_code"),
        "service_id": data.get("service_id"), "severity": data["severity"],
        "urgency": data.get("urgency", 3), "reach": data.get("reach", 1),
        "effort_estimate": data.get("effort_estimate"), "status": data["status"],
        "is_open": handlers.is_open(data["status"]), "endorsed_by": list(data.get("endorsed_by", [])),
        "submitted_at": datetime.fromisoformat(data["created_at"].replace("Z", "+00:00")),
        "version": event.aggregateversion,
        "terms": list(grouping.terms(data["title"], data["problem"], data.get("tags") or ())),
    }
    before = _similarity_key(row) if row is not None else None
    old_service = row.service_id if row is not None else None
    if row is None:
        row = pending.new_demand(id=data["id"], score=0.0, score_version=0, explanation={},
                                 scored_at=event.time, segment=None, group_id=None,
                                 base_score=None, counted_position=None, aged_since=None,
                                 aged_until=None, **fields)
    else:
        for name, value in fields.items():
            setattr(row, name, value)
    known = pending.endorsers(row.id)
    for customer_id in dict.fromkeys(row.endorsed_by):
        if customer_id not in known:
            known.add(customer_id)
            uow.session.add(EndorsementView(demand_id=row.id, customer_id=customer_id))
    cause = _cause(event)
    pending.demand_changed(row.id, cause, relink=_similarity_key(row) != before)
    pending.rescore_items(row.customer_id, {row.id}, cause)
    pending.advise(event.time, service_ids={old_service, row.service_id}, group_ids={row.group_id})


def _similarity_key(row) -> tuple:
    return (tuple(row.terms or ()), row.function_code, row.service_id, row.is_open)


async def on_service_changed(event: CloudEvent, uow: UnitOfWork) -> None:
    data = event.data
    fields = {"function_code": data["function_code"], "name": data["name"],
              "lifecycle_state": data["lifecycle_state"],
              "state_changed_at": _moment(data.get("state_changed_at")) or event.time}
    if not await keep_newest(uow.session, ServiceView, data["id"], event.aggregateversion, fields):
        return
    await uow.session.flush()
    uow.deferred(Pending).advise(event.time, service_ids={data["id"]},
                                 group_ids=await advice.groups_on_service(uow, data["id"]))


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


async def on_feedback_submitted(event: CloudEvent, uow: UnitOfWork) -> None:
    """Adds one response to its service's sums; the inbox guarantees it is added once."""
    data = event.data
    service_id = data["service_id"]
    row = await uow.session.get(ServiceFeedbackView, service_id)
    if row is None:
        row = ServiceFeedbackView(service_id=service_id, **dict.fromkeys(_SUMS, 0))
        uow.session.add(row)
    customer = await uow.session.get(CustomerView, data.get("customer_id") or "")
    mature = customer is not None and customer.maturity >= MATURE
    effort = data.get("effort")
    row.responses += 1
    row.csat_sum += int(data["csat"])
    row.perceived_value_sum += int(data["perceived_value"])
    if effort is not None:
        row.effort_responses += 1
        row.effort_sum += int(effort)
    if mature:
        row.mature_responses += 1
        row.mature_perceived_value_sum += int(data["perceived_value"])
        row.mature_effort_responses += effort is not None
        row.mature_effort_sum += int(effort or 0)
    await uow.session.flush()
    pending = uow.deferred(Pending)
    pending.rescore(await handlers.customers_with_open_demand_on(uow, service_id)
                    | pending.new_customers_on(service_id), _cause(event))
    pending.advise(event.time, service_ids={service_id})


# A customer at this maturity or above (when it answered) counts as mature for `simplify`.
MATURE = 4
_SUMS = ("responses", "csat_sum", "perceived_value_sum", "effort_responses", "effort_sum",
         "mature_responses", "mature_perceived_value_sum", "mature_effort_responses",
         "mature_effort_sum")


CUSTOMER_EVENTS = ("pmo.customer.registered", "pmo.customer.updated")
DEMAND_EVENTS = ("pmo.demand.submitted", "pmo.demand.updated", "pmo.demand.status_changed",
                 "pmo.demand.endorsed")


async def prepare_batch(events: Sequence[CloudEvent], uow: UnitOfWork) -> None:
    """The demands and customers a batch's events name, loaded together before their handlers run."""
    pending = uow.deferred(Pending)
    await pending.load_demands(uow, _ids_named(events, DEMAND_EVENTS))
    await pending.load_customers(uow, _ids_named(events, CUSTOMER_EVENTS))


def _ids_named(events: Sequence[CloudEvent], types: tuple[str, ...]) -> set[str]:
    return {event.data["id"] for event in events
            if event.type in types and isinstance(event.data.get("id"), str)}


HANDLERS = Handlers({
    **dict.fromkeys(CUSTOMER_EVENTS, on_customer_changed),
    **dict.fromkeys(DEMAND_EVENTS, on_demand_changed),
    "pmo.service.proposed": on_service_changed,
    "pmo.service.updated": on_service_changed,
    "pmo.service.lifecycle_changed": on_service_changed,
    "pmo.feedback.submitted": on_feedback_submitted,
}, prepare=prepare_batch)
