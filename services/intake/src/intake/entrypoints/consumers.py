"""Kafka entrypoints: submissions from agency systems (the agency known from the topic, see
``domain.submitter``), and the lifecycle feed of the status read model."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from dataclasses import replace
from typing import Any

import asyncpg
from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from satupintu_shared.broker import DeadLetters, subscribe_events, undecoded
from satupintu_shared.envelope import Envelope, InvalidEvent, decode
from satupintu_shared.events import (
    EVENT_TYPES,
    Applicant,
    Channel,
    Event,
    SubmissionReceipt,
    SubmissionRequested,
    utc_now,
)
from satupintu_shared.failures import Backoff, describe, is_permanent
from satupintu_shared.topics import Topics

from ..adapters.kafka import BoundedPublisher, BrokerUnavailable, Outgoing
from ..adapters.status_store import StatusStore
from ..domain.bounds import DEFAULT_BOUNDS, Bounds
from ..domain.messages import EN
from ..domain.status import StatusChange, status_change
from ..domain.submitter import SubmitterRefused, submitting_agency
from ..service_layer.submit import EVENT_NAMESPACE, Door, Item, Submitter

log = logging.getLogger(__name__)

INGRESS_GROUP = "satupintu-intake"
STATUS_GROUP = "satupintu-intake-status"
#: Lifecycle events applied to the read model per database round trip.
STATUS_BATCH = 500
STATUS_RETRY_CAP_SECONDS = 10.0
KAFKA_DOOR = Door(
    "kafka", default_channel=Channel.AGENCY_SYSTEM, extra_fields=frozenset({"reference", "idempotency_key"})
)


def ingress_pattern(topics: Topics) -> str:
    """The topics of the Kafka ingress: every agency's own submissions topic, and the shared one."""
    return f"(?:{re.escape(topics.submissions)})|(?:{topics.agency_submissions_pattern})"


def subscribe_ingress(
    broker: KafkaBroker,
    submitter: Submitter,
    publisher: BoundedPublisher,
    topics: Topics,
    dead: DeadLetters,
    bounds: Bounds = DEFAULT_BOUNDS,
) -> None:
    """Agency systems' CloudEvents on their submissions topics: valid → submitted + receipt; invalid
    (a field past a bound included) → DLQ with the field reasons; a payload claiming another agency than
    the topic's → DLQ (kind ``refused``)."""
    group = topics.prefix + INGRESS_GROUP
    door = replace(KAFKA_DOOR, bounds=bounds)

    async def on_submission(envelope: Envelope, record: ConsumerRecord[Any, Any]) -> None:
        if envelope.type != SubmissionRequested.EVENT_TYPE:
            raise InvalidEvent(f"expected {SubmissionRequested.EVENT_TYPE}, got {envelope.type!r}")
        data = envelope.data if isinstance(envelope.data, dict) else None
        try:
            agency = submitting_agency(topics, record.topic, data)
        except SubmitterRefused as refused:
            await dead.send(record, reason=str(refused), group=group, kind="refused")
            return
        reference = _required(data, "reference")
        key = str((data or {}).get("idempotency_key") or reference)
        # The claim was checked above; the agency comes from the topic only.
        raw = _known_fields(data) if data is not None else None
        item = Item(raw, key=f"kafka:{agency or '-'}:{key}", submitted_by=agency)
        outcome = await submitter.submit(item, door)
        if outcome.kind == "invalid":
            reasons = "; ".join(f"{e.pointer}: {e.render(EN)['detail']}" for e in outcome.errors)
            raise InvalidEvent(f"invalid submission: {reasons}")
        if outcome.kind == "conflict":
            raise InvalidEvent(f"idempotency key {key!r} was already used for a different submission")
        if outcome.kind == "unavailable" or outcome.tracking_number is None:
            raise BrokerUnavailable("submission not acknowledged; will be redelivered")
        if agency is None:
            return  # a submission from no agency has no inbox to receipt to
        receipt = SubmissionReceipt(
            tracking_number=outcome.tracking_number, occurred_at=utc_now(), reference=reference
        )
        event_id = str(uuid.uuid5(EVENT_NAMESPACE, f"{outcome.tracking_number}:receipt"))
        await publisher.publish(Outgoing(topics.inbox(agency), receipt, event_id))

    subscribe_events(
        broker,
        on_submission,
        # One pattern, so that an agency onboarded later is picked up without a restart (the broker
        # shows intake only the agency topics it was granted).
        pattern=ingress_pattern(topics),
        group_id=group,
        dead_letters=dead,
        # A new group (or a newly discovered agency topic) must not skip what arrived before.
        auto_offset_reset="earliest",
    )


def subscribe_status(broker: KafkaBroker, store: StatusStore, topics: Topics, dead: DeadLetters) -> None:
    """Every lifecycle event updates the citizen-facing status view, in batches (one database round trip
    and one consume span per batch instead of per event)."""

    group = topics.prefix + STATUS_GROUP
    backoff = Backoff(base=0.5, cap=STATUS_RETRY_CAP_SECONDS)

    async def on_lifecycle_batch(message: KafkaMessage) -> None:
        raw = message.raw_message
        records: tuple[ConsumerRecord[Any, Any], ...] = raw if isinstance(raw, tuple) else (raw,)
        changes = []
        for record in records:
            try:
                envelope = decode(record.value, record.headers or ())
                if envelope.type not in EVENT_TYPES:
                    continue  # a newer event type this version does not know: not ours to judge
                event = envelope.parse(EVENT_TYPES[envelope.type])
            except InvalidEvent as exc:
                await dead.send(record, reason=str(exc), group=group, kind="invalid")
                continue
            if isinstance(event, Event):
                changes.append((record, status_change(event, envelope.type, envelope.id)))
        try:
            await store.apply_many([change for _, change in changes])
        except (asyncpg.PostgresError, OSError) as exc:
            if not is_permanent(exc):
                # Nothing is committed: the batch is consumed again (applying it twice changes nothing).
                log.warning("status read model unavailable; the batch will be redelivered", exc_info=True)
                await asyncio.sleep(backoff.next_delay())
                raise
            # The database refuses something in the batch: apply one at a time and isolate what it
            # refuses, so one record never stalls the citizen's status view.
            await _apply_one_by_one(changes)
        backoff.reset()

    async def _apply_one_by_one(changes: list[tuple[ConsumerRecord[Any, Any], StatusChange]]) -> None:
        for record, change in changes:
            try:
                await store.apply(change)
            except (asyncpg.PostgresError, OSError) as exc:
                if not is_permanent(exc):
                    raise  # the database went away meanwhile: the batch is consumed again
                await dead.send(record, reason=describe(exc), group=group, kind="invalid")

    broker.subscriber(
        topics.lifecycle,
        batch=True,
        max_records=STATUS_BATCH,
        batch_timeout_ms=50,
        group_id=group,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        # The read model must hold every request, including those submitted before this group existed.
        auto_offset_reset="earliest",
        # the handler decodes each record itself (FastStream's JSON decoder would fail on bad bytes first)
        decoder=undecoded,
    )(on_lifecycle_batch)


def _known_fields(data: dict[str, Any]) -> dict[str, Any]:
    """A tolerant reader: fields a later version of the contract adds (also the applicant's) are
    ignored, not refused; ``submitted_by`` is dropped too (the topic says who submits)."""
    known = {k: v for k, v in data.items() if k in SubmissionRequested.model_fields and k != "submitted_by"}
    if isinstance(applicant := known.get("applicant"), dict):
        known["applicant"] = {k: v for k, v in applicant.items() if k in Applicant.model_fields}
    return known


def _required(data: dict[str, Any] | None, name: str) -> str:
    value = (data or {}).get(name)
    if not isinstance(value, str) or not value:
        raise InvalidEvent(f"invalid submission: /{name}: is required")
    return value
