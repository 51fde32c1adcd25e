"""feedback's use cases: one async function each; only these commit."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import and_, func, not_, select

from services.feedback import domain, events, projections
from services.feedback.models import AlertRow, KnownServiceRow, ResponseRow, SurveyRow
from services.feedback.schemas import AlertAssign, AlertResolve, ResponseCreate
from shared.auth import Principal
from shared.db import UnitOfWork, new_id
from shared.errors import NotFound
from shared.http import check_version
from shared.pagination import keyset_page


@dataclass(frozen=True)
class AlertFilter:
    status: domain.AlertStatus | None = None
    service_id: str | None = None
    customer_id: str | None = None
    overdue: bool | None = None


# --- responses ------------------------------------------------------------------------------

async def submit_response(uow: UnitOfWork, cmd: ResponseCreate, actor: Principal,
                          now: datetime) -> ResponseRow:
    """Records a rating, closes the survey it answers, and opens an alert for a detractor."""
    if not actor.may_see_customer(cmd.customer_id):
        raise NotFound(f"customer {cmd.customer_id} not found")
    customer = await projections.known_customer(uow, cmd.customer_id)
    await projections.rateable_service(uow, cmd.service_id)
    response = ResponseRow(id=new_id(), segment=customer.segment, submitted_by=actor.sub,
                           created_at=now, **cmd.model_dump())
    uow.session.add(response)
    await uow.session.flush()
    await _close_survey(uow, response, now)
    uow.publish(events.response_event(response, actor.sub))
    reasons = domain.detractor_reasons(response.csat, response.nps)
    if reasons:
        alert = AlertRow(id=new_id(), response_id=response.id, customer_id=response.customer_id,
                         service_id=response.service_id, csat=response.csat, nps=response.nps,
                         reason="; ".join(reasons), status=domain.AlertStatus.OPEN.value,
                         opened_at=now, updated_at=now)
        uow.session.add(alert)
        await uow.session.flush()
        uow.publish(events.alert_event(events.DETRACTOR_FLAGGED, alert, actor.sub))
    await uow.commit(result=response)
    return response


async def _close_survey(uow: UnitOfWork, response: ResponseRow, now: datetime) -> None:
    """The pending survey of this customer for this demand, if any, is answered by the response."""
    if response.demand_id is None:
        return
    survey = await uow.session.scalar(select(SurveyRow).where(
        SurveyRow.demand_id == response.demand_id, SurveyRow.customer_id == response.customer_id,
        SurveyRow.status == domain.SurveyStatus.PENDING.value))
    if survey is not None:
        survey.status, survey.response_id, survey.completed_at = (
            domain.SurveyStatus.COMPLETED.value, response.id, now)
        await uow.session.flush()


async def visible_response(uow: UnitOfWork, response_id: str, actor: Principal) -> ResponseRow:
    """The response, or 404 when it does not exist or the caller may not see it."""
    response = await uow.session.get(ResponseRow, response_id)
    if response is None or not actor.may_see_customer(response.customer_id):
        raise NotFound(f"response {response_id} not found")
    return response


async def list_responses(uow: UnitOfWork, actor: Principal, *, service_id: str | None,
                         customer_id: str | None, limit: int, cursor: str | None):
    query = select(ResponseRow)
    if actor.is_customer_only:
        query = query.where(ResponseRow.customer_id == actor.customer_id)
    for column, value in ((ResponseRow.service_id, service_id), (ResponseRow.customer_id, customer_id)):
        if value is not None:
            query = query.where(column == value)
    return await keyset_page(uow.session, query, ResponseRow, limit, cursor)


# --- summaries ------------------------------------------------------------------------------

async def service_summary(uow: UnitOfWork, service_id: str, window_days: int,
                          now: datetime) -> dict:
    """One service's scores over the window, by segment and per calendar month."""
    if await uow.session.get(KnownServiceRow, service_id) is None:
        raise NotFound(f"service {service_id} not found")
    since = domain.window_start(now, window_days)
    ratings = (await _ratings(uow, since, ResponseRow.service_id == service_id)).get(service_id, [])
    by_segment = domain.scores_by_segment(ratings)
    return {"service_id": service_id, "window_days": window_days, **asdict(domain.scores(ratings)),
            "by_segment": {segment: asdict(scores) for segment, scores in by_segment.items()},
            "trend": [asdict(point) for point in domain.monthly_trend(ratings, since, now)]}


async def portfolio_summary(uow: UnitOfWork, *, segment: str | None, function_code: str | None,
                            window_days: int, now: datetime) -> dict:
    """Every known service's headline scores side by side, in name order."""
    services_query = select(KnownServiceRow).order_by(KnownServiceRow.name, KnownServiceRow.id)
    conditions = []
    if function_code is not None:
        services_query = services_query.where(KnownServiceRow.function_code == function_code)
        conditions.append(ResponseRow.service_id.in_(
            select(KnownServiceRow.id).where(KnownServiceRow.function_code == function_code)))
    if segment is not None:
        conditions.append(ResponseRow.segment == segment)
    services = list(await uow.session.scalars(services_query))
    ratings = await _ratings(uow, domain.window_start(now, window_days), *conditions)
    open_alerts = await _open_alerts_by_service(uow, segment)
    items = [{"service_id": service.id, "name": service.name,
              "function_code": service.function_code, "lifecycle_state": service.lifecycle_state,
              "open_alerts": open_alerts.get(service.id, 0),
              **asdict(domain.scores(ratings.get(service.id, [])))} for service in services]
    return {"window_days": window_days, "segment": segment, "function_code": function_code,
            "items": items}


async def _open_alerts_by_service(uow: UnitOfWork, segment: str | None) -> dict[str, int]:
    """Open follow-ups per service, counting only one segment's when it is named."""
    query = (select(AlertRow.service_id, func.count())
             .where(AlertRow.status == domain.AlertStatus.OPEN.value).group_by(AlertRow.service_id))
    if segment is not None:
        query = (query.join(ResponseRow, ResponseRow.id == AlertRow.response_id)
                 .where(ResponseRow.segment == segment))
    return dict((await uow.session.execute(query)).all())


async def _ratings(uow: UnitOfWork, since: datetime, *conditions) -> dict[str, list[domain.Rating]]:
    """The ratings given since a moment, grouped by service id."""
    query = (select(ResponseRow.service_id, ResponseRow.csat, ResponseRow.perceived_value,
                    ResponseRow.nps, ResponseRow.effort, ResponseRow.segment, ResponseRow.created_at)
             .where(ResponseRow.created_at >= since, *conditions))
    grouped: dict[str, list[domain.Rating]] = {}
    for row in (await uow.session.execute(query)).all():
        grouped.setdefault(row.service_id, []).append(domain.Rating(
            csat=row.csat, perceived_value=row.perceived_value, nps=row.nps, effort=row.effort,
            segment=row.segment, at=row.created_at))
    return grouped


# --- alerts ---------------------------------------------------------------------------------

async def get_alert(uow: UnitOfWork, alert_id: str) -> AlertRow:
    alert = await uow.session.get(AlertRow, alert_id)
    if alert is None:
        raise NotFound(f"alert {alert_id} not found")
    return alert


async def list_alerts(uow: UnitOfWork, where: AlertFilter, now: datetime, overdue_days: int,
                      limit: int, cursor: str | None):
    query = select(AlertRow)
    for column, value in ((AlertRow.status, where.status), (AlertRow.service_id, where.service_id),
                          (AlertRow.customer_id, where.customer_id)):
        if value is not None:
            query = query.where(column == value)
    if where.overdue is not None:
        overdue = and_(AlertRow.status == domain.AlertStatus.OPEN.value,
                       AlertRow.opened_at < domain.overdue_cutoff(now, overdue_days))
        query = query.where(overdue if where.overdue else not_(overdue))
    return await keyset_page(uow.session, query, AlertRow, limit, cursor)


async def assign_alert(uow: UnitOfWork, alert_id: str, cmd: AlertAssign, if_match: str | None,
                       actor: Principal, now: datetime) -> AlertRow:
    alert = await get_alert(uow, alert_id)
    check_version(alert.version, if_match)
    domain.check_assignable(alert.status)
    alert.assignee, alert.updated_at = cmd.assignee, now
    await uow.session.flush()
    uow.publish(events.alert_event(events.ALERT_UPDATED, alert, actor.sub))
    await uow.commit()
    return alert


async def resolve_alert(uow: UnitOfWork, alert_id: str, cmd: AlertResolve, if_match: str | None,
                        actor: Principal, now: datetime) -> AlertRow:
    """Closes the follow-up with what was done; an alert is resolved once."""
    alert = await get_alert(uow, alert_id)
    check_version(alert.version, if_match)
    domain.check_resolvable(alert.status)
    alert.status, alert.note, alert.resolved_by = domain.AlertStatus.RESOLVED.value, cmd.note, actor.sub
    alert.resolved_at = alert.updated_at = now
    await uow.session.flush()
    uow.publish(events.alert_event(events.ALERT_UPDATED, alert, actor.sub))
    await uow.commit()
    return alert


# --- surveys --------------------------------------------------------------------------------

async def list_pending_surveys(uow: UnitOfWork, actor: Principal, *, customer_id: str | None,
                               service_id: str | None, limit: int, cursor: str | None):
    query = select(SurveyRow).where(SurveyRow.status == domain.SurveyStatus.PENDING.value)
    if actor.is_customer_only:
        query = query.where(SurveyRow.customer_id == actor.customer_id)
    for column, value in ((SurveyRow.customer_id, customer_id), (SurveyRow.service_id, service_id)):
        if value is not None:
            query = query.where(column == value)
    return await keyset_page(uow.session, query, SurveyRow, limit, cursor)
