"""PMO: the service catalog as a lifecycle board, with the moves the contract's table allows."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.portal.pages import STATE_LABELS, redirect, render
from services.portal.session import Form, Staff
from services.portal.views.common import api, customers_by_id, gather, missing

router = APIRouter(include_in_schema=False)

STATES = ("proposed", "in_design", "pilot", "active", "improving", "retired")
# Contract §3: the only moves a service can make.
MOVES: dict[str, tuple[str, ...]] = {
    "proposed": ("in_design", "retired"),
    "in_design": ("pilot", "proposed", "retired"),
    "pilot": ("active", "in_design", "retired"),
    "active": ("improving", "retired"),
    "improving": ("active", "retired"),
    "retired": (),
}
# The catalog keeps these to pmo_admin; the board shows them to others as the admin's call.
ADMIN_MOVES = {("improving", "active")} | {(state, "retired") for state in STATES}
# Moves that ask for more than a click: a pilot plan, evidence that it worked, a reason to retire.
DETAILED = {("in_design", "pilot"), ("pilot", "active"), ("improving", "active")} | {
    (state, "retired") for state in STATES}


# What a button says: the decision, not the state name.
VERBS = {"in_design": "Design it", "pilot": "Start pilot", "active": "Go live",
         "improving": "Improve", "retired": "Retire", "proposed": "Back to proposed"}
BACK_VERBS = {("pilot", "in_design"): "Back to design", ("improving", "active"): "Reactivate"}


def moves_for(state: str, is_admin: bool) -> list[dict]:
    return [{"to": to, "label": BACK_VERBS.get((state, to), VERBS[to]),
             "state": STATE_LABELS[to], "admin_only": (state, to) in ADMIN_MOVES,
             "allowed": is_admin or (state, to) not in ADMIN_MOVES}
            for to in MOVES.get(state, ())]


@router.get("/pmo/catalog")
async def board(request: Request, session: Staff) -> Response:
    upstream = api(request)
    services, functions, summary, recommendations = await gather(
        upstream.collect("catalog", "/v1/services", session.token),
        upstream.collect("catalog", "/v1/functions", session.token),
        upstream.get("feedback", "/v1/summary", session.token, window_days=365),
        upstream.collect("prioritizer", "/v1/recommendations", session.token))
    function_names = {f["code"]: f["name"] for f in functions.items}
    scores = {item["service_id"]: item for item in summary.items}
    advice = {r.get("service_id"): r for r in recommendations.items
              if r.get("service_id") and r.get("action") != "keep"}
    columns = {state: [] for state in STATES}
    for service in sorted(services.items, key=lambda s: s["name"]):
        columns.setdefault(service["lifecycle_state"], []).append({
            "service": service, "function": function_names.get(service["function_code"],
                                                                service["function_code"]),
            "score": scores.get(service["id"]), "advice": advice.get(service["id"]),
            "moves": moves_for(service["lifecycle_state"], session.is_admin)})
    return render(request, "pmo/catalog.html", session, columns=columns, states=STATES,
                  problem=None if services.ok else missing(services, "The catalog"))


@router.get("/pmo/catalog/{service_id}/move")
async def move_form(request: Request, session: Staff, service_id: str, to: str) -> Response:
    upstream = api(request)
    service, history, customers, others = await gather(
        upstream.get("catalog", f"/v1/services/{service_id}", session.token),
        upstream.get("catalog", f"/v1/services/{service_id}/history", session.token, limit=10),
        customers_by_id(request, session),
        upstream.collect("catalog", "/v1/services", session.token))
    if not service.ok:
        return redirect("/pmo/catalog", ("error", missing(service, "That service")))
    state = service.body["lifecycle_state"]
    if to not in MOVES.get(state, ()):
        allowed = ", ".join(STATE_LABELS[s] for s in MOVES.get(state, ())) or "none"
        return redirect("/pmo/catalog", ("error", f"{service.body['name']} cannot move from "
                                         f"{STATE_LABELS[state]} to {to}; allowed: {allowed}."))
    replacements = [s for s in others.items
                    if s["id"] != service_id and s["lifecycle_state"] != "retired"]
    return render(request, "pmo/move.html", session, service=service.body, to=to,
                  version=service.version, history=history.items,
                  customers=sorted(customers.values(), key=lambda c: c["name"]),
                  replacements=sorted(replacements, key=lambda s: s["name"]),
                  default_end=(date.today() + timedelta(days=60)).isoformat(),
                  needs_evidence=(state, to) in {("pilot", "active"), ("improving", "active")})


@router.post("/pmo/catalog/{service_id}/move")
async def move(request: Request, session: Staff, service_id: str, form: Form) -> Response:
    to, version = form.get("to", ""), form.get("version", "")
    state = form.get("from", "")
    if (state, to) in DETAILED and form.get("details") != "1":
        return redirect(f"/pmo/catalog/{service_id}/move?to={to}")
    body: dict = {"to": to}
    for field in ("reason", "evidence", "replacement_service_id"):
        if form.get(field, "").strip():
            body[field] = form[field].strip()
    if to == "pilot":
        body["pilot"] = {"customer_ids": _pilot_customers(form),
                         "success_criteria": form.get("success_criteria", "").strip(),
                         "ends_on": form.get("ends_on", "")}
    answer = await api(request).post("catalog", f"/v1/services/{service_id}/transitions",
                                     session.token, body,
                                     if_match=int(version) if version.isdigit() else None)
    if not answer.ok:
        back = f"/pmo/catalog/{service_id}/move?to={to}" if (state, to) in DETAILED else "/pmo/catalog"
        return redirect(back, ("error", answer.message))
    name = answer.body["name"]
    return redirect(f"/pmo/catalog#service-{service_id}",
                    ("ok", f"{name} moved to {STATE_LABELS.get(to, to)}."))


def _pilot_customers(form: dict[str, str]) -> list[str]:
    """Pilot customers arrive as one checkbox field each (`pilot_customer:<id>=on`)."""
    return [key.removeprefix("pilot_customer:") for key, value in form.items()
            if key.startswith("pilot_customer:") and value == "on"]
