"""A hostile record on the lifecycle topic is dead-lettered with its reason, and routing carries on.

The record is 1.2 MB of bytes that are no CloudEvent, produced gzip-compressed: the broker's limit
applies to the compressed batch, so it is stored, but it is too large to be dead-lettered as it is."""

from __future__ import annotations

import hashlib

import pytest

from routing.settings import Settings
from satupintu_shared.broker import DLQ_KIND, DLQ_OFFSET, DLQ_REASON, DLQ_SHA256, DLQ_SIZE, DLQ_TRUNCATED
from satupintu_shared.envelope import decode
from satupintu_shared.events import RequestRouted
from satupintu_shared.kafka_clients import create_producer
from satupintu_shared.settings import KafkaSettings
from tests.integration.routing.conftest import running, send, submitted
from tests.support.kafka import read_records

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

POISON = b"\xff\xfe" * 600_000  # 1.2 MB, not UTF-8, no CloudEvent headers; gzip makes it a few KiB


async def produce_poison(settings: KafkaSettings, topic: str, value: bytes = POISON) -> int:
    """Produce ``value`` gzip-compressed (as the admin tool, with the request size raised); its offset."""
    producer = create_producer(
        settings, client_id="tests-poison", compression_type="gzip", max_request_size=4 * 1024 * 1024
    )
    await producer.start()
    try:
        meta = await producer.send_and_wait(topic, value, key=b"SP-POISON-0000")
        return int(meta.offset)
    finally:
        await producer.stop()


async def test_a_huge_undecodable_lifecycle_record_is_dead_lettered_as_a_reference_and_routing_goes_on(
    demo_applied: Settings, kafka_bootstrap: str
) -> None:
    t = demo_applied.topics
    offset = await produce_poison(demo_applied, t.lifecycle)
    async with running(demo_applied):
        await send(kafka_bootstrap, t.lifecycle, submitted("SP-POISON-0001", "ktp-el", "32.73.01.1001"))

        (dead,) = await read_records(kafka_bootstrap, t.deadletter, count=1, timeout=60)
        headers = {k: v.decode() for k, v in dead.headers}
        assert headers[DLQ_KIND] == "invalid"
        assert headers[DLQ_REASON]
        assert headers[DLQ_OFFSET] == str(offset)
        assert headers[DLQ_TRUNCATED] in ("copy", "reference")
        assert headers[DLQ_SIZE] == str(len(POISON))
        assert headers[DLQ_SHA256] == hashlib.sha256(POISON).hexdigest()
        assert len(dead.value or b"") < len(POISON)

        records = await read_records(kafka_bootstrap, t.lifecycle, count=3, timeout=60)
        routed = [
            r for r in records if dict(r.headers or ()).get("ce_type") == RequestRouted.EVENT_TYPE.encode()
        ]
        assert routed, "the request after the poison was not routed"
        event = decode(routed[0].value, routed[0].headers).parse(RequestRouted)
        assert event.tracking_number == "SP-POISON-0001"
