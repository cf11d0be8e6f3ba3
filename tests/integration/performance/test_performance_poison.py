"""performance isolates the record it cannot store and carries on: a huge undecodable record is
dead-lettered as a reference, a record the database refuses in the middle of a batch is dead-lettered
alone, and every other event is stored."""

from __future__ import annotations

import hashlib

import asyncpg
import pytest

from satupintu_shared.broker import DLQ_KIND, DLQ_REASON, DLQ_SHA256, DLQ_TRUNCATED
from satupintu_shared.migrations import apply_migrations
from satupintu_shared.settings import KafkaSettings
from satupintu_shared.topics import Topics
from tests.integration.routing.test_routing_poison import POISON, produce_poison
from tests.support.kafka import read_records

from . import scenario
from .support import group_of, publish_scenario, running, snapshot, wait_caught_up

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

#: The R1 survey, in the middle of the scenario's single batch: the test's database refuses it.
REFUSED = "evt-SP-R1-4"


async def test_a_huge_undecodable_record_is_dead_lettered_as_a_reference_and_later_events_are_stored(
    service_env: dict[str, str],
    kafka_bootstrap: str,
    topics: Topics,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = KafkaSettings(kafka_bootstrap_servers=kafka_bootstrap, topic_prefix=topics.prefix)
    await produce_poison(settings, topics.lifecycle)
    count = await publish_scenario(settings)
    async with running(service_env, monkeypatch):
        await wait_caught_up(kafka_bootstrap, group_of(service_env), topics.lifecycle)
    (dead,) = await read_records(kafka_bootstrap, topics.deadletter, count=1)
    headers = {k: v.decode() for k, v in dead.headers}
    assert headers[DLQ_KIND] == "invalid"
    assert headers[DLQ_TRUNCATED] in ("copy", "reference")
    assert headers[DLQ_SHA256] == hashlib.sha256(POISON).hexdigest()
    assert len((await snapshot(database_url))["events"]) == count


async def test_a_record_the_database_refuses_is_dead_lettered_alone_and_the_rest_of_its_batch_stored(
    service_env: dict[str, str],
    kafka_bootstrap: str,
    topics: Topics,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await apply_migrations(database_url, schema="performance", package="performance.migrations")
    conn = await asyncpg.connect(database_url)
    try:  # a constraint this one event violates: a value the database refuses, as a real one would
        await conn.execute(
            f"ALTER TABLE performance.events ADD CONSTRAINT tests_refused CHECK (event_id <> '{REFUSED}')"
        )
    finally:
        await conn.close()
    settings = KafkaSettings(kafka_bootstrap_servers=kafka_bootstrap, topic_prefix=topics.prefix)
    count = await publish_scenario(settings)
    async with running(service_env, monkeypatch):
        await wait_caught_up(kafka_bootstrap, group_of(service_env), topics.lifecycle)
    (dead,) = await read_records(kafka_bootstrap, topics.deadletter, count=1)
    headers = {k: v.decode() for k, v in dead.headers}
    assert headers["ce_id"] == REFUSED
    assert headers[DLQ_KIND] == "handler-error"
    assert "CheckViolation" in headers[DLQ_REASON]
    stored = {e["event_id"] for e in (await snapshot(database_url))["events"]}
    assert stored == {scenario.event_id(i, e) for i, e in enumerate(scenario.events())} - {REFUSED}
    assert len(stored) == count - 1
