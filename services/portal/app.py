"""portal's app: `uvicorn services.portal.app:create_app --factory`.

A backend-for-frontend: it renders HTML on the server from the four APIs, keeps the person's
token in an HttpOnly cookie and calls the APIs with it. No database, no Kafka.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.portal.pages import templates
from services.portal.session import NeedsSignIn, sign_in_url
from services.portal.settings import PortalSettings
from services.portal.upstream import SignInAgain, Upstream
from services.portal.views import customer, executive, live, pmo_backlog, pmo_catalog, pmo_listen, signin
from shared.app import configure_logging
from shared.auth import TokenVerifier
from shared.errors import PROBLEM_JSON, ProblemError, Unprocessable, problem_body
from shared.http import BodySizeLimit, problem_response
from shared.metrics import ServiceMetrics

log = logging.getLogger("pmo.portal")
STATIC_DIR = Path(__file__).parent / "static"


@dataclass
class Portal:
    """What the lifespan built; routes reach it through `request.app.state.portal`."""

    settings: PortalSettings
    verifier: TokenVerifier
    secret: bytes
    metrics: ServiceMetrics
    upstream: Upstream | None = None


def create_app(settings: PortalSettings | None = None) -> FastAPI:
    settings = settings or PortalSettings()
    configure_logging(settings.log_level)
    secret = settings.session_secret.encode() if settings.session_secret else secrets.token_bytes(32)
    portal = Portal(settings, TokenVerifier(settings), secret, ServiceMetrics())
    app = FastAPI(title="pmo-platform portal", version="1.0.0", lifespan=_lifespan(portal),
                  description="The web UI: PMO, executive and customer views over the four APIs.",
                  openapi_url="/openapi.json", docs_url="/docs", redoc_url=None)
    app.state.portal = portal
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (signin, pmo_backlog, pmo_catalog, pmo_listen, executive, customer, live):
        app.include_router(module.router)
    _install_operations(app)
    _install_error_handlers(app)
    _install_middleware(app, portal)
    return app


def _lifespan(portal: Portal):
    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        settings = portal.settings
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=40)
        async with httpx.AsyncClient(timeout=settings.upstream_timeout_seconds,
                                     limits=limits) as client:
            portal.upstream = Upstream(client, settings.upstreams)
            log.info("portal ready port=%s pid=%s upstreams=%s", settings.port, os.getpid(),
                     settings.upstreams)
            yield
            portal.upstream = None

    return lifespan


def _install_operations(app: FastAPI) -> None:
    @app.get("/healthz", operation_id="healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", operation_id="readyz", tags=["operations"])
    async def readyz(request: Request) -> JSONResponse:
        # The portal owns no database or broker: it is ready once it serves. An API being down
        # degrades one panel, so it must not take the whole portal out of rotation.
        portal: Portal = request.app.state.portal
        if portal.upstream is None:
            return problem_response(_NotReady("not ready: still starting", down=["portal"]))
        return JSONResponse({"status": "ready"})

    @app.get("/metrics", operation_id="metrics", tags=["operations"],
             response_class=PlainTextResponse)
    async def metrics(request: Request) -> PlainTextResponse:
        registry = request.app.state.portal.metrics.registry
        return PlainTextResponse(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


class _NotReady(ProblemError):
    status, title, slug = 503, "Service Unavailable", "unavailable"


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def _error_page(request: Request, status: int, title: str, detail: str) -> Response:
    if not _wants_html(request):
        slug = "internal" if status >= 500 else f"http-{status}"
        return JSONResponse(problem_body(status, title, detail, slug), status_code=status,
                            media_type=PROBLEM_JSON)
    return templates.TemplateResponse(request, "error.html",
                                      {"status": status, "title": title, "detail": detail,
                                       "session": getattr(request.state, "session", None)},
                                      status_code=status)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NeedsSignIn)
    async def on_sign_in(_request: Request, error: NeedsSignIn) -> Response:
        return RedirectResponse(sign_in_url(error.next_path, error.reason), status_code=303)

    @app.exception_handler(SignInAgain)
    async def on_expired(request: Request, _error: SignInAgain) -> Response:
        response = RedirectResponse(sign_in_url(request.url.path, "expired"), status_code=303)
        response.delete_cookie(request.app.state.portal.settings.session_cookie, path="/")
        return response

    @app.exception_handler(ProblemError)
    async def on_problem(request: Request, error: ProblemError) -> Response:
        if not _wants_html(request):
            return problem_response(error)
        return _error_page(request, error.status, error.title, error.detail)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, error: RequestValidationError) -> Response:
        errors = [{"loc": list(item["loc"]), "msg": item["msg"]} for item in error.errors()]
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors[:5])
        if _wants_html(request):
            return _error_page(request, 422, "Unprocessable Content", detail)
        problem = Unprocessable(detail, "request")
        problem.extra = {"errors": errors}
        return problem_response(problem)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, error: StarletteHTTPException) -> Response:
        titles = {404: "Not Found", 405: "Method Not Allowed"}
        return _error_page(request, error.status_code, titles.get(error.status_code, "Error"),
                           "There is no such page." if error.status_code == 404 else str(error.detail))

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, _error: Exception) -> Response:
        log.exception("unhandled error")
        return _error_page(request, 500, "Internal Server Error",
                           "an unexpected error occurred; it has been logged")


def _install_middleware(app: FastAPI, portal: Portal) -> None:
    @app.middleware("http")
    async def request_context(request: Request, call_next):
        request_id = request.headers.get("X-Request-ID") or str(uuid.uuid4())
        request.state.request_id = request_id
        started = time.perf_counter()
        response = await call_next(request)
        template = getattr(request.scope.get("route"), "path", "unmatched")
        portal.metrics.http_requests.labels(template, request.method,
                                            str(response.status_code)).inc()
        portal.metrics.http_latency.labels(template, request.method).observe(
            time.perf_counter() - started)
        response.headers["X-Request-ID"] = request_id
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
        return response

    app.add_middleware(BodySizeLimit, max_bytes=portal.settings.max_body_bytes)
