"""Scenario 3, each stage alone on a pre-filled topic, at 100 % and at 0 % trace sampling (spans exported
to a no-op OTLP sink); and scenario 7, routing scaled out to 1, 2 and 3 replicas in one consumer group.

Routing is measured like the bare relay: routing decisions (RequestRouted / RequestUnroutable) per second
from the first to the last one on the lifecycle topic (record timestamps). Performance ingest is rows of
``performance.events`` per second from the first row to the last, polled every 100 ms.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, ClassVar

import asyncpg

from satupintu_shared.events import RequestRouted, RequestUnroutable

from ..access import admin_settings
from ..infra import (
    Env,
    NotRun,
    OffsetWatcher,
    OtlpSink,
    Service,
    apply_catalog,
    environment,
    fresh_database,
    header,
    lifecycle_records,
    produce_all,
    rate_from_timestamps,
    read_topic,
    run_token,
    service_settings,
    services,
    submitted_records,
)
from ..report import Figures
from .base import Context, Scenario

#: How long a ready service may take to produce its first output before we say it does not work yet.
FIRST_OUTPUT_TIMEOUT = 30.0
#: How long the output may stall before the run ends with what was processed.
STALL_TIMEOUT = 15.0
DECISIONS = {RequestRouted.EVENT_TYPE, RequestUnroutable.EVENT_TYPE}


async def wait_progress(
    poll: Any, *, start: int, goal: int, what: str, window: float = 60.0
) -> tuple[int, float | None, float | None, int | None]:
    """Poll ``poll()`` (a count) until it reaches ``goal`` or ``window`` seconds passed since the first
    output (a slow stage is measured over what it did in the window). NotRun if it never moves.

    Returns (final count, time of the first change, time the goal or the stall was reached, count seen
    at the first change)."""
    began = time.monotonic()
    first_at: float | None = None
    first_count: int | None = None
    last_change, last = began, start
    while True:
        now = time.monotonic()
        count = await poll()
        if count != last:
            last, last_change = count, now
            if first_at is None:
                first_at, first_count = now, count
        if count >= goal:
            return count, first_at, now, first_count
        if first_at is None and now - began > FIRST_OUTPUT_TIMEOUT:
            raise NotRun(f"{what}: no output within {FIRST_OUTPUT_TIMEOUT:.0f} s of being ready")
        if first_at is not None and now - last_change > STALL_TIMEOUT:
            return count, first_at, last_change, first_count
        if first_at is not None and now - first_at > window:
            return count, first_at, now, first_count
        await asyncio.sleep(0.1)


async def routing_run(
    env: Env,
    *,
    events: int,
    replicas: int = 1,
    partitions: int = 3,
    sampler: float = 1.0,
    otlp: str | None = None,
    prefill_first: bool = True,
    window: float = 60.0,
) -> dict[str, Any]:
    """One routing measurement on fresh topics and a fresh database; decisions/s and what was decided.

    The synthetic history is written and the decisions read as the admin tool: only the services may
    write the lifecycle topic, so no least-privileged principal could stand in for intake here."""
    async with (
        environment(env, "routing", partitions=partitions) as topics,
        fresh_database(env, "routing") as dsn,
    ):
        kafka = admin_settings(env.bootstrap, topics.prefix)
        catalog_by = await apply_catalog(env, topics)
        records = submitted_records(run_token(), events, sampled=sampler > 0)
        if prefill_first:
            await produce_all(kafka, topics.lifecycle, records)
        settings = service_settings(topics.prefix, dsn, sampler=sampler, otlp=otlp)
        replicas_ = [
            Service(env, "routing", settings=settings, label=f"routing-{k}") for k in range(replicas)
        ]
        async with services(*replicas_), OffsetWatcher(kafka, topics.lifecycle) as watcher:
            if not prefill_first:
                await asyncio.sleep(3.0)  # let the group settle with every replica before the load arrives
                await produce_all(kafka, topics.lifecycle, records)
            await wait_progress(
                watcher.count,
                start=events,
                goal=2 * events,
                what=f"routing (log: {replicas_[0].log_tail(3)})",
                window=window,
            )
            total = await watcher.count()
        out = await read_topic(kafka, topics.lifecycle, count=total)
        decided = [r for r in out if header(r, "ce_type") in DECISIONS]
        routed = sum(1 for r in decided if header(r, "ce_type") == RequestRouted.EVENT_TYPE)
        if not decided:
            raise NotRun(f"routing wrote {total - events} record(s) but no RequestRouted/RequestUnroutable")
        return {
            "events_per_s": rate_from_timestamps([r.timestamp for r in decided]),
            "decided_of": f"{len(decided)} of {events} in the window",
            "routed": routed,
            "catalog_by": catalog_by,
        }


async def ingest_run(
    env: Env, *, events: int, sampler: float, otlp: str | None, window: float = 60.0
) -> dict[str, Any]:
    """One performance-ingest measurement: rows of performance.events per second (the history is
    pre-filled as the admin tool, like routing's)."""
    async with environment(env, "performance") as topics, fresh_database(env, "performance") as dsn:
        catalog_by = await apply_catalog(env, topics)
        history = lifecycle_records(run_token(), events, sampled=sampler > 0)
        await produce_all(admin_settings(env.bootstrap, topics.prefix), topics.lifecycle, history)
        settings = service_settings(topics.prefix, dsn, sampler=sampler, otlp=otlp)
        svc = Service(env, "performance", settings=settings)
        async with services(svc):
            conn = await asyncpg.connect(dsn)
            try:

                async def count() -> int:
                    try:
                        return int(await conn.fetchval("SELECT count(*) FROM performance.events"))
                    except asyncpg.UndefinedTableError as exc:
                        raise NotRun(f"performance has no table performance.events: {exc}") from exc

                final, first_at, end_at, first_count = await wait_progress(
                    count,
                    start=0,
                    goal=events,
                    what=f"performance ingest (log: {svc.log_tail(3)})",
                    window=window,
                )
            finally:
                await conn.close()
        assert first_at is not None and end_at is not None and first_count is not None
        span = end_at - first_at
        return {
            "events_per_s": (final - first_count) / span if span > 0 else None,
            "stored_of": f"{final} of {events} in the window",
            "catalog_by": catalog_by,
        }


def window(ctx: Context) -> float:
    """Seconds a stage is measured at most, from its first output (bounds `make bench`'s duration)."""
    return 8.0 if ctx.quick else 20.0


class _Traced(Scenario):
    """A stage measured at 100 % and at 0 % sampling, alternating which goes first."""

    units: ClassVar[dict[str, str]] = {"traced_events_per_s": "events/s", "untraced_events_per_s": "events/s"}
    throughput = ("traced_events_per_s", "untraced_events_per_s")
    timeout = 600.0

    def __init__(self) -> None:
        super().__init__()
        self._sink: OtlpSink | None = None

    async def prepare(self, ctx: Context) -> None:
        self._sink = OtlpSink(ctx.env).__enter__()
        self.params["otlp_sink"] = "no-op OTLP/HTTP sink (tests/bench/otlp_sink.py)"

    async def measure(self, ctx: Context, sampler: float, otlp: str) -> dict[str, Any]:
        raise NotImplementedError

    async def run_once(self, ctx: Context, index: int) -> Figures:
        assert self._sink is not None
        figures: Figures = {}
        order = (1.0, 0.0) if index % 2 == 0 else (0.0, 1.0)
        for sampler in order:
            before = self._sink.stats().get("bytes", 0)
            got = await self.measure(ctx, sampler, self._sink.endpoint)
            exported = self._sink.stats().get("bytes", 0) - before
            key = "traced" if sampler == 1.0 else "untraced"
            figures[f"{key}_events_per_s"] = got.pop("events_per_s")
            self.params.setdefault(f"{key}_span_bytes_exported", []).append(exported)
            for k, v in got.items():
                self.params[f"{key}_{k}"] = v
        return figures

    async def cleanup(self, ctx: Context) -> None:
        if self._sink is not None:
            self._sink.__exit__(None, None, None)


class RoutingStage(_Traced):
    name = "routing"
    number = "3a"
    title = "Routing alone on a pre-filled lifecycle topic (decisions/s), tracing 100 % vs 0 %"

    async def prepare(self, ctx: Context) -> None:
        await super().prepare(ctx)
        self.params["events"] = 5_000 if ctx.quick else 20_000

    async def measure(self, ctx: Context, sampler: float, otlp: str) -> dict[str, Any]:
        return await routing_run(
            ctx.env, events=int(self.params["events"]), sampler=sampler, otlp=otlp, window=window(ctx)
        )


class PerformanceStage(_Traced):
    name = "performance"
    number = "3b"
    title = "Performance ingest alone on a pre-filled lifecycle topic (rows/s), tracing 100 % vs 0 %"

    async def prepare(self, ctx: Context) -> None:
        await super().prepare(ctx)
        self.params["events"] = 10_000 if ctx.quick else 30_000
        self.params["mix"] = "per request: submitted, routed, accepted, in_progress, completed"

    async def measure(self, ctx: Context, sampler: float, otlp: str) -> dict[str, Any]:
        return await ingest_run(
            ctx.env, events=int(self.params["events"]), sampler=sampler, otlp=otlp, window=window(ctx)
        )


class ScaleOut(Scenario):
    name = "scaleout"
    number = "7"
    title = "Routing scale-out: 1, 2, 3 replicas (processes) in one consumer group, 6 partitions"
    units: ClassVar[dict[str, str]] = {f"replicas_{k}_events_per_s": "events/s" for k in (1, 2, 3)} | {
        "speedup_3_vs_1": "x"
    }
    throughput = tuple(f"replicas_{k}_events_per_s" for k in (1, 2, 3))
    timeout = 900.0

    async def prepare(self, ctx: Context) -> None:
        self.params = {
            "events": 5_000 if ctx.quick else 20_000,
            "partitions": 6,
            "tracing": "sampler 1.0, no exporter",
        }

    async def run_once(self, ctx: Context, index: int) -> Figures:
        figures: Figures = {}
        for k in (1, 2, 3):
            got = await routing_run(
                ctx.env,
                events=int(self.params["events"]),
                replicas=k,
                partitions=6,
                prefill_first=False,
                window=window(ctx),
            )
            self.params[f"replicas_{k}_decided_of"] = got["decided_of"]
            figures[f"replicas_{k}_events_per_s"] = got["events_per_s"]
        one, three = figures.get("replicas_1_events_per_s"), figures.get("replicas_3_events_per_s")
        figures["speedup_3_vs_1"] = three / one if one and three else None
        return figures
