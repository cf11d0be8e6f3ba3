"""Runs intake in-process against the real broker and database, with this test's topics and catalog.

intake authenticates as its own principal (``satupintu-intake``, with only its grants); the test's own
clients stay the admin tool, or an agency's principal where the test is about what an agency may do.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from intake.bootstrap import create_app
from intake.settings import Settings
from satupintu_shared.broker import EventPublisher, create_broker
from satupintu_shared.catalog import CATALOG_KEY
from satupintu_shared.settings import KafkaSettings
from satupintu_shared.topics import Topics
from tests.support.grants import onboarded, until_granted
from tests.support.security import principal_env, principal_settings, secrets_dir

from .catalog_fixture import BANDUNG_AGENCY, MUSI_RAWAS_AGENCY, applied

RunIntake = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


def admin_token_file() -> Path:
    """The admin token `make up` generated (intake's admin API is given it, the tests present it)."""
    return secrets_dir() / "admin-token"


def admin_headers() -> dict[str, str]:
    """The Authorization header of the admin API."""
    return {"Authorization": f"Bearer {admin_token_file().read_text(encoding='utf-8').strip()}"}


def intake_settings() -> Settings:
    """intake's settings from the environment, authenticated as intake. The credentials are settings, not
    environment variables: those would make the test's own clients (in this process) intake too."""
    env = principal_env("satupintu-intake")
    return Settings(
        kafka_sasl_username=env["KAFKA_SASL_USERNAME"],
        kafka_sasl_password=None,
        kafka_sasl_password_file=Path(env["KAFKA_SASL_PASSWORD_FILE"]),
    )


async def publish_catalog(kafka_bootstrap: str, prefix: str) -> None:
    """Publish the test catalog to this test's compacted catalog topic, as the catalog tool would."""
    settings = KafkaSettings(kafka_bootstrap_servers=kafka_bootstrap, topic_prefix=prefix)
    broker = create_broker(settings, service="intake-test")
    await broker.start()
    try:
        await EventPublisher(broker, source="/tests").publish(
            settings.topics.catalog, applied(), key=CATALOG_KEY, subject=CATALOG_KEY
        )
    finally:
        await broker.stop()


@asynccontextmanager
async def running(app: FastAPI, *, wait_connected: bool = True) -> AsyncIterator[httpx.AsyncClient]:
    """Start ``app``'s lifespan, wait until it holds a catalog and a broker connection, yield a client."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as client:
            if wait_connected:
                await _until_ready(client)
            yield client


async def _until_ready(client: httpx.AsyncClient, timeout: float = 20.0) -> None:
    # Ready = broker and database reachable (readyz) and the catalog read (Open311 lists services).
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        ready = (await client.get("/readyz")).status_code == 200
        if ready and (await client.get("/open311/v2/services.json")).status_code == 200:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("intake did not become ready")


@pytest.fixture
async def catalog_published(kafka_bootstrap: str, service_env: dict[str, str]) -> None:
    await publish_catalog(kafka_bootstrap, service_env["SATUPINTU_TOPIC_PREFIX"])


@pytest.fixture
async def agencies(kafka_bootstrap: str, topics: Topics) -> dict[str, KafkaSettings]:
    """The test catalog's agency systems, onboarded as `catalog apply` does (their topics, principals and
    grants): agency code → that agency's client settings."""
    codes = (BANDUNG_AGENCY, MUSI_RAWAS_AGENCY)
    systems = await asyncio.gather(*(onboarded(kafka_bootstrap, topics, code) for code in codes))
    intake = principal_settings("satupintu-intake", kafka_bootstrap, topics)
    await until_granted(intake, [name for code in codes for name in topics.agency_topics(code)])
    return dict(zip(codes, systems, strict=True))


@pytest.fixture
def run_intake(
    service_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, catalog_published: None
) -> RunIntake:
    """``async with run_intake(**env) as client`` runs a fresh intake app (same DB and topics each time),
    authenticated to the broker as intake."""

    def run(wait_connected: bool = True, **env: str) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        defaults = {
            "INTAKE_CATALOG_WAIT_SECONDS": "3",
            # The administrator token `make up` generated, as services.sh passes it.
            "SATUPINTU_ADMIN_TOKEN_FILE": str(admin_token_file()),
        }
        for name, value in {**service_env, **defaults, **env}.items():
            monkeypatch.setenv(name, value)
        return running(create_app(intake_settings()), wait_connected=wait_connected)

    return run
