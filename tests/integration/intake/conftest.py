"""Runs intake in-process against the real broker and database, with this test's topics and catalog."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from intake.bootstrap import create_app
from intake.settings import Settings
from satupintu_shared.admin import ensure_platform_topics
from satupintu_shared.broker import EventPublisher, create_broker
from satupintu_shared.catalog import CATALOG_KEY
from satupintu_shared.settings import KafkaSettings

from .catalog_fixture import applied

RunIntake = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


async def publish_catalog(kafka_bootstrap: str, prefix: str) -> None:
    """Publish the test catalog to this test's compacted catalog topic, as routing's CLI would."""
    settings = KafkaSettings(kafka_bootstrap_servers=kafka_bootstrap, topic_prefix=prefix)
    await ensure_platform_topics(settings)
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
def run_intake(
    service_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, catalog_published: None
) -> RunIntake:
    """``async with run_intake(**env) as client`` runs a fresh intake app (same DB and topics each time)."""

    def run(wait_connected: bool = True, **env: str) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        for name, value in {**service_env, "INTAKE_CATALOG_WAIT_SECONDS": "3", **env}.items():
            monkeypatch.setenv(name, value)
        return running(create_app(Settings()), wait_connected=wait_connected)

    return run
