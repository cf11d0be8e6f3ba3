"""The ingest handler: decode a batch, dead-letter what is invalid, store the rest in one transaction."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

import asyncpg
from opentelemetry import trace
from opentelemetry.trace import Link, NonRecordingSpan, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from prometheus_client import Counter, Histogram

from satupintu_shared.broker import DeadLetters
from satupintu_shared.envelope import InvalidEvent, decode
from satupintu_shared.events import Event

from ..adapters.batch_consumer import Record
from ..adapters.event_store import EventStore
from ..domain.records import LIFECYCLE_TYPES, StoredEvent, to_stored

log = logging.getLogger(__name__)
tracer = trace.get_tracer("performance.ingest")
_propagator = TraceContextTextMapPropagator()
MAX_LINKS = 32

EVENTS = Counter("satupintu_performance_events", "Lifecycle events ingested", ["result"])
BATCH_SECONDS = Histogram("satupintu_performance_batch_seconds", "Time to store one batch")
#: Data the database refuses although it passed validation: isolate it instead of retrying forever.
POISON = (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError)


class LifecycleIngest:
    """Handles batches of lifecycle records for ``BatchConsumer``."""

    def __init__(self, store: EventStore, dead_letters: DeadLetters, *, group: str) -> None:
        self._store = store
        self._dead_letters = dead_letters
        self._group = group

    async def __call__(self, records: list[Record]) -> None:
        links = [link for link in (_link(r) for r in records[:MAX_LINKS]) if link is not None]
        topic = records[0].topic
        # Links to every record's producer; the first one is also the parent, so that a request's trace
        # holds performance's processing and database writes (a batch is mostly one request's events).
        parent = trace.set_span_in_context(NonRecordingSpan(links[0].context)) if links else None
        with tracer.start_as_current_span(
            f"{topic} process", context=parent, kind=SpanKind.CONSUMER, links=links
        ) as span:
            span.set_attribute("messaging.system", "kafka")
            span.set_attribute("messaging.destination.name", topic)
            span.set_attribute("messaging.consumer.group.name", self._group)
            span.set_attribute("messaging.batch.message_count", len(records))
            pairs = await self._decode_all(records)
            started = time.perf_counter()
            new = await self._store_all(pairs)
            BATCH_SECONDS.observe(time.perf_counter() - started)
            EVENTS.labels(result="new").inc(new)
            EVENTS.labels(result="duplicate").inc(len(pairs) - new)
            span.set_attribute("satupintu.events.new", new)

    async def _decode_all(self, records: Iterable[Record]) -> list[tuple[Record, StoredEvent]]:
        out: list[tuple[Record, StoredEvent]] = []
        for record in records:
            try:
                out.append((record, self._decode(record)))
            except InvalidEvent as exc:
                await self._dead_letters.send(record, reason=str(exc), group=self._group, kind="invalid")
        return out

    def _decode(self, record: Record) -> StoredEvent:
        envelope = decode(record.value, record.headers or ())
        if envelope.type not in LIFECYCLE_TYPES:
            raise InvalidEvent(f"{envelope.type!r} is not a lifecycle event type")
        event: Event = envelope.parse()
        headers = {k.lower(): v for k, v in (record.headers or ())}
        traceparent = headers.get("traceparent", b"").decode(errors="replace") or envelope.extensions.get(
            "traceparent"
        )
        return to_stored(
            event,
            event_id=envelope.id,
            traceparent=traceparent,
            partition=record.partition,
            offset=record.offset,
        )

    async def _store_all(self, pairs: list[tuple[Record, StoredEvent]]) -> int:
        if not pairs:
            return 0
        try:
            return await self._store.store([s for _, s in pairs])
        except POISON:
            log.warning("a batch was refused by the database; storing its events one by one")
        new = 0
        for record, stored in pairs:
            try:
                new += await self._store.store([stored])
            except POISON as exc:
                reason = f"database refused the event: {type(exc).__name__}: {exc}"
                await self._dead_letters.send(record, reason=reason, group=self._group, kind="handler-error")
        return new


def _link(record: Record) -> Link | None:
    carrier: dict[str, Any] = {k.lower(): v.decode(errors="replace") for k, v in (record.headers or ())}
    ctx = trace.get_current_span(_propagator.extract(carrier)).get_span_context()
    return Link(ctx) if ctx.is_valid else None
