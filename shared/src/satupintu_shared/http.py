"""HTTP pieces every service exposes the same way: health, readiness, metrics, RFC 9457 problems."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import FrameType
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from .background import dead_loops

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

ReadinessCheck = Callable[[], Awaitable[None]]


def problem(
    status: int,
    title: str,
    *,
    detail: str | None = None,
    type_: str = "about:blank",
    errors: Sequence[Mapping[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """An RFC 9457 ``application/problem+json`` response; ``errors`` lists one entry per invalid field."""
    body: dict[str, Any] = {"type": type_, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors is not None:
        body["errors"] = list(errors)
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=dict(headers or {}))


def health_router(
    checks: Mapping[str, ReadinessCheck], *, registry: CollectorRegistry | None = None, timeout: float = 2.0
) -> APIRouter:
    """``/healthz`` (the process is alive: 503 while a consumer loop of it is dead, so that an orchestrator
    restarts it), ``/readyz`` (every check passes) and ``/metrics`` (Prometheus)."""
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> Response:
        dead = dead_loops()
        if dead:
            return problem(503, "Not alive", detail="a consumer loop keeps failing; restart me", dead=dead)
        return JSONResponse({"status": "ok"})

    @router.get("/readyz")
    async def readyz() -> Response:
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                await asyncio.wait_for(check(), timeout)
                results[name] = "ok"
            except Exception as exc:
                results[name] = f"failed: {type(exc).__name__}"
        ready = all(v == "ok" for v in results.values())
        if not ready:
            return problem(503, "Not ready", detail="a dependency is unreachable", checks=results)
        return JSONResponse({"status": "ready", "checks": results})

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(registry or REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return router


def install_problem_handlers(app: FastAPI) -> None:
    """Make unexpected errors answer problem+json instead of a bare 500 page."""

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return problem(500, "Internal error", detail="the error was logged; try again later")


def exit_zero_after_sigterm() -> None:
    """Make a SIGTERM that uvicorn has already handled end the process with exit code 0.

    uvicorn shuts down gracefully on SIGTERM and then raises the signal again, so that the process
    dies of it (exit -15); an orchestrator reads that as a crash. Call this before ``uvicorn.run``.
    """

    def exit_zero(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, exit_zero)


def serve(app: FastAPI, *, host: str, port: int) -> None:
    """Serve ``app`` until SIGTERM/SIGINT, then drain: uvicorn runs the lifespan shutdown (consumers
    stop and commit, in-flight requests finish within 20 s) and the process exits 0."""
    import uvicorn

    exit_zero_after_sigterm()
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False, timeout_graceful_shutdown=20)
