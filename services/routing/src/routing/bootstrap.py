"""Composition root: wires settings, telemetry, the broker, the database and the entrypoints."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI

from satupintu_shared.background import within
from satupintu_shared.broker import DeadLetters, create_broker
from satupintu_shared.catalog_feed import CatalogFeed
from satupintu_shared.http import health_router, install_problem_handlers
from satupintu_shared.migrations import apply_migrations
from satupintu_shared.observability import instrument_service
from satupintu_shared.operator_auth import install_operator_auth
from satupintu_shared.telemetry import setup_telemetry

from . import metrics
from .adapters.outbox import OutboxRelay
from .entrypoints.consumers import register_consumers
from .entrypoints.http import api_router
from .entrypoints.lifecycle import LifecycleConsumer
from .entrypoints.watchdog import run_watchdog
from .service.deps import Deps
from .settings import Settings

SERVICE = "routing"

#: Seconds each shutdown step may take (12 s in all): with uvicorn's 20 s for open HTTP requests (which
#: are short here), well inside the 30 s after which `services.sh` (or an orchestrator) sends SIGKILL.
SHUTDOWN_BUDGET = {"lifecycle": 6.0, "broker": 3.0, "relay": 1.5, "feed": 0.5, "database": 1.0}

log = logging.getLogger(__name__)


async def _bounded(step: str, stopping: Awaitable[None]) -> bool:
    """Await ``stopping`` for at most its share of ``SHUTDOWN_BUDGET``; False (logged) if cut short."""
    return await within(SHUTDOWN_BUDGET[step], stopping, step=step)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The routing application; start-up connects everything, shutdown drains in-flight work."""
    settings = settings or Settings()
    tracer_provider = setup_telemetry(SERVICE, settings)
    broker = create_broker(settings, service=SERVICE, tracer_provider=tracer_provider)
    dead_letters = DeadLetters(broker, settings.topics, failures=metrics.DEAD_LETTERS)
    feed = CatalogFeed(settings, dead_letters=dead_letters, start_delay=settings.catalog_feed_delay_seconds)
    state: dict[str, asyncpg.Pool] = {}
    consumers: dict[str, LifecycleConsumer] = {}

    def pool() -> asyncpg.Pool:
        return state["pool"]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await apply_migrations(settings.database_url, schema=SERVICE, package="routing.migrations")
        state["pool"] = await asyncpg.create_pool(settings.database_url, max_size=settings.database_pool_size)
        # No topic is created here (routing's principal may not): `make up` and `catalog apply` do.
        # The catalog first: a request routed before it was read would wrongly be unroutable. Start-up
        # waits for it at most ROUTING_CATALOG_CATCH_UP_SECONDS; past that the lifecycle consumer still
        # consumes nothing until the feed has caught up (and /readyz says so).
        await broker.connect()  # the feed dead-letters an invalid catalog record through it
        await feed.start(catch_up_timeout=settings.catalog_catch_up_seconds)
        relay = OutboxRelay(pool(), settings, source=f"satupintu/{SERVICE}", tracer_provider=tracer_provider)
        await relay.start()
        deps = Deps(
            pool=pool(),
            relay=relay,
            topics=settings.topics,
            catalog=lambda: feed.catalog,
            hop_limit=settings.hop_limit,
        )
        register_consumers(
            broker, deps, dead_letters, status_group=settings.group(settings.status_consumer_group)
        )
        lifecycle = consumers["lifecycle"] = LifecycleConsumer(
            settings,
            deps,
            dead_letters,
            group=settings.group(settings.consumer_group),
            max_records=settings.batch_max_records,
            tracer_provider=tracer_provider,
            catalog=feed,
        )
        await broker.start()
        lifecycle.start()
        watchdog = asyncio.create_task(
            run_watchdog(deps, settings.watchdog_interval_seconds), name="watchdog"
        )
        try:
            yield
        finally:
            # Every step is bounded (SHUTDOWN_BUDGET, README "Shutdown"): what is cut short was not
            # committed, so it is redelivered to the next owner and deduplicated.
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog
            # Finishes its batch (publish, offset commit) while the producer runs.
            await lifecycle.stop(timeout=SHUTDOWN_BUDGET["lifecycle"])
            await _bounded("broker", broker.stop())  # drains in-flight handlers before the pool closes
            await _bounded("relay", relay.stop())
            await _bounded("feed", feed.stop())
            if not await _bounded("database", state["pool"].close()):
                state["pool"].terminate()
            tracer_provider.shutdown()

    async def database_ready() -> None:
        await state["pool"].fetchval("SELECT 1")

    async def broker_ready() -> None:
        if not await broker.ping(timeout=2.0):
            raise ConnectionError("Kafka is unreachable")

    async def consumer_ready() -> None:
        if "lifecycle" not in consumers:
            raise RuntimeError("the lifecycle consumer has not started")
        consumers["lifecycle"].check_alive()

    app = FastAPI(title="SatuPintu routing", lifespan=lifespan)
    install_operator_auth(app, settings)  # start-up stops on a guessable operator token
    install_problem_handlers(app)
    app.include_router(
        health_router({"kafka": broker_ready, "database": database_ready, "consumer": consumer_ready})
    )
    app.include_router(api_router(feed, pool))
    lag = {
        settings.group(settings.consumer_group): re.escape(settings.topics.lifecycle),
        settings.group(settings.status_consumer_group): settings.topics.status_pattern,
    }
    instrument_service(app, SERVICE, settings, tracer_provider=tracer_provider, consumer_groups=lag)
    return app
