"""Composition root: wires settings, telemetry, the broker, the database and the entrypoints."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI

from satupintu_shared.admin import ensure_platform_topics
from satupintu_shared.broker import DeadLetters, EventPublisher, create_broker
from satupintu_shared.catalog_feed import CatalogFeed
from satupintu_shared.http import health_router, install_problem_handlers
from satupintu_shared.migrations import apply_migrations
from satupintu_shared.observability import instrument_service
from satupintu_shared.telemetry import setup_telemetry

from . import metrics
from .adapters.outbox import OutboxRelay
from .entrypoints.consumers import register_consumers
from .entrypoints.http import api_router
from .entrypoints.watchdog import run_watchdog
from .service.deps import Deps
from .settings import Settings

SERVICE = "routing"


def create_app(settings: Settings | None = None) -> FastAPI:
    """The routing application; start-up connects everything, shutdown drains in-flight work."""
    settings = settings or Settings()
    tracer_provider = setup_telemetry(SERVICE, settings)
    broker = create_broker(settings, service=SERVICE, tracer_provider=tracer_provider)
    feed = CatalogFeed(settings)
    state: dict[str, asyncpg.Pool] = {}

    def pool() -> asyncpg.Pool:
        return state["pool"]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await apply_migrations(settings.database_url, schema=SERVICE, package="routing.migrations")
        state["pool"] = await asyncpg.create_pool(settings.database_url, max_size=settings.database_pool_size)
        await ensure_platform_topics(settings)
        # The catalog first: a request routed before it was read would wrongly be unroutable.
        await feed.start(catch_up_timeout=settings.catalog_catch_up_seconds)
        deps = Deps(
            pool=pool(),
            relay=OutboxRelay(pool(), EventPublisher(broker, source=f"satupintu/{SERVICE}")),
            topics=settings.topics,
            catalog=lambda: feed.catalog,
            hop_limit=settings.hop_limit,
        )
        dead_letters = DeadLetters(broker, settings.topics, failures=metrics.DEAD_LETTERS)
        register_consumers(
            broker,
            deps,
            dead_letters,
            group=settings.consumer_group,
            status_group=settings.status_consumer_group,
        )
        await broker.start()
        watchdog = asyncio.create_task(
            run_watchdog(deps, settings.watchdog_interval_seconds), name="watchdog"
        )
        try:
            yield
        finally:
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog
            await broker.stop()  # drains in-flight handlers before the pool closes
            await feed.stop()
            await state["pool"].close()
            tracer_provider.shutdown()

    async def database_ready() -> None:
        await state["pool"].fetchval("SELECT 1")

    async def broker_ready() -> None:
        if not await broker.ping(timeout=2.0):
            raise ConnectionError("Kafka is unreachable")

    app = FastAPI(title="SatuPintu routing", lifespan=lifespan)
    install_problem_handlers(app)
    app.include_router(health_router({"kafka": broker_ready, "database": database_ready}))
    app.include_router(api_router(feed, pool))
    lag = {
        settings.consumer_group: re.escape(settings.topics.lifecycle),
        settings.status_consumer_group: settings.topics.status_pattern,
    }
    instrument_service(app, SERVICE, settings, tracer_provider=tracer_provider, consumer_groups=lag)
    return app
