"""The broker factory and the consumer path against the real Kafka broker."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.v1.event import CloudEvent

from satupintu_shared.broker import DLQ_REASON, DeadLetters, EventPublisher, create_broker, subscribe_events
from satupintu_shared.envelope import Envelope
from satupintu_shared.events import RequestSubmitted
from satupintu_shared.settings import KafkaSettings
from satupintu_shared.topics import Topics
from tests.support.events import submitted
from tests.support.kafka import eventually, produce, read_records

pytestmark = pytest.mark.kafka
ROOT = Path(__file__).resolve().parents[3]


class Received:
    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def __call__(self, envelope: Envelope, record: ConsumerRecord[Any, Any]) -> None:
        envelope.parse()
        self.envelopes.append(envelope)


async def start_consumer(kafka_bootstrap: str, topics: Topics, received: Received, group: str) -> Any:
    broker = create_broker(KafkaSettings(kafka_bootstrap_servers=kafka_bootstrap), service="test-consumer")
    dead = DeadLetters(broker, topics)
    subscribe_events(broker, received, topics=[topics.lifecycle], group_id=group, dead_letters=dead)
    await broker.start()
    return broker


async def test_an_event_published_by_one_process_is_consumed_by_another(
    kafka_bootstrap: str, topics: Topics
) -> None:
    received = Received()
    broker = await start_consumer(kafka_bootstrap, topics, received, group=f"{topics.prefix}g")
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.support.publish_one",
            kafka_bootstrap,
            topics.lifecycle,
            "SP-OTHER-PROC",
            cwd=ROOT,
            stdout=subprocess.PIPE,
        )
        out, _ = await proc.communicate()
        assert proc.returncode == 0
        event_id = out.decode().strip().splitlines()[-1]
        await eventually(lambda: _async(any(e.id == event_id for e in received.envelopes)))
        envelope = next(e for e in received.envelopes if e.id == event_id)
        assert envelope.parse() == submitted("SP-OTHER-PROC")
        records = await read_records(kafka_bootstrap, topics.lifecycle, count=1)
        assert records[0].key == b"SP-OTHER-PROC"
    finally:
        await broker.stop()


async def test_a_poison_message_is_dead_lettered_and_the_consumer_carries_on(
    kafka_bootstrap: str, topics: Topics
) -> None:
    await produce(kafka_bootstrap, topics.lifecycle, b"\x00garbage", headers=[("ce_id", b"x")])
    valid_value_headers = submitted("SP-AFTER-POISON")
    received = Received()
    broker = await start_consumer(kafka_bootstrap, topics, received, group=f"{topics.prefix}g")
    try:
        await EventPublisher(broker, source="/tests").publish(topics.lifecycle, valid_value_headers)
        await eventually(lambda: _async(any(e.subject == "SP-AFTER-POISON" for e in received.envelopes)))
        dead = await read_records(kafka_bootstrap, topics.deadletter, count=1)
        headers = dict(dead[0].headers)
        assert b"missing header" in headers[DLQ_REASON]
        assert dead[0].value == b"\x00garbage"
    finally:
        await broker.stop()


async def test_messages_from_the_official_sdk_round_trip_through_the_broker(
    kafka_bootstrap: str, topics: Topics
) -> None:
    data = json.loads(submitted("SP-FROM-SDK").model_dump_json())
    sdk_event = CloudEvent(
        attributes={
            "type": RequestSubmitted.EVENT_TYPE,
            "source": "/agency/sdk",
            "subject": "SP-FROM-SDK",
            "datacontenttype": "application/json",
        },
        data=data,
    )
    message = ce_kafka.to_binary_event(sdk_event)
    await produce(
        kafka_bootstrap,
        topics.lifecycle,
        message.value,
        key=b"SP-FROM-SDK",
        headers=list(message.headers.items()),
    )
    received = Received()
    broker = await start_consumer(kafka_bootstrap, topics, received, group=f"{topics.prefix}g")
    try:
        await EventPublisher(broker, source="/tests").publish(topics.lifecycle, submitted("SP-FROM-US"))
        await eventually(lambda: _async(len(received.envelopes) >= 2))
        assert received.envelopes[0].id == sdk_event.get_id()
        assert received.envelopes[0].parse() == submitted("SP-FROM-SDK")
    finally:
        await broker.stop()
    ours = next(
        r for r in await read_records(kafka_bootstrap, topics.lifecycle, count=2) if r.key == b"SP-FROM-US"
    )
    read_by_sdk = ce_kafka.from_binary_event(
        ce_kafka.KafkaMessage(headers=dict(ours.headers), key=ours.key, value=ours.value)
    )
    assert read_by_sdk.get_subject() == "SP-FROM-US"
    assert read_by_sdk.get_type() == RequestSubmitted.EVENT_TYPE


async def _async(value: Any) -> Any:
    return value
