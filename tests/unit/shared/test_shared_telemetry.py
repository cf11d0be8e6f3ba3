"""The shared telemetry helpers, in process: linked traces, stored trace context, the sampler that drops
lone database statements, HTTP server spans without query strings, HTTP metrics by route template."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, Decision, ParentBased
from opentelemetry.trace import SpanKind
from prometheus_client import CollectorRegistry, generate_latest

from satupintu_shared.observability import instrument_service
from satupintu_shared.settings import ServiceSettings
from satupintu_shared.telemetry import (
    _NoLoneStatements,
    context_of,
    current_span_ids,
    current_traceparent,
    linked_trace,
    span_context,
)


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    """Spans of the global provider (the helpers use it, as the services do); set once per process."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()


def test_a_linked_trace_is_a_new_root_with_a_link_per_known_context(exporter: InMemorySpanExporter) -> None:
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("request"):
        request = current_span_ids()
    assert request is not None
    with linked_trace("later", [("request", span_context(*request)), ("missing", None)]) as span:
        later = span.get_span_context()
    assert later.trace_id != int(request[0], 16)
    finished = next(s for s in exporter.get_finished_spans() if s.name == "later")
    assert finished.parent is None
    assert [(link.context.span_id, dict(link.attributes or {})) for link in finished.links] == [
        (int(request[1], 16), {"satupintu.link.role": "request"})
    ]


def test_stored_ids_and_traceparents_name_the_context_again(exporter: InMemorySpanExporter) -> None:
    assert span_context(None, "00f067aa0ba902b7") is None
    assert span_context("not-hex", "00f067aa0ba902b7") is None
    assert context_of(None) is None and context_of("garbage") is None
    with trace.get_tracer("test").start_as_current_span("work"):
        stored, ids = current_traceparent(), current_span_ids()
    context = context_of(stored)
    assert context is not None and ids is not None
    assert format(trace.get_current_span(context).get_span_context().span_id, "016x") == ids[1]


def test_a_database_statement_without_a_parent_is_not_sampled() -> None:
    sampler = ParentBased(_NoLoneStatements(ALWAYS_ON))
    lone = sampler.should_sample(None, 1, "SELECT", SpanKind.CLIENT, {"db.system": "postgresql"})
    other = sampler.should_sample(None, 1, "GET /", SpanKind.SERVER, {"http.method": "GET"})
    assert lone.decision is Decision.DROP
    assert other.decision is Decision.RECORD_AND_SAMPLE


async def test_http_spans_and_metrics_carry_route_templates_and_no_query() -> None:
    app = FastAPI()

    @app.get("/v1/things/{code}")
    async def thing(code: str) -> dict[str, str]:
        return {"code": code}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    registry, exporter = CollectorRegistry(), InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrument_service(app, "svc", ServiceSettings(), tracer_provider=provider, registry=registry)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client:
        assert (await client.get("/v1/things/A1?email=someone@example.id")).status_code == 200
        assert (await client.get("/healthz")).status_code == 200

    servers = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.SERVER]
    assert [s.name for s in servers] == ["GET /v1/things/{code}"], "probes are not traced"
    assert "someone@example.id" not in str(dict(servers[0].attributes or {}))
    text = generate_latest(registry).decode()
    assert 'route="/v1/things/{code}"' in text and 'status="200"' in text
    assert "A1" not in text and "healthz" not in text
