"""Executive: one screen read in a minute — value delivered, satisfaction, decisions waiting."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.portal import charts
from services.portal.pages import SEGMENT_LABELS, render
from services.portal.session import Staff
from services.portal.views.common import SEGMENTS, api, gather, missing, settings, weighted

router = APIRouter(include_in_schema=False)
WINDOW_DAYS = 90


def _level(value: float | None, floor: float, target: float | None = None) -> str:
    """`bad` under the floor, `good` at or over the target, else `watch`; `none` without data."""
    if value is None:
        return "none"
    if value < floor:
        return "bad"
    if target is not None and value >= target:
        return "good"
    return "watch"


@router.get("/exec")
async def executive(request: Request, session: Staff) -> Response:
    upstream, limits = api(request), settings(request)
    token = session.token
    delivered, rankings, portfolio, overdue, pilots, advice, *by_segment = await gather(
        upstream.collect("intake", "/v1/demands", token, status="delivered"),
        upstream.collect("prioritizer", "/v1/rankings", token),
        upstream.get("feedback", "/v1/summary", token, window_days=WINDOW_DAYS),
        upstream.collect("feedback", "/v1/alerts", token, status="open", overdue="true"),
        upstream.collect("catalog", "/v1/services", token, state="pilot", pilot_overdue="true"),
        upstream.collect("prioritizer", "/v1/recommendations", token),
        *[upstream.get("feedback", "/v1/summary", token, segment=s, window_days=WINDOW_DAYS)
          for s in SEGMENTS])
    items = portfolio.items
    csat, value = weighted(items, "csat_avg"), weighted(items, "perceived_value_avg")
    nps = weighted(items, "nps")
    segment_rows = [(SEGMENT_LABELS[s], weighted(a.items, "csat_avg"),
                     f"{sum(i['responses'] for i in a.items)} responses")
                    for s, a in zip(SEGMENTS, by_segment)]
    segment_bars = charts.meter_bars(segment_rows, high=5.0, floor=limits.csat_floor)
    escalations = _escalations(request, rankings.items, items, overdue.items, pilots.items)
    escalations += [{"kind": "Segment below floor", "severity": 0, "href": "/pmo/coverage",
                     "text": f"{bar.label}: satisfaction {bar.value:.1f} (floor "
                             f"{limits.csat_floor:.1f}), {bar.note}"}
                    for bar in segment_bars if bar.below]
    escalations = sorted(escalations, key=lambda e: e["severity"])[:6]
    urgency = ("propose_service", "improve", "retire", "roll_out", "simplify", "expand")
    decisions = sorted((r for r in advice.items if r.get("action") in urgency),
                       key=lambda r: urgency.index(r["action"]))[:5]
    service_names = {i["service_id"]: i["name"] for i in items}
    return render(
        request, "exec.html", session, window_days=WINDOW_DAYS,
        delivered=len(delivered.items), delivered_ok=delivered.ok,
        recent=sorted(delivered.items, key=lambda d: d["updated_at"], reverse=True)[:3],
        open_count=len(rankings.items), top=rankings.items[:5],
        csat=csat, csat_level=_level(csat, limits.csat_floor, limits.csat_target),
        value=value, value_level=_level(value, limits.value_floor, limits.csat_target),
        nps=nps, nps_level=_level(nps, limits.nps_floor, 30.0),
        responses=sum(i["responses"] for i in items), segment_bars=segment_bars,
        floor_x=limits.csat_floor / 5 * 100, escalations=escalations, decisions=decisions,
        decisions_problem=None if advice.ok else missing(advice, "Recommendations"),
        service_names=service_names, limits=limits)


def _escalations(request: Request, ranked: list[dict], services: list[dict], overdue: list[dict],
                 pilots: list[dict]) -> list[dict]:
    """What needs an executive's word now, most severe first, each with why it is here."""
    limits = settings(request)
    found = []
    for service in services:
        if service["csat_avg"] is not None and service["csat_avg"] < limits.csat_floor:
            found.append({"kind": "Satisfaction below floor", "severity": 0,
                          "text": f"{service['name']}: satisfaction {service['csat_avg']:.1f} "
                                  f"(floor {limits.csat_floor:.1f}) over {service['responses']} "
                                  "responses", "href": "/pmo/satisfaction"})
    if overdue:
        found.append({"kind": "Unhappy customers waiting", "severity": 1,
                      "text": f"{len(overdue)} detractor follow-up(s) past their deadline",
                      "href": "/pmo/alerts"})
    for pilot in pilots:
        found.append({"kind": "Pilot past its end date", "severity": 2,
                      "text": f"{pilot['name']}: decide to roll out, rework or stop",
                      "href": f"/pmo/catalog#service-{pilot['id']}"})
    best: dict[str, int] = {}
    for item in ranked:
        segment = item.get("segment") or "other"
        best[segment] = min(best.get(segment, item["rank"]), item["rank"])
    for segment, rank in best.items():
        if rank > limits.top_n:
            found.append({"kind": "Segment left out", "severity": 1,
                          "text": f"{SEGMENT_LABELS.get(segment, segment)}: best need ranks "
                                  f"#{rank}, outside the top {limits.top_n}",
                          "href": "/pmo/coverage"})
    return sorted(found, key=lambda e: e["severity"])[:6]
