"""Settings helpers: every value comes from the environment (see each service's README for the list)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from .topics import Topics

SecurityProtocol = Literal["SASL_PLAINTEXT", "SASL_SSL", "SSL", "PLAINTEXT"]
SaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]


class KafkaCredentialsMissing(ValueError):
    """A client was asked to authenticate without a username or password."""


class KafkaSettings(BaseSettings):
    """How to reach Kafka and which topics to use."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    kafka_bootstrap_servers: str = Field(default="127.0.0.1:9092", description="KAFKA_BOOTSTRAP_SERVERS")
    kafka_linger_ms: int = Field(default=5, ge=0, description="KAFKA_LINGER_MS: producer batching delay")
    kafka_request_timeout_ms: int = Field(default=10_000, ge=1000, description="KAFKA_REQUEST_TIMEOUT_MS")
    kafka_metadata_max_age_ms: int = Field(default=5_000, ge=1000, description="KAFKA_METADATA_MAX_AGE_MS")
    # Secure by default: the broker accepts no anonymous client. PLAINTEXT exists for a broker that
    # really has no security (a throwaway test cluster); it is never the default.
    kafka_security_protocol: SecurityProtocol = Field(
        default="SASL_PLAINTEXT",
        description="KAFKA_SECURITY_PROTOCOL: SASL_PLAINTEXT, SASL_SSL, SSL or PLAINTEXT",
    )
    kafka_sasl_mechanism: SaslMechanism = Field(default="SCRAM-SHA-512", description="KAFKA_SASL_MECHANISM")
    kafka_sasl_username: str | None = Field(
        default=None, description="KAFKA_SASL_USERNAME: this client's principal"
    )
    kafka_sasl_password: SecretStr | None = Field(default=None, description="KAFKA_SASL_PASSWORD")
    kafka_sasl_password_file: Path | None = Field(
        default=None, description="KAFKA_SASL_PASSWORD_FILE: read the password from this file instead"
    )
    kafka_ssl_cafile: Path | None = Field(
        default=None, description="KAFKA_SSL_CAFILE: CA that signed the broker"
    )
    kafka_ssl_certfile: Path | None = Field(
        default=None, description="KAFKA_SSL_CERTFILE: client certificate"
    )
    kafka_ssl_keyfile: Path | None = Field(
        default=None, description="KAFKA_SSL_KEYFILE: client certificate's key"
    )
    topic_prefix: str = Field(
        default="",
        # Documented as SATUPINTU_TOPIC_PREFIX; the field name still works (kwargs, TOPIC_PREFIX).
        validation_alias=AliasChoices("SATUPINTU_TOPIC_PREFIX", "topic_prefix"),
        description="SATUPINTU_TOPIC_PREFIX: isolates an environment's topics",
    )

    def sasl_credentials(self) -> tuple[str, str]:
        """This client's SASL username and password (the password file is read now, so a rotated
        password is picked up by the next connection). Raises ``KafkaCredentialsMissing``."""
        username = (self.kafka_sasl_username or "").strip()
        password = self.kafka_sasl_password.get_secret_value() if self.kafka_sasl_password else ""
        if not password and self.kafka_sasl_password_file is not None:
            try:
                password = self.kafka_sasl_password_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise KafkaCredentialsMissing(
                    f"cannot read KAFKA_SASL_PASSWORD_FILE {self.kafka_sasl_password_file}: {exc}"
                ) from exc
        if not username or not password:
            raise KafkaCredentialsMissing(
                f"Kafka at {self.kafka_bootstrap_servers} accepts no anonymous client: set "
                "KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE); "
                "`make up` writes the platform's credentials under .state/secrets/"
            )
        return username, password

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
        # Production-like by default: no placeholder secret is accepted unless a developer says so.
        default="production",
        validation_alias=AliasChoices("SATUPINTU_ENV", "environment"),
        description="SATUPINTU_ENV: production (default) or development",
    )
