"""prioritizer's app: `uvicorn services.prioritizer.app:create_app --factory`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.prioritizer import handlers, rescoring
from services.prioritizer.api import ACCESS, router
from services.prioritizer.consumers import HANDLERS
from services.prioritizer.models import MECHANISMS
from services.prioritizer.settings import PrioritizerSettings
from services.prioritizer.stream import ScoreStream
from shared.app import Runtime, ServiceSpec, create_service_app
from shared.db import utcnow


async def _on_start(runtime: Runtime) -> None:
    async with runtime.db.uow() as uow:
        await handlers.ensure_default_policy(uow)
    async with runtime.db.uow() as uow:
        await rescoring.rescore_due_customers(uow, utcnow())
    runtime.extras["stream"] = ScoreStream(runtime.db, runtime.settings.stream_max_clients)


SPEC = ServiceSpec(
    name="prioritizer",
    title="pmo-platform prioritizer",
    description="Open demand re-ranked continuously by value to the organization, every rank explained.",
    router=router,
    tables=MECHANISMS,
    service_dir=Path(__file__).parent,
    access=ACCESS,
    consumes=HANDLERS,
    on_start=_on_start,
)


def create_app(settings: PrioritizerSettings | None = None) -> FastAPI:
    return create_service_app(SPEC, settings or PrioritizerSettings())
