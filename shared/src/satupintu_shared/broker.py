"""The Kafka broker factory and the two things every service does with it: publish CloudEvents, and
consume them with a dead-letter path so that a poison message never stops a consumer.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.message import StreamMessage
from opentelemetry.trace import TracerProvider
from prometheus_client import REGISTRY, CollectorRegistry, Counter

from .envelope import Envelope, InvalidEvent, decode, encode
from .events import Contract
from .failures import POISON_BUDGET, Backoff, Failure, classify, describe, is_permanent
from .kafka_clients import faststream_security, producer_options
from .kafka_telemetry import KafkaTracing
from .settings import KafkaSettings
from .topics import Topics, topic_family

log = logging.getLogger(__name__)

DLQ_REASON = "satupintu_dlq_reason"
DLQ_TOPIC = "satupintu_dlq_topic"
DLQ_PARTITION = "satupintu_dlq_partition"
DLQ_OFFSET = "satupintu_dlq_offset"
DLQ_GROUP = "satupintu_dlq_group"
DLQ_KIND = "satupintu_dlq_kind"

#: How often a handler may fail with an unknown error on the same record before it is dead-lettered.
MAX_HANDLER_ATTEMPTS = POISON_BUDGET

EventHandler = Callable[[Envelope, ConsumerRecord[Any, Any]], Awaitable[None]]


def create_broker(
    settings: KafkaSettings,
    *,
    service: str,
    tracer_provider: TracerProvider | None = None,
    registry: CollectorRegistry | None = None,
    **overrides: Any,
) -> KafkaBroker:
    """A faststream ``KafkaBroker`` with SatuPintu's producer guarantees, tracing and metrics.

    The producer waits for all in-sync replicas (``acks=all``) and is idempotent, so a publish that
    returned is stored exactly once; a small linger and zstd keep throughput up. Records carry the
    W3C ``traceparent`` of the publishing span; consume spans continue it (``KafkaTracing``).
    """
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "security": faststream_security(settings),
        "client_id": service,
        **producer_options(settings),
        "request_timeout_ms": settings.kafka_request_timeout_ms,
        # Topics exist because the platform declared them; a client asking to create one would only be
        # refused (the broker has auto-creation off and no client but the admin tool may create).
        "allow_auto_create_topics": False,
        # Short metadata age so pattern subscriptions see a newly onboarded agency's topics quickly.
        "metadata_max_age_ms": settings.kafka_metadata_max_age_ms,
        "middlewares": (
            KafkaTracing(tracer_provider=tracer_provider),
            KafkaPrometheusMiddleware(registry=registry or REGISTRY, app_name=service),
        ),
        "graceful_timeout": 15.0,
        # faststream logs every message received/processed at this level: keep that out of INFO logs,
        # and route it through our JSON logging rather than faststream's own formatter.
        "logger": logging.getLogger("faststream.access"),
        "log_level": logging.DEBUG,
    }
    options.update(overrides)
    return KafkaBroker(**options)


class EventPublisher:
    """Publishes contract models as binary-mode CloudEvents, keyed by their subject."""

    def __init__(self, broker: KafkaBroker, *, source: str) -> None:
        self._broker = broker
        self._source = source

    async def publish(
        self,
        topic: str,
        event: Contract,
        *,
        event_id: str | None = None,
        key: str | None = None,
        subject: str | None = None,
        time: datetime | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> str:
        """Publish and wait for the broker's acknowledgement. Returns the CloudEvent id."""
        value, headers = encode(event, source=self._source, event_id=event_id, subject=subject, time=time)
        if extra_headers:
            headers.update(extra_headers)
        record_key = key or headers.get("ce_subject")
        await self._broker.publish(
            value, topic=topic, key=record_key.encode() if record_key else None, headers=headers
        )
        return headers["ce_id"]


#: Records larger than this are dead-lettered as a truncated copy (the first ``DEAD_LETTER_COPY_BYTES``)
#: with a reference to the original (topic, partition, offset, size, sha256): far below the broker's
#: record limit, so that the dead letter itself is never refused for its size.
MAX_DEAD_LETTER_BYTES = 256 * 1024
DEAD_LETTER_COPY_BYTES = 16 * 1024
#: Each header value kept (hostile records may carry huge headers too).
MAX_DEAD_LETTER_HEADER_CHARS = 4096
DLQ_TRUNCATED = "satupintu_dlq_truncated"
DLQ_SIZE = "satupintu_dlq_size"
DLQ_SHA256 = "satupintu_dlq_sha256"


@dataclass
class DeadLetters:
    """Writes records that cannot be processed to the dead-letter topic, with the reason in headers.

    ``send`` returns only once the dead letter is stored (``write_dead_letter``): a failed write is
    retried with ``Backoff``, never dropped and never handed back to the consumer's handler.
    """

    broker: KafkaBroker
    topics: Topics
    failures: Counter | None = None
    backoff_base: float = 0.2
    backoff_cap: float = 30.0

    async def send(self, record: ConsumerRecord[Any, Any], *, reason: str, group: str, kind: str) -> None:
        """Dead-letter ``record`` (value, key and headers as they were; a truncated copy when too large)."""
        letter = dead_letter_of(
            record.value,
            record.key,
            record.headers or (),
            reason=reason,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            group=group,
            kind=kind,
        )

        async def publish(letter: DeadLetter) -> None:
            await self.broker.publish(
                letter.value, topic=self.topics.deadletter, key=letter.key, headers=letter.headers
            )

        await write_dead_letter(publish, letter, Backoff(self.backoff_base, self.backoff_cap))
        if self.failures is not None:
            self.failures.labels(topic=topic_family(record.topic), kind=kind).inc()
        log.warning(
            "dead-lettered a record",
            extra={"topic": record.topic, "offset": record.offset, "kind": kind, "reason": reason[:300]},
        )


@dataclass(frozen=True)
class DeadLetter:
    """A record for the dead-letter topic: the original's value, key and headers plus the ``DLQ_*``
    headers; a truncated copy, with the original's size and SHA-256, when the original is too large."""

    value: bytes | None
    key: bytes | None
    headers: dict[str, str]
    original: bytes | None

    def reference(self) -> DeadLetter:
        """No value at all, short headers: what is left to dead-letter when even the copy is refused."""
        kept = {name: text[:256] for name, text in self.headers.items()}
        return DeadLetter(b"", self.key, {**kept, **_fingerprint(self, "reference")}, self.original)


def dead_letter_of(
    value: bytes | None,
    key: bytes | None,
    headers: Iterable[tuple[str, bytes | None]],
    *,
    reason: str,
    topic: str,
    partition: int,
    offset: int,
    group: str,
    kind: str,
) -> DeadLetter:
    """The dead letter of one record (``partition``/``offset`` -1: a record that was never published)."""
    kept = {
        name: (raw or b"").decode(errors="replace")[:MAX_DEAD_LETTER_HEADER_CHARS]
        for name, raw in list(headers)[:64]
    }
    kept.update(
        {
            DLQ_REASON: reason[:2000],
            DLQ_TOPIC: topic,
            DLQ_PARTITION: str(partition),
            DLQ_OFFSET: str(offset),
            DLQ_GROUP: group,
            DLQ_KIND: kind,
        }
    )
    letter = DeadLetter(value, key[:1024] if key is not None else None, kept, value)
    size = len(value or b"") + sum(len(k) + len(v) for k, v in kept.items())
    if size <= MAX_DEAD_LETTER_BYTES:
        return letter
    short = {name: text[:256] for name, text in kept.items()}
    copy = (value or b"")[:DEAD_LETTER_COPY_BYTES]
    return DeadLetter(copy, letter.key, {**short, **_fingerprint(letter, "copy")}, value)


def _fingerprint(letter: DeadLetter, how: str) -> dict[str, str]:
    original = letter.original or b""
    return {
        DLQ_REASON: letter.headers.get(DLQ_REASON, ""),
        DLQ_SIZE: str(len(original)),
        DLQ_SHA256: hashlib.sha256(original).hexdigest(),
        DLQ_TRUNCATED: how,
    }


async def write_dead_letter(
    publish: Callable[[DeadLetter], Awaitable[None]], letter: DeadLetter, backoff: Backoff | None = None
) -> None:
    """``publish(letter)`` until it succeeds. Each failure is counted
    (``satupintu_dead_letter_failures_total``), logged at ERROR and retried with ``backoff``; a letter
    refused for itself (its size, after all) is replaced by its reference."""
    backoff = backoff or Backoff()
    while True:
        try:
            await publish(letter)
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            dead_letter_failure_counter().labels(error=type(exc).__name__).inc()
            log.error(
                "could not write a dead letter; retrying",
                extra={
                    "topic": letter.headers.get(DLQ_TOPIC),
                    "offset": letter.headers.get(DLQ_OFFSET),
                    "error": describe(exc)[:300],
                },
            )
            if is_permanent(exc) and letter.headers.get(DLQ_TRUNCATED) != "reference":
                letter = letter.reference()
            await backoff.wait()


def dead_letter_failure_counter(registry: CollectorRegistry | None = None) -> Counter:
    """``satupintu_dead_letter_failures_total``: dead-letter writes that failed (and are retried), by
    error class. Alert on any increase: a consumer is stuck until the dead-letter topic is writable."""
    target = registry or REGISTRY
    existing = target._names_to_collectors.get("satupintu_dead_letter_failures")
    if isinstance(existing, Counter):
        return existing
    return Counter(
        "satupintu_dead_letter_failures",
        "Dead-letter writes that failed and are being retried",
        ["error"],
        registry=target,
    )


def subscribe_events(
    broker: KafkaBroker,
    handler: EventHandler,
    *,
    topics: Iterable[str] = (),
    pattern: str | None = None,
    group_id: str,
    dead_letters: DeadLetters,
    auto_offset_reset: Literal["earliest", "latest"] = "earliest",
    **options: Any,
) -> Any:
    """Subscribe ``handler`` to CloudEvents on ``topics`` (or ``pattern``) in consumer group ``group_id``.

    The offset is committed only after the handler returned. Failures are classified once
    (``satupintu_shared.failures``): a transient one (broker or database away) is retried with backoff
    and never dead-lettered; a permanent one (not a valid CloudEvent, invalid data, data the database
    refuses, a record too large) is dead-lettered at once with the reason; an unknown one after
    ``POISON_BUDGET`` attempts. The consumer carries on with the next record.
    """
    attempts: dict[tuple[str, int, int], int] = {}
    backoff = Backoff()

    async def consume(message: KafkaMessage) -> None:
        record: ConsumerRecord[Any, Any] = message.raw_message
        where = (record.topic, record.partition, record.offset)
        try:
            envelope = decode(record.value, record.headers or ())
            await handler(envelope, record)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            failure = classify(exc)
            if failure is Failure.TRANSIENT:
                # The broker or the database, not the record: wait and have it redelivered.
                log.warning("handler failed on a dependency; retrying", extra={"error": describe(exc)[:300]})
                await backoff.wait()
                raise
            if failure is Failure.UNKNOWN:
                attempts[where] = attempts.get(where, 0) + 1
                if attempts[where] < POISON_BUDGET:
                    log.exception(
                        "handler failed; the record will be redelivered", extra={"topic": record.topic}
                    )
                    await backoff.wait()
                    raise
                reason = f"handler failed {POISON_BUDGET} times: {type(exc).__name__}: {exc}"
            else:
                reason = str(exc) if isinstance(exc, InvalidEvent) else describe(exc)
            attempts.pop(where, None)
            kind = "invalid" if isinstance(exc, InvalidEvent) else "handler-error"
            await dead_letters.send(record, reason=reason, group=group_id, kind=kind)
        else:
            attempts.pop(where, None)
            backoff.reset()

    args = tuple(topics)
    # The handler decodes the CloudEvent itself and dead-letters what it cannot read; FastStream's own
    # JSON decoder would fail before it (a lone surrogate, malformed JSON) and the record would be
    # redelivered for ever.
    options.setdefault("decoder", undecoded)
    subscriber = broker.subscriber(
        *args,
        pattern=pattern,
        group_id=group_id,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset=auto_offset_reset,
        **options,
    )
    consume.__name__ = f"consume_{getattr(handler, '__name__', 'events')}"
    return subscriber(consume)


async def undecoded(message: StreamMessage[Any]) -> Any:
    """A FastStream decoder that leaves the body as bytes (the consumer decodes and validates it)."""
    return message.body


def dead_letter_counter(registry: CollectorRegistry | None = None) -> Counter:
    """The counter of dead-lettered records, by topic family and kind (invalid, handler-error, refused).

    One per registry: asking again (another service's module in the same process, as in tests) returns
    the counter already registered instead of failing on a duplicate.
    """
    target = registry or REGISTRY
    existing = target._names_to_collectors.get("satupintu_dead_letters")
    if isinstance(existing, Counter):
        return existing
    return Counter(
        "satupintu_dead_letters", "Records sent to the dead-letter topic", ["topic", "kind"], registry=target
    )
