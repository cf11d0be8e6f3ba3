"""intake settings: environment variables only (documented in services/intake/README.md)."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from satupintu_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """Configuration of the intake service."""

    # The shared field is read from TOPIC_PREFIX; the documented variable is SATUPINTU_TOPIC_PREFIX.
    topic_prefix: str = Field(
        default="", validation_alias=AliasChoices("SATUPINTU_TOPIC_PREFIX", "topic_prefix", "TOPIC_PREFIX")
    )
    http_host: str = Field(default="127.0.0.1", alias="INTAKE_HOST")
    http_port: int = Field(default=8080, alias="INTAKE_PORT")
    consumer_group: str = Field(default="satupintu-intake", alias="INTAKE_CONSUMER_GROUP")
    status_consumer_group: str = Field(
        default="satupintu-intake-status", alias="INTAKE_STATUS_CONSUMER_GROUP"
    )
    publish_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        le=30,
        alias="INTAKE_PUBLISH_TIMEOUT_SECONDS",
        description="Longest wait for the broker's acknowledgement before answering 503",
    )
    retry_after_seconds: int = Field(default=2, ge=1, alias="INTAKE_RETRY_AFTER_SECONDS")
    max_body_bytes: int = Field(default=65_536, ge=1024, alias="INTAKE_MAX_BODY_BYTES")
    max_batch_body_bytes: int = Field(default=8_388_608, ge=1024, alias="INTAKE_MAX_BATCH_BODY_BYTES")
    open311_api_keys: str = Field(
        default="",
        alias="INTAKE_OPEN311_API_KEYS",
        description="Comma-separated keys for Open311 POST requests; empty accepts any (development)",
    )
    catalog_file: str | None = Field(
        default=None,
        alias="INTAKE_CATALOG_FILE",
        description="Catalog (YAML or JSON) used until the catalog topic provides one",
    )
    catalog_wait_seconds: float = Field(default=10.0, ge=0, alias="INTAKE_CATALOG_WAIT_SECONDS")
    public_base_url: str = Field(default="http://127.0.0.1:8080", alias="INTAKE_PUBLIC_BASE_URL")

    @property
    def open311_keys(self) -> frozenset[str]:
        """The configured Open311 API keys."""
        return frozenset(k.strip() for k in self.open311_api_keys.split(",") if k.strip())
