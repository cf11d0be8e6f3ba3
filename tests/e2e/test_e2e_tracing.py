"""The whole platform as processes: one request is one trace from intake's HTTP call through every Kafka
hop to performance's database writes; the agency's later reports start traces linked to it; nothing
exported during the run (spans, logs, metrics) holds the applicant's personal data; and the Grafana
dashboard queries only metrics the services export."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from satupintu_shared.events import RequestAssigned
from satupintu_shared.sdk import AgencyClient
from tests.support.otlp import OtlpReceiver, ReceivedSpan
from tests.support.platform import ROOT, SERVICES, Platform
from tests.support.security import onboard_agency
from tests.support.telemetry_audit import (
    dashboard_metric_names,
    exported_metric_names,
    scan,
    span_text,
)

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]

PRODUCER, CONSUMER, SERVER = 4, 5, 2
APPLICANT = {
    "nik": "3273014708850003",
    "name": "Ratna Kusumawardani",
    "phone": "081311122233",
    "email": "ratna.kusuma@contoh.id",
}
#: What must never be exported: the values above, and forms they could take (phone without 0, surname).
NEEDLES = {
    "nik": APPLICANT["nik"],
    "name": APPLICANT["name"],
    "surname": "Kusumawardani",
    "phone": APPLICANT["phone"][1:],
    "email": APPLICANT["email"],
    "email-local-part": "ratna.kusuma",
}
OFFICER = "198507172010012003"  # an officer's NIP: scorecards need it, it is not the applicant's data
DASHBOARD = ROOT / "deploy" / "grafana" / "satupintu.json"


async def test_a_request_is_one_trace_and_later_reports_are_linked_traces_without_personal_data(
    platform: Platform, otlp: OtlpReceiver
) -> None:
    platform.env["SATUPINTU_CONSUMER_LAG_INTERVAL_SECONDS"] = "1"
    await platform.start()
    applied = platform.cli("catalog", "apply", "deploy/catalog/demo.yaml")
    assert applied.returncode == 0, applied.stdout + applied.stderr

    # The routing and performance reads are an operator's.
    async with httpx.AsyncClient(timeout=10, headers=platform.headers()) as http:
        accepted = await _submit(http, platform)
        tn, request_trace = accepted["tracking_number"], accepted["trace_id"]
        assignment = await _eventually(lambda: _get_json(http, platform.url("routing", _assignment(tn))))
        assert assignment["agency_code"] == "bdg-disdukcapil"
        assert assignment["trace_id"] == request_trace

        await _act_as_agency(platform, otlp, tn, assignment["agency_code"], http)

        timeline = await _eventually(lambda: _timeline_with(http, platform, tn, "completed"))
        metrics = {name: (await http.get(platform.url(name, "/metrics"))).text for name in SERVICES}

    assert platform.stop() == dict.fromkeys(SERVICES, 0), "every service exits 0 on SIGTERM"
    assert timeline["trace_id"] == request_trace, "the timeline keeps the submission's trace id"

    request_spans = otlp.in_trace(request_trace)
    _assert_one_connected_tree(request_spans)
    _assert_hops(request_spans)
    _assert_database_spans(request_spans)
    _assert_reports_are_linked_traces(otlp.spans, request_spans)
    _assert_no_personal_data(platform, otlp, metrics)
    _assert_dashboard_metrics_exported(metrics)


# --- the journey ---------------------------------------------------------------------------------


async def _submit(http: httpx.AsyncClient, platform: Platform) -> dict[str, Any]:
    body = {
        "service_code": "ktp-el",
        "region_code": "32.73.01",
        "applicant": APPLICANT,
        "attributes": {"alasan": "hilang"},
        "description": "KTP-el hilang saat pindahan",
        "channel": "web",
    }

    async def attempt() -> dict[str, Any] | None:
        # Until intake has read the applied catalog, the service code is unknown to it.
        response = await http.post(platform.url("intake", "/v1/requests"), json=body)
        return response.json() if response.status_code == 202 else None

    return await _eventually(attempt)


async def _act_as_agency(
    platform: Platform, otlp: OtlpReceiver, tn: str, agency: str, http: httpx.AsyncClient
) -> None:
    """Accept inside the inbox handler (the assignment's trace), complete later (the agency's own)."""
    provider = TracerProvider(resource=Resource.create({"service.name": f"agency-{agency}"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{otlp.url}/v1/traces")))
    handled = asyncio.Event()
    # The agency's system on its own principal, as `agency credentials create` gives it.
    system = await onboard_agency(platform.env["KAFKA_BOOTSTRAP_SERVERS"], platform.topics, agency)
    client = AgencyClient(agency, settings=system, tracer_provider=provider)
    async with client, _shut_down(provider):

        @client.on_assignment
        async def on_assignment(assigned: RequestAssigned) -> None:
            if assigned.tracking_number == tn:
                await client.accept(tn, officer_id=OFFICER)
                handled.set()

        await client.listen()
        await asyncio.wait_for(handled.wait(), 60)
        await _eventually(lambda: _routing_status(http, platform, tn, "accepted"))
        await client.complete(tn, officer_id=OFFICER, note="KTP-el dicetak")
        await _eventually(lambda: _routing_status(http, platform, tn, "completed"))


@asynccontextmanager
async def _shut_down(provider: TracerProvider) -> AsyncIterator[None]:
    try:
        yield
    finally:
        provider.shutdown()  # exports what is left


def _assignment(tn: str) -> str:
    return f"/v1/requests/{tn}/assignment"


async def _routing_status(http: httpx.AsyncClient, platform: Platform, tn: str, status: str) -> bool | None:
    doc = await _get_json(http, platform.url("routing", _assignment(tn)))
    return True if doc and doc["status"] == status else None


async def _timeline_with(
    http: httpx.AsyncClient, platform: Platform, tn: str, status: str
) -> dict[str, Any] | None:
    doc = await _get_json(http, platform.url("performance", f"/v1/requests/{tn}/timeline"))
    return doc if doc and status in str(doc) else None


async def _get_json(http: httpx.AsyncClient, url: str) -> Any:
    response = await http.get(url)
    return response.json() if response.status_code == 200 else None


async def _eventually(probe: Callable[[], Awaitable[Any]], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = await probe()
        if result:
            return result
        await asyncio.sleep(0.3)
    raise AssertionError(f"not within {timeout}s")


# --- the checks ----------------------------------------------------------------------------------


def _by_id(spans: list[ReceivedSpan]) -> dict[str, ReceivedSpan]:
    return {s.span_id: s for s in spans}


def _assert_one_connected_tree(spans: list[ReceivedSpan]) -> None:
    services = {s.service for s in spans}
    assert {"intake", "routing", "performance", "agency-bdg-disdukcapil"} <= services, services
    roots = [s for s in spans if not s.parent_span_id]
    assert len(roots) == 1, [(s.service, s.name) for s in roots]
    assert (roots[0].service, roots[0].kind) == ("intake", SERVER), "the trace starts at intake's HTTP call"
    by_id = _by_id(spans)
    orphans = [(s.service, s.name) for s in spans if s.parent_span_id and s.parent_span_id not in by_id]
    assert not orphans, f"spans whose parent is not in the trace: {orphans}"


def _assert_hops(spans: list[ReceivedSpan]) -> None:
    """Across every Kafka hop the consumer's parent is the producer's span, for the same topic."""
    by_id = _by_id(spans)
    hops: set[tuple[str, str]] = set()
    for consumer in (s for s in spans if s.kind == CONSUMER and s.parent_span_id in by_id):
        producer = by_id[consumer.parent_span_id]
        if producer.service == consumer.service:
            continue
        assert producer.kind == PRODUCER, (producer.name, consumer.name)
        topic = consumer.attributes.get("messaging.destination.name")
        assert topic and topic == producer.attributes.get("messaging.destination.name"), (
            producer.attributes,
            consumer.attributes,
        )
        assert consumer.attributes.get("messaging.system") == "kafka"
        hops.add((producer.service, consumer.service))
    assert {("intake", "routing"), ("routing", "agency-bdg-disdukcapil")} <= hops, hops
    assert any(consumer == "performance" for _, consumer in hops), hops
    routing_consume = [s for s in spans if s.service == "routing" and s.kind == CONSUMER]
    for span in routing_consume:
        for attribute in (
            "messaging.consumer.group.name",
            "messaging.kafka.destination.partition",
            "messaging.kafka.message.offset",
        ):
            assert attribute in span.attributes, (attribute, span.attributes)


def _assert_database_spans(spans: list[ReceivedSpan]) -> None:
    by_id = _by_id(spans)
    for service in ("routing", "performance"):
        statements = [
            s for s in spans if s.service == service and s.attributes.get("db.system") == "postgresql"
        ]
        assert statements, f"no database spans from {service} in the request's trace"
        for statement in statements:
            assert "db.statement.parameters" not in statement.attributes
            assert by_id[statement.parent_span_id].service == service


def _assert_reports_are_linked_traces(everything: list[ReceivedSpan], request: list[ReceivedSpan]) -> None:
    request_trace = request[0].trace_id
    routing_spans = {s.span_id for s in request if s.service == "routing"}
    reports = [s for s in everything if s.service == "routing" and s.name == "routing status report"]
    # Delivery is at least once: a report redelivered after a rebalance is handled again (and changes
    # nothing), so look at the first handling of each status.
    first: dict[str, ReceivedSpan] = {}
    for span in sorted(reports, key=lambda s: s.start_ns):
        first.setdefault(span.attributes["satupintu.reported_status"], span)
    assert sorted(first) == ["accepted", "completed"]
    for report in first.values():
        assert not report.parent_span_id and report.trace_id != request_trace, "a report starts its own trace"
        to_request = [span for trace_id, span in report.links if trace_id == request_trace]
        assert to_request and set(to_request) <= routing_spans, report.links
        later = [s for s in everything if s.trace_id == report.trace_id]
        by_id = _by_id(later)
        published = [s for s in later if s.kind == PRODUCER and s.service == "routing"]
        assert published, "the lifecycle event is published within the report's trace"
        consumed = [s for s in later if s.kind == CONSUMER and s.parent_span_id in by_id]
        assert any(by_id[s.parent_span_id].kind == PRODUCER for s in consumed)


def _assert_no_personal_data(platform: Platform, otlp: OtlpReceiver, metrics: dict[str, str]) -> None:
    sources: dict[str, bytes | str] = {f"otlp body {i}": body for i, body in enumerate(otlp.raw_bodies)}
    sources.update({f"span {s.service}/{s.name}": span_text(s) for s in otlp.spans})
    sources.update({f"{name} log": _full_log(platform.log_dir, name) for name in SERVICES})
    sources.update({f"{name} /metrics": text for name, text in metrics.items()})
    assert len(otlp.raw_bodies) > 0 and all(sources.values())
    findings = scan(sources, NEEDLES)
    assert not findings, "\n".join(f"{f.where}: {f.kind}: {f.excerpt!r}" for f in findings)


def _full_log(log_dir: Path, name: str) -> str:
    return (log_dir / f"{name}.log").read_text(errors="replace")


def _assert_dashboard_metrics_exported(metrics: dict[str, str]) -> None:
    queried = dashboard_metric_names(DASHBOARD)
    assert len(queried) >= 10
    missing = queried - exported_metric_names(metrics.values())
    assert not missing, f"the dashboard queries metrics no service exports: {sorted(missing)}"
    # Consumer groups carry the environment's topic prefix.
    assert re.search(
        r'satupintu_consumer_lag\{group="[^"]*satupintu-routing",topic="requests.lifecycle"\}',
        metrics["routing"],
    )
