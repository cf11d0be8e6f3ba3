"""``subscribe_events`` classifies a handler's failure once: a dependency that is away (transient) is
retried with backoff however often, without dead-lettering; a record that can never be handled
(permanent) is dead-lettered at once, and the consumer carries on."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from aiokafka import ConsumerRecord

from satupintu_shared.broker import (
    DLQ_KIND,
    DLQ_REASON,
    DeadLetters,
    EventPublisher,
    create_broker,
    subscribe_events,
)
from satupintu_shared.envelope import Envelope
from satupintu_shared.failures import POISON_BUDGET
from satupintu_shared.settings import KafkaSettings
from satupintu_shared.topics import Topics
from tests.support.events import submitted
from tests.support.kafka import eventually, read_records

pytestmark = pytest.mark.kafka


class Scripted:
    """Fails each record as scripted by its subject, counting the calls."""

    def __init__(self, transient_failures: int) -> None:
        self.transient_failures = transient_failures
        self.calls: dict[str, int] = {}
        self.done: list[str] = []

    async def __call__(self, envelope: Envelope, record: ConsumerRecord[Any, Any]) -> None:
        subject = envelope.subject or ""
        self.calls[subject] = self.calls.get(subject, 0) + 1
        if subject == "SP-REFUSED":
            raise asyncpg.CheckViolationError("the database refuses this value")
        if subject == "SP-SLOW-DB" and self.calls[subject] <= self.transient_failures:
            raise asyncpg.CannotConnectNowError("the database system is starting up")
        self.done.append(subject)


async def test_a_transient_failure_is_retried_past_the_poison_budget_and_a_permanent_one_dead_lettered_once(
    kafka_bootstrap: str, topics: Topics
) -> None:
    handler = Scripted(transient_failures=POISON_BUDGET + 2)
    broker = create_broker(KafkaSettings(kafka_bootstrap_servers=kafka_bootstrap), service="test-failures")
    dead = DeadLetters(broker, topics)
    subscribe_events(
        broker, handler, topics=[topics.lifecycle], group_id=f"{topics.prefix}g", dead_letters=dead
    )
    await broker.start()
    try:
        publisher = EventPublisher(broker, source="/tests")
        for subject in ("SP-REFUSED", "SP-SLOW-DB", "SP-AFTER"):
            await publisher.publish(topics.lifecycle, submitted(subject))

        async def all_done() -> bool:
            return sorted(handler.done) == ["SP-AFTER", "SP-SLOW-DB"]

        await eventually(all_done, timeout=60)
        assert handler.calls["SP-REFUSED"] == 1  # permanent: not retried
        assert handler.calls["SP-SLOW-DB"] == POISON_BUDGET + 3  # transient: no budget spent
        (letter,) = await read_records(kafka_bootstrap, topics.deadletter, count=1)
        headers = {k: v.decode() for k, v in letter.headers}
        assert headers["ce_subject"] == "SP-REFUSED"
        assert headers[DLQ_KIND] == "handler-error"
        assert "CheckViolationError" in headers[DLQ_REASON]
    finally:
        await broker.stop()
