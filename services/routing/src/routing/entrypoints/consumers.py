"""Kafka consumers: thin — decode, hand to the handler, dead-letter what must not be applied."""

from __future__ import annotations

from typing import Any

from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker

from satupintu_shared.broker import DeadLetters, subscribe_events
from satupintu_shared.envelope import Envelope
from satupintu_shared.events import RequestSubmitted, StatusReported

from .. import metrics
from ..service.deps import Deps
from ..service.status import apply_status
from ..service.submitted import handle_submitted


def register_consumers(
    broker: KafkaBroker, deps: Deps, dead_letters: DeadLetters, *, group: str, status_group: str
) -> None:
    """Subscribe to the lifecycle (submitted requests) and to every agency's status topic."""
    topics = deps.topics

    async def on_lifecycle(envelope: Envelope, record: ConsumerRecord[Any, Any]) -> None:
        if envelope.type != RequestSubmitted.EVENT_TYPE:
            return  # routing's own events and everyone else's: not ours to act on
        await handle_submitted(deps, envelope.id, envelope.parse(RequestSubmitted))

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

    # earliest: a new consumer group must not skip requests or reports that arrived before it started.
    subscribe_events(
        broker,
        on_lifecycle,
        topics=[topics.lifecycle],
        group_id=group,
        dead_letters=dead_letters,
        auto_offset_reset="earliest",
    )
    subscribe_events(
        broker,
        on_status,
        pattern=topics.status_pattern,
        group_id=status_group,
        dead_letters=dead_letters,
        auto_offset_reset="earliest",
    )
