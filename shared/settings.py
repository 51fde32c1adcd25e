"""Settings common to every service, read from the environment (prefix PMO_)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_JWT_SECRET = "pmo-development-secret-change-me-0123456789"
REPO_ROOT = Path(__file__).resolve().parents[1]


def common(default, env: str, **kwargs):
    """A field read from a platform-wide variable (PMO_X), whatever the service's own prefix."""
    # Only the PMO_ name is read from the environment; code may still pass the field by name.
    return Field(default, validation_alias=env, **kwargs)


class ServiceSettings(BaseSettings):
    """What every service needs; a service subclass sets `service_name`, its port and prefix."""

    model_config = SettingsConfigDict(env_prefix="PMO_", extra="ignore", populate_by_name=True)
    service_name: ClassVar[str] = "service"
    default_port: ClassVar[int] = 8000

    env: Literal["development", "test", "production"] = common("development", "PMO_ENV")
    data_dir: Path = common(REPO_ROOT / "var", "PMO_DATA_DIR")
    database_url: str = ""
    port: int = 0
    kafka_bootstrap_servers: str = common("127.0.0.1:9092", "PMO_KAFKA_BOOTSTRAP_SERVERS")
    # Lets tests and side-by-side stacks share one broker without seeing each other's events.
    kafka_topic_prefix: str = common("", "PMO_KAFKA_TOPIC_PREFIX")
    kafka_enabled: bool = common(True, "PMO_KAFKA_ENABLED")
    kafka_timeout_seconds: float = common(10.0, "PMO_KAFKA_TIMEOUT_SECONDS", gt=0)
    consumer_group: str = ""
    jwt_secret: str = common(DEVELOPMENT_JWT_SECRET, "PMO_JWT_SECRET", repr=False)  # never printed
    jwt_jwks_url: str = common("", "PMO_JWT_JWKS_URL")
    jwt_issuer: str = common("pmo-platform", "PMO_JWT_ISSUER")
    jwt_audience: str = common("pmo-platform", "PMO_JWT_AUDIENCE")
    # Clock skew tolerated on exp, nbf and iat between the token issuer and this service.
    jwt_leeway_seconds: int = common(30, "PMO_JWT_LEEWAY_SECONDS", ge=0, le=300)
    jwt_jwks_cache_seconds: int = common(300, "PMO_JWT_JWKS_CACHE_SECONDS", gt=0)
    cors_origins: str = common("", "PMO_CORS_ORIGINS")
    rate_limit_writes_per_minute: int = common(600, "PMO_RATE_LIMIT_WRITES_PER_MINUTE", ge=0)
    max_body_bytes: int = common(64 * 1024, "PMO_MAX_BODY_BYTES", gt=0)
    outbox_poll_seconds: float = common(1.0, "PMO_OUTBOX_POLL_SECONDS", gt=0)
    outbox_batch_size: int = common(200, "PMO_OUTBOX_BATCH_SIZE", gt=0)
    consumer_max_retries: int = common(3, "PMO_CONSUMER_MAX_RETRIES", ge=0)
    consumer_batch_size: int = common(500, "PMO_CONSUMER_BATCH_SIZE", gt=0, le=10_000)
    log_level: str = common("INFO", "PMO_LOG_LEVEL")

    @model_validator(mode="after")
    def _fill_service_defaults(self) -> "ServiceSettings":
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.data_dir / (self.service_name + '.db')}"
        if not self.port:
            self.port = self.default_port
        if not self.consumer_group:
            self.consumer_group = f"pmo-{self.service_name}"
        return self

    @property
    def cors_origin_list(self) -> list[str]:
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]

    def topic(self, name: str) -> str:
        """The physical topic for a contract topic name."""
        return f"{self.kafka_topic_prefix}{name}"


def service_settings_config(service_name: str) -> SettingsConfigDict:
    """Settings config for one service: its own variables are PMO_<NAME>_*."""
    return SettingsConfigDict(
        env_prefix=f"PMO_{service_name.upper()}_", extra="ignore", populate_by_name=True
    )
