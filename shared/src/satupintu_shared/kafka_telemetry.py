"""faststream's Kafka telemetry middleware, with the messaging attributes it leaves out.

faststream names spans ``<topic> create|publish|process``, propagates W3C ``traceparent`` in the record
headers and sets ``messaging.system``, partition, offset and key. On consume it records the topic only
as ``messaging.destination_publish.name``; OpenTelemetry's messaging conventions also want
``messaging.destination.name`` and the consumer group, which this provider adds. It is the only Kafka
instrumentation in SatuPintu: aiokafka's own would inject ``traceparent`` a second time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiokafka import ConsumerRecord
from faststream.kafka.opentelemetry.provider import (
    BatchKafkaTelemetrySettingsProvider,
    KafkaTelemetrySettingsProvider,
)
from faststream.message import StreamMessage
from faststream.opentelemetry.middleware import TelemetryMiddleware
from opentelemetry.trace import TracerProvider

DESTINATION = "messaging.destination.name"
CONSUMER_GROUP = "messaging.consumer.group.name"
#: The name older conventions (and Jaeger's Kafka views) use for the group.
KAFKA_CONSUMER_GROUP = "messaging.kafka.consumer.group"
OPERATION_TYPE = "messaging.operation.type"


def _group_of(msg: StreamMessage[Any]) -> str | None:
    consumer = getattr(msg, "consumer", None)
    group = getattr(consumer, "_group_id", None)
    return group if isinstance(group, str) and group else None


def _consume_extras(msg: StreamMessage[Any], record: ConsumerRecord[Any, Any]) -> dict[str, Any]:
    extras: dict[str, Any] = {
        DESTINATION: record.topic,
        OPERATION_TYPE: "process",
        # Current names of partition and offset; faststream sets the older messaging.kafka.* ones.
        "messaging.destination.partition.id": str(record.partition),
        "messaging.kafka.offset": record.offset,
    }
    if group := _group_of(msg):
        extras[CONSUMER_GROUP] = group
        extras[KAFKA_CONSUMER_GROUP] = group
    return extras


class _Single(KafkaTelemetrySettingsProvider):
    def get_consume_attrs_from_message(self, msg: StreamMessage[ConsumerRecord[Any, Any]]) -> dict[str, Any]:
        attrs = super().get_consume_attrs_from_message(msg)
        return {**attrs, **_consume_extras(msg, msg.raw_message)}


class _Batch(BatchKafkaTelemetrySettingsProvider):
    def get_consume_attrs_from_message(
        self, msg: StreamMessage[tuple[ConsumerRecord[Any, Any], ...]]
    ) -> dict[str, Any]:
        attrs = super().get_consume_attrs_from_message(msg)
        return {**attrs, **_consume_extras(msg, msg.raw_message[0])}


def _provider(msg: Any) -> _Single | _Batch:
    return _Batch() if isinstance(msg, Sequence) else _Single()


class KafkaTracing(TelemetryMiddleware[Any]):
    """``KafkaTelemetryMiddleware`` with the destination and consumer group on every consume span."""

    def __init__(self, *, tracer_provider: TracerProvider | None = None) -> None:
        super().__init__(
            settings_provider_factory=_provider,
            tracer_provider=tracer_provider,
            include_messages_counters=False,
        )
