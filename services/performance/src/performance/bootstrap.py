"""Composition root: wires settings, telemetry, the broker, the database and the entrypoints."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
from fastapi import FastAPI

from satupintu_shared.background import within
from satupintu_shared.broker import DeadLetters, create_broker, dead_letter_counter
from satupintu_shared.catalog_feed import CatalogFeed
from satupintu_shared.http import health_router, install_problem_handlers
from satupintu_shared.migrations import apply_migrations
from satupintu_shared.observability import instrument_service
from satupintu_shared.operator_auth import install_operator_auth
from satupintu_shared.telemetry import setup_telemetry

from .adapters.batch_consumer import BatchConsumer
from .adapters.event_store import BeforeCommit, EventStore
from .adapters.ops_queries import OpsQueries
from .adapters.scorecard_queries import ScorecardQueries
from .console import console_router
from .domain import directory
from .entrypoints.api import build_router
from .entrypoints.errors import install_error_handlers
from .service_layer.dead_letters import DeadLetterIngest
from .service_layer.ingest import LifecycleIngest
from .service_layer.scorecards import Scorecards
from .settings import Settings

SERVICE = "performance"
Clock = Callable[[], datetime]


#: Seconds each shutdown step may take (services/performance/README.md, "Shutdown").
SHUTDOWN_BUDGET = {"consumers": 7.0, "feed": 0.5, "broker": 3.0, "database": 1.0}


def utc_now() -> datetime:
    """The wall clock (UTC)."""
    return datetime.now(UTC)


@dataclass
class Runtime:
    """What the lifespan starts, kept on ``app.state.runtime`` (tests reach the consumers through it)."""

    pool: asyncpg.Pool | None = None
    consumers: dict[str, BatchConsumer] = field(default_factory=dict)


_DEAD_LETTERS = dead_letter_counter()


@dataclass(frozen=True)
class Hooks:
    """Test seams around the two commits of the ingest path (crash simulation); no-ops by default."""

    before_db_commit: BeforeCommit | None = None
    before_offset_commit: BeforeCommit | None = None


def create_app(
    settings: Settings | None = None, *, clock: Clock = utc_now, hooks: Hooks = Hooks()
) -> FastAPI:
    """The performance application; start-up connects everything, shutdown drains in-flight work."""
    settings = settings or Settings()
    tracer_provider = setup_telemetry(SERVICE, settings)
    broker = create_broker(settings, service=SERVICE, tracer_provider=tracer_provider)
    feed = CatalogFeed(settings)
    runtime = Runtime()

    zones: dict[str, str | None] = {}
    zones_of: list[object] = [None]  # the catalog the cached zones were read from

    def zone_of(code: str) -> str | None:
        # Called once per closed assignment at ingest: cached until the live catalog changes.
        catalog = feed.catalog
        if zones_of[0] is not catalog:
            zones.clear()
            zones_of[0] = catalog
        if code not in zones:
            zones[code] = directory.info(catalog, code).time_zone
        return zones[code]

    def pool() -> asyncpg.Pool:
        assert runtime.pool is not None, "the database pool exists only while the app runs"
        return runtime.pool

    class LazyPool:
        # Routes are built before the pool exists; they reach it through this proxy.
        def __getattr__(self, name: str) -> object:
            return getattr(pool(), name)

    lazy: Any = LazyPool()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await apply_migrations(settings.database_url, schema=SERVICE, package="performance.migrations")
        runtime.pool = await asyncpg.create_pool(
            settings.database_url,
            max_size=settings.database_pool_size,
            server_settings={"search_path": SERVICE},
        )
        await broker.start()  # it only publishes dead letters; no topic is created (no CREATE grant)
        await feed.start(catch_up_timeout=10.0)
        dead_letters = DeadLetters(broker, settings.topics, failures=_DEAD_LETTERS)
        store = EventStore(lazy, zone_of, hooks.before_db_commit)
        runtime.consumers = {
            "lifecycle": BatchConsumer(
                settings,
                topic=settings.topics.lifecycle,
                group_id=settings.group(settings.consumer_group),
                handler=LifecycleIngest(store, dead_letters, group=settings.group(settings.consumer_group)),
                max_records=settings.batch_max_records,
                before_offset_commit=hooks.before_offset_commit,
            ),
            "deadletter": BatchConsumer(
                settings,
                topic=settings.topics.deadletter,
                group_id=settings.group(settings.deadletter_group),
                handler=DeadLetterIngest(lazy),
                max_records=settings.batch_max_records,
            ),
        }
        for consumer in runtime.consumers.values():
            consumer.start()
        try:
            yield
        finally:
            # Every step is bounded (SHUTDOWN_BUDGET: 12 s in all, below the runner's 30 s SIGKILL): what
            # is cut short was not committed, so it is consumed again and deduplicated.
            await asyncio.gather(
                *(c.stop(timeout=SHUTDOWN_BUDGET["consumers"]) for c in runtime.consumers.values())
            )
            await within(SHUTDOWN_BUDGET["feed"], feed.stop(), step="feed")
            await within(SHUTDOWN_BUDGET["broker"], broker.stop(), step="broker")
            if not await within(SHUTDOWN_BUDGET["database"], runtime.pool.close(), step="database"):
                runtime.pool.terminate()
            tracer_provider.shutdown()

    async def database_ready() -> None:
        await pool().fetchval("SELECT 1")

    async def broker_ready() -> None:
        if not await broker.ping(timeout=2.0):
            raise ConnectionError("Kafka is unreachable")

    async def consumers_ready() -> None:
        for consumer in runtime.consumers.values():
            consumer.check_alive()

    app = FastAPI(title="SatuPintu performance", lifespan=lifespan)
    app.state.runtime = runtime
    install_operator_auth(app, settings)  # start-up stops on a guessable operator token
    install_problem_handlers(app)
    install_error_handlers(app)
    app.include_router(
        health_router({"kafka": broker_ready, "database": database_ready, "consumers": consumers_ready})
    )
    scorecards = Scorecards(ScorecardQueries(lazy), lambda: feed.catalog, settings.score_weights, clock)
    app.include_router(build_router(scorecards, OpsQueries(lazy), lambda: feed.catalog, clock))
    app.include_router(console_router())
    lag = {settings.group(settings.consumer_group): re.escape(settings.topics.lifecycle)}
    lag[settings.group(settings.deadletter_group)] = re.escape(settings.topics.deadletter)
    instrument_service(app, SERVICE, settings, tracer_provider=tracer_provider, consumer_groups=lag)
    return app
