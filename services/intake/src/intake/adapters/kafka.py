"""Kafka at the edge: connect in the background (intake starts and answers /healthz without a broker),
and publish with a bound, so that a down or slow broker turns into ``BrokerUnavailable`` in time.

Publishing goes straight to an aiokafka producer (built by ``satupintu_shared.kafka_clients``: the same
guarantees and credentials as the shared broker's, ``acks=all``, idempotent, zstd) instead of through
faststream's per-message middleware chain, which cost about three quarters of intake's CPU under load.
Tracing is kept, per call rather than per message: one PRODUCER span per ``publish_many`` (one per HTTP
request or batch) with OpenTelemetry's messaging attributes, whose W3C ``traceparent`` every record
carries exactly once, so downstream consume spans continue the request's trace.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker
from opentelemetry import propagate, trace
from prometheus_client import CollectorRegistry, Counter

from satupintu_shared import kafka_clients
from satupintu_shared.envelope import encode
from satupintu_shared.events import Contract
from satupintu_shared.settings import KafkaSettings
from satupintu_shared.topics import topic_family

log = logging.getLogger(__name__)
tracer = trace.get_tracer("intake.kafka")


class BrokerUnavailable(Exception):
    """The broker did not acknowledge in time; nothing may be reported as accepted."""


#: intake's producer writes known topics and asks for an unknown one's metadata when it first writes to it:
#: the platform's short refresh (meant for pattern subscriptions, like intake's ingress) would only cost CPU.
PRODUCER_METADATA_MAX_AGE_MS = 300_000


def create_producer(settings: KafkaSettings, *, client_id: str) -> AIOKafkaProducer:
    """The producer intake publishes with: the platform's guarantees and security (``kafka_clients``)."""
    return kafka_clients.create_producer(
        settings,
        client_id=f"{client_id}-producer",
        metadata_max_age_ms=PRODUCER_METADATA_MAX_AGE_MS,
        # Batches of up to 500 submissions of ~1 KiB fit a handful of record batches.
        max_batch_size=256 * 1024,
        max_request_size=4 * 1024 * 1024,
    )


class BrokerConnection:
    """Starts the broker and the producer (and whatever must come first) in the background, retrying
    until both connect."""

    def __init__(
        self,
        broker: KafkaBroker,
        *,
        producer_factory: Callable[[], AIOKafkaProducer] | None = None,
        before_start: Callable[[], Awaitable[None]] | None = None,
        retry_seconds: float = 1.0,
    ) -> None:
        self.broker = broker
        self.producer: AIOKafkaProducer | None = None
        self.connected = asyncio.Event()
        self._producer_factory = producer_factory
        self._before_start = before_start
        self._retry = retry_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin connecting; returns at once."""
        self._task = asyncio.create_task(self._connect(), name="kafka-connect")

    async def _connect(self) -> None:
        while True:
            try:
                if self._before_start:
                    await self._before_start()
                if self._producer_factory and self.producer is None:
                    producer = self._producer_factory()
                    await producer.start()
                    self.producer = producer
                await self.broker.start()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("Kafka not reachable yet; retrying", extra={"error": type(exc).__name__})
                with contextlib.suppress(Exception):
                    await self.broker.stop()
                await self._stop_producer()
                await asyncio.sleep(self._retry)
            else:
                self.connected.set()
                return

    async def _stop_producer(self) -> None:
        producer, self.producer = self.producer, None
        if producer is not None:
            with contextlib.suppress(Exception):
                await producer.stop()  # flushes what is in flight

    async def stop(self) -> None:
        """Stop connecting, drain the subscribers, then flush the producer."""
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.broker.stop()
        await self._stop_producer()


@dataclass(frozen=True)
class Outgoing:
    """One event to publish."""

    topic: str
    event: Contract
    event_id: str
    key: str | None = None


class PublishMetrics:
    """Records published by intake's own producer, by topic family and outcome."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        kwargs: dict[str, Any] = {"registry": registry} if registry is not None else {}
        self._counter = Counter(
            "intake_published_records",
            "Records intake published itself, by topic family and outcome (acknowledged, failed)",
            ["topic", "outcome"],
            **kwargs,
        )

    def count(self, topic: str, outcome: str, n: int) -> None:
        """Count ``n`` records."""
        if n:
            self._counter.labels(topic=topic_family(topic), outcome=outcome).inc(n)


class BoundedPublisher:
    """Publishes binary-mode CloudEvents and waits for ``acks=all``, never longer than ``timeout`` s."""

    def __init__(
        self,
        connection: BrokerConnection,
        *,
        source: str,
        timeout: float,
        metrics: PublishMetrics | None = None,
    ) -> None:
        self._connection = connection
        self._source = source
        self._metrics = metrics
        self.timeout = timeout

    async def publish(self, item: Outgoing) -> None:
        """Publish one event; ``BrokerUnavailable`` when it was not acknowledged within the bound."""
        failures = await self.publish_many([item])
        if failures[0] is not None:
            raise failures[0]

    async def publish_many(self, items: Sequence[Outgoing]) -> list[BrokerUnavailable | None]:
        """Publish all within one bound, under one PRODUCER span; per item, None (acknowledged) or the
        failure."""
        if not items:
            return []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        if not self._connection.connected.is_set():
            try:
                await asyncio.wait_for(self._connection.connected.wait(), self.timeout)
            except TimeoutError:
                return [BrokerUnavailable("Kafka is not connected")] * len(items)
        producer = self._connection.producer
        if producer is None:
            return [BrokerUnavailable("Kafka is not connected")] * len(items)
        topics = {item.topic for item in items}
        topic = items[0].topic if len(topics) == 1 else None
        attributes: dict[str, Any] = {
            "messaging.system": "kafka",
            "messaging.operation.type": "publish",
            "messaging.operation.name": "send",
            "messaging.destination.name": topic or "(several)",
        }
        if len(items) > 1:
            attributes["messaging.batch.message_count"] = len(items)
        else:
            attributes["messaging.message.id"] = items[0].event_id
            if items[0].key or getattr(items[0].event, "tracking_number", None):
                attributes["messaging.kafka.message.key"] = items[0].key or items[0].event.tracking_number  # type: ignore[attr-defined]
        name = f"{topic} publish" if topic else "publish"
        with tracer.start_as_current_span(name, kind=trace.SpanKind.PRODUCER, attributes=attributes) as span:
            carrier: dict[str, str] = {}
            propagate.inject(carrier)
            trace_headers = [(k, v.encode()) for k, v in carrier.items()]
            results = await self._send_all(producer, items, trace_headers, deadline)
            failed = sum(1 for r in results if r is not None)
            if failed:
                span.set_status(trace.StatusCode.ERROR, f"{failed} of {len(items)} not acknowledged")
        if self._metrics is not None:
            for t in topics:
                ok = sum(1 for i, r in zip(items, results, strict=True) if i.topic == t and r is None)
                fail = sum(1 for i, r in zip(items, results, strict=True) if i.topic == t and r is not None)
                self._metrics.count(t, "acknowledged", ok)
                self._metrics.count(t, "failed", fail)
        return results

    async def _send_all(
        self,
        producer: AIOKafkaProducer,
        items: Sequence[Outgoing],
        trace_headers: list[tuple[str, bytes]],
        deadline: float,
    ) -> list[BrokerUnavailable | None]:
        loop = asyncio.get_running_loop()
        results: list[BrokerUnavailable | None] = [None] * len(items)
        pending: dict[asyncio.Future[Any], int] = {}
        try:
            for index, item in enumerate(items):
                value, ce = encode(item.event, source=self._source, event_id=item.event_id)
                key = item.key or ce.get("ce_subject")
                headers = [(k, v.encode()) for k, v in ce.items()]
                headers.extend(trace_headers)
                # send() only waits when the producer's buffer is full: bound that wait too.
                left = deadline - loop.time()
                if left <= 0:
                    raise TimeoutError
                future = await asyncio.wait_for(
                    producer.send(item.topic, value, key=key.encode() if key else None, headers=headers),
                    left,
                )
                pending[future] = index
        except TimeoutError:
            for index in range(len(pending), len(items)):
                results[index] = BrokerUnavailable("no acknowledgement within the bound")
        except Exception as exc:
            for index in range(len(pending), len(items)):
                results[index] = BrokerUnavailable(f"{type(exc).__name__}: {exc}")
        if pending:
            done, not_done = await asyncio.wait(pending, timeout=max(deadline - loop.time(), 0.001))
            for future in not_done:
                # The record may still be written later; the caller reports it as not accepted, and a
                # retry with the same idempotency key re-publishes the same event id (deduplicated).
                results[pending[future]] = BrokerUnavailable("no acknowledgement within the bound")
                future.add_done_callback(_swallow)
            for future in done:
                if (error := future.exception()) is not None:
                    results[pending[future]] = BrokerUnavailable(f"{type(error).__name__}: {error}")
        return results


def _swallow(future: asyncio.Future[Any]) -> None:
    # Retrieve a late failure so asyncio does not log "exception was never retrieved".
    if not future.cancelled():
        future.exception()
