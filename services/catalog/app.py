"""catalog's app: `uvicorn services.catalog.app:create_app --factory`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.catalog.api import ACCESS, router
from services.catalog.consumers import HANDLERS
from services.catalog.models import MECHANISMS
from services.catalog.settings import CatalogSettings
from shared.app import ServiceSpec, create_service_app

SPEC = ServiceSpec(
    name="catalog",
    title="pmo-platform catalog",
    description="PMO functions, the services inside each with their value propositions, and the "
                "service lifecycle: proposed, in design, pilot, active, improving, retired.",
    router=router,
    tables=MECHANISMS,
    service_dir=Path(__file__).parent,
    access=ACCESS,
    consumes=HANDLERS,
)


def create_app(settings: CatalogSettings | None = None) -> FastAPI:
    return create_service_app(SPEC, settings or CatalogSettings())
