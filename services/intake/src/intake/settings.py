"""intake settings: environment variables only (documented in services/intake/README.md)."""

from __future__ import annotations

from pydantic import Field

from satupintu_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """Configuration of the intake service."""

    http_host: str = Field(default="127.0.0.1", alias="INTAKE_HOST")
    http_port: int = Field(default=8080, alias="INTAKE_PORT")
    consumer_group: str = Field(default="satupintu-intake", alias="INTAKE_CONSUMER_GROUP")
