"""The transactional outbox: events are stored with the state change, then published and deleted.

A crash after the commit and before the publish loses nothing: the relay publishes what is left.
A crash after the publish and before the delete republishes with the same (deterministic) event id,
which consumers deduplicate.

Events are encoded once, when they are queued (``Pending``: the CloudEvent value and headers exactly
as ``EventPublisher`` writes them); the outbox row keeps the payload and the trace context. Publishing
sends the events of a flush without waiting in between (one ``send`` per event, in queue order, so the
events of one request keep their order on its partition), then waits for all acknowledgements
(``acks=all``) before the rows are deleted (in waves, see below).

The relay has its own aiokafka producer from ``satupintu_shared.kafka_clients`` (the platform's
guarantees and routing's credentials: acks=all, idempotent, zstd, linger): faststream's publish path
costs more per event than the rest of routing's work. Each event gets one ``<topic> publish`` span (kind
PRODUCER) in the context it was queued in, and its ``traceparent`` goes into the record headers (once:
nothing else instruments it).

Failures are classified once (``satupintu_shared.failures``). An event that can never be published
(too large for the broker, a topic routing may not write, a row that no longer validates) is isolated:
dead-lettered with the reason (a truncated copy when too large; kind ``publish-refused``) and its row
deleted, so the events stored after it flow. The dead letter is written before the next event is sent,
so a later event of the same request is never published before an earlier one is resolved. Any other
failure leaves the rows that were not acknowledged in the outbox (the resolved ones are deleted) and is
raised: the caller, or the next sweep, tries again.

Order per request also holds after such a (transient) failure. A flush is sent in waves: the n-th event
of every key (topic and record key) in wave n, waiting for the acknowledgements in between (one wave in
the common case: one event per key). When an event fails transiently, the later events of its key are
not sent; the key stays *held* (in this relay) until its events left in the outbox are resolved, and a
later flush that does not carry those earlier events leaves the held key's events in the outbox too.
The sweep (``flush_stale``) takes the held events whatever their age, oldest first, and retries them in
order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, TracerProvider

from satupintu_shared.broker import DeadLetter, dead_letter_of, write_dead_letter
from satupintu_shared.envelope import encode
from satupintu_shared.events import EVENT_TYPES, Event
from satupintu_shared.failures import Failure, classify, describe
from satupintu_shared.kafka_clients import create_producer
from satupintu_shared.settings import KafkaSettings
from satupintu_shared.telemetry import context_of, current_traceparent

_INSERT = (
    "INSERT INTO routing.outbox (event_id, topic, event_type, payload, traceparent) "
    "VALUES ($1, $2, $3, $4::jsonb, $5) ON CONFLICT (event_id) DO NOTHING"
)
_INSERT_MANY = (
    "INSERT INTO routing.outbox (event_id, topic, event_type, payload, traceparent) "
    "SELECT e, t, y, p::jsonb, tp FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) "
    "WITH ORDINALITY AS u(e, t, y, p, tp, n) ORDER BY n ON CONFLICT (event_id) DO NOTHING"
)
_LEFT = "SELECT event_id FROM routing.outbox WHERE event_id = ANY($1::text[])"

log = logging.getLogger(__name__)
#: The dead letters' consumer group header: the relay is no consumer.
RELAY = "routing-outbox"

#: Bytes (uncompressed) of one producer batch per partition.
MAX_BATCH_BYTES = 512 * 1024


@dataclass(frozen=True)
class Pending:
    """One event to publish: the encoded CloudEvent, where it goes and the trace context it belongs to."""

    event_id: str
    topic: str
    event_type: str
    key: bytes | None
    value: bytes
    headers: dict[str, str]
    traceparent: str | None
    #: The live context it was queued in (the same as ``traceparent``; saves parsing it again).
    context: Context | None = None


def pending(
    topic: str,
    event: Event,
    event_id: str,
    *,
    source: str,
    traceparent: str | None = None,
    context: Context | None = None,
) -> Pending:
    """Encode ``event`` for ``topic``, to be published within ``context`` (default: the current one).

    ``traceparent`` is that context's, as stored in the outbox (derived from it when not given).
    """
    value, headers = encode(event, source=source, event_id=event_id)
    subject = headers.get("ce_subject")
    if context is None:
        context, traceparent = otel_context.get_current(), current_traceparent()
    return Pending(
        event_id=event_id,
        topic=topic,
        event_type=event.EVENT_TYPE,
        key=subject.encode() if subject else None,
        value=value,
        headers=headers,
        traceparent=traceparent,
        context=context,
    )


async def enqueue(conn: asyncpg.Connection, topic: str, event: Event, event_id: str) -> str:
    """Store ``event`` for publication on ``topic`` in the caller's transaction. Returns ``event_id``.

    The current trace context is stored with it: the event is published within it, whenever that is.
    """
    await conn.execute(
        _INSERT, event_id, topic, event.EVENT_TYPE, event.model_dump_json(), current_traceparent()
    )
    return event_id


async def enqueue_many(conn: asyncpg.Connection, events: Sequence[Pending]) -> None:
    """Store ``events`` in the caller's transaction, in order, with one statement."""
    if not events:
        return
    await conn.execute(
        _INSERT_MANY,
        [e.event_id for e in events],
        [e.topic for e in events],
        [e.event_type for e in events],
        [e.value.decode() for e in events],
        [e.traceparent for e in events],
    )


class OutboxRelay:
    """Publishes stored events in the order they were stored."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        settings: KafkaSettings,
        *,
        source: str,
        client_id: str = "routing",
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        self._pool = pool
        self._settings = settings
        self._client_id = client_id
        self._producer: AIOKafkaProducer | None = None
        self._tracer = trace.get_tracer("routing.outbox", tracer_provider=tracer_provider)
        self.source = source
        #: Held keys: the ids of their events left in the outbox after a transient failure, in order.
        self._held: dict[tuple[str, bytes | None], list[str]] = {}

    async def start(self) -> None:
        """Connect the producer (the platform's guarantees, routing's credentials)."""
        producer = create_producer(
            self._settings,
            client_id=self._client_id,
            # aiokafka keeps one open batch per partition and makes a send wait until a full one is
            # drained: with the default 16 KiB, a flush of hundreds of events to one inbox partition
            # waits for dozens of acks=all round trips. Compressed, a batch stays far below the
            # broker's 1 MiB limit.
            max_batch_size=MAX_BATCH_BYTES,
        )
        await producer.start()
        self._producer = producer

    async def stop(self) -> None:
        """Send what is buffered and disconnect."""
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()

    async def flush(self, event_ids: list[str]) -> int:
        """Publish the given events now (right after the transaction that stored them)."""
        if not event_ids:
            return 0
        return await self._publish_stored("event_id = ANY($1::text[])", event_ids)

    async def flush_stale(self, older_than_seconds: float = 5.0) -> int:
        """Publish events left behind by a crash (stored more than ``older_than_seconds`` ago)."""
        stale = "(created_at < now() - make_interval(secs => $1) OR event_id = ANY($2::text[]))"
        held = [event_id for ids in self._held.values() for event_id in ids]
        if held:
            # An event resolved elsewhere (another replica's sweep) no longer holds its key.
            left = {r["event_id"] for r in await self._pool.fetch(_LEFT, held)}
            for key, ids in list(self._held.items()):
                ids[:] = [i for i in ids if i in left]
                if not ids:
                    del self._held[key]
            held = [event_id for ids in self._held.values() for event_id in ids]
        return await self._publish_stored(stale, older_than_seconds, held)

    @property
    def held(self) -> dict[tuple[str, bytes | None], list[str]]:
        """The held keys (topic, record key) and the ids of their events left in the outbox."""
        return {k: list(v) for k, v in self._held.items()}

    async def publish(self, events: Sequence[Pending]) -> None:
        """Publish events just stored (and committed) by the caller, then delete their outbox rows.

        No row lock: only the crash sweep (``flush_stale``, rows older than a few seconds) could publish
        them too, and a second copy carries the same event id, which consumers deduplicate.
        """
        if not events:
            return
        resolved, error = await self.send(events)
        if resolved:
            await self._pool.execute(
                "DELETE FROM routing.outbox WHERE event_id = ANY($1::text[])", [e.event_id for e in resolved]
            )
        if error is not None:
            raise error

    async def send(self, events: Sequence[Pending]) -> tuple[list[Pending], Exception | None]:
        """Send ``events`` in order, a wave at a time (the n-th event of every key in wave n, without
        waiting in between); return once the broker acknowledged them.

        Returns the events resolved (published, or dead-lettered because they can never be published)
        and the first other failure (None if there was none): the event it hit and the later events
        of its key are not resolved, and their key is held. Events of a key held by an earlier call
        whose held events are not among ``events`` are left unresolved without being sent.
        """
        if self._producer is None:
            raise RuntimeError("the outbox relay is not started")
        resolved: list[Pending] = []
        error: Exception | None = None
        carried = {e.event_id for e in events}
        waves: list[list[Pending]] = []
        seen: dict[tuple[str, bytes | None], int] = {}
        for e in events:
            key = _key(e)
            held = self._held.get(key)
            if held and not set(held) <= carried:
                self._hold(e)  # an earlier event of its key is not in this flush: wait for it
                continue
            n = seen[key] = seen.get(key, -1) + 1 if e.key is not None else 0
            if n == len(waves):
                waves.append([])
            waves[n].append(e)
        stopped: set[tuple[str, bytes | None]] = set()
        for wave in waves:
            sendable = [e for e in wave if _key(e) not in stopped]
            for e in wave:
                if _key(e) in stopped:
                    self._hold(e)
            done, failed, error = await self._send_wave(sendable, error)
            resolved.extend(done)
            for e in done:
                self._release(e)
            for e in failed:
                if e.key is not None:  # no key, no order to keep: the sweep retries it alone
                    stopped.add(_key(e))
                self._hold(e)
        return resolved, error

    def _hold(self, event: Pending) -> None:
        if event.key is None:
            return
        ids = self._held.setdefault(_key(event), [])
        if event.event_id not in ids:
            ids.append(event.event_id)

    def _release(self, event: Pending) -> None:
        key = _key(event)
        ids = self._held.get(key)
        if ids is None:
            return
        with contextlib.suppress(ValueError):
            ids.remove(event.event_id)
        if not ids:
            del self._held[key]

    async def _send_wave(
        self, events: Sequence[Pending], error: Exception | None
    ) -> tuple[list[Pending], list[Pending], Exception | None]:
        """Send ``events`` (at most one per key) without waiting in between, then wait for all.

        Returns the events resolved, those not sent or not acknowledged (a transient failure) and the
        first such failure (or ``error``)."""
        assert self._producer is not None
        futures: list[tuple[Pending, asyncio.Future[Any]]] = []
        resolved: list[Pending] = []
        for i, e in enumerate(events):
            span = self._tracer.start_span(
                f"{e.topic} publish",
                context=e.context or Context(),
                kind=SpanKind.PRODUCER,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.destination.name": e.topic,
                    "messaging.operation.type": "send",
                    "messaging.message.id": e.event_id,
                },
            )
            headers = dict(e.headers)
            propagate.inject(headers, context=trace.set_span_in_context(span, e.context))
            try:
                future = await self._producer.send(
                    e.topic, e.value, key=e.key, headers=[(k, v.encode()) for k, v in headers.items()]
                )
            except Exception as exc:
                _end(span, exc)
                if classify(exc) is not Failure.PERMANENT:
                    done, failed, error = await self._settle(futures, resolved, error or exc)
                    return done, failed + list(events[i:]), error
                await self._dead_letter(e, exc)  # before the next event is sent: order per request holds
                resolved.append(e)
                continue
            except BaseException as exc:
                _end(span, exc)
                raise
            future.add_done_callback(lambda f, s=span: _end(s, None if f.cancelled() else f.exception()))
            futures.append((e, future))
        return await self._settle(futures, resolved, error)

    async def _settle(
        self,
        futures: list[tuple[Pending, asyncio.Future[Any]]],
        resolved: list[Pending],
        error: Exception | None,
    ) -> tuple[list[Pending], list[Pending], Exception | None]:
        """Wait for the sends in flight; dead-letter those refused for themselves."""
        failed: list[Pending] = []
        results = await asyncio.gather(*(f for _, f in futures), return_exceptions=True)
        for (e, _), result in zip(futures, results, strict=True):
            if not isinstance(result, BaseException):
                resolved.append(e)
            elif isinstance(result, Exception) and classify(result) is Failure.PERMANENT:
                await self._dead_letter(e, result)
                resolved.append(e)
            elif isinstance(result, Exception):
                failed.append(e)
                error = error or result
            else:
                raise result
        return resolved, failed, error

    async def _dead_letter(self, event: Pending, exc: BaseException) -> None:
        """Dead-letter an event that can never be published (retried until the dead letter is written)."""
        producer = self._producer
        assert producer is not None
        letter = dead_letter_of(
            event.value,
            event.key,
            [(k, v.encode()) for k, v in event.headers.items()],
            reason=f"could not be published: {describe(exc)}",
            topic=event.topic,
            partition=-1,
            offset=-1,
            group=RELAY,
            kind="publish-refused",
        )

        async def publish(letter: DeadLetter) -> None:
            headers = [(k, v.encode()) for k, v in letter.headers.items()]
            await producer.send_and_wait(
                self._settings.topics.deadletter, letter.value, key=letter.key, headers=headers
            )

        await write_dead_letter(publish, letter)
        log.error(
            "an outbox event could not be published; dead-lettered",
            extra={"topic": event.topic, "event_id": event.event_id, "error": describe(exc)[:300]},
        )

    async def _publish_stored(self, where: str, *args: object) -> int:
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                f"SELECT seq, event_id, topic, event_type, payload, traceparent FROM routing.outbox "
                f"WHERE {where} "
                "ORDER BY seq LIMIT 500 FOR UPDATE SKIP LOCKED",
                *args,
            )
            if not rows:
                return 0
            pending: list[Pending] = []
            seqs: dict[str, int] = {}
            for row in rows:
                stored = await self._stored_or_dead_letter(row)
                seqs[row["event_id"]] = row["seq"]
                if stored is not None:
                    pending.append(stored)
            dead = [row["seq"] for row in rows if row["event_id"] not in {e.event_id for e in pending}]
            resolved, error = await self.send(pending)
            await conn.execute(
                "DELETE FROM routing.outbox WHERE seq = ANY($1::bigint[])",
                dead + [seqs[e.event_id] for e in resolved],
            )
        if error is not None:
            raise error
        return len(rows)

    async def _stored_or_dead_letter(self, row: asyncpg.Record) -> Pending | None:
        """The row's event, or None once it was dead-lettered because it no longer validates."""
        try:
            return self._stored(row)
        except (KeyError, ValueError) as exc:
            raw = Pending(
                event_id=row["event_id"],
                topic=row["topic"],
                event_type=row["event_type"],
                key=None,
                value=str(row["payload"]).encode(),
                headers={"ce_id": row["event_id"], "ce_type": row["event_type"]},
                traceparent=row["traceparent"],
            )
            await self._dead_letter(raw, exc)
            return None

    def _stored(self, row: asyncpg.Record) -> Pending:
        # jsonb does not keep the text as written: validate and encode again, as when it was queued.
        event: Any = EVENT_TYPES[row["event_type"]].read(json.loads(row["payload"]))
        value, headers = encode(event, source=self.source, event_id=row["event_id"])
        subject = headers.get("ce_subject")
        return Pending(
            event_id=row["event_id"],
            topic=row["topic"],
            event_type=row["event_type"],
            key=subject.encode() if subject else None,
            value=value,
            headers=headers,
            traceparent=row["traceparent"],
            context=context_of(row["traceparent"]),
        )


def _key(event: Pending) -> tuple[str, bytes | None]:
    """What the order is kept per: the topic and the record key (the request's tracking number)."""
    return event.topic, event.key


def _end(span: Span, error: BaseException | None) -> None:
    if error is not None:
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, type(error).__name__))
    span.end()
