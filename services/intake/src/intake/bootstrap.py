"""Composition root: wires settings, telemetry, the broker, the database and the entrypoints."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI

from satupintu_shared.broker import create_broker
from satupintu_shared.http import health_router, install_problem_handlers
from satupintu_shared.migrations import apply_migrations
from satupintu_shared.telemetry import setup_telemetry

from .settings import Settings

SERVICE = "intake"


def create_app(settings: Settings | None = None) -> FastAPI:
    """The intake application; start-up connects everything, shutdown drains in-flight work."""
    settings = settings or Settings()
    tracer_provider = setup_telemetry(SERVICE, settings)
    broker = create_broker(settings, service=SERVICE, tracer_provider=tracer_provider)
    state: dict[str, asyncpg.Pool] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await apply_migrations(settings.database_url, schema=SERVICE, package="intake.migrations")
        state["pool"] = await asyncpg.create_pool(settings.database_url, max_size=settings.database_pool_size)
        await broker.start()
        try:
            yield
        finally:
            await broker.stop()
            await state["pool"].close()
            tracer_provider.shutdown()

    async def database_ready() -> None:
        await state["pool"].fetchval("SELECT 1")

    async def broker_ready() -> None:
        if not await broker.ping(timeout=2.0):
            raise ConnectionError("Kafka is unreachable")

    app = FastAPI(title="SatuPintu intake", lifespan=lifespan)
    install_problem_handlers(app)
    app.include_router(health_router({"kafka": broker_ready, "database": database_ready}))
    return app
