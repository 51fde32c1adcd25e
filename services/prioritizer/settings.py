"""prioritizer's settings: its own variables are PMO_PRIORITIZER_*."""

from typing import ClassVar

from pydantic import Field

from shared.settings import ServiceSettings, service_settings_config


class PrioritizerSettings(ServiceSettings):
    model_config = service_settings_config("prioritizer")
    service_name: ClassVar[str] = "prioritizer"
    default_port: ClassVar[int] = 8004

    stream_max_clients: int = Field(100, ge=1)
