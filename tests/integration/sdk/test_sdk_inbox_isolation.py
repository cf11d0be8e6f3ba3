"""The agency SDK isolates what it cannot read: an undecodable or invalid inbox record is logged,
handed to ``on_invalid`` and committed past (an agency may not write the dead-letter topic); the next
assignments are handled, and a restarted client does not see the bad records again."""

from __future__ import annotations

import asyncio
import gzip
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker

from satupintu_shared.acl import agency_principal
from satupintu_shared.broker import EventPublisher, create_broker
from satupintu_shared.events import RequestAssigned
from satupintu_shared.kafka_admin import KafkaAdministration
from satupintu_shared.sdk import AgencyClient
from satupintu_shared.settings import KafkaSettings
from satupintu_shared.topics import Topics
from tests.integration.sdk.test_sdk_agency import AGENCY, assigned
from tests.support.credentials import until_authenticated
from tests.support.kafka import eventually, produce
from tests.support.security import onboard_agency

pytestmark = pytest.mark.kafka

_CE = [
    ("ce_specversion", b"1.0"),
    ("ce_source", b"/routing"),
    ("content-type", b"application/json"),
]


@pytest.fixture
async def agency(kafka_bootstrap: str, topics: Topics) -> AsyncIterator[KafkaSettings]:
    settings = await until_authenticated(await onboard_agency(kafka_bootstrap, topics, AGENCY))
    yield settings
    admin = KafkaAdministration(KafkaSettings(kafka_bootstrap_servers=kafka_bootstrap))
    await admin.delete_user(agency_principal(topics, AGENCY))


@pytest.fixture
async def platform(kafka_bootstrap: str, topics: Topics) -> AsyncIterator[KafkaBroker]:
    broker = create_broker(
        KafkaSettings(kafka_bootstrap_servers=kafka_bootstrap, topic_prefix=topics.prefix),
        service="test-platform",
    )
    await broker.connect()
    yield broker
    await broker.stop()


async def test_invalid_inbox_records_go_to_on_invalid_and_are_committed_past(
    kafka_bootstrap: str, topics: Topics, agency: KafkaSettings, platform: KafkaBroker
) -> None:
    inbox = topics.inbox(AGENCY)
    bad = [
        # gzip-compressed random bytes, announced as JSON
        (
            gzip.compress(os.urandom(64 * 1024)),
            [("ce_id", b"bad-1"), ("ce_type", RequestAssigned.EVENT_TYPE.encode()), *_CE],
        ),
        # JSON that is not a RequestAssigned (fields missing) and a number too long to parse
        (
            b'{"tracking_number": "SP-X", "n": ' + b"9" * 5000 + b"}",
            [("ce_id", b"bad-2"), ("ce_type", RequestAssigned.EVENT_TYPE.encode()), *_CE],
        ),
        # no CloudEvent headers at all
        (b"\x00\xff not an event", []),
    ]
    for value, headers in bad:
        await produce(kafka_bootstrap, inbox, value, key=b"SP-X", headers=headers)
    publisher = EventPublisher(platform, source="/routing")
    await publisher.publish(inbox, assigned("SP-SDK-ISO-1"))

    handled: list[str] = []
    invalid: list[tuple[int, str]] = []

    async def on_invalid(record: ConsumerRecord[Any, Any], reason: str) -> None:
        invalid.append((record.offset, reason))
        if len(invalid) == 2:
            raise RuntimeError("a failing callback changes nothing")

    async def handle(request: RequestAssigned) -> None:
        handled.append(request.tracking_number)

    client = AgencyClient(AGENCY, settings=agency, on_invalid=on_invalid)
    client.on_assignment(handle)
    async with client:
        await client.listen()
        await eventually(lambda: _true(handled == ["SP-SDK-ISO-1"]), timeout=30)
    assert [offset for offset, _ in invalid] == [0, 1, 2]
    assert all(reason for _, reason in invalid)

    # Committed past them: the same group, restarted, handles only what came since.
    await publisher.publish(inbox, assigned("SP-SDK-ISO-2"))
    again: list[tuple[int, str]] = []
    restarted = AgencyClient(AGENCY, settings=agency, on_invalid=lambda r, why: again.append((r.offset, why)))
    restarted.on_assignment(handle)
    async with restarted:
        await restarted.listen()
        await eventually(lambda: _true(handled == ["SP-SDK-ISO-1", "SP-SDK-ISO-2"]), timeout=30)
    assert again == []


async def _true(value: bool) -> bool:
    await asyncio.sleep(0)
    return value
