"""Settings helpers: every value comes from the environment (see each service's README for the list)."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from .topics import Topics


class KafkaSettings(BaseSettings):
    """How to reach Kafka and which topics to use."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    kafka_bootstrap_servers: str = Field(default="127.0.0.1:9092", description="KAFKA_BOOTSTRAP_SERVERS")
    kafka_linger_ms: int = Field(default=5, ge=0, description="KAFKA_LINGER_MS: producer batching delay")
    kafka_request_timeout_ms: int = Field(default=10_000, ge=1000, description="KAFKA_REQUEST_TIMEOUT_MS")
    kafka_metadata_max_age_ms: int = Field(default=5_000, ge=1000, description="KAFKA_METADATA_MAX_AGE_MS")
    topic_prefix: str = Field(
        default="",
        # Documented as SATUPINTU_TOPIC_PREFIX; the field name still works (kwargs, TOPIC_PREFIX).
        validation_alias=AliasChoices("SATUPINTU_TOPIC_PREFIX", "topic_prefix"),
        description="SATUPINTU_TOPIC_PREFIX: isolates an environment's topics",
    )

    @property
    def topics(self) -> Topics:
        """The topic names of this environment."""
        return Topics(prefix=self.topic_prefix)

    def group(self, name: str) -> str:
        """The consumer group ``name`` in this environment: environments never share a group."""
        return f"{self.topic_prefix}{name}"


class ServiceSettings(KafkaSettings):
    """What every SatuPintu service is configured with. Services subclass it and add their own."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    database_url: str = Field(
        default="postgresql://satupintu:satupintu@127.0.0.1:55432/satupintu", description="DATABASE_URL"
    )
    database_pool_size: int = Field(default=10, ge=1, description="DATABASE_POOL_SIZE")
    otel_exporter_otlp_endpoint: str | None = Field(
        default=None,
        description="OTEL_EXPORTER_OTLP_ENDPOINT: OTLP/HTTP collector, e.g. http://127.0.0.1:4318",
    )
    otel_traces_sampler_arg: float = Field(
        default=1.0, ge=0.0, le=1.0, description="OTEL_TRACES_SAMPLER_ARG: parent-based ratio sampling"
    )
    log_level: str = Field(default="INFO", description="LOG_LEVEL")
    consumer_lag_interval_seconds: float = Field(
        default=15.0,
        gt=0,
        validation_alias=AliasChoices(
            "SATUPINTU_CONSUMER_LAG_INTERVAL_SECONDS", "consumer_lag_interval_seconds"
        ),
        description="SATUPINTU_CONSUMER_LAG_INTERVAL_SECONDS: how often consumer lag is measured",
    )
    environment: str = Field(
        default="development",
        validation_alias=AliasChoices("SATUPINTU_ENV", "environment"),
        description="SATUPINTU_ENV: development or production",
    )
