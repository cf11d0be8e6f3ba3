"""Lifecycle events for the console tests, published to a test's lifecycle topic with real traces.

Request ``done`` is submitted and routed inside one trace (the "intake" side), then accepted and
completed in a later trace linked to it (the "agency" side), the way agency updates arrive hours
later. Request ``late`` was routed with a deadline already past, so it shows as a breach, and
``lost`` found no agency with authority. A corrupt update for ``late`` ends up as a dead letter.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from faststream.kafka import KafkaBroker
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Link, SpanKind, Status, StatusCode
from prometheus_client import CollectorRegistry

from satupintu_shared.broker import EventPublisher, create_broker
from satupintu_shared.events import (
    Applicant,
    Channel,
    Event,
    RequestAccepted,
    RequestCompleted,
    RequestRouted,
    RequestSubmitted,
    RequestUnroutable,
    RoutingReason,
)
from satupintu_shared.settings import KafkaSettings

AGENCY = "disdukcapil-bandung"
OFFICER = "198501012010011001"


@dataclass(frozen=True)
class Numbers:
    """The tracking numbers the scenario creates (unique per run)."""

    done: str
    late: str
    lost: str


def _reason() -> RoutingReason:
    return RoutingReason(
        rule="jurisdiction",
        owning_level="regency_city",
        matched_region="32.73",
        candidates=[AGENCY],
        explanation="Kota Bandung berwenang atas penggantian KTP-el",
    )


def _submitted(tn: str, at: datetime) -> RequestSubmitted:
    return RequestSubmitted(
        tracking_number=tn,
        occurred_at=at,
        service_code="ktp-el-replacement",
        region_code="32.73.01",
        applicant=Applicant(nik="3273014107900001", name="Siti Aminah", phone="081234567890"),
        channel=Channel.WEB,
    )


def _routed(tn: str, at: datetime, due: datetime) -> RequestRouted:
    return RequestRouted(
        tracking_number=tn,
        occurred_at=at,
        agency_code=AGENCY,
        service_code="ktp-el-replacement",
        region_code="32.73.01",
        due_at=due,
        sla_working_days=3,
        reason=_reason(),
    )


def _provider(service: str, otlp_url: str) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{otlp_url}/v1/traces")))
    return provider


async def _publish(broker: KafkaBroker, topic: str, events: list[Event]) -> None:
    publisher = EventPublisher(broker, source="/tests/console")
    for event in events:
        await publisher.publish(topic, event)


async def publish_scenario(kafka: KafkaSettings, topic: str, otlp_url: str, suffix: str) -> Numbers:
    """Publish the three requests' events; returns their tracking numbers."""
    numbers = Numbers(f"SP-UI-{suffix}-1", f"SP-UI-{suffix}-2", f"SP-UI-{suffix}-3")
    now = datetime.now(UTC)
    providers = {name: _provider(name, otlp_url) for name in ("test-intake", "test-routing", "test-agency")}
    intake, routing, agency = providers.values()
    brokers = [
        create_broker(kafka, service=name, tracer_provider=p, registry=CollectorRegistry())
        for name, p in providers.items()
    ]
    for broker in brokers:
        await broker.connect()
    try:
        with intake.get_tracer("tests").start_as_current_span(
            "POST /v1/requests", kind=SpanKind.SERVER
        ) as root:
            await _publish(brokers[0], topic, [_submitted(numbers.done, now - timedelta(minutes=9))])
            # The routing side's consumer span, a child in another service: one hop in the waterfall.
            with routing.get_tracer("tests").start_as_current_span(
                f"{topic} process", kind=SpanKind.CONSUMER
            ):
                routed_at = now - timedelta(minutes=9) + timedelta(seconds=2)
                await _publish(brokers[1], topic, [_routed(numbers.done, routed_at, now + timedelta(days=3))])
        tracer = agency.get_tracer("tests")
        with tracer.start_as_current_span("agency status update", links=[Link(root.get_span_context())]):
            with tracer.start_as_current_span("verify officer signature") as failed:
                failed.set_status(Status(StatusCode.ERROR, "signature expired; retried"))
            await _publish(
                brokers[2],
                topic,
                [
                    RequestAccepted(
                        tracking_number=numbers.done,
                        occurred_at=now - timedelta(minutes=6),
                        agency_code=AGENCY,
                        officer_id=OFFICER,
                        report_id="r-1",
                    ),
                    RequestCompleted(
                        tracking_number=numbers.done,
                        occurred_at=now - timedelta(minutes=2),
                        agency_code=AGENCY,
                        officer_id=OFFICER,
                        report_id="r-2",
                        note="KTP-el dicetak",
                    ),
                ],
            )
        await _publish(
            brokers[0],
            topic,
            [
                _submitted(numbers.late, now - timedelta(minutes=5)),
                _routed(numbers.late, now - timedelta(minutes=5), now - timedelta(minutes=1)),
                _submitted(numbers.lost, now - timedelta(minutes=4)),
                RequestUnroutable(
                    tracking_number=numbers.lost,
                    occurred_at=now - timedelta(minutes=4),
                    service_code="ktp-el-replacement",
                    region_code="32.73.01",
                    reason="no agency in the catalog serves ktp-el-replacement in 32.73.01",
                ),
            ],
        )
        # Not JSON: performance dead-letters it with the reason, keyed by the request it claims to be about.
        headers = {
            "ce_specversion": "1.0",
            "ce_id": str(uuid.uuid4()),
            "ce_source": "/tests/console",
            "ce_type": RequestAccepted.EVENT_TYPE,
            "ce_subject": numbers.late,
        }
        await brokers[2].publish(b"{not json", topic=topic, key=numbers.late.encode(), headers=headers)
    finally:
        for broker in brokers:
            await broker.stop()
        for provider in providers.values():
            provider.shutdown()
    return numbers
