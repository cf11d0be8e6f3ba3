"""performance settings: environment variables only (documented in services/performance/README.md)."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from satupintu_shared.operator_auth import OperatorAuthSettings
from satupintu_shared.settings import ServiceSettings

from .domain.score import DEFAULT_WEIGHTS, validate_weights


class Settings(ServiceSettings, OperatorAuthSettings):
    """Configuration of the performance service (operator credentials: ``OperatorAuthSettings``)."""

    http_host: str = Field(default="127.0.0.1", alias="PERFORMANCE_HOST")
    http_port: int = Field(default=8082, alias="PERFORMANCE_PORT")
    consumer_group: str = Field(default="satupintu-performance", alias="PERFORMANCE_CONSUMER_GROUP")
    deadletter_group: str = Field(
        default="",
        alias="PERFORMANCE_DLQ_CONSUMER_GROUP",
        description="dead-letter consumer group; default: PERFORMANCE_CONSUMER_GROUP + '-dlq'",
    )
    batch_max_records: int = Field(default=2000, ge=1, le=50_000, alias="PERFORMANCE_BATCH_MAX_RECORDS")
    score_weights: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_WEIGHTS),
        alias="PERFORMANCE_SCORE_WEIGHTS",
        description='JSON, e.g. {"on_time":0.4,"ikm":0.3,"returns":0.15,"escalations":0.15}',
    )

    @model_validator(mode="after")
    def _derived_groups(self) -> Settings:
        # Derived, never fixed: environments (and test runs) with their own lifecycle group must not
        # share, and rebalance, one dead-letter group.
        if not self.deadletter_group:
            self.deadletter_group = f"{self.consumer_group}-dlq"
        return self

    @field_validator("score_weights")
    @classmethod
    def _known_components(cls, value: dict[str, float]) -> dict[str, float]:
        return validate_weights(value)
