"""feedback's app: `uvicorn services.feedback.app:create_app --factory`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.feedback.api import ACCESS, router
from services.feedback.consumers import HANDLERS
from services.feedback.models import MECHANISMS
from services.feedback.settings import FeedbackSettings
from shared.app import ServiceSpec, create_service_app

SPEC = ServiceSpec(
    name="feedback",
    title="pmo-platform feedback",
    description="What customers say the PMO's services are worth: responses (satisfaction, "
                "perceived value, NPS, effort), per-service and portfolio summaries, and "
                "follow-up alerts for every detractor.",
    router=router,
    tables=MECHANISMS,
    service_dir=Path(__file__).parent,
    access=ACCESS,
    consumes=HANDLERS,
)


def create_app(settings: FeedbackSettings | None = None) -> FastAPI:
    return create_service_app(SPEC, settings or FeedbackSettings())
