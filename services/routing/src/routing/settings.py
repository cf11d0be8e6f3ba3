"""routing settings: environment variables only (documented in services/routing/README.md)."""

from __future__ import annotations

from pydantic import Field

from satupintu_shared.operator_auth import OperatorAuthSettings
from satupintu_shared.settings import ServiceSettings


class Settings(ServiceSettings, OperatorAuthSettings):
    """Configuration of the routing service (operator credentials: ``OperatorAuthSettings``)."""

    http_host: str = Field(default="127.0.0.1", alias="ROUTING_HOST")
    http_port: int = Field(default=8081, alias="ROUTING_PORT")
    consumer_group: str = Field(default="satupintu-routing", alias="ROUTING_CONSUMER_GROUP")
    status_consumer_group: str = Field(
        default="satupintu-routing-status", alias="ROUTING_STATUS_CONSUMER_GROUP"
    )
    batch_max_records: int = Field(default=1000, ge=1, le=10_000, alias="ROUTING_BATCH_MAX_RECORDS")
    watchdog_interval_seconds: float = Field(default=30.0, gt=0, alias="ROUTING_WATCHDOG_INTERVAL_SECONDS")
    hop_limit: int = Field(default=3, ge=0, alias="ROUTING_HOP_LIMIT")
    catalog_catch_up_seconds: float = Field(default=15.0, gt=0, alias="ROUTING_CATALOG_CATCH_UP_SECONDS")
    #: Fault injection (tests, drills): the catalog feed starts reading this many seconds late.
    catalog_feed_delay_seconds: float = Field(
        default=0.0, ge=0, le=600, alias="ROUTING_CATALOG_FEED_DELAY_SECONDS"
    )
