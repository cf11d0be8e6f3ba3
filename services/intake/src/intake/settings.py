"""intake settings: environment variables only (documented in services/intake/README.md)."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr

from satupintu_shared.operator_auth import OperatorAuthSettings
from satupintu_shared.operator_auth.tokens import PLACEHOLDERS
from satupintu_shared.settings import ServiceSettings

from .domain.bounds import MAX_ITEM_BYTES_LIMIT, Bounds


class Settings(ServiceSettings, OperatorAuthSettings):
    """Configuration of the intake service (operator credentials: ``OperatorAuthSettings``)."""

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
    idempotency_ttl_hours: float = Field(
        default=72,
        gt=0,
        alias="INTAKE_IDEMPOTENCY_TTL_HOURS",
        description="How long an Idempotency-Key is remembered; an older key is treated as unused",
    )
    retry_after_seconds: int = Field(default=2, ge=1, alias="INTAKE_RETRY_AFTER_SECONDS")
    max_body_bytes: int = Field(default=65_536, ge=1024, alias="INTAKE_MAX_BODY_BYTES")
    max_batch_body_bytes: int = Field(default=8_388_608, ge=1024, alias="INTAKE_MAX_BATCH_BODY_BYTES")
    max_text_field_chars: int = Field(
        default=4000,
        ge=1,
        le=MAX_ITEM_BYTES_LIMIT // 4,
        alias="INTAKE_MAX_TEXT_FIELD_CHARS",
        description="Longest free-text field (description, attribute values without a catalog max_length, "
        "an agency's note and reason)",
    )
    max_item_bytes: int = Field(
        default=65_536,
        ge=1024,
        le=MAX_ITEM_BYTES_LIMIT,
        alias="INTAKE_MAX_ITEM_BYTES",
        description="Largest submission (compact JSON), below the broker's 1 MiB record limit with headroom",
    )
    open311_api_keys: str = Field(
        default="",
        alias="INTAKE_OPEN311_API_KEYS",
        description="Comma-separated api_keys accepted by Open311 POST requests; none: every POST is 403",
    )
    open311_api_keys_file: Path | None = Field(
        default=None,
        alias="INTAKE_OPEN311_API_KEYS_FILE",
        description="A file of Open311 api_keys, one per line (added to INTAKE_OPEN311_API_KEYS)",
    )
    catalog_file: str | None = Field(
        default=None,
        alias="INTAKE_CATALOG_FILE",
        description="Catalog (YAML or JSON) used until the catalog topic provides one",
    )
    catalog_wait_seconds: float = Field(default=10.0, ge=0, alias="INTAKE_CATALOG_WAIT_SECONDS")
    public_base_url: str = Field(default="http://127.0.0.1:8080", alias="INTAKE_PUBLIC_BASE_URL")

    # The administrator token of the shared operator settings, also read from intake's former variable.
    admin_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SATUPINTU_ADMIN_TOKEN", "INTAKE_ADMIN_TOKEN"),
        description="SATUPINTU_ADMIN_TOKEN (alias INTAKE_ADMIN_TOKEN): a raw token of role administrator",
    )

    def bounds(self) -> Bounds:
        """The size bounds every door enforces."""
        return Bounds(self.max_text_field_chars, self.max_item_bytes)

    def open311_keys(self) -> frozenset[str]:
        """The Open311 api_keys configured (the file is read now). ``ValueError`` (start-up stops) for an
        unreadable file or a well-known placeholder."""
        keys = [k.strip() for k in self.open311_api_keys.split(",")]
        if self.open311_api_keys_file is not None:
            try:
                text = self.open311_api_keys_file.read_text(encoding="utf-8")
            except OSError as exc:
                raise ValueError(
                    f"cannot read INTAKE_OPEN311_API_KEYS_FILE {self.open311_api_keys_file}: {exc}"
                ) from exc
            keys += [line.strip() for line in text.splitlines()]
        found = frozenset(k for k in keys if k)
        placeholders = sorted(k for k in found if k.lower() in PLACEHOLDERS)
        if placeholders:
            raise ValueError(
                f"Open311 api_key {placeholders[0]!r} is a well-known placeholder; use a random key"
            )
        return found
