"""The ingest handler: decode a batch, dead-letter what is invalid, store the rest in one transaction.

A batch the database refuses for another reason than its own availability (``satupintu_shared.failures``)
is stored one event at a time: an event refused permanently (a value the database rejects) is
dead-lettered at once, one failing with an unknown error after ``POISON_BUDGET`` attempts; the others
are stored. A transient failure is raised, and ``BatchConsumer`` retries the write with backoff.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Link, NonRecordingSpan, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from prometheus_client import Counter, Histogram
from pydantic import ValidationError

from satupintu_shared.broker import DeadLetters
from satupintu_shared.envelope import JSON, SPECVERSION, InvalidEvent, decode
from satupintu_shared.events import LIFECYCLE_EVENTS, Event
from satupintu_shared.failures import POISON_BUDGET, Backoff, Failure, classify, describe

from ..adapters.batch_consumer import Record, Write
from ..adapters.event_store import EventStore
from ..domain.records import LIFECYCLE_TYPES, StoredEvent, to_stored

log = logging.getLogger(__name__)
tracer = trace.get_tracer("performance.ingest")
_propagator = TraceContextTextMapPropagator()
MAX_LINKS = 32
_MODELS: dict[str, type[Event]] = {model.EVENT_TYPE: model for model in LIFECYCLE_EVENTS}
#: Lower-case header names of the records our publishers write (checked as a set, in C).
_USUAL_HEADERS = frozenset(
    [
        "ce_specversion",
        "ce_id",
        "ce_type",
        "ce_source",
        "ce_time",
        "ce_subject",
        "content-type",
        "traceparent",
        "tracestate",
    ]
)

EVENTS = Counter("satupintu_performance_events", "Lifecycle events ingested", ["result"])
BATCH_SECONDS = Histogram("satupintu_performance_batch_seconds", "Time to store one batch")


class LifecycleIngest:
    """Handles batches of lifecycle records for ``BatchConsumer``."""

    def __init__(self, store: EventStore, dead_letters: DeadLetters, *, group: str) -> None:
        self._store = store
        self._dead_letters = dead_letters
        self._group = group

    async def __call__(self, records: list[Record]) -> None:
        """Decode and store ``records`` (both steps at once)."""
        write = await self.prepare(records)
        await write()

    async def prepare(self, records: list[Record]) -> Write:
        """Decode ``records`` (dead-lettering the invalid ones) and return the step that stores them.

        ``BatchConsumer`` runs this while the previous batch is still being written, and the returned
        write once that one committed (retrying it while the database fails).
        """
        links = [link for link in (_link(r) for r in records[:MAX_LINKS]) if link is not None]
        topic = records[0].topic
        # Links to the records' producers (the first MAX_LINKS); the first one is also the parent, so
        # that a request's trace holds performance's processing and database writes.
        parent = trace.set_span_in_context(NonRecordingSpan(links[0].context)) if links else None
        span = tracer.start_span(
            f"{topic} process",
            context=parent,
            kind=SpanKind.CONSUMER,
            links=links,
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": topic,
                "messaging.consumer.group.name": self._group,
                "messaging.batch.message_count": len(records),
            },
        )
        with trace.use_span(span, end_on_exit=False):
            pairs = await self._decode_all(records)

        async def write() -> None:
            with trace.use_span(span, end_on_exit=False, record_exception=True):
                started = time.perf_counter()
                new = await self._store_all(pairs)
                BATCH_SECONDS.observe(time.perf_counter() - started)
                EVENTS.labels(result="new").inc(new)
                EVENTS.labels(result="duplicate").inc(len(pairs) - new)
                span.set_attribute("satupintu.events.new", new)
            span.end()  # only once stored: a failed attempt is retried within the same span

        return write

    async def _decode_all(self, records: Iterable[Record]) -> list[tuple[Record, StoredEvent]]:
        out: list[tuple[Record, StoredEvent]] = []
        for record in records:
            try:
                out.append((record, self._decode(record)))
            except InvalidEvent as exc:
                await self._dead_letters.send(record, reason=str(exc), group=self._group, kind="invalid")
            except Exception as exc:
                if classify(exc) is not Failure.PERMANENT:
                    raise
                await self._dead_letters.send(record, reason=describe(exc), group=self._group, kind="invalid")
        return out

    def _decode(self, record: Record) -> StoredEvent:
        return _decode_fast(record) or self._decode_checked(record)

    def _decode_checked(self, record: Record) -> StoredEvent:
        """The general path (``satupintu_shared.envelope``): any CloudEvent mode; says why one is invalid."""
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
        except Exception as exc:
            if classify(exc) is Failure.TRANSIENT:
                raise
            log.warning("a batch was refused; storing its events one by one", extra={"error": describe(exc)})
        new = 0
        for record, stored in pairs:
            new += await self._store_one(record, stored)
        return new

    async def _store_one(self, record: Record, stored: StoredEvent) -> int:
        """Store one event; dead-letter it when it fails for itself (transient failures are raised)."""
        backoff = Backoff()
        for attempt in range(1, POISON_BUDGET + 1):
            try:
                return await self._store.store([stored])
            except Exception as exc:
                failure = classify(exc)
                if failure is Failure.TRANSIENT:
                    raise
                if failure is Failure.UNKNOWN and attempt < POISON_BUDGET:
                    await backoff.wait()
                    continue
                reason = f"database refused the event: {describe(exc)}"
                await self._dead_letters.send(record, reason=reason, group=self._group, kind="handler-error")
                break
        return 0


def _decode_fast(record: Record) -> StoredEvent | None:
    """The common case in one pass: a binary-mode lifecycle CloudEvent whose data pydantic validates
    straight from the value's bytes (no ``json.loads``, no intermediate dict).

    Returns None whenever anything is unusual (structured mode, upper-case header names,
    a missing or non-UTF-8 header, an unknown type, invalid data, …): the general path then decides,
    with the same outcome and dead-letter reason as always.
    """
    value, headers = record.value, record.headers
    if not value or not headers:
        return None
    try:
        h = {k: v.decode() for k, v in headers}
    except (UnicodeDecodeError, AttributeError):
        return None
    if not h.keys() <= _USUAL_HEADERS and any(k != k.lower() for k in h):
        return None  # "CE_TYPE" and the like: the general path reads header names case-insensitively
    content_type = h.get("content-type")
    if h.get("ce_specversion") != SPECVERSION or (content_type and not content_type.startswith(JSON)):
        return None
    model = _MODELS.get(h.get("ce_type", ""))
    event_id = h.get("ce_id")
    if model is None or not event_id or not h.get("ce_source"):
        return None
    raw_time = h.get("ce_time")
    try:
        if raw_time:
            datetime.fromisoformat(raw_time.replace("Z", "+00:00"))
        # a reader: fields a newer producer added are ignored, not a reason to take the slow path
        event = model.model_validate_json(value, extra="ignore")
    except (ValueError, ValidationError):
        return None
    return to_stored(
        event,
        event_id=event_id,
        traceparent=h.get("traceparent") or h.get("ce_traceparent"),
        partition=record.partition,
        offset=record.offset,
    )


def _link(record: Record) -> Link | None:
    carrier: dict[str, Any] = {k.lower(): v.decode(errors="replace") for k, v in (record.headers or ())}
    ctx = trace.get_current_span(_propagator.extract(carrier)).get_span_context()
    return Link(ctx) if ctx.is_valid else None
