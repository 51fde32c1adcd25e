"""catalog's settings: its own variables are PMO_CATALOG_*."""

from typing import ClassVar

from shared.settings import ServiceSettings, service_settings_config


class CatalogSettings(ServiceSettings):
    model_config = service_settings_config("catalog")
    service_name: ClassVar[str] = "catalog"
    default_port: ClassVar[int] = 8002
