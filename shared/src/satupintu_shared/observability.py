"""One call from a service's composition root: HTTP server spans, HTTP request metrics, consumer lag.

``instrument_service(app, ...)`` after the routes are included. Server spans come from
opentelemetry-instrumentation-fastapi (continuing an incoming ``traceparent``), without the query
string (it may hold personal data) and without spans for the probes and ``/metrics``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.trace import Span, TracerProvider
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .consumer_lag import ConsumerLag
from .settings import ServiceSettings

PROBES = ("/healthz", "/readyz", "/metrics")
_QUERY_ATTRIBUTES = ("http.target", "http.url", "url.full", "url.query")
_METRICS: dict[int, tuple[Counter, Histogram]] = {}


def instrument_service(
    app: FastAPI,
    service: str,
    settings: ServiceSettings,
    *,
    tracer_provider: TracerProvider | None = None,
    registry: CollectorRegistry | None = None,
    consumer_groups: Mapping[str, str] | None = None,
) -> None:
    """Server spans and ``satupintu_http_requests`` for ``app``; lag of ``consumer_groups`` while it runs.

    ``consumer_groups`` maps each consumer group of the service to a regular expression of the
    topics it reads (``satupintu_consumer_lag{group, topic}``, measured every
    ``SATUPINTU_CONSUMER_LAG_INTERVAL_SECONDS``).
    """
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=tracer_provider,
        excluded_urls=",".join(PROBES),
        exclude_spans=["receive", "send"],
        server_request_hook=_without_query,
    )
    requests, seconds = http_metrics(registry)
    app.add_middleware(_HttpMetrics, service=service, requests=requests, seconds=seconds)
    if consumer_groups:
        lag = ConsumerLag(
            settings, consumer_groups, registry=registry, interval=settings.consumer_lag_interval_seconds
        )
        _measure_lag_while_running(app, lag)


def http_metrics(registry: CollectorRegistry | None = None) -> tuple[Counter, Histogram]:
    """``satupintu_http_requests{service, method, route, status}`` and its latency histogram."""
    registry = registry or REGISTRY
    if id(registry) not in _METRICS:
        _METRICS[id(registry)] = (
            Counter(
                "satupintu_http_requests",
                "HTTP requests answered, by service, method, route template and status code",
                ["service", "method", "route", "status"],
                registry=registry,
            ),
            Histogram(
                "satupintu_http_request_duration_seconds",
                "HTTP request latency, by service and route template",
                ["service", "route"],
                registry=registry,
            ),
        )
    return _METRICS[id(registry)]


def _without_query(span: Span, scope: dict[str, Any]) -> None:
    # The instrumentation records the query string; Open311 searches may carry personal data in it.
    attributes = getattr(span, "attributes", None) or {}
    for name in _QUERY_ATTRIBUTES:
        value = attributes.get(name)
        if isinstance(value, str) and (name == "url.query" or "?" in value):
            span.set_attribute(name, "" if name == "url.query" else value.split("?", 1)[0])


class _HttpMetrics:
    """Counts answered requests by route template (never the raw path: it holds tracking numbers)."""

    def __init__(self, app: ASGIApp, *, service: str, requests: Counter, seconds: Histogram) -> None:
        self.app, self.service, self.requests, self.seconds = app, service, requests, seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in PROBES:
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            labels = {"service": self.service, "route": route}
            self.requests.labels(method=scope.get("method", ""), status=str(status), **labels).inc()
            self.seconds.labels(**labels).observe(time.perf_counter() - started)


def _measure_lag_while_running(app: FastAPI, lag: ConsumerLag) -> None:
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app_: Any) -> AsyncIterator[Any]:
        async with inner(app_) as state:
            lag.start()
            try:
                yield state
            finally:
                await lag.stop()

    app.router.lifespan_context = lifespan
