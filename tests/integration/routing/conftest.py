"""Routing running in-process against the real broker and database, with a catalog applied."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from routing.bootstrap import create_app
from routing.entrypoints.catalog_commands import apply
from routing.settings import Settings
from satupintu_shared.admin import ensure_platform_topics, ensure_topics
from satupintu_shared.envelope import Envelope, decode, encode
from satupintu_shared.events import Applicant, Channel, Contract, RequestSubmitted, StatusReported
from satupintu_shared.topics import Topics
from tests.support.kafka import produce, read_records

DEMO = Path(__file__).resolve().parents[3] / "deploy" / "catalog" / "demo.yaml"
AGENCIES = (
    "bdg-disdukcapil",
    "mura-disdukcapil",
    "bdg-pemkot",
    "bdg-dinkes",
    "bdg-puskesmas-sukasari",
    "bdg-dinsos",
    "bdg-dinsos-andir",
)


@pytest.fixture
def settings(kafka_bootstrap: str, database_url: str, topics: Topics) -> Settings:
    return Settings(
        kafka_bootstrap_servers=kafka_bootstrap,
        database_url=database_url,
        topic_prefix=topics.prefix,
        log_level="WARNING",
        ROUTING_WATCHDOG_INTERVAL_SECONDS=0.3,
        ROUTING_CATALOG_CATCH_UP_SECONDS=10,
    )


@pytest.fixture
async def demo_applied(settings: Settings) -> Settings:
    """The demo catalog applied, and the topics the tests read created up front."""
    await ensure_platform_topics(settings)
    t = settings.topics
    await ensure_topics(settings, {name: {} for code in AGENCIES for name in (t.inbox(code), t.status(code))})
    out = io.StringIO()
    assert await apply(settings, DEMO, out) == 0, out.getvalue()
    return settings


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """One routing replica, started and stopped through its lifespan, with an HTTP client to it."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://routing") as client:
            yield client


def submitted(tracking_number: str, service: str, region: str) -> RequestSubmitted:
    return RequestSubmitted(
        tracking_number=tracking_number,
        occurred_at=datetime.now(UTC),
        service_code=service,
        region_code=region,
        applicant=Applicant(nik="3273010101900001", name="Siti Aminah", phone="081234567890"),
        attributes={"alasan": "hilang"},
        channel=Channel.WEB,
    )


async def send(bootstrap: str, topic: str, event: Contract, *, event_id: str | None = None) -> str:
    value, headers = encode(event, source="tests", event_id=event_id)
    key = getattr(event, "tracking_number", None)
    await produce(
        bootstrap,
        topic,
        value,
        key=key.encode() if key else None,
        headers=[(k, v.encode()) for k, v in headers.items()],
    )
    return headers["ce_id"]


def status(tracking_number: str, value: str, reason: str | None = None) -> StatusReported:
    return StatusReported(
        tracking_number=tracking_number,
        occurred_at=datetime.now(UTC),
        status=value,  # type: ignore[arg-type]
        reason=reason,
    )


async def events(bootstrap: str, topic: str, count: int, timeout: float = 30.0) -> list[tuple[Envelope, Any]]:
    records = await read_records(bootstrap, topic, count=count, timeout=timeout)
    return [(decode(r.value, r.headers), r) for r in records]


def of_type(items: list[tuple[Envelope, Any]], suffix: str) -> list[Envelope]:
    return [e for e, _ in items if e.type.endswith(suffix)]
