"""The agency SDK against the real, secured Kafka broker, connected as the agency's own principal:
consume the inbox, report progress, submit on its own submissions topic, keep the trace."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from satupintu_shared.acl import agency_group, agency_principal
from satupintu_shared.broker import EventPublisher, create_broker
from satupintu_shared.events import (
    Applicant,
    Channel,
    RequestAssigned,
    RoutingReason,
    StatusReported,
    SubmissionReceipt,
    SubmissionRequested,
)
from satupintu_shared.kafka_admin import KafkaAdministration
from satupintu_shared.sdk import (
    AgencyClient,
    assignment_marker,
    current_traceparent,
    report_event_id,
    submission_event_id,
)
from satupintu_shared.settings import KafkaSettings
from satupintu_shared.topics import Topics
from tests.support.credentials import until_authenticated
from tests.support.kafka import eventually, produce, read_records
from tests.support.security import onboard_agency

pytestmark = pytest.mark.kafka

AGENCY = "bdg-disdukcapil"
OFFICER = "198001012005011001"
APPLICANT = Applicant(nik="3273014107900001", name="Siti Aminah", phone="081234567890")


def assigned(tracking_number: str) -> RequestAssigned:
    """A request routing assigned to the test agency."""
    now = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
    return RequestAssigned(
        tracking_number=tracking_number,
        occurred_at=now,
        agency_code=AGENCY,
        service_code="ktp-el-replacement",
        region_code="32.73.01",
        applicant=APPLICANT,
        channel=Channel.WEB,
        due_at=now + timedelta(days=3),
        reason=RoutingReason(rule="jurisdiction", owning_level="regency", explanation="Kota Bandung"),
    )


@dataclass
class Tracing:
    provider: TracerProvider
    exporter: InMemorySpanExporter = field(default_factory=InMemorySpanExporter)

    def trace_ids_of(self, name: str) -> set[str]:
        return {
            format(s.context.trace_id, "032x") for s in self.exporter.get_finished_spans() if s.name == name
        }


@pytest.fixture
def tracing() -> Iterator[Tracing]:
    tracing = Tracing(TracerProvider())
    tracing.provider.add_span_processor(SimpleSpanProcessor(tracing.exporter))
    yield tracing
    tracing.provider.shutdown()


@pytest.fixture
async def agency(kafka_bootstrap: str, topics: Topics) -> AsyncIterator[KafkaSettings]:
    """The agency's own principal, topics and grants (what `catalog apply` and `agency credentials
    create` give it): every client below connects as the agency, never as the admin tool."""
    settings = await until_authenticated(await onboard_agency(kafka_bootstrap, topics, AGENCY))
    yield settings
    admin = KafkaAdministration(KafkaSettings(kafka_bootstrap_servers=kafka_bootstrap))
    await admin.delete_user(agency_principal(topics, AGENCY))


@pytest.fixture
async def platform(kafka_bootstrap: str, topics: Topics, tracing: Tracing) -> AsyncIterator[KafkaBroker]:
    """The platform's side (what routing and intake do): a broker that publishes into inboxes."""
    broker = create_broker(
        KafkaSettings(kafka_bootstrap_servers=kafka_bootstrap, topic_prefix=topics.prefix),
        service="test-platform",
        tracer_provider=tracing.provider,
    )
    await broker.connect()
    yield broker
    await broker.stop()


def trace_id(traceparent: bytes | str) -> str:
    text = traceparent.decode() if isinstance(traceparent, bytes) else traceparent
    return text.split("-")[1]


def headers_of(record: ConsumerRecord[Any, Any]) -> dict[str, str]:
    return {name: raw.decode() for name, raw in record.headers}


async def status_records(kafka_bootstrap: str, topics: Topics, count: int) -> list[ConsumerRecord[Any, Any]]:
    return await read_records(kafka_bootstrap, topics.status(AGENCY), count=count)


async def test_an_assignment_is_handled_and_the_reports_land_on_the_status_topic_in_its_trace(
    kafka_bootstrap: str, topics: Topics, agency: KafkaSettings, platform: KafkaBroker, tracing: Tracing
) -> None:
    tracer = tracing.provider.get_tracer("test")
    with tracer.start_as_current_span("routing assigns") as span:
        origin = format(span.get_span_context().trace_id, "032x")
        await EventPublisher(platform, source="/routing").publish(
            topics.inbox(AGENCY), assigned("SP-SDK-0001")
        )
    handled: list[RequestAssigned] = []
    client = AgencyClient(AGENCY, settings=agency, tracer_provider=tracing.provider)
    assert client.group_id == agency_group(topics, AGENCY)

    @client.on_assignment
    async def handle(request: RequestAssigned) -> None:
        await client.accept(request.tracking_number, officer_id=OFFICER, note="at counter 3")
        await client.complete(request.tracking_number, officer_id=OFFICER)
        handled.append(request)

    async with client:
        await client.listen()
        records = await status_records(kafka_bootstrap, topics, count=2)
    inbox = await read_records(kafka_bootstrap, topics.inbox(AGENCY), count=1)

    assert handled == [assigned("SP-SDK-0001")]
    assert trace_id(headers_of(inbox[0])["traceparent"]) == origin
    statuses = []
    for record in records:
        headers = headers_of(record)
        assert record.key == b"SP-SDK-0001"
        assert headers["ce_type"] == StatusReported.EVENT_TYPE
        assert headers["ce_subject"] == "SP-SDK-0001"
        assert headers["content-type"] == "application/json"
        assert trace_id(headers["traceparent"]) == origin
        report = StatusReported.model_validate_json(record.value)
        # Reports made while handling an assignment carry it in their id (see sdk/ids.py).
        marker = assignment_marker(assigned("SP-SDK-0001"))
        assert headers["ce_id"] == report_event_id(AGENCY, "SP-SDK-0001", report.status, assignment=marker)
        assert report.officer_id == OFFICER
        statuses.append(report.status)
    assert statuses == ["accepted", "completed"]
    assert json.loads(records[0].value)["note"] == "at counter 3"
    assert tracing.trace_ids_of(f"agency {AGENCY} handle") == {origin}
    assert tracing.trace_ids_of(f"{topics.status(AGENCY)} publish") == {origin}


async def test_a_retried_report_carries_the_same_event_id(
    kafka_bootstrap: str, topics: Topics, agency: KafkaSettings
) -> None:
    async with AgencyClient(AGENCY, settings=agency) as client:
        first = await client.start("SP-SDK-0002", officer_id=OFFICER)
        retry = await client.start("SP-SDK-0002", officer_id=OFFICER)
        another = await client.start("SP-SDK-0002", idempotency_key="second-note", note="waiting for form")
        rejected = await client.reject("SP-SDK-0002", "photo does not match")
    records = await status_records(kafka_bootstrap, topics, count=4)
    ids = [headers_of(r)["ce_id"] for r in records]
    assert ids == [first, retry, another, rejected]
    assert first == retry == report_event_id(AGENCY, "SP-SDK-0002", "in_progress")
    assert len({first, another, rejected}) == 3
    assert StatusReported.model_validate_json(records[3].value).reason == "photo does not match"


async def test_a_later_report_rejoins_the_trace_of_its_assignment(
    kafka_bootstrap: str, topics: Topics, agency: KafkaSettings, platform: KafkaBroker, tracing: Tracing
) -> None:
    with tracing.provider.get_tracer("test").start_as_current_span("routing assigns") as span:
        origin = format(span.get_span_context().trace_id, "032x")
        await EventPublisher(platform, source="/routing").publish(
            topics.inbox(AGENCY), assigned("SP-SDK-0003")
        )
    saved: dict[str, str | None] = {}
    client = AgencyClient(AGENCY, settings=agency, tracer_provider=tracing.provider)

    @client.on_assignment
    async def handle(request: RequestAssigned) -> None:
        saved[request.tracking_number] = current_traceparent()  # what an agency keeps with its case

    async with client:
        await client.listen()
        await eventually(lambda: _true("SP-SDK-0003" in saved))
        # Days later, outside any handler, an officer returns the request.
        await client.return_not_our_authority(
            "SP-SDK-0003", "building permits belong to DPMPTSP", traceparent=saved["SP-SDK-0003"]
        )
    records = await status_records(kafka_bootstrap, topics, count=1)
    assert trace_id(headers_of(records[0])["traceparent"]) == origin
    assert StatusReported.model_validate_json(records[0].value).status == "returned"


async def test_an_invalid_inbox_record_is_skipped_and_the_next_assignment_still_handled(
    kafka_bootstrap: str, topics: Topics, agency: KafkaSettings, platform: KafkaBroker
) -> None:
    await produce(kafka_bootstrap, topics.inbox(AGENCY), b"\x00garbage", headers=[("ce_id", b"x")])
    await EventPublisher(platform, source="/routing").publish(topics.inbox(AGENCY), assigned("SP-SDK-0004"))
    handled: list[str] = []
    # A second application of the agency: a group of its own, under the agency's group prefix.
    client = AgencyClient(AGENCY, settings=agency, group_id=f"{agency_group(topics, AGENCY)}.audit")
    client.on_assignment(lambda request: _record(handled, request.tracking_number))
    async with client:
        await client.listen()
        await eventually(lambda: _true(handled == ["SP-SDK-0004"]))


async def test_a_submission_goes_to_the_agencys_own_topic_and_its_receipt_reaches_the_receipt_handler(
    kafka_bootstrap: str, topics: Topics, agency: KafkaSettings, platform: KafkaBroker
) -> None:
    receipts: list[SubmissionReceipt] = []
    client = AgencyClient(AGENCY, settings=agency)
    client.on_receipt(lambda receipt: _record(receipts, receipt))
    async with client:
        reference = await client.submit(
            "CASE-77", service_code="ktp-el-replacement", region_code="32.73.01", applicant=APPLICANT
        )
        receipt = SubmissionReceipt(
            tracking_number="SP-SDK-0005", occurred_at=datetime.now(UTC), reference=reference
        )
        await EventPublisher(platform, source="/intake").publish(topics.inbox(AGENCY), receipt)
        await client.listen()
        await eventually(lambda: _true(len(receipts) == 1))
    assert receipts == [receipt]
    [record] = await read_records(kafka_bootstrap, topics.agency_submissions(AGENCY), count=1)
    headers = headers_of(record)
    assert record.key == b"CASE-77"
    assert headers["ce_type"] == SubmissionRequested.EVENT_TYPE
    assert headers["ce_id"] == submission_event_id(AGENCY, "CASE-77")
    request = SubmissionRequested.model_validate_json(record.value)
    assert (request.submitted_by, request.channel) == (AGENCY, Channel.AGENCY_SYSTEM)


async def test_a_failing_handler_gets_the_assignment_again_and_handled_ones_are_committed(
    kafka_bootstrap: str, topics: Topics, agency: KafkaSettings, platform: KafkaBroker
) -> None:
    publisher = EventPublisher(platform, source="/routing")
    await publisher.publish(topics.inbox(AGENCY), assigned("SP-SDK-0006"))
    calls: list[str] = []

    async def flaky(request: RequestAssigned) -> None:
        calls.append(request.tracking_number)
        if len(calls) == 1:
            raise ConnectionError("case database briefly down")

    first = AgencyClient(AGENCY, settings=agency)
    first.on_assignment(flaky)
    async with first:
        await first.listen()
        await eventually(lambda: _true(calls == ["SP-SDK-0006", "SP-SDK-0006"]))

    # A restarted agency system (same consumer group) continues after what was already handled.
    await publisher.publish(topics.inbox(AGENCY), assigned("SP-SDK-0007"))
    later: list[str] = []
    second = AgencyClient(AGENCY, settings=agency)
    second.on_assignment(lambda request: _record(later, request.tracking_number))
    async with second:
        await second.listen()
        await eventually(lambda: _true(later == ["SP-SDK-0007"]))


async def test_run_returns_after_stop(agency: KafkaSettings) -> None:
    client = AgencyClient(AGENCY, settings=agency)
    client.on_assignment(lambda request: _record([], request))
    async with client:
        running = asyncio.create_task(client.run())
        await asyncio.sleep(0.5)
        client.stop()
        await asyncio.wait_for(running, timeout=10)


async def _true(value: bool) -> bool:
    return value


async def _record(into: list[Any], item: Any) -> None:
    into.append(item)
