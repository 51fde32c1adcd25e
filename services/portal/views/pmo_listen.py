"""PMO: what customers say (satisfaction over time, detractors to follow up) and what to do."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.portal import charts
from services.portal.pages import redirect, render
from services.portal.session import Form, Staff
from services.portal.views.common import api, customers_by_id, gather, missing, services_by_id, settings

router = APIRouter(include_in_schema=False)
WINDOW_DAYS = 365
# Most pressing first: new services and fixes before the steady "keep".
ACTION_ORDER = ("propose_service", "improve", "retire", "simplify", "roll_out", "expand", "keep")


@router.get("/pmo/satisfaction")
async def satisfaction(request: Request, session: Staff) -> Response:
    """Satisfaction and perceived value per service, month by month, worst first."""
    upstream = api(request)
    portfolio = await upstream.get("feedback", "/v1/summary", session.token,
                                   window_days=WINDOW_DAYS)
    rated = [item for item in portfolio.items if item["responses"]]
    trends = await gather(*[upstream.get("feedback", f"/v1/services/{item['service_id']}/summary",
                                         session.token, window_days=WINDOW_DAYS)
                            for item in rated])
    floor = settings(request).csat_floor
    cards = []
    for item, trend in zip(rated, trends):
        points = charts.recent_points(trend.body.get("trend", []) if trend.ok else [])
        periods = charts.month_labels([point["period"] for point in points])
        chart = charts.line_chart(periods, {
            "csat": [point["csat_avg"] for point in points],
            "value": [point["perceived_value_avg"] for point in points]}, threshold=floor)
        cards.append({"item": item, "chart": chart, "points": points,
                      "by_segment": trend.body.get("by_segment", {}) if trend.ok else {}})
    cards.sort(key=lambda card: (card["item"]["csat_avg"] is None, card["item"]["csat_avg"] or 0))
    unrated = [item for item in portfolio.items if not item["responses"]]
    return render(request, "pmo/satisfaction.html", session, cards=cards, unrated=unrated,
                  window_days=WINDOW_DAYS,
                  problem=None if portfolio.ok else missing(portfolio, "Satisfaction"))


@router.get("/pmo/recommendations")
async def recommendations(request: Request, session: Staff) -> Response:
    answer, services = await gather(
        api(request).collect("prioritizer", "/v1/recommendations", session.token),
        services_by_id(request, session))
    items = sorted(answer.items, key=lambda r: (
        ACTION_ORDER.index(r["action"]) if r.get("action") in ACTION_ORDER else len(ACTION_ORDER)))
    acting = [r for r in items if r.get("action") != "keep"]
    keeping = [r for r in items if r.get("action") == "keep"]
    return render(request, "pmo/recommendations.html", session, items=acting, keeping=keeping,
                  services=services,
                  problem=None if answer.ok else missing(answer, "Recommendations"))


@router.get("/pmo/alerts")
async def alerts(request: Request, session: Staff) -> Response:
    upstream = api(request)
    open_, resolved, customers, services, responses = await gather(
        upstream.collect("feedback", "/v1/alerts", session.token, status="open"),
        upstream.get("feedback", "/v1/alerts", session.token, status="resolved", limit=20),
        customers_by_id(request, session), services_by_id(request, session),
        upstream.collect("feedback", "/v1/responses", session.token))
    comments = {r["id"]: r for r in responses.items}
    pending = sorted(open_.items, key=lambda a: (not a.get("overdue"), a["opened_at"]))
    return render(request, "pmo/alerts.html", session, open=pending, resolved=resolved.items,
                  customers=customers, services=services, responses=comments,
                  problem=None if open_.ok else missing(open_, "Detractor alerts"))


@router.post("/pmo/alerts/{alert_id}/assign")
async def assign(request: Request, session: Staff, alert_id: str, form: Form) -> Response:
    assignee = form.get("assignee", "").strip() or session.principal.sub
    answer = await api(request).post("feedback", f"/v1/alerts/{alert_id}/assign", session.token,
                                     {"assignee": assignee}, if_match=_version(form))
    if not answer.ok:
        return redirect("/pmo/alerts", ("error", answer.message))
    return redirect(f"/pmo/alerts#alert-{alert_id}", ("ok", f"Alert assigned to {assignee}."))


@router.post("/pmo/alerts/{alert_id}/resolve")
async def resolve(request: Request, session: Staff, alert_id: str, form: Form) -> Response:
    note = form.get("note", "").strip()
    if not note:
        return redirect(f"/pmo/alerts#alert-{alert_id}",
                        ("error", "Say how the customer was followed up before resolving."))
    answer = await api(request).post("feedback", f"/v1/alerts/{alert_id}/resolve", session.token,
                                     {"note": note}, if_match=_version(form))
    if not answer.ok:
        return redirect("/pmo/alerts", ("error", answer.message))
    return redirect("/pmo/alerts", ("ok", "Alert resolved: the follow-up is recorded."))


def _version(form: dict[str, str]) -> int | None:
    value = form.get("version", "")
    return int(value) if value.isdigit() else None
