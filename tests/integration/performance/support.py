"""Running the performance app in-process against the real broker and database, and feeding it."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import TopicPartition
from fastapi import FastAPI

from performance.bootstrap import create_app
from performance.settings import Settings
from satupintu_shared.broker import EventPublisher, create_broker
from satupintu_shared.catalog import CATALOG_KEY
from satupintu_shared.kafka_clients import create_admin, create_consumer
from satupintu_shared.settings import KafkaSettings
from tests.support.kafka import eventually
from tests.support.security import principal_env

from . import scenario

OPERATOR_TOKEN = secrets.token_hex(32)


def as_performance(settings: Settings) -> Settings:
    """``settings`` authenticated as performance's own principal (as settings, not environment variables,
    which would make the test's own clients in this process performance too)."""
    env = principal_env("satupintu-performance")
    return settings.model_copy(
        update={
            "kafka_sasl_username": env["KAFKA_SASL_USERNAME"],
            "kafka_sasl_password": None,
            "kafka_sasl_password_file": Path(env["KAFKA_SASL_PASSWORD_FILE"]),
        }
    )


@asynccontextmanager
async def running(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, **kwargs: Any
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The app with its lifespan running (consumers included) and an HTTP client on it that presents an
    operator token (every API route is an operator's)."""
    # Each test has its own topic prefix, and consumer groups carry it: tests never rebalance a running
    # platform's (or each other's) consumers.
    for name, value in {"SATUPINTU_OPERATOR_TOKEN": OPERATOR_TOKEN, **env}.items():
        monkeypatch.setenv(name, value)
    app = create_app(as_performance(Settings()), clock=lambda: scenario.NOW, **kwargs)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://performance", headers=headers
        ) as client:
            yield app, client


def group_of(env: dict[str, str]) -> str:
    """The lifecycle consumer group the app uses in a test."""
    return env["SATUPINTU_TOPIC_PREFIX"] + "satupintu-performance"


async def publish_scenario(settings: KafkaSettings, *, with_catalog: bool = True, times: int = 1) -> int:
    """Publish the catalog and the scripted events (``times`` times, same ids); returns events per copy
    (as the admin tool: the platform topics exist, the ``topics`` fixture made them)."""
    broker = create_broker(settings, service="scenario")
    await broker.start()
    try:
        publisher = EventPublisher(broker, source="/tests/performance")
        if with_catalog:
            await publisher.publish(
                settings.topics.catalog, scenario.catalog(), key=CATALOG_KEY, subject=CATALOG_KEY
            )
        events = scenario.events()
        traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        for _ in range(times):
            for i, event in enumerate(events):
                await publisher.publish(
                    settings.topics.lifecycle,
                    event,
                    event_id=scenario.event_id(i, event),
                    extra_headers={"traceparent": traceparent},
                )
        return len(events)
    finally:
        await broker.stop()


async def caught_up(bootstrap: str, group: str, topic: str) -> bool:
    """Whether ``group`` has committed the end offset of every partition of ``topic``."""
    settings = KafkaSettings(kafka_bootstrap_servers=bootstrap)
    consumer = create_consumer(settings, client_id="tests-lag", group_id=None)
    await consumer.start()
    admin = create_admin(settings, client_id="tests-lag")
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
        parts = [TopicPartition(topic, p["partition"]) for p in described.get("partitions", [])]
        if not parts:
            return False
        ends = await consumer.end_offsets(parts)
        committed = await admin.list_consumer_group_offsets(group)
        return all(end == 0 or (tp in committed and committed[tp].offset >= end) for tp, end in ends.items())
    finally:
        await admin.close()
        await consumer.stop()


async def wait_caught_up(bootstrap: str, group: str, topic: str, timeout: float = 40.0) -> None:
    async def check() -> bool:
        return await caught_up(bootstrap, group, topic)

    await eventually(check, timeout=timeout, interval=0.3)


async def snapshot(database_url: str) -> dict[str, Any]:
    """Every row this service keeps, for before/after comparisons."""
    conn = await asyncpg.connect(database_url, server_settings={"search_path": "performance"})
    try:
        out: dict[str, Any] = {}
        for table, order in (
            ("events", "event_id"),
            ("requests", "tracking_number"),
            ("assignments", "assignment_id"),
            ("surveys", "tracking_number"),
        ):
            rows = await conn.fetch(f"SELECT * FROM {table} ORDER BY {order}")
            out[table] = [
                {k: v for k, v in dict(r).items() if k not in ("updated_at", "ingested_at")} for r in rows
            ]
        return out
    finally:
        await conn.close()
