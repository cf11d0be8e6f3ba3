"""Scenario 6, queries: one million synthetic lifecycle events (200,000 requests over a year, ten Kota
Bandung agencies) stored through performance's own ``EventStore`` after its own migrations, then a monthly
agency scorecard and a monthly ranking timed through its HTTP API (median of several calls)."""

from __future__ import annotations

import contextlib
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import asyncpg
import httpx

from satupintu_shared.migrations import apply_migrations

from ..access import operator_headers
from ..infra import (
    NotRun,
    Service,
    apply_catalog,
    environment,
    fresh_database,
    lifecycle_of,
    run_token,
    service_settings,
    services,
    tracking_number,
)
from ..report import Figures
from .base import Context, Scenario
from .intake_http import require_routes

AGENCIES = (
    "bdg-disdukcapil",
    "bdg-dpmptsp",
    "bdg-dinkes",
    "bdg-dinsos",
    "bdg-dsdabm",
    "bdg-dishub",
    "bdg-puskesmas-sukasari",
    "bdg-puskesmas-coblong",
    "bbpjn-jabar",
    "bpjs-kc-bandung",
)
YEAR_START = datetime(2026, 1, 1, 1, 0, tzinfo=UTC)
PERIOD = "2026-06"
SCORECARD = "/v1/agencies/{agency_code}/scorecard"
RANKINGS = "/v1/rankings"


async def load_events(dsn: str, total: int, *, batch: int = 5000) -> float:
    """Store ``total`` events with performance's EventStore (its ingest path minus Kafka); seconds taken."""
    try:
        from performance.adapters.event_store import EventStore
        from performance.domain.records import to_stored
    except ImportError as exc:
        raise NotRun(f"performance's EventStore / to_stored are not importable: {exc}") from exc
    requests = total // 5
    step = timedelta(days=365) / requests
    token = run_token()
    pool = await asyncpg.create_pool(
        dsn, min_size=1, max_size=2, server_settings={"search_path": "performance"}
    )
    started = time.perf_counter()
    try:
        store = EventStore(pool, lambda code: "Asia/Jakarta")
        pending = []
        offset = 0
        for i in range(requests):
            tn = tracking_number(token, i)
            for e in lifecycle_of(tn, i, start=YEAR_START + step * i, agency=AGENCIES[i % len(AGENCIES)]):
                pending.append(
                    to_stored(
                        e, event_id=f"{tn}-{e.EVENT_TYPE}", traceparent=None, partition=0, offset=offset
                    )
                )
                offset += 1
            if len(pending) >= batch:
                await store.store(pending)
                pending = []
        if pending:
            await store.store(pending)
    except NotRun:
        raise
    except (TypeError, AttributeError) as exc:
        raise NotRun(f"performance's EventStore API is not what this scenario expects: {exc}") from exc
    finally:
        await pool.close()
    return time.perf_counter() - started


class Queries(Scenario):
    name = "queries"
    number = "6"
    title = "Queries over one million events: monthly scorecard and ranking via performance's HTTP API"
    units: ClassVar[dict[str, str]] = {"scorecard_ms": "ms", "ranking_ms": "ms"}
    timeout = 900.0

    def __init__(self) -> None:
        super().__init__()
        self._stack = contextlib.AsyncExitStack()
        self._svc: Service | None = None

    async def prepare(self, ctx: Context) -> None:
        env = ctx.env
        events = 100_000 if ctx.quick else 1_000_000
        self.params = {
            "events": events,
            "requests": events // 5,
            "agencies": len(AGENCIES),
            "period": PERIOD,
            "calls_per_run": 7,
            "loaded_with": "performance.adapters.event_store.EventStore",
        }
        if ctx.quick:
            self.note = f"quick mode: {events:,} events, not 1,000,000"
        topics = await self._stack.enter_async_context(environment(env, "queries"))
        dsn = await self._stack.enter_async_context(fresh_database(env, "queries"))
        await apply_catalog(env, topics)
        # Its own migrations, then ask the running service first whether it serves the two queries at all
        # (no point loading a million events otherwise).
        await apply_migrations(dsn, schema="performance", package="performance.migrations")
        self._svc = Service(env, "performance", settings=service_settings(topics.prefix, dsn, sampler=0.0))
        await self._stack.enter_async_context(services(self._svc))
        await require_routes(self._svc, SCORECARD, RANKINGS)
        seconds = await load_events(dsn, events)
        self.params["load_seconds"] = round(seconds, 1)
        self.params["load_events_per_s"] = round(events / seconds)
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute("ANALYZE")
        finally:
            await conn.close()

    async def run_once(self, ctx: Context, index: int) -> Figures:
        assert self._svc is not None
        agency = AGENCIES[index % len(AGENCIES)]
        urls = {
            "scorecard_ms": f"{self._svc.url}{SCORECARD.format(agency_code=agency)}?period={PERIOD}",
            "ranking_ms": f"{self._svc.url}{RANKINGS}?period={PERIOD}",
        }
        figures: Figures = {}
        # The scorecard and the ranking are operator views: signed in with the operator token.
        async with httpx.AsyncClient(timeout=60, headers=operator_headers()) as client:
            for name, url in urls.items():
                first = await client.get(url)  # warm-up (also checks the answer)
                if first.status_code != 200:
                    raise NotRun(
                        f"GET {url.split(':', 2)[-1]} answered {first.status_code}: {first.text[:200]}"
                    )
                times = []
                for _ in range(int(self.params["calls_per_run"])):
                    t = time.perf_counter()
                    r = await client.get(url)
                    times.append((time.perf_counter() - t) * 1000)
                    r.raise_for_status()
                figures[name] = statistics.median(times)
        return figures

    async def cleanup(self, ctx: Context) -> None:
        await self._stack.aclose()
