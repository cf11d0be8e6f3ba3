"""Routing running in-process against the real broker and database, with a catalog applied.

routing authenticates as its own principal (``satupintu-routing``, only its grants); the test's own
clients are the admin tool (playing intake on the lifecycle, reading any topic), and each agency system
reports with its own principal on its own status topic (``agency``)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from routing.bootstrap import create_app
from routing.entrypoints.catalog_commands import apply, read_file
from routing.settings import Settings
from satupintu_shared.envelope import Envelope, decode, encode
from satupintu_shared.events import Applicant, Channel, Contract, RequestSubmitted, StatusReported
from satupintu_shared.kafka_clients import create_producer
from satupintu_shared.settings import KafkaSettings
from satupintu_shared.topics import Topics
from tests.support.grants import onboarded, until_granted
from tests.support.kafka import produce, read_records
from tests.support.security import principal_env, secrets_dir

DEMO = Path(__file__).resolve().parents[3] / "deploy" / "catalog" / "demo.yaml"
#: An agency system's Kafka client settings, by agency code (onboarded on first use).
AgencySystems = Callable[[str], Awaitable[KafkaSettings]]


@pytest.fixture
def settings(kafka_bootstrap: str, database_url: str, topics: Topics) -> Settings:
    return Settings(
        kafka_bootstrap_servers=kafka_bootstrap,
        database_url=database_url,
        topic_prefix=topics.prefix,
        log_level="WARNING",
        ROUTING_WATCHDOG_INTERVAL_SECONDS=0.3,
        ROUTING_CATALOG_CATCH_UP_SECONDS=10,
        SATUPINTU_OPERATOR_TOKEN_FILE=secrets_dir() / "operator-token",
    )


@pytest.fixture
async def demo_applied(settings: Settings) -> Settings:
    """The demo catalog applied by the catalog tool (the admin): its agencies' topics and grants exist."""
    out = io.StringIO()
    assert await apply(settings, DEMO, out) == 0, out.getvalue()
    await until_routing_may_deliver(settings, DEMO)
    return settings


async def until_routing_may_deliver(settings: Settings, catalog_file: Path) -> None:
    """Wait until the grants `catalog apply` made for ``catalog_file``'s agencies are in effect for routing
    (so the first delivery to an inbox is not refused and retried)."""
    catalog = read_file(catalog_file, io.StringIO())
    assert catalog is not None
    await until_granted(as_routing(settings), [settings.topics.inbox(a.code) for a in catalog.agencies])


@pytest.fixture
def agency(kafka_bootstrap: str, topics: Topics) -> AgencySystems:
    """``await agency(code)``: the client settings of agency ``code``'s system, with its own principal
    (credentials issued on first use, as `agency credentials create` does)."""
    systems: dict[str, KafkaSettings] = {}

    async def system(code: str) -> KafkaSettings:
        if code not in systems:
            systems[code] = await onboarded(kafka_bootstrap, topics, code)
        return systems[code]

    return system


def as_routing(settings: Settings) -> Settings:
    """``settings`` authenticated as routing's own principal."""
    env = principal_env("satupintu-routing")
    return settings.model_copy(
        update={
            "kafka_sasl_username": env["KAFKA_SASL_USERNAME"],
            "kafka_sasl_password": None,
            "kafka_sasl_password_file": Path(env["KAFKA_SASL_PASSWORD_FILE"]),
        }
    )


def operator_headers() -> dict[str, str]:
    """The operator credential `make up` generated (routing's assignment API needs one)."""
    token = (secrets_dir() / "operator-token").read_text(encoding="utf-8").strip()
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """One routing replica (as routing's principal), started and stopped through its lifespan, with an
    HTTP client to it that presents the operator credential."""
    app = create_app(as_routing(settings))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://routing", headers=operator_headers()
        ) as client:
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
    """Publish ``event`` as the admin tool (e.g. a submitted request, as intake would)."""
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


async def report(system: KafkaSettings, agency_code: str, event: StatusReported) -> str:
    """Publish ``event`` on ``agency_code``'s status topic with the agency system's own credentials."""
    value, headers = encode(event, source=f"/agency/{agency_code}")
    producer = create_producer(system, client_id=f"tests-{agency_code}")
    await producer.start()
    try:
        await producer.send_and_wait(
            system.topics.status(agency_code),
            value,
            key=event.tracking_number.encode(),
            headers=[(k, v.encode()) for k, v in headers.items()],
        )
    finally:
        await producer.stop()
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
