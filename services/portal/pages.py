"""Rendering: the Jinja2 environment, its filters, navigation per role, and flash messages."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from services.portal import charts
from services.portal.session import Session

FLASH_COOKIE = "pmo_flash"
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

SEGMENT_LABELS = {"executive": "Executives", "program_leader": "Project and program leaders",
                  "delivery_team": "Delivery teams", "functional_partner": "Functional partners",
                  "other": "Other customers"}
STATE_LABELS = {"proposed": "Proposed", "in_design": "In design", "pilot": "Pilot",
                "active": "Active", "improving": "Improving", "retired": "Retired"}
STATUS_LABELS = {"submitted": "Submitted", "triaged": "Triaged", "planned": "Planned",
                 "in_progress": "In progress", "delivered": "Delivered", "rejected": "Rejected",
                 "withdrawn": "Withdrawn"}
ACTION_LABELS = {"expand": "Expand", "simplify": "Simplify", "improve": "Improve",
                 "roll_out": "Roll out", "retire": "Retire", "keep": "Keep",
                 "propose_service": "Propose a service"}
KIND_LABELS = {"pain_point": "Something hurts (pain point)",
               "new_service": "A service the PMO does not offer yet",
               "service_change": "A change to a service I use",
               "support_request": "Help with a specific piece of work"}


def _label(mapping: dict[str, str]):
    def label(value: Any) -> str:
        if value is None:
            return "—"
        return mapping.get(str(value), str(value).replace("_", " ").capitalize())
    return label


def _number(value: Any, digits: int = 2) -> str:
    if value is None:
        return "—"
    try:
        return f"{float(value):.{digits}f}"
    except (TypeError, ValueError):
        return str(value)


def _day(value: Any) -> str:
    """`2026-11-26T18:22:54Z` → `26 Nov 2026`."""
    if not value:
        return "—"
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).strftime("%d %b %Y")
    except ValueError:
        return str(value)


templates.env.filters.update(segment=_label(SEGMENT_LABELS), state=_label(STATE_LABELS),
                             status=_label(STATUS_LABELS), action=_label(ACTION_LABELS),
                             kind=_label(KIND_LABELS), factor=charts.factor_label,
                             number=_number, day=_day, points=charts.points_attr)
templates.env.globals.update(charts=charts, SEGMENT_LABELS=SEGMENT_LABELS,
                             STATE_LABELS=STATE_LABELS, KIND_LABELS=KIND_LABELS)


def navigation(session: Session | None) -> list[tuple[str, str]]:
    """The links a person's roles open, in the order they are used."""
    if session is None:
        return []
    if session.is_customer:
        return [("/me", "My demands"), ("/me/new", "New demand"), ("/me/endorse", "Same need?"),
                ("/me/catalog", "Services for you"), ("/me/roadmap", "My roadmap"),
                ("/me/surveys", "Surveys")]
    links = [("/exec", "Executive"), ("/pmo/backlog", "Backlog"), ("/pmo/coverage", "Coverage"),
             ("/pmo/catalog", "Catalog"), ("/pmo/satisfaction", "Satisfaction"),
             ("/pmo/recommendations", "Recommendations"), ("/pmo/alerts", "Alerts")]
    return links


def render(request: Request, template: str, session: Session | None, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    """A full page, with the person's navigation and any flash message left for it."""
    flash = _read_flash(request)
    portal = request.app.state.portal
    response = templates.TemplateResponse(request, template, {
        "session": session, "nav": navigation(session), "path": request.url.path,
        "flash": flash, "settings": portal.settings, **context}, status_code=status_code)
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def fragment(request: Request, template: str, **context: Any) -> HTMLResponse:
    """A piece of a page, swapped in by the page's script (the live backlog)."""
    return templates.TemplateResponse(request, template, context)


def redirect(to: str, flash: tuple[str, str] | None = None) -> RedirectResponse:
    """303 after a form post, carrying a one-time message for the next page."""
    response = RedirectResponse(to, status_code=303)
    if flash:
        kind, text = flash
        response.set_cookie(FLASH_COOKIE, quote(json.dumps({"kind": kind, "text": text[:500]})),
                            max_age=60, httponly=True, samesite="lax", path="/")
    return response


def _read_flash(request: Request) -> dict[str, str] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        value = json.loads(unquote(raw))
    except ValueError:
        return None
    if isinstance(value, dict) and value.get("kind") in ("ok", "error") and value.get("text"):
        return {"kind": value["kind"], "text": str(value["text"])}
    return None


def safe_next(path: str | None, default: str) -> str:
    """Only a path on this portal may follow sign-in (no open redirect)."""
    if path and path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return default
