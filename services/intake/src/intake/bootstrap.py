"""Composition root: wires settings, telemetry, the broker, the database and the entrypoints."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import asyncpg
from fastapi import FastAPI
from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector

from satupintu_shared.background import within
from satupintu_shared.broker import DeadLetters, create_broker, dead_letter_counter
from satupintu_shared.catalog_feed import CatalogFeed
from satupintu_shared.events import SurveyAnswers
from satupintu_shared.http import health_router, install_problem_handlers
from satupintu_shared.migrations import apply_migrations
from satupintu_shared.observability import instrument_service
from satupintu_shared.operator_auth import install_operator_auth
from satupintu_shared.telemetry import setup_telemetry

from .adapters.api_keys import ApiKeyStore
from .adapters.catalog import CatalogSource, load_catalog_file
from .adapters.idempotency import IdempotencyStore
from .adapters.kafka import BoundedPublisher, BrokerConnection, PublishMetrics, create_producer
from .adapters.status_store import StatusStore
from .domain.tracking import TrackingNumberGenerator
from .entrypoints import agency_api, consumers, http_api, open311, problems
from .entrypoints.deps import Services
from .entrypoints.schemas import BatchIn, StatusReportIn, SubmissionIn, install_openapi
from .service_layer.metrics import Metrics
from .service_layer.submit import Submitter
from .service_layer.survey import Surveys
from .settings import Settings

SERVICE = "intake"


#: Seconds each shutdown step may take (services/intake/README.md, "Shutdown").
SHUTDOWN_BUDGET = {"broker": 8.0, "feed": 0.5, "database": 1.0}


def create_app(settings: Settings | None = None) -> FastAPI:
    """The intake application; start-up connects everything, shutdown drains in-flight work."""
    settings = settings or Settings()
    tracer_provider = setup_telemetry(SERVICE, settings)
    registry = _registry()
    broker = create_broker(
        settings,
        service=SERVICE,
        tracer_provider=tracer_provider,
        registry=registry,
    )
    feed = CatalogFeed(settings)
    fallback = load_catalog_file(settings.catalog_file) if settings.catalog_file else None
    catalog = CatalogSource(feed, fallback)
    metrics = Metrics(registry)
    dead = DeadLetters(broker, settings.topics, dead_letter_counter(registry))

    # Topics are not created here (intake's principal may not): `make up`, `catalog apply` create them.
    async def before_broker() -> None:
        # Take agency submissions only once the catalog has been read (or it is clearly absent).
        with contextlib.suppress(TimeoutError):
            await feed.wait_for_version(1, timeout=settings.catalog_wait_seconds)

    connection = BrokerConnection(
        broker,
        producer_factory=lambda: create_producer(settings, client_id=SERVICE),
        before_start=before_broker,
    )
    publish_metrics = PublishMetrics(registry)
    state: dict[str, asyncpg.Pool] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await apply_migrations(settings.database_url, schema=SERVICE, package="intake.migrations")
        pool = state["pool"] = await asyncpg.create_pool(
            settings.database_url, max_size=settings.database_pool_size
        )
        publisher = BoundedPublisher(
            connection,
            source=f"/satupintu/{SERVICE}",
            timeout=settings.publish_timeout_seconds,
            metrics=publish_metrics,
        )
        status = StatusStore(pool)
        submitter = Submitter(
            catalog,
            IdempotencyStore(pool, timedelta(hours=settings.idempotency_ttl_hours)),
            publisher,
            settings.topics,
            TrackingNumberGenerator(),
            metrics,
            status=status,
        )
        app.state.services = Services(
            settings,
            submitter,
            Surveys(status, publisher, settings.topics, metrics),
            status,
            catalog,
            ApiKeyStore(pool),
            publisher,
        )
        consumers.subscribe_ingress(broker, submitter, publisher, settings.topics, dead, settings.bounds())
        consumers.subscribe_status(broker, status, settings.topics, dead)
        await feed.start(catch_up_timeout=min(1.0, settings.catalog_wait_seconds))
        connection.start()
        try:
            yield
        finally:
            # Every step is bounded (SHUTDOWN_BUDGET: 12 s in all, below the runner's 30 s SIGKILL); in-flight
            # HTTP requests have had uvicorn's own grace period before this runs.
            await within(SHUTDOWN_BUDGET["broker"], connection.stop(), step="broker")
            await within(SHUTDOWN_BUDGET["feed"], feed.stop(), step="feed")
            if not await within(SHUTDOWN_BUDGET["database"], pool.close(), step="database"):
                pool.terminate()
            tracer_provider.shutdown()

    async def database_ready() -> None:
        await state["pool"].fetchval("SELECT 1")

    async def broker_ready() -> None:
        if not connection.connected.is_set() or not await broker.ping(timeout=2.0):
            raise ConnectionError("Kafka is unreachable")

    app = FastAPI(
        title="SatuPintu intake",
        version="1.0.0",
        lifespan=lifespan,
        description="The one door: submit service requests, follow them, answer the survey.",
        # FastAPI's own server span is the HTTP span (routes name it); its per-dependency and per-endpoint
        # "operation" spans would triple the spans of every submission for no insight.
        telemetry={"tracer_provider": tracer_provider, "operation_spans": False},
    )
    install_operator_auth(app, settings)  # start-up stops on a guessable operator token
    install_problem_handlers(app)
    problems.install(app)
    app.include_router(health_router({"kafka": broker_ready, "database": database_ready}, registry=registry))
    app.include_router(http_api.router)
    app.include_router(agency_api.router)
    app.include_router(agency_api.admin_router)
    open311.install(app, settings)
    install_openapi(app, [SubmissionIn, BatchIn, SurveyAnswers, StatusReportIn])
    lag = {
        settings.group(consumers.INGRESS_GROUP): consumers.ingress_pattern(settings.topics),
        settings.group(consumers.STATUS_GROUP): re.escape(settings.topics.lifecycle),
    }
    instrument_service(
        app, SERVICE, settings, tracer_provider=tracer_provider, registry=registry, consumer_groups=lag
    )
    return app


def _registry() -> CollectorRegistry:
    # One registry per app, so that tests can build the app twice in one process.
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry
