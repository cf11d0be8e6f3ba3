"""Kafka consumers: thin — decode, hand to the handler, dead-letter what must not be applied.

Agency status reports arrive one at a time through faststream (``subscribe_events``); submitted
requests are consumed in batches by ``entrypoints.lifecycle.LifecycleConsumer``.
"""

from __future__ import annotations

from typing import Any

from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker

from satupintu_shared.broker import DeadLetters, subscribe_events
from satupintu_shared.envelope import Envelope
from satupintu_shared.events import StatusReported

from .. import metrics
from ..service.deps import Deps
from ..service.status import apply_status


def register_consumers(
    broker: KafkaBroker, deps: Deps, dead_letters: DeadLetters, *, status_group: str
) -> None:
    """Subscribe to every agency's status topic."""
    topics = deps.topics

    async def on_status(envelope: Envelope, record: ConsumerRecord[Any, Any]) -> None:
        # The acting agency is the owner of the topic the report came by, never a payload field.
        agency = topics.agency_of_status_topic(record.topic)
        if agency is None or envelope.type != StatusReported.EVENT_TYPE:
            metrics.REFUSALS.labels(reason="unexpected_message").inc()
            reason = f"only {StatusReported.EVENT_TYPE} is accepted on agency status topics"
            await dead_letters.send(record, reason=reason, group=status_group, kind="refused")
            return
        refusal = await apply_status(deps, agency, envelope.id, envelope.parse(StatusReported))
        if refusal is not None:
            reason = f"refused ({refusal.category}): {refusal.reason}"
            await dead_letters.send(record, reason=reason, group=status_group, kind="refused")

    # earliest: a new consumer group must not skip reports that arrived before it started.
    subscribe_events(
        broker,
        on_status,
        pattern=topics.status_pattern,
        group_id=status_group,
        dead_letters=dead_letters,
        auto_offset_reset="earliest",
    )
