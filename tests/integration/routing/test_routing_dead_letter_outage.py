"""A dead letter that cannot be written (routing may not write the dead-letter topic for a while) is
retried with backoff and counted, never handed back to the handler in a loop and never dropped: once the
grant is back, the record is dead-lettered once and the requests behind it are routed."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import TopicPartition

from routing.settings import Settings
from satupintu_shared.acl import ROUTING, platform_acls
from satupintu_shared.broker import DLQ_KIND, DLQ_OFFSET, dead_letter_failure_counter
from satupintu_shared.envelope import decode
from satupintu_shared.events import RequestRouted
from satupintu_shared.kafka_admin import KafkaAdministration
from satupintu_shared.kafka_clients import create_admin, create_consumer
from satupintu_shared.settings import KafkaSettings
from tests.integration.routing.conftest import as_routing, running, send, submitted
from tests.support.grants import until_granted
from tests.support.kafka import eventually, produce, read_records

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def _failures() -> float:
    return sum(
        s.value
        for m in dead_letter_failure_counter().collect()
        for s in m.samples
        if s.name.endswith("_total")
    )


async def _routed(bootstrap: str, topic: str, tracking_number: str) -> bool:
    records = await read_records(bootstrap, topic, count=1, timeout=5)
    for record in records:
        headers = dict(record.headers or ())
        if (
            headers.get("ce_type") == RequestRouted.EVENT_TYPE.encode()
            and decode(record.value, record.headers).parse(RequestRouted).tracking_number == tracking_number
        ):
            return True
    return False


async def test_a_dead_letter_topic_not_writable_for_a_while_loses_and_loops_nothing(
    demo_applied: Settings, kafka_bootstrap: str
) -> None:
    t = demo_applied.topics
    write = {a for a in platform_acls(t) if a.principal == ROUTING and a.resource_name == t.deadletter}
    assert write, "routing is expected to be granted the dead-letter topic"
    admin = KafkaAdministration(demo_applied)
    await admin.revoke(write)
    try:
        await asyncio.sleep(1.5)  # the broker applies an ACL change shortly after it was made
        before = _failures()
        async with running(demo_applied):
            poison_offset = await _produce_offset(kafka_bootstrap, t.lifecycle)
            await send(kafka_bootstrap, t.lifecycle, submitted("SP-DLQ-OUT-0001", "ktp-el", "32.73.01.1001"))

            async def failing() -> bool:
                return _failures() >= before + 2  # retried, and counted each time

            await eventually(failing, timeout=30)
            empty = await _count(kafka_bootstrap, t.deadletter)
            assert empty == 0

            await admin.grant(write)
            await until_granted(as_routing(demo_applied), [t.deadletter])
            (dead,) = await read_records(kafka_bootstrap, t.deadletter, count=1, timeout=60)
            headers = {k: v.decode() for k, v in dead.headers}
            assert headers[DLQ_KIND] == "invalid"
            assert headers[DLQ_OFFSET] == str(poison_offset)

            async def routed() -> bool:
                return await _routed(kafka_bootstrap, t.lifecycle, "SP-DLQ-OUT-0001")

            await eventually(routed, timeout=30)
            await asyncio.sleep(1.0)
        assert await _count(kafka_bootstrap, t.deadletter) == 1  # once, not looped
    finally:
        await admin.grant(write)


async def _produce_offset(bootstrap: str, topic: str) -> int:
    await produce(bootstrap, topic, b"this is no CloudEvent", key=b"SP-DLQ-OUT-0000")
    (record,) = await read_records(bootstrap, topic, count=1)
    return int(record.offset)


async def _count(bootstrap: str, topic: str) -> int:
    """How many records ``topic`` holds."""
    settings = KafkaSettings(kafka_bootstrap_servers=bootstrap)
    admin = create_admin(settings, client_id="tests-count")
    await admin.start()
    consumer = create_consumer(settings, client_id="tests-count", group_id=None)
    await consumer.start()
    try:
        (described,) = await admin.describe_topics([topic])
        parts = [TopicPartition(topic, p["partition"]) for p in described.get("partitions", [])]
        assert parts, f"{topic} has no partitions"
        begins = await consumer.beginning_offsets(parts)
        ends = await consumer.end_offsets(parts)
        return sum(ends[p] - begins[p] for p in parts)
    finally:
        await consumer.stop()
        await admin.close()
