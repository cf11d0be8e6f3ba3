"""The Kafka broker factory and the two things every service does with it: publish CloudEvents, and
consume them with a dead-letter path so that a poison message never stops a consumer.
"""

from __future__ import annotations

import asyncio
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
from opentelemetry.trace import TracerProvider
from prometheus_client import REGISTRY, CollectorRegistry, Counter

from .envelope import Envelope, InvalidEvent, decode, encode
from .events import Contract
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

#: How often a handler may fail on the same record before it is dead-lettered instead of retried.
MAX_HANDLER_ATTEMPTS = 3

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


@dataclass
class DeadLetters:
    """Writes records that cannot be processed to the dead-letter topic, with the reason in headers."""

    broker: KafkaBroker
    topics: Topics
    failures: Counter | None = None

    async def send(self, record: ConsumerRecord[Any, Any], *, reason: str, group: str, kind: str) -> None:
        """Dead-letter ``record`` (value, key and headers kept as they were)."""
        headers = {name: raw.decode(errors="replace") for name, raw in (record.headers or ())}
        headers.update(
            {
                DLQ_REASON: reason[:2000],
                DLQ_TOPIC: record.topic,
                DLQ_PARTITION: str(record.partition),
                DLQ_OFFSET: str(record.offset),
                DLQ_GROUP: group,
                DLQ_KIND: kind,
            }
        )
        await self.broker.publish(record.value, topic=self.topics.deadletter, key=record.key, headers=headers)
        if self.failures is not None:
            self.failures.labels(topic=topic_family(record.topic), kind=kind).inc()
        log.warning(
            "dead-lettered a record",
            extra={"topic": record.topic, "offset": record.offset, "kind": kind, "reason": reason[:300]},
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

    The offset is committed only after the handler returned. A record that is not a valid CloudEvent,
    whose data fails validation (``InvalidEvent``), or whose handler keeps failing is dead-lettered
    with the reason and the consumer carries on.
    """
    attempts: dict[tuple[str, int, int], int] = {}

    async def consume(message: KafkaMessage) -> None:
        record: ConsumerRecord[Any, Any] = message.raw_message
        try:
            envelope = decode(record.value, record.headers or ())
            await handler(envelope, record)
        except InvalidEvent as exc:
            await dead_letters.send(record, reason=str(exc), group=group_id, kind="invalid")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            where = (record.topic, record.partition, record.offset)
            attempts[where] = attempts.get(where, 0) + 1
            if attempts[where] < MAX_HANDLER_ATTEMPTS:
                log.exception("handler failed; the record will be redelivered", extra={"topic": record.topic})
                raise
            attempts.pop(where, None)
            reason = f"handler failed {MAX_HANDLER_ATTEMPTS} times: {type(exc).__name__}: {exc}"
            await dead_letters.send(record, reason=reason, group=group_id, kind="handler-error")
        else:
            attempts.pop((record.topic, record.partition, record.offset), None)

    args = tuple(topics)
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
