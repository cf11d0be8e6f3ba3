"""Scenario 4, intake over HTTP: submissions per second and p50/p99 latency at a fixed concurrency, single
requests (``POST /v1/requests``) and batches (``POST /v1/requests:batch``)."""

from __future__ import annotations

import contextlib
import time
from typing import Any, ClassVar

import httpx

from ..httpload import build_request, closed_loop, percentile
from ..infra import (
    NIK,
    REGION,
    SERVICES,
    Env,
    NotRun,
    OtlpSink,
    Service,
    apply_catalog,
    environment,
    fresh_database,
    service_settings,
    services,
)
from ..report import Figures
from .base import Context, Scenario

SINGLE = "/v1/requests"
BATCH = "/v1/requests:batch"
ACCEPTED = (200, 201, 202, 207)


def submission(i: int) -> dict[str, Any]:
    """A valid submission body (Kota Bandung civil registry), different for every ``i``."""
    code, attrs = SERVICES[i % len(SERVICES)]
    return {
        "service_code": code,
        "region_code": REGION,
        "applicant": {"nik": NIK, "name": "Siti Aminah", "phone": "081234567890"},
        "attributes": attrs,
        "description": f"bench {i}",
        "channel": "web",
    }


def batch_body(i: int, size: int) -> dict[str, Any]:
    return {"items": [submission(i * size + j) for j in range(size)]}


async def require_routes(svc: Service, *paths: str) -> None:
    """NotRun unless the service's OpenAPI document has every path in ``paths``."""
    async with httpx.AsyncClient(timeout=5) as client:
        r = await client.get(f"{svc.url}/openapi.json")
    have = set((r.json().get("paths") or {}) if r.status_code == 200 else ())
    missing = [p for p in paths if p not in have]
    if missing:
        raise NotRun(f"{svc.name} does not serve {', '.join(missing)} yet (not in its /openapi.json)")


async def until_accepted(svc: Service, path: str, body: Any, timeout: float = 30.0) -> httpx.Response:
    """POST until the service accepts (intake may still be reading the catalog); NotRun if it never does."""
    deadline = time.monotonic() + timeout
    last: httpx.Response | None = None
    async with httpx.AsyncClient(timeout=10) as client:
        while time.monotonic() < deadline:
            last = await client.post(f"{svc.url}{path}", json=body)
            if last.status_code in ACCEPTED:
                return last
            if last.status_code in (404, 405) or '"unknown_field"' in last.text or '"required"' in last.text:
                break  # the route is missing or our body does not match its schema: waiting will not help
            await _sleep(0.5)
    detail = f"{last.status_code} {last.text[:300]}" if last is not None else "no answer"
    raise NotRun(f"POST {path} never accepted a valid submission: {detail}")


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


class IntakeHarness:
    """One intake process on fresh topics and a fresh database, with the demo catalog applied."""

    def __init__(self) -> None:
        self._stack = contextlib.AsyncExitStack()
        self.svc: Service | None = None
        self.sink: OtlpSink | None = None

    async def start(self, env: Env, *, sampler: float = 1.0) -> Service:
        topics = await self._stack.enter_async_context(environment(env, "intake"))
        dsn = await self._stack.enter_async_context(fresh_database(env, "intake"))
        await apply_catalog(env, topics)
        self.sink = self._stack.enter_context(OtlpSink(env))
        settings = service_settings(topics.prefix, dsn, sampler=sampler, otlp=self.sink.endpoint)
        self.svc = Service(env, "intake", settings=settings)
        await self._stack.enter_async_context(services(self.svc))
        return self.svc

    async def stop(self) -> None:
        await self._stack.aclose()


class _IntakeLoad(Scenario):
    units: ClassVar[dict[str, str]] = {
        "requests_per_s": "requests/s",
        "p50_ms": "ms",
        "p99_ms": "ms",
        "error_rate": "fraction",
    }
    throughput = ("requests_per_s",)
    path = SINGLE
    batch = 1

    def __init__(self) -> None:
        super().__init__()
        self._intake = IntakeHarness()

    async def prepare(self, ctx: Context) -> None:
        self.params = {
            "concurrency": 32,
            "seconds_per_run": 4 if ctx.quick else 8,
            "batch_size": self.batch,
            "tracing": "sampler 1.0, spans to a no-op OTLP sink",
            "client": "raw asyncio HTTP/1.1 keep-alive (tests/bench/httpload.py), same machine",
        }
        svc = await self._intake.start(ctx.env)
        await require_routes(svc, self.path)
        body = submission(0) if self.batch == 1 else batch_body(0, self.batch)
        await until_accepted(svc, self.path, body)

    async def run_once(self, ctx: Context, index: int) -> Figures:
        svc = self._intake.svc
        assert svc is not None
        base = (index + 1) * 10_000_000
        if self.batch == 1:

            def make(i: int) -> bytes:
                return build_request("POST", self.path, submission(base + i))
        else:

            def make(i: int) -> bytes:
                return build_request("POST", self.path, batch_body(base // self.batch + i, self.batch))

        result = await closed_loop(
            "127.0.0.1",
            svc.port,
            make,
            concurrency=int(self.params["concurrency"]),
            duration=float(self.params["seconds_per_run"]),
            max_requests=2_000_000,
        )
        ok = [s for s in result.samples if s.status in ACCEPTED]
        total = len(result.samples) + result.errors
        if not ok:
            statuses = sorted({s.status for s in result.samples})
            raise NotRun(
                f"POST {self.path} accepted nothing under load (statuses {statuses}, {result.errors} errors)"
            )
        latencies = [s.latency * 1000 for s in ok]
        return {
            "requests_per_s": len(ok) * self.batch / result.elapsed,
            "p50_ms": percentile(latencies, 0.50),
            "p99_ms": percentile(latencies, 0.99),
            "error_rate": (total - len(ok)) / total if total else None,
        }

    async def cleanup(self, ctx: Context) -> None:
        await self._intake.stop()


class IntakeSingle(_IntakeLoad):
    name = "intake-single"
    number = "4a"
    title = "Intake: POST /v1/requests, one submission per request, 32 concurrent connections"


class IntakeBatch(_IntakeLoad):
    name = "intake-batch"
    number = "4b"
    title = "Intake: POST /v1/requests:batch, 100 submissions per request, 32 concurrent connections"
    path = BATCH
    batch = 100
    units: ClassVar[dict[str, str]] = {
        "requests_per_s": "requests/s",
        "p50_ms": "ms",
        "p99_ms": "ms",
        "error_rate": "fraction",
    }
