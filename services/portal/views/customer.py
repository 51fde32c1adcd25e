"""Customer: my demands and where they stand, a new one (problem first), the same need as
another's, services in my segment's words, my roadmap, and surveys waiting for me."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.portal.pages import KIND_LABELS, redirect, render
from services.portal.session import Customer, Form
from services.portal.upstream import SignInAgain
from services.portal.views.common import OPEN_STATUSES, api, gather, missing
from shared.auth import issue_token

router = APIRouter(include_in_schema=False)
SHOWN_NEEDS = 20
CAPACITIES = (10, 20, 40, 80)


async def _me(request: Request, session: Customer) -> dict | None:
    answer = await api(request).get("intake", f"/v1/customers/{session.principal.customer_id}",
                                    session.token)
    return answer.body if answer.ok else None


@router.get("/me")
async def my_demands(request: Request, session: Customer) -> Response:
    upstream = api(request)
    me, demands = await gather(_me(request, session),
                               upstream.collect("intake", "/v1/demands", session.token))
    open_ids = [d["id"] for d in demands.items if d["status"] in OPEN_STATUSES]
    ranks = await gather(*[upstream.get("prioritizer", f"/v1/rankings/{demand_id}", session.token)
                           for demand_id in open_ids])
    rank_of = {demand_id: answer.body for demand_id, answer in zip(open_ids, ranks) if answer.ok}
    ordered = sorted(demands.items, key=lambda d: (
        d["status"] not in OPEN_STATUSES, (rank_of.get(d["id"]) or {}).get("rank") or 10**9,
        d["created_at"]))
    return render(request, "customer/demands.html", session, me=me, demands=ordered,
                  ranks=rank_of, fresh=request.query_params.get("new"),
                  problem=None if demands.ok else missing(demands, "Your demands"))


@router.get("/me/new")
async def new_demand(request: Request, session: Customer) -> Response:
    return render(request, "customer/new.html", session, **await _new_form(request, session))


async def _new_form(request: Request, session: Customer, values: dict | None = None) -> dict:
    me = await _me(request, session)
    upstream = api(request)
    functions, catalog = await gather(
        upstream.collect("catalog", "/v1/functions", session.token),
        upstream.get("catalog", "/v1/catalog", session.token,
                     segment=(me or {}).get("segment", "other")))
    services = [s for f in (catalog.body or {}).get("functions", []) for s in f["services"]] \
        if catalog.ok else []
    return {"me": me, "functions": functions.items, "services": services, "kinds": KIND_LABELS,
            "values": values or {}, "idempotency_key": str(uuid.uuid4())}


@router.post("/me/new")
async def submit_demand(request: Request, session: Customer, form: Form) -> Response:
    body = {"customer_id": session.principal.customer_id,
            "title": form.get("title", "").strip(), "problem": form.get("problem", "").strip(),
            "kind": form.get("kind", "pain_point"),
            "severity": _int(form.get("severity"), 3), "urgency": _int(form.get("urgency"), 3),
            "reach": _int(form.get("reach"), 1)}
    for field in ("desired_outcome", "function_code", "service_id", "due_date"):
        if form.get(field, "").strip():
            body[field] = form[field].strip()
    answer = await api(request).post("intake", "/v1/demands", session.token, body,
                                     idempotency_key=form.get("idempotency_key") or None)
    if not answer.ok:
        # Shown again with what was typed: nobody should have to write a problem twice.
        context = await _new_form(request, session, values=form)
        context["error"] = answer.message
        return render(request, "customer/new.html", session, status_code=422, **context)
    return redirect(f"/me?new={answer.body['id']}#demand-{answer.body['id']}",
                    ("ok", f"Thank you. “{answer.body['title']}” is submitted and will be "
                           "ranked in a moment."))


def _int(value: str | None, default: int) -> int:
    return int(value) if value and value.strip().isdigit() else default


def _reader_token(request: Request) -> str | None:
    """A read-only token for open needs of others (a customer token sees only its own)."""
    portal = request.app.state.portal
    if portal.settings.service_token:
        return portal.settings.service_token
    if portal.settings.env == "development":
        s = portal.settings
        return issue_token(s.jwt_secret, "portal-endorsements", ["viewer"], issuer=s.jwt_issuer,
                           audience=s.jwt_audience, ttl_seconds=300)
    return None


@router.get("/me/endorse")
async def same_need(request: Request, session: Customer, q: str | None = None) -> Response:
    """Open needs raised by others, without saying who: endorsing one says "we have it too"."""
    token = _reader_token(request)
    if token is None:
        return render(request, "customer/endorse.html", session, needs=[],
                      problem="Endorsing others' needs is not available here yet: the portal "
                              "has no read-only service token (PMO_PORTAL_SERVICE_TOKEN).")
    try:
        ranked, demands = await gather(
            api(request).collect("prioritizer", "/v1/rankings", token, at_most=200),
            api(request).collect("intake", "/v1/demands", token))
    except SignInAgain:
        ranked = demands = None
    if ranked is None or not ranked.ok:
        return render(request, "customer/endorse.html", session, needs=[],
                      problem="Open needs cannot be shown right now.")
    details = {d["id"]: d for d in demands.items}
    mine = session.principal.customer_id
    needs = [{"rank": item["rank"], "demand": details.get(item["demand_id"]), "item": item}
             for item in ranked.items if item["customer_id"] != mine]
    words = [word for word in (q or "").lower().split() if word][:10]
    needs = [need for need in needs if need["demand"] and all(
        word in (need["demand"]["title"] + " " + need["demand"]["problem"]).lower()
        for word in words)]
    shown = needs[:SHOWN_NEEDS]
    endorsements = await gather(*[
        api(request).collect("intake", f"/v1/demands/{need['demand']['id']}/endorsements", token)
        for need in shown])
    for need, answer in zip(shown, endorsements):
        need["mine"] = any(e["customer_id"] == mine for e in answer.items)
    return render(request, "customer/endorse.html", session, needs=shown,
                  total=len(needs), q=q or "", problem=None)


@router.post("/me/endorse/{demand_id}")
async def endorse(request: Request, session: Customer, demand_id: str, form: Form) -> Response:
    body = {"customer_id": session.principal.customer_id}
    if form.get("note", "").strip():
        body["note"] = form["note"].strip()
    answer = await api(request).post("intake", f"/v1/demands/{demand_id}/endorsements",
                                     session.token, body)
    if answer.status == 409:
        return redirect(f"/me/endorse#need-{demand_id}",
                        ("error", "You have already endorsed this need (or it is closed)."))
    if not answer.ok:
        return redirect(f"/me/endorse#need-{demand_id}", ("error", answer.message))
    return redirect(f"/me/endorse#need-{demand_id}",
                    ("ok", "Endorsed: the PMO now counts your team behind this need."))


@router.get("/me/catalog")
async def my_catalog(request: Request, session: Customer) -> Response:
    me = await _me(request, session)
    segment = (me or {}).get("segment", "other")
    catalog = await api(request).get("catalog", "/v1/catalog", session.token, segment=segment)
    return render(request, "customer/catalog.html", session, me=me, segment=segment,
                  functions=[f for f in catalog.body["functions"] if f["services"]]
                  if catalog.ok else [],
                  problem=None if catalog.ok else missing(catalog, "The catalog"))


@router.get("/me/roadmap")
async def my_roadmap(request: Request, session: Customer, capacity_days: int = 20) -> Response:
    me = await _me(request, session)
    capacity_days = capacity_days if capacity_days in CAPACITIES else 20
    answer = await api(request).get("prioritizer", "/v1/roadmap", session.token,
                                    customer_id=session.principal.customer_id,
                                    capacity_days=capacity_days)
    lanes = [(lane, answer.body.get(lane, [])) for lane in ("now", "next", "later")] \
        if answer.ok and isinstance(answer.body, dict) else []
    return render(request, "customer/roadmap.html", session, me=me, lanes=lanes,
                  capacity_days=capacity_days, capacities=CAPACITIES,
                  plan=answer.body if answer.ok else {},
                  problem=None if answer.ok else missing(answer, "Your roadmap"))


@router.get("/me/surveys")
async def my_surveys(request: Request, session: Customer) -> Response:
    upstream = api(request)
    surveys, catalog_services = await gather(
        upstream.collect("feedback", "/v1/surveys/pending", session.token),
        upstream.collect("catalog", "/v1/services", session.token))
    names = {s["id"]: s["name"] for s in catalog_services.items if s["lifecycle_state"] != "retired"}
    return render(request, "customer/surveys.html", session, surveys=surveys.items, names=names,
                  problem=None if surveys.ok else missing(surveys, "Surveys"))


@router.post("/me/surveys/{survey_id}")
async def answer_survey(request: Request, session: Customer, survey_id: str,
                        form: Form) -> Response:
    body = {"customer_id": session.principal.customer_id, "service_id": form.get("service_id"),
            "demand_id": form.get("demand_id"), "csat": _int(form.get("csat"), 0),
            "perceived_value": _int(form.get("perceived_value"), 0), "channel": "portal"}
    for field in ("nps", "effort"):
        if form.get(field, "").strip().isdigit():
            body[field] = int(form[field])
    if form.get("comment", "").strip():
        body["comment"] = form["comment"].strip()
    if not body["service_id"]:
        return redirect(f"/me/surveys#survey-{survey_id}",
                        ("error", "Choose the service that helped you before sending."))
    if not body["csat"] or not body["perceived_value"]:
        return redirect(f"/me/surveys#survey-{survey_id}",
                        ("error", "Rate both satisfaction and value before sending."))
    answer = await api(request).post("feedback", "/v1/responses", session.token, body)
    if not answer.ok:
        return redirect(f"/me/surveys#survey-{survey_id}", ("error", answer.message))
    return redirect("/me/surveys", ("ok", "Thank you: your answer reached the PMO."))
