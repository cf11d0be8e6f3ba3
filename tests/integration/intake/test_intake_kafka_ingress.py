"""Agency systems submit over Kafka: valid → submitted + receipt in their inbox; invalid → dead letter."""

from __future__ import annotations

import json
import uuid

import pytest

from satupintu_shared.broker import DLQ_KIND, DLQ_REASON
from satupintu_shared.envelope import decode
from satupintu_shared.events import RequestSubmitted, SubmissionReceipt, SubmissionRequested
from satupintu_shared.topics import Topics
from tests.support.kafka import produce, read_records

from .catalog_fixture import BANDUNG_AGENCY, valid_body
from .conftest import RunIntake

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def submission(**overrides: object) -> dict[str, object]:
    body = valid_body(reference="SIAK-2025-0042", submitted_by=BANDUNG_AGENCY, channel="agency_system")
    body.update(overrides)
    return body


async def test_a_binary_mode_submission_is_submitted_and_receipted(
    run_intake: RunIntake, kafka_bootstrap: str, topics: Topics
) -> None:
    headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", str(uuid.uuid4()).encode()),
        ("ce_type", SubmissionRequested.EVENT_TYPE.encode()),
        ("ce_source", b"/siak"),
        ("content-type", b"application/json"),
    ]
    async with run_intake():
        await produce(kafka_bootstrap, topics.submissions, json.dumps(submission()).encode(), headers=headers)
        receipts = await read_records(kafka_bootstrap, topics.inbox(BANDUNG_AGENCY), count=1)
    receipt = decode(receipts[0].value, receipts[0].headers).parse()
    assert isinstance(receipt, SubmissionReceipt)
    assert receipt.reference == "SIAK-2025-0042"
    submitted = await read_records(kafka_bootstrap, topics.lifecycle, count=1)
    event = decode(submitted[0].value, submitted[0].headers).parse()
    assert isinstance(event, RequestSubmitted)
    assert event.tracking_number == receipt.tracking_number
    assert event.submitted_by == BANDUNG_AGENCY and event.channel == "agency_system"


async def test_a_structured_mode_submission_is_accepted_too(
    run_intake: RunIntake, kafka_bootstrap: str, topics: Topics
) -> None:
    doc = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "type": SubmissionRequested.EVENT_TYPE,
        "source": "/siak",
        "datacontenttype": "application/json",
        "data": submission(reference="S-2"),
    }
    async with run_intake():
        await produce(
            kafka_bootstrap,
            topics.submissions,
            json.dumps(doc).encode(),
            headers=[("content-type", b"application/cloudevents+json")],
        )
        receipts = await read_records(kafka_bootstrap, topics.inbox(BANDUNG_AGENCY), count=1)
    receipt = decode(receipts[0].value, receipts[0].headers).parse()
    assert isinstance(receipt, SubmissionReceipt) and receipt.reference == "S-2"


async def test_an_invalid_submission_goes_to_the_dead_letter_topic_with_the_reasons(
    run_intake: RunIntake, kafka_bootstrap: str, topics: Topics
) -> None:
    doc = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "type": SubmissionRequested.EVENT_TYPE,
        "source": "/siak",
        "data": submission(applicant={"nik": "1234", "name": "A"}, region_code="16.05"),
    }
    async with run_intake():
        await produce(
            kafka_bootstrap,
            topics.submissions,
            json.dumps(doc).encode(),
            headers=[("content-type", b"application/cloudevents+json")],
        )
        dead = await read_records(kafka_bootstrap, topics.deadletter, count=1)
    headers = {k: v.decode() for k, v in dead[0].headers}
    assert headers[DLQ_KIND] == "invalid"
    assert "/applicant/nik" in headers[DLQ_REASON]
    assert "/region_code" in headers[DLQ_REASON]
