"""Sign-in: demo identities in development, a token from the identity provider otherwise."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.portal.pages import redirect, render, safe_next
from services.portal.session import Form, check_origin, current_session, read_form
from services.portal.upstream import SignInAgain
from shared.auth import issue_token
from shared.errors import ProblemError

router = APIRouter(include_in_schema=False)

STAFF_IDENTITIES = {
    "admin": ("PMO administrator", "demo-pmo-admin", ["pmo_admin"],
              "Everything: triage, catalog lifecycle, policy"),
    "analyst": ("PMO analyst", "demo-pmo-analyst", ["pmo_analyst"],
                "Triage demand, run the catalog, follow up feedback"),
    "executive": ("Executive (read-only)", "demo-executive", ["viewer"],
                  "The one-minute view of value and decisions"),
}
REASONS = {"expired": "Your session ended or your token is no longer accepted. Sign in again.",
           "signed_out": "You are signed out."}


def _development(request: Request) -> bool:
    return request.app.state.portal.settings.env == "development"


def _mint(request: Request, sub: str, roles: list[str], customer_id: str | None = None) -> str:
    settings = request.app.state.portal.settings
    return issue_token(settings.jwt_secret, sub, roles, customer_id, issuer=settings.jwt_issuer,
                       audience=settings.jwt_audience)


async def demo_customers(request: Request) -> tuple[list[dict], str]:
    """Every customer in intake, read with a minted development token; (customers, problem)."""
    upstream = request.app.state.portal.upstream
    try:
        answer = await upstream.collect("intake", "/v1/customers",
                                        _mint(request, "portal-sign-in", ["viewer"]))
    except SignInAgain:
        return [], "intake does not accept the development token (PMO_JWT_SECRET differs)"
    if not answer.ok:
        return [], answer.message
    return sorted(answer.items, key=lambda c: (c["segment"], c["name"])), ""


@router.get("/")
async def home(request: Request) -> Response:
    session = await current_session(request)
    return redirect(session.home if session else "/signin")


@router.get("/signin")
async def sign_in_page(request: Request, next: str | None = None, reason: str | None = None,
                       error: str | None = None) -> Response:
    customers, problem = ([], "")
    if _development(request):
        customers, problem = await demo_customers(request)
    return render(request, "signin.html", await current_session(request),
                  development=_development(request), staff=STAFF_IDENTITIES, customers=customers,
                  customers_problem=problem, next=safe_next(next, ""),
                  reason=REASONS.get(reason or ""), error=error)


@router.post("/signin")
async def sign_in(request: Request) -> Response:
    check_origin(request)
    form = await read_form(request)
    next_path = form.get("next", "")
    if form.get("identity"):
        token = await _demo_token(request, form["identity"])
    else:
        token = form.get("token", "").strip().removeprefix("Bearer ").strip()
    if not token or not re.fullmatch(r"[A-Za-z0-9_\-=]+\.[A-Za-z0-9_\-=]+\.[A-Za-z0-9_\-=]*", token):
        return await _refused(request, "Paste the whole token: three parts separated by dots.")
    portal = request.app.state.portal
    try:
        principal = await portal.verifier.verify(token)
    except ProblemError as problem:
        return await _refused(request, f"The token was not accepted: {problem.detail}.")
    if not principal.roles:
        return await _refused(request, "The token carries none of the platform's roles.")
    home = "/me" if principal.is_customer_only else (
        "/pmo/backlog" if {"pmo_admin", "pmo_analyst"} & set(principal.roles) else "/exec")
    response = redirect(safe_next(next_path, home))
    response.set_cookie(portal.settings.session_cookie, token, httponly=True, samesite="lax",
                        secure=portal.settings.env == "production", path="/", max_age=8 * 3600)
    return response


async def _demo_token(request: Request, identity: str) -> str:
    if not _development(request):
        raise _NoDemo("demo identities exist only when PMO_ENV=development")
    if identity in STAFF_IDENTITIES:
        _label, sub, roles, _what = STAFF_IDENTITIES[identity]
        return _mint(request, sub, roles)
    customer_id = identity.removeprefix("customer:")
    customers, _problem = await demo_customers(request)
    match = next((c for c in customers if c["id"] == customer_id), None)
    if match is None:
        raise _NoDemo("no such demo customer")
    slug = re.sub(r"[^a-z0-9]+", "-", match["name"].lower()).strip("-")[:40]
    return _mint(request, f"demo-{slug}", ["customer"], customer_id)


class _NoDemo(ProblemError):
    status, title, slug = 400, "Bad Request", "no-demo-identity"


async def _refused(request: Request, message: str) -> Response:
    customers, problem = ([], "")
    if _development(request):
        customers, problem = await demo_customers(request)
    return render(request, "signin.html", None, status_code=401,
                  development=_development(request), staff=STAFF_IDENTITIES, customers=customers,
                  customers_problem=problem, next="", reason=None, error=message)


@router.post("/signout")
async def sign_out(request: Request, _form: Form) -> Response:
    response = redirect("/signin?reason=signed_out")
    response.delete_cookie(request.app.state.portal.settings.session_cookie, path="/")
    return response
