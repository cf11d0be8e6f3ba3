"""Console settings: where Jaeger answers. Environment variables only (see the service README)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConsoleSettings(BaseSettings):
    """Kept apart from the service's Settings so the console can be wired with one line."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", populate_by_name=True)

    jaeger_query_url: str = Field(
        default="http://127.0.0.1:16686",
        alias="JAEGER_QUERY_URL",
        description="JAEGER_QUERY_URL: Jaeger's query API, read server-side by the trace proxy",
    )
    jaeger_ui_url: str | None = Field(
        default=None,
        alias="JAEGER_UI_URL",
        description="JAEGER_UI_URL: Jaeger's own web UI, linked from the console when set",
    )
    poll_seconds: float = Field(
        default=5.0, gt=0, alias="CONSOLE_POLL_SECONDS", description="CONSOLE_POLL_SECONDS: live refresh"
    )
    jaeger_timeout_seconds: float = Field(default=5.0, gt=0, alias="JAEGER_TIMEOUT_SECONDS")
