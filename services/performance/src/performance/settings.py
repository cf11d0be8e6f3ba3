"""performance settings: environment variables only (documented in services/performance/README.md)."""

from __future__ import annotations

from pydantic import Field

from satupintu_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """Configuration of the performance service."""

    http_host: str = Field(default="127.0.0.1", alias="PERFORMANCE_HOST")
    http_port: int = Field(default=8082, alias="PERFORMANCE_PORT")
    consumer_group: str = Field(default="satupintu-performance", alias="PERFORMANCE_CONSUMER_GROUP")
