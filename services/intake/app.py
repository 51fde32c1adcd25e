"""intake's app: `uvicorn services.intake.app:create_app --factory`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.intake.api import ACCESS, router
from services.intake.consumers import HANDLERS
from services.intake.models import MECHANISMS
from services.intake.settings import IntakeSettings
from shared.app import ServiceSpec, create_service_app

SPEC = ServiceSpec(
    name="intake",
    title="pmo-platform intake",
    description="PMO customers (segment, strategic importance, maturity, profile) and their demand.",
    router=router,
    tables=MECHANISMS,
    service_dir=Path(__file__).parent,
    access=ACCESS,
    consumes=HANDLERS,
)


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    return create_service_app(SPEC, settings or IntakeSettings())
