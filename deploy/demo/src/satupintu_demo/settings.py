"""Demo settings: environment variables only (documented in deploy/demo/README.md)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from satupintu_shared.admin import secrets_dir
from satupintu_shared.settings import ServiceSettings

#: The repository root of a workspace checkout (deploy/demo/src/satupintu_demo/settings.py).
REPO_ROOT = Path(__file__).resolve().parents[4]


class DemoSettings(ServiceSettings):
    """Configuration of the demo traffic process."""

    intake_url: str = Field(default="http://127.0.0.1:8080", alias="DEMO_INTAKE_URL")
    submissions_per_minute: float = Field(default=30.0, ge=0, alias="DEMO_SUBMISSIONS_PER_MINUTE")
    time_scale: float = Field(default=1.0, gt=0, alias="DEMO_TIME_SCALE")
    survey_response_rate: float = Field(default=0.8, ge=0, le=1, alias="DEMO_SURVEY_RESPONSE_RATE")
    seed: int | None = Field(default=None, alias="DEMO_SEED")
    catalog_file: str = Field(default="deploy/catalog/demo.yaml", alias="DEMO_CATALOG_FILE")
    agencies: str = Field(default="", alias="DEMO_AGENCIES")
    citizens_enabled: bool = Field(default=True, alias="DEMO_CITIZENS")
    agencies_enabled: bool = Field(default=True, alias="DEMO_AGENCY_SYSTEMS")
    poll_interval_seconds: float = Field(default=20.0, gt=0, alias="DEMO_POLL_INTERVAL_SECONDS")
    citizen_patience_seconds: float = Field(default=1800.0, gt=0, alias="DEMO_CITIZEN_PATIENCE_SECONDS")
    max_open_citizens: int = Field(default=500, ge=1, alias="DEMO_MAX_OPEN_CITIZENS")
    summary_interval_seconds: float = Field(default=60.0, gt=0, alias="DEMO_SUMMARY_INTERVAL_SECONDS")
    # Agency clients subscribe to their own topics by name, so they need no quick metadata refresh;
    # refreshing every few seconds on a cluster with many topics costs real CPU times ~40 clients.
    agency_metadata_max_age_ms: int = Field(default=300_000, ge=1000, alias="DEMO_AGENCY_METADATA_MAX_AGE_MS")
    # Each simulated agency connects as its own principal, with the file `make up` saved for it
    # (`satupintu agency credentials save`); the process itself (KAFKA_SASL_*) only reads the catalog.
    agency_credentials_dir: str = Field(default="", alias="DEMO_AGENCY_CREDENTIALS_DIR")

    def catalog_path(self) -> Path | None:
        """The demo catalog file that scopes the demo (None: the whole applied catalog)."""
        if not self.catalog_file:
            return None
        path = Path(self.catalog_file)
        if path.is_absolute():
            return path if path.exists() else None
        for base in (Path.cwd(), REPO_ROOT):
            if (base / path).exists():
                return base / path
        return None

    def agency_allowlist(self) -> frozenset[str] | None:
        """``DEMO_AGENCIES`` as a set of codes (None: every agency in scope)."""
        codes = {c.strip() for c in self.agencies.split(",") if c.strip()}
        return frozenset(codes) or None

    def credentials_dir(self) -> Path:
        """Where each agency's ``<code>.json`` is (default: ``agencies/`` in the platform's secrets)."""
        return (
            Path(self.agency_credentials_dir) if self.agency_credentials_dir else secrets_dir() / "agencies"
        )
