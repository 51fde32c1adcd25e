"""What several pages need: the API client, names for ids, and a read that may fail politely."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import Request

from services.portal.session import Session
from services.portal.upstream import Answer, Upstream

SEGMENTS = ("executive", "program_leader", "delivery_team", "functional_partner", "other")
OPEN_STATUSES = ("submitted", "triaged", "planned")


def api(request: Request) -> Upstream:
    return request.app.state.portal.upstream


def settings(request: Request):
    return request.app.state.portal.settings


async def customers_by_id(request: Request, session: Session) -> dict[str, dict]:
    answer = await api(request).collect("intake", "/v1/customers", session.token)
    return {customer["id"]: customer for customer in answer.items}


async def services_by_id(request: Request, session: Session) -> dict[str, dict]:
    answer = await api(request).collect("catalog", "/v1/services", session.token)
    return {service["id"]: service for service in answer.items}


PAGE_CONCURRENCY = 6


async def gather(*calls) -> list[Any]:
    """Runs API reads side by side, a few at a time so one page never floods a service."""
    limit = asyncio.Semaphore(PAGE_CONCURRENCY)

    async def bounded(call):
        async with limit:
            return await call

    return list(await asyncio.gather(*(bounded(call) for call in calls)))


def segment_or_none(value: str | None) -> str | None:
    return value if value in SEGMENTS else None


def missing(answer: Answer, what: str) -> str:
    """A panel's sentence when its source cannot answer."""
    if answer.status == 404:
        return f"{what} is not available yet: {answer.service} does not serve it."
    return f"{what} cannot be shown: {answer.message}."


def weighted(items: list[dict], field: str) -> float | None:
    """The response-weighted mean of one score over services (None when nobody answered)."""
    pairs = [(i[field], i["responses"]) for i in items
             if i.get(field) is not None and i.get("responses")]
    total = sum(n for _v, n in pairs)
    return round(sum(v * n for v, n in pairs) / total, 2) if total else None
