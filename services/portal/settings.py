"""portal's settings: its own variables are PMO_PORTAL_*."""

from typing import ClassVar

from pydantic import Field

from shared.settings import ServiceSettings, service_settings_config


class PortalSettings(ServiceSettings):
    """Where the four APIs are, how sessions are kept, and the thresholds the views highlight."""

    model_config = service_settings_config("portal")
    service_name: ClassVar[str] = "portal"
    default_port: ClassVar[int] = 8000

    intake_url: str = "http://127.0.0.1:8001"
    catalog_url: str = "http://127.0.0.1:8002"
    feedback_url: str = "http://127.0.0.1:8003"
    prioritizer_url: str = "http://127.0.0.1:8004"
    upstream_timeout_seconds: float = Field(10.0, gt=0)
    # Signs the CSRF tokens of forms; several replicas must share it. Empty: random per process.
    session_secret: str = ""
    session_cookie: str = "pmo_session"
    # A read-only (viewer) token the portal uses for what a customer may see but not list itself:
    # open needs of others to endorse. In development the portal mints one; elsewhere, if empty,
    # that panel says it is not available.
    service_token: str = ""
    # Where people reach the portal when a proxy changes the Host (comma-separated origins);
    # a form posted from any other origin is refused.
    public_origins: str = ""
    # Thresholds highlighted on the dashboards (1..5 scales; NPS -100..100).
    csat_target: float = Field(4.0, ge=1, le=5)
    csat_floor: float = Field(3.0, ge=1, le=5)
    value_floor: float = Field(3.0, ge=1, le=5)
    nps_floor: float = Field(0.0, ge=-100, le=100)
    top_n: int = Field(10, ge=1, le=200)

    @property
    def upstreams(self) -> dict[str, str]:
        return {"intake": self.intake_url.rstrip("/"), "catalog": self.catalog_url.rstrip("/"),
                "feedback": self.feedback_url.rstrip("/"),
                "prioritizer": self.prioritizer_url.rstrip("/")}

    @property
    def public_origin_list(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.public_origins.split(",") if o.strip()]
