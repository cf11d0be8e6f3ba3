"""Tracing and logging set up once, the same way in every service."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, Span, SpanContext, SpanKind, TraceState
from opentelemetry.util.types import Attributes
from pythonjsonlogger.json import JsonFormatter

from .settings import ServiceSettings


def setup_telemetry(
    service_name: str, settings: ServiceSettings, *, exporter: SpanExporter | None = None
) -> TracerProvider:
    """Create the service's TracerProvider (set as global) and JSON logging with trace ids.

    Spans are exported over OTLP/HTTP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set (or to ``exporter``);
    sampling is parent-based with the ratio ``OTEL_TRACES_SAMPLER_ARG``. asyncpg is instrumented once
    per process, without query parameters (they may hold personal data): only the SQL text is recorded.
    """
    provider = TracerProvider(
        resource=Resource.create({"service.name": service_name, "service.namespace": "satupintu"}),
        sampler=ParentBased(_NoLoneStatements(TraceIdRatioBased(settings.otel_traces_sampler_arg))),
    )
    if exporter is None and settings.otel_exporter_otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
        exporter = OTLPSpanExporter(endpoint=endpoint)
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _instrument_asyncpg()
    setup_logging(service_name, settings.log_level)
    return provider


class _NoLoneStatements(Sampler):
    """Root sampler that drops a database statement with no operation around it.

    Health checks, the watchdog's polling and the outbox sweep would otherwise each be a trace of
    one ``SELECT``; statements inside a traced operation have a parent and are not affected.
    """

    def __init__(self, delegate: Sampler) -> None:
        self._delegate = delegate

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        if attributes and ("db.system" in attributes or "db.system.name" in attributes):
            return SamplingResult(Decision.DROP)
        return self._delegate.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"NoLoneStatements{{{self._delegate.get_description()}}}"


def _instrument_asyncpg() -> None:
    instrumentor = AsyncPGInstrumentor(capture_parameters=False)
    if not instrumentor.is_instrumented_by_opentelemetry:
        # No tracer provider passed: spans go to the global one, whichever app set it.
        instrumentor.instrument(capture_parameters=False)


class _TraceContextFilter(logging.Filter):
    def __init__(self, service_name: str) -> None:
        super().__init__()
        self.service_name = service_name

    def filter(self, record: logging.LogRecord) -> bool:
        ctx = trace.get_current_span().get_span_context()
        record.service = self.service_name
        record.trace_id = format(ctx.trace_id, "032x") if ctx.is_valid else None
        record.span_id = format(ctx.span_id, "016x") if ctx.is_valid else None
        return True


def setup_logging(service_name: str, level: str = "INFO") -> None:
    """Structured JSON logs on stderr, each line carrying the current trace and span ids."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "asctime": "time"},
        )
    )
    handler.addFilter(_TraceContextFilter(service_name))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    # faststream installs its own coloured stderr handler; its lines belong in the JSON stream too.
    faststream_logger = logging.getLogger("faststream")
    faststream_logger.handlers[:] = []
    faststream_logger.propagate = True
    faststream_logger.setLevel(logging.WARNING)


def current_trace_id() -> str | None:
    """The current trace id as 32 hex characters, or None outside a sampled or unsampled span."""
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else None


def current_span_ids() -> tuple[str, str] | None:
    """The current (trace id, span id) as hex, to store and link to later; None outside a span."""
    ctx = trace.get_current_span().get_span_context()
    return (format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")) if ctx.is_valid else None


def current_traceparent() -> str | None:
    """The W3C ``traceparent`` of the current span, or None outside a span."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


def span_context(trace_id: str | None, span_id: str | None) -> SpanContext | None:
    """A remote ``SpanContext`` from stored hex ids (for a link), or None if they are missing or invalid."""
    if not trace_id or not span_id:
        return None
    try:
        ctx = SpanContext(int(trace_id, 16), int(span_id, 16), is_remote=True)
    except ValueError:
        return None
    return ctx if ctx.is_valid else None


def context_of(traceparent: str | None) -> Context | None:
    """The context a stored ``traceparent`` names, to publish or work within it again; None if absent."""
    if not traceparent:
        return None
    ctx = propagate.extract({"traceparent": traceparent})
    return ctx if trace.get_current_span(ctx).get_span_context().is_valid else None


@contextmanager
def linked_trace(
    name: str,
    links: Iterable[tuple[str, SpanContext | None]],
    *,
    attributes: Attributes = None,
    kind: SpanKind = SpanKind.INTERNAL,
    tracer_name: str = "satupintu",
) -> Iterator[Span]:
    """Start a new trace (a root span, made current) linked to the given contexts.

    For work that happens because of an earlier request but not as part of it (an agency's report
    hours later, an escalation): each ``(role, context)`` pair becomes a span link with the attribute
    ``satupintu.link.role``; missing contexts are skipped.
    """
    span_links = [
        Link(ctx, {"satupintu.link.role": role}) for role, ctx in links if ctx is not None and ctx.is_valid
    ]
    tracer = trace.get_tracer(tracer_name)
    with tracer.start_as_current_span(
        name, context=Context(), kind=kind, links=span_links, attributes=attributes
    ) as span:
        yield span
