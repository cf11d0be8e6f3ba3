"""Agency systems submit over Kafka on their own submissions topic, with their own credentials: the
submitting agency is the topic's (the broker lets no one else write it), never the payload's. Valid →
submitted + receipt in the agency's inbox; invalid → dead letter; a claim to be another agency → refused."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from aiokafka import ConsumerRecord
from aiokafka.errors import TopicAuthorizationFailedError

from satupintu_shared.broker import DLQ_KIND, DLQ_REASON, DLQ_TOPIC
from satupintu_shared.envelope import decode
from satupintu_shared.events import RequestSubmitted, SubmissionReceipt, SubmissionRequested
from satupintu_shared.kafka_clients import create_consumer, create_producer
from satupintu_shared.settings import KafkaSettings
from satupintu_shared.topics import Topics
from tests.support.kafka import produce, read_records

from .catalog_fixture import BANDUNG_AGENCY, MUSI_RAWAS_AGENCY, valid_body
from .conftest import RunIntake

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def submission(**overrides: object) -> dict[str, object]:
    body = valid_body(reference="SIAK-2025-0042", channel="agency_system")
    body.update(overrides)
    return body


def binary_headers() -> list[tuple[str, bytes]]:
    return [
        ("ce_specversion", b"1.0"),
        ("ce_id", str(uuid.uuid4()).encode()),
        ("ce_type", SubmissionRequested.EVENT_TYPE.encode()),
        ("ce_source", b"/siak"),
        ("content-type", b"application/json"),
    ]


async def publish_as(agency: KafkaSettings, topic: str, body: dict[str, object], *, key: bytes) -> None:
    """Publish one binary-mode submission authenticated as ``agency``'s own principal."""
    producer = create_producer(agency, client_id="tests-agency-system")
    await producer.start()
    try:
        await producer.send_and_wait(topic, json.dumps(body).encode(), key=key, headers=binary_headers())
    finally:
        await producer.stop()


async def everything_in(
    bootstrap: str, topic: str, timeout: float = 15.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record ``topic`` holds now (read up to its end offsets)."""
    consumer = create_consumer(
        KafkaSettings(kafka_bootstrap_servers=bootstrap), client_id="tests-reader", group_id=None
    )
    await consumer.start()
    try:
        consumer.subscribe([topic])  # without a group: every partition, once the metadata is known
        deadline = asyncio.get_running_loop().time() + timeout
        while not consumer.assignment():
            assert asyncio.get_running_loop().time() < deadline, f"no partitions of {topic}"
            await asyncio.sleep(0.05)
        partitions = list(consumer.assignment())
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord[bytes, bytes]] = []
        pending = {tp for tp in partitions if ends[tp] > 0}
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=1000)
            records.extend(r for tp, part in batch.items() for r in part if r.offset < ends[tp])
            pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
        return records
    finally:
        await consumer.stop()


async def test_an_agency_submits_on_its_own_topic_and_gets_a_receipt_in_its_inbox(
    run_intake: RunIntake, kafka_bootstrap: str, topics: Topics, agencies: dict[str, KafkaSettings]
) -> None:
    bandung = agencies[BANDUNG_AGENCY]
    # As the SDK does, the payload may name the agency itself; the topic is what counts.
    body = submission(submitted_by=BANDUNG_AGENCY)
    async with run_intake():
        await publish_as(bandung, topics.agency_submissions(BANDUNG_AGENCY), body, key=b"SIAK-2025-0042")
        receipts = await read_records(kafka_bootstrap, topics.inbox(BANDUNG_AGENCY), count=1)
    receipt = decode(receipts[0].value, receipts[0].headers).parse()
    assert isinstance(receipt, SubmissionReceipt)
    assert receipt.reference == "SIAK-2025-0042"
    submitted = await read_records(kafka_bootstrap, topics.lifecycle, count=1)
    event = decode(submitted[0].value, submitted[0].headers).parse()
    assert isinstance(event, RequestSubmitted)
    assert event.tracking_number == receipt.tracking_number
    assert event.submitted_by == BANDUNG_AGENCY and event.channel == "agency_system"


async def test_a_structured_mode_submission_without_submitted_by_is_the_topics_agencys(
    run_intake: RunIntake, kafka_bootstrap: str, topics: Topics, agencies: dict[str, KafkaSettings]
) -> None:
    doc = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "type": SubmissionRequested.EVENT_TYPE,
        "source": "/siak",
        "datacontenttype": "application/json",
        "data": submission(reference="S-2"),
    }
    producer = create_producer(agencies[BANDUNG_AGENCY], client_id="tests-agency-system")
    async with run_intake():
        await producer.start()
        try:
            await producer.send_and_wait(
                topics.agency_submissions(BANDUNG_AGENCY),
                json.dumps(doc).encode(),
                headers=[("content-type", b"application/cloudevents+json")],
            )
        finally:
            await producer.stop()
        receipts = await read_records(kafka_bootstrap, topics.inbox(BANDUNG_AGENCY), count=1)
    receipt = decode(receipts[0].value, receipts[0].headers).parse()
    assert isinstance(receipt, SubmissionReceipt) and receipt.reference == "S-2"
    submitted = await read_records(kafka_bootstrap, topics.lifecycle, count=1)
    event = decode(submitted[0].value, submitted[0].headers).parse()
    assert isinstance(event, RequestSubmitted) and event.submitted_by == BANDUNG_AGENCY


async def test_an_agency_cannot_write_another_agencys_submissions_topic(
    kafka_bootstrap: str, topics: Topics, agencies: dict[str, KafkaSettings]
) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        await publish_as(
            agencies[BANDUNG_AGENCY],
            topics.agency_submissions(MUSI_RAWAS_AGENCY),
            submission(),
            key=b"forged",
        )
    assert await everything_in(kafka_bootstrap, topics.agency_submissions(MUSI_RAWAS_AGENCY)) == []


async def test_a_payload_claiming_another_agency_is_refused_and_nothing_is_submitted_for_it(
    run_intake: RunIntake, kafka_bootstrap: str, topics: Topics, agencies: dict[str, KafkaSettings]
) -> None:
    bandung, own_topic = agencies[BANDUNG_AGENCY], topics.agency_submissions(BANDUNG_AGENCY)
    async with run_intake():
        # The same key puts both on one partition: once the second is receipted, the first was handled.
        forged = submission(reference="FORGED-1", submitted_by=MUSI_RAWAS_AGENCY)
        await publish_as(bandung, own_topic, forged, key=b"same-partition")
        await publish_as(bandung, own_topic, submission(reference="OWN-1"), key=b"same-partition")
        receipts = await read_records(kafka_bootstrap, topics.inbox(BANDUNG_AGENCY), count=1)
        dead = await read_records(kafka_bootstrap, topics.deadletter, count=1)
    headers = {k: v.decode() for k, v in dead[0].headers}
    assert headers[DLQ_KIND] == "refused" and headers[DLQ_TOPIC] == own_topic
    assert MUSI_RAWAS_AGENCY in headers[DLQ_REASON] and "own name" in headers[DLQ_REASON]
    receipt = decode(receipts[0].value, receipts[0].headers).parse()
    assert isinstance(receipt, SubmissionReceipt) and receipt.reference == "OWN-1"
    submitted = [
        decode(r.value, r.headers).parse() for r in await everything_in(kafka_bootstrap, topics.lifecycle)
    ]
    assert [(e.tracking_number, e.submitted_by) for e in submitted] == [  # type: ignore[union-attr]
        (receipt.tracking_number, BANDUNG_AGENCY)
    ]
    assert await everything_in(kafka_bootstrap, topics.inbox(MUSI_RAWAS_AGENCY)) == []


async def test_on_the_shared_topic_a_submission_is_from_no_agency_and_naming_one_is_refused(
    run_intake: RunIntake, kafka_bootstrap: str, topics: Topics, agencies: dict[str, KafkaSettings]
) -> None:
    async with run_intake():
        claimed = submission(reference="CLAIMED", submitted_by=BANDUNG_AGENCY)
        await produce(
            kafka_bootstrap,
            topics.submissions,
            json.dumps(claimed).encode(),
            key=b"k",
            headers=binary_headers(),
        )
        anonymous = submission(reference="ANON")
        await produce(
            kafka_bootstrap,
            topics.submissions,
            json.dumps(anonymous).encode(),
            key=b"k",
            headers=binary_headers(),
        )
        submitted = await read_records(kafka_bootstrap, topics.lifecycle, count=1)
        dead = await read_records(kafka_bootstrap, topics.deadletter, count=1)
    headers = {k: v.decode() for k, v in dead[0].headers}
    assert headers[DLQ_KIND] == "refused"
    assert topics.agency_submissions("<code>") in headers[DLQ_REASON]
    event = decode(submitted[0].value, submitted[0].headers).parse()
    assert isinstance(event, RequestSubmitted) and event.submitted_by is None
    assert len(await everything_in(kafka_bootstrap, topics.lifecycle)) == 1
    assert await everything_in(kafka_bootstrap, topics.inbox(BANDUNG_AGENCY)) == []


async def test_an_invalid_submission_goes_to_the_dead_letter_topic_with_the_reasons(
    run_intake: RunIntake, kafka_bootstrap: str, topics: Topics, agencies: dict[str, KafkaSettings]
) -> None:
    body = submission(applicant={"nik": "1234", "name": "A"}, region_code="16.05")
    async with run_intake():
        await publish_as(agencies[BANDUNG_AGENCY], topics.agency_submissions(BANDUNG_AGENCY), body, key=b"x")
        dead = await read_records(kafka_bootstrap, topics.deadletter, count=1)
    headers = {k: v.decode() for k, v in dead[0].headers}
    assert headers[DLQ_KIND] == "invalid"
    assert "/applicant/nik" in headers[DLQ_REASON]
    assert "/region_code" in headers[DLQ_REASON]
