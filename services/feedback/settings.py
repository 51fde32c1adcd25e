"""feedback's settings: its own variables are PMO_FEEDBACK_*."""

from typing import ClassVar

from pydantic import Field

from shared.settings import ServiceSettings, service_settings_config


class FeedbackSettings(ServiceSettings):
    model_config = service_settings_config("feedback")
    service_name: ClassVar[str] = "feedback"
    default_port: ClassVar[int] = 8003

    # An open detractor alert older than this many days is reported as overdue.
    alert_overdue_days: int = Field(7, ge=1)
