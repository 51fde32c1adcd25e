"""PMO: the ranked backlog with why each item sits where it does, one item's story, coverage."""

from __future__ import annotations

from collections import defaultdict

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.portal import charts
from services.portal.pages import fragment, render
from services.portal.session import Staff
from services.portal.views.common import (
    SEGMENTS,
    api,
    customers_by_id,
    gather,
    missing,
    segment_or_none,
    settings,
    weighted,
)

router = APIRouter(include_in_schema=False)
BACKLOG_SIZE = 100


async def _backlog(request: Request, session: Staff, segment: str | None) -> dict:
    rankings, customers = await gather(
        api(request).get("prioritizer", "/v1/rankings", session.token, limit=BACKLOG_SIZE,
                         segment=segment),
        customers_by_id(request, session))
    items = rankings.items
    scale = max((charts.positive_total(item["factors"]) for item in items), default=1.0)
    rows = [{"item": item, "bar": charts.stacked_bar(item["factors"], scale),
             "customer": customers.get(item["customer_id"], {}).get("name", "Unknown customer")}
            for item in items]
    factor_names = []
    for item in items:
        for factor in item["factors"]:
            if factor["name"] not in factor_names:
                factor_names.append(factor["name"])
    return {"rows": rows, "segment": segment, "factor_names": factor_names,
            "policy_version": rankings.body.get("policy_version") if rankings.ok else None,
            "more": bool(rankings.ok and rankings.body.get("next_cursor")),
            "problem": None if rankings.ok else missing(rankings, "The ranking")}


@router.get("/pmo/backlog")
async def backlog(request: Request, session: Staff, segment: str | None = None) -> Response:
    data = await _backlog(request, session, segment_or_none(segment))
    return render(request, "pmo/backlog.html", session, segments=SEGMENTS, **data)


@router.get("/pmo/backlog/rows")
async def backlog_rows(request: Request, session: Staff, segment: str | None = None) -> Response:
    """The table alone, re-read by the page when the rankings stream reports a change."""
    data = await _backlog(request, session, segment_or_none(segment))
    return fragment(request, "pmo/_backlog_rows.html", **data)


@router.get("/pmo/demands/{demand_id}")
async def demand(request: Request, session: Staff, demand_id: str) -> Response:
    upstream = api(request)
    ranked, detail, history = await gather(
        upstream.get("prioritizer", f"/v1/rankings/{demand_id}", session.token),
        upstream.get("intake", f"/v1/demands/{demand_id}", session.token),
        upstream.get("prioritizer", f"/v1/rankings/{demand_id}/history", session.token, limit=20))
    if not ranked.ok and not detail.ok:
        return render(request, "error.html", session, status_code=404, status=404,
                      title="Not Found", detail="No such demand, or it is not visible to you.")
    customer = None
    if detail.ok:
        answer = await upstream.get("intake", f"/v1/customers/{detail.body['customer_id']}",
                                    session.token)
        customer = answer.body if answer.ok else None
    bar = None
    if ranked.ok:
        factors = ranked.body["factors"]
        bar = charts.stacked_bar(factors, charts.positive_total(factors))
    return render(request, "pmo/demand.html", session, ranked=ranked.body if ranked.ok else None,
                  demand=detail.body if detail.ok else None, customer=customer, bar=bar,
                  history=history.items, ranked_problem=None if ranked.ok else missing(
                      ranked, "The ranking of this demand"))


@router.get("/pmo/coverage")
async def coverage(request: Request, session: Staff) -> Response:
    """Per segment: its open needs, the best place any of them holds, and what serves it."""
    upstream = api(request)
    top_n = settings(request).top_n
    rankings, official, *per_segment = await gather(
        upstream.collect("prioritizer", "/v1/rankings", session.token),
        upstream.get("prioritizer", "/v1/coverage", session.token, top_n=top_n),
        *[upstream.get("catalog", "/v1/catalog", session.token, segment=s) for s in SEGMENTS],
        *[upstream.get("feedback", "/v1/summary", session.token, segment=s, window_days=365)
          for s in SEGMENTS])
    catalogs, summaries = per_segment[:len(SEGMENTS)], per_segment[len(SEGMENTS):]
    needs = _official_needs(official.body) if official.ok else _needs_from(rankings.items, top_n)
    rows = []
    for segment, catalog, summary in zip(SEGMENTS, catalogs, summaries):
        entry = needs.get(segment, {"open": 0, "best": None, "in_top": 0, "top": [],
                                    "starved": False})
        offered = sum(len(f["services"]) for f in catalog.body["functions"]) if catalog.ok else None
        rows.append({"segment": segment, **entry, "offered": offered,
                     "csat": weighted(summary.items, "csat_avg")})
    return render(request, "pmo/coverage.html", session, rows=rows, top_n=top_n,
                  total=len(rankings.items), official=official.ok,
                  threshold=official.body.get("threshold_score") if official.ok else None,
                  problem=None if rankings.ok or official.ok else missing(rankings, "The ranking"))


def _official_needs(body: dict) -> dict[str, dict]:
    """The prioritizer's own coverage (`GET /v1/coverage`), keyed by segment."""
    return {entry["segment"]: {"open": entry["open_needs"], "best": entry["best_rank"],
                               "in_top": entry["in_top_n"], "top": entry["needs"][:3],
                               "starved": entry["starved"]}
            for entry in body.get("segments", [])}


def _needs_from(ranked: list[dict], top_n: int) -> dict[str, dict]:
    """The same view computed from the ranking, for a prioritizer that does not serve it."""
    by_segment: dict[str, list[dict]] = defaultdict(list)
    for item in ranked:
        by_segment[item.get("segment") or "other"].append(item)
    needs = {}
    for segment, items in by_segment.items():
        items.sort(key=lambda i: i["rank"])
        needs[segment] = {"open": len(items), "best": items[0]["rank"],
                          "in_top": sum(1 for i in items if i["rank"] <= top_n),
                          "top": items[:3], "starved": items[0]["rank"] > top_n}
    return needs
