"""The rankings stream, relayed: the browser listens on the portal's own origin with its cookie,
and the portal listens to the prioritizer with the person's token."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from services.portal.session import Staff
from services.portal.upstream import SignInAgain
from services.portal.views.common import api

router = APIRouter(include_in_schema=False)
log = logging.getLogger("pmo.portal.live")
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@router.get("/live/rankings")
async def live_rankings(request: Request, session: Staff) -> Response:
    upstream = api(request)
    last_event_id = request.headers.get("Last-Event-ID")

    async def relay() -> AsyncIterator[bytes]:
        # Opened inside the generator, so the upstream stream lives and closes in one task; any
        # failure ends this stream with a retry hint and EventSource comes back by itself.
        try:
            async with upstream.stream("prioritizer", "/v1/rankings/stream", session.token,
                                       last_event_id) as response:
                if response.status_code != 200:
                    yield _hint(f"the prioritizer's stream answered {response.status_code}")
                    return
                async for chunk in response.aiter_raw():
                    yield chunk
        except (httpx.HTTPError, SignInAgain) as error:
            log.info("rankings stream ended error=%r", error)
            yield _hint("the prioritizer's stream is not reachable; retrying")

    return StreamingResponse(relay(), media_type="text/event-stream", headers=SSE_HEADERS)


def _hint(why: str) -> bytes:
    return f"retry: 5000\n: {why}\n\n".encode()
