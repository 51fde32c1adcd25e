"""intake's settings: its own variables are PMO_INTAKE_*."""

from typing import ClassVar

from shared.settings import ServiceSettings, service_settings_config


class IntakeSettings(ServiceSettings):
    model_config = service_settings_config("intake")
    service_name: ClassVar[str] = "intake"
    default_port: ClassVar[int] = 8001
