"""intake settings: environment variables only (documented in services/intake/README.md)."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from satupintu_shared.settings import ServiceSettings

#: The admin token that works (only) in development when INTAKE_ADMIN_TOKEN is not set.
DEV_ADMIN_TOKEN = "dev-admin-token"
MIN_ADMIN_TOKEN_LENGTH = 16


class Settings(ServiceSettings):
    """Configuration of the intake service."""

    # The shared field is read from TOPIC_PREFIX; the documented variable is SATUPINTU_TOPIC_PREFIX.
    topic_prefix: str = Field(
        default="", validation_alias=AliasChoices("SATUPINTU_TOPIC_PREFIX", "topic_prefix", "TOPIC_PREFIX")
    )
    # intake subscribes to fixed topics only (no pattern to discover new agencies' topics by), and its
    # producer asks for an unknown topic's metadata when it first writes to it: the platform's short
    # refresh would only make each client decode the whole cluster's metadata every few seconds.
    kafka_metadata_max_age_ms: int = Field(
        default=300_000,
        ge=1000,
        validation_alias=AliasChoices("KAFKA_METADATA_MAX_AGE_MS", "kafka_metadata_max_age_ms"),
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

    admin_token: str | None = Field(
        default=None,
        alias="INTAKE_ADMIN_TOKEN",
        description="Bearer token of the admin API (agency API keys); required outside development",
    )

    def admin_bearer_token(self) -> str:
        """The admin API's token: in development the placeholder by default, elsewhere a real one.

        Raises ``ValueError`` (start-up fails) outside development when it is missing or the placeholder.
        """
        token = (self.admin_token or "").strip()
        if self.environment == "development":
            return token or DEV_ADMIN_TOKEN
        if not token or token == DEV_ADMIN_TOKEN or len(token) < MIN_ADMIN_TOKEN_LENGTH:
            raise ValueError(
                f"INTAKE_ADMIN_TOKEN must be set to a secret of at least {MIN_ADMIN_TOKEN_LENGTH} characters "
                f"(not the development placeholder {DEV_ADMIN_TOKEN!r}) when SATUPINTU_ENV is "
                f"{self.environment!r}; e.g. INTAKE_ADMIN_TOKEN=$(openssl rand -hex 32)"
            )
        return token

    @property
    def open311_keys(self) -> frozenset[str]:
        """The configured Open311 API keys."""
        return frozenset(k.strip() for k in self.open311_api_keys.split(",") if k.strip())
