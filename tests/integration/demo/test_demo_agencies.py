"""The demo's simulated agency systems against the real broker.

An assignment published into a simulated agency's inbox comes back on its status topic as
accepted → in_progress → completed (or returned / rejected with a reason), in the request's trace; the
``satupintu-demo`` process starts agency systems from the catalog topic and stops cleanly on SIGTERM.
Every simulated agency connects as its own principal; the process itself only as ``satupintu-demo``.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from routing.domain.catalog_file import load_catalog
from satupintu_demo.agencies import AgencySimulator
from satupintu_demo.behaviour import Profile, plan_assignment, profile_of
from satupintu_demo.identity import make_person, officer_roster
from satupintu_demo.stats import Stats
from satupintu_shared.acl import agency_principal
from satupintu_shared.broker import EventPublisher, create_broker
from satupintu_shared.catalog import CatalogApplied
from satupintu_shared.events import Applicant, Channel, RequestAssigned, RoutingReason, StatusReported
from satupintu_shared.kafka_admin import KafkaAdministration
from satupintu_shared.sdk import AgencyCredentials
from satupintu_shared.settings import KafkaSettings
from satupintu_shared.topics import Topics
from tests.support.credentials import until_authenticated
from tests.support.kafka import read_records
from tests.support.security import onboard_agency, principal_env

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
FAST = Profile("test", "A", (0.1, 0.3), (0.2, 0.5), p_return=0.0, p_reject=0.0, p_ignore=0.0, p_stall=0.0)


def assigned(tracking_number: str, agency: str, rule: str = "jurisdiction") -> RequestAssigned:
    """A request routing assigned to ``agency`` (synthetic applicant from the demo's own generator)."""
    now = datetime.now(UTC)
    person = make_person("32.73.01", random.Random(tracking_number))
    return RequestAssigned(
        tracking_number=tracking_number,
        occurred_at=now,
        agency_code=agency,
        service_code="ktp-el",
        region_code="32.73.01",
        applicant=Applicant.model_validate(person.as_json()),
        attributes={"alasan": "rusak"},
        channel=Channel.WEB,
        due_at=now + timedelta(days=3),
        reason=RoutingReason(rule=rule, owning_level="regency_city", explanation="Kota Bandung"),
    )


@pytest.fixture
def tracing() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    provider, exporter = TracerProvider(), InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


@pytest.fixture
async def onboard(
    kafka_bootstrap: str, topics: Topics
) -> AsyncIterator[Callable[[str], Awaitable[AgencyCredentials]]]:
    """Gives an agency its topics, grants and own credentials (what `make up` does for the demo's);
    its principal is deleted afterwards."""
    codes: list[str] = []

    async def credentials(code: str) -> AgencyCredentials:
        settings = await until_authenticated(await onboard_agency(kafka_bootstrap, topics, code))
        codes.append(code)
        username, password = settings.sasl_credentials()
        return AgencyCredentials(code, username, password, kafka_bootstrap, topic_prefix=topics.prefix)

    yield credentials
    admin = KafkaAdministration(KafkaSettings(kafka_bootstrap_servers=kafka_bootstrap))
    for code in codes:
        await admin.delete_user(agency_principal(topics, code))


@pytest.fixture
async def platform(
    kafka_bootstrap: str, topics: Topics, tracing: tuple[TracerProvider, Any]
) -> AsyncIterator[KafkaBroker]:
    """What routing does: publish assignments into agency inboxes."""
    broker = create_broker(
        KafkaSettings(kafka_bootstrap_servers=kafka_bootstrap, topic_prefix=topics.prefix),
        service="test-routing",
        tracer_provider=tracing[0],
    )
    await broker.connect()
    yield broker
    await broker.stop()


async def read_until_final(
    bootstrap: str, topic: str, tracking_numbers: set[str], *, timeout: float = 60.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Records of ``topic`` from the start until every tracking number got a final report."""
    final = {"completed", "rejected", "returned"}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        records = await read_records(bootstrap, topic, count=len(tracking_numbers), timeout=timeout)
        done = {tn for tn, reports in reports_of(records).items() if reports[-1][0].status in final}
        if tracking_numbers <= done:
            return records
        assert loop.time() < deadline, f"no final report for {sorted(tracking_numbers - done)}"
        await asyncio.sleep(0.5)


def reports_of(
    records: list[ConsumerRecord[bytes, bytes]],
) -> dict[str, list[tuple[StatusReported, dict[str, str]]]]:
    """Status reports by tracking number, in the order they were written."""
    out: dict[str, list[tuple[StatusReported, dict[str, str]]]] = {}
    for record in sorted(records, key=lambda r: (r.timestamp, r.offset)):
        headers = {name: raw.decode() for name, raw in record.headers}
        assert headers["ce_type"] == StatusReported.EVENT_TYPE
        report = StatusReported.model_validate_json(record.value)
        out.setdefault(report.tracking_number, []).append((report, headers))
    return out


async def test_a_simulated_agency_takes_its_inbox_and_reports_until_completed_in_the_trace(
    kafka_bootstrap: str,
    topics: Topics,
    onboard: Callable[[str], Awaitable[AgencyCredentials]],
    platform: KafkaBroker,
    tracing: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = tracing
    agency = "bdg-disdukcapil"
    stats = Stats()
    credentials = await onboard(agency)
    simulator = AgencySimulator(credentials, profile=FAST, seed=1, stats=stats, tracer_provider=provider)
    assert simulator.client.settings.kafka_sasl_username == agency_principal(topics, agency)
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("routing assigns") as span:
        origin = format(span.get_span_context().trace_id, "032x")
        await EventPublisher(platform, source="/routing").publish(
            topics.inbox(agency), assigned("SP-DEMO-0001", agency)
        )
    await simulator.start()
    try:
        records = await read_records(kafka_bootstrap, topics.status(agency), count=3, timeout=60)
    finally:
        await simulator.stop()

    reports = reports_of(records)["SP-DEMO-0001"]
    assert [r.status for r, _ in reports] == ["accepted", "in_progress", "completed"]
    officers = {r.officer_id for r, _ in reports}
    assert len(officers) == 1 and officers <= set(officer_roster(agency, 1))
    assert all(r.officer_id and len(r.officer_id) == 18 and r.officer_id.isdigit() for r, _ in reports)
    assert all(r.note for r, _ in reports)
    # Every report continues the request's trace (reports are sent after the handler returned).
    assert {h["traceparent"].split("-")[1] for _, h in reports} == {origin}
    assert {h["ce_source"] for _, h in reports} == {f"/agency/{agency}"}
    handled = [s for s in exporter.get_finished_spans() if s.name == f"agency {agency} handle"]
    assert handled and format(handled[0].context.trace_id, "032x") == origin
    assert stats.plans == {"complete": 1}
    assert stats.reports == {"accepted": 1, "in_progress": 1, "completed": 1}


async def test_simulated_agencies_return_as_not_our_authority_and_reject_with_reasons(
    kafka_bootstrap: str,
    topics: Topics,
    onboard: Callable[[str], Awaitable[AgencyCredentials]],
    platform: KafkaBroker,
) -> None:
    returning = Profile(
        "r", "C", (0.1, 0.2), (0.2, 0.3), p_return=1.0, p_reject=0.0, p_ignore=0.0, p_stall=0.0
    )
    rejecting = Profile(
        "j", "D", (0.1, 0.2), (0.2, 0.3), p_return=0.0, p_reject=1.0, p_ignore=0.0, p_stall=0.0
    )
    sims = [
        AgencySimulator(await onboard("bdg-dsdabm"), profile=returning, seed=2),
        AgencySimulator(await onboard("mura-dinsos"), profile=rejecting, seed=2),
    ]
    publisher = EventPublisher(platform, source="/routing")
    for i in range(4):
        await publisher.publish(topics.inbox("bdg-dsdabm"), assigned(f"SP-DEMO-R{i}", "bdg-dsdabm"))
        await publisher.publish(topics.inbox("mura-dinsos"), assigned(f"SP-DEMO-J{i}", "mura-dinsos"))
    # A request that was already re-routed is never returned again, even by an agency that returns all.
    await publisher.publish(
        topics.inbox("bdg-dsdabm"), assigned("SP-DEMO-RR", "bdg-dsdabm", rule="reroute-after-return")
    )
    await asyncio.gather(*(s.start() for s in sims))
    try:
        r_topic, j_topic = topics.status("bdg-dsdabm"), topics.status("mura-dinsos")
        r_numbers = {f"SP-DEMO-R{i}" for i in range(4)} | {"SP-DEMO-RR"}
        returned = reports_of(await read_until_final(kafka_bootstrap, r_topic, r_numbers))
        j_numbers = {f"SP-DEMO-J{i}" for i in range(4)}
        rejected = reports_of(await read_until_final(kafka_bootstrap, j_topic, j_numbers))
    finally:
        await asyncio.gather(*(s.stop() for s in sims))

    for i in range(4):
        statuses = [r.status for r, _ in returned[f"SP-DEMO-R{i}"]]
        assert statuses in (["returned"], ["accepted", "returned"])
        assert returned[f"SP-DEMO-R{i}"][-1][0].reason
        final = rejected[f"SP-DEMO-J{i}"]
        assert final[-1][0].status == "rejected" and final[-1][0].reason
    assert [r.status for r, _ in returned["SP-DEMO-RR"]] == ["accepted", "in_progress", "completed"]


def _completing_tracking_number(agency: str, seed: int, occurred_at: datetime) -> str:
    """A tracking number the seeded demo will complete (the plan is a pure function of the seed)."""
    for i in range(1000):
        tn = f"SP-DEMO-P{i:03d}"
        rng = random.Random(f"{seed}:{agency}:{tn}@{occurred_at.isoformat()}")
        plan = plan_assignment(
            profile_of(agency), rng, rule="jurisdiction", officers=officer_roster(agency, seed)
        )
        if plan.outcome == "complete":
            return tn
    raise AssertionError("no completing plan found")


async def test_the_demo_process_starts_agency_systems_from_the_catalog_and_stops_on_sigterm(
    kafka_bootstrap: str,
    topics: Topics,
    onboard: Callable[[str], Awaitable[AgencyCredentials]],
    platform: KafkaBroker,
    tmp_path: Path,
) -> None:
    catalog, problems = load_catalog(yaml.safe_load((ROOT / "deploy/catalog/demo.yaml").read_text()))
    assert catalog is not None, problems
    applied = CatalogApplied(version=1, applied_at=datetime.now(UTC), catalog=catalog, digest="test")
    await EventPublisher(platform, source="/routing").publish(topics.catalog, applied, key="catalog")
    seed, agency = 77, "bdg-disdukcapil"
    # What `make up` saves for the demo agencies; bdg-dinkes has no file, so it is not simulated.
    folder = tmp_path / "agencies"
    folder.mkdir(mode=0o700)
    for code in (agency, "bdg-pemkot"):
        (await onboard(code)).write(folder / f"{code}.json")
    env = {
        **os.environ,
        **principal_env("satupintu-demo"),  # the process itself may only read the catalog
        "DEMO_AGENCY_CREDENTIALS_DIR": str(folder),
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "SATUPINTU_TOPIC_PREFIX": topics.prefix,
        "DEMO_SEED": str(seed),
        "DEMO_TIME_SCALE": "0.02",
        "DEMO_CITIZENS": "0",
        "DEMO_AGENCIES": f"{agency},bdg-pemkot,bdg-dinkes",
        "DEMO_SUMMARY_INTERVAL_SECONDS": "1",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "",
        "LOG_LEVEL": "INFO",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "satupintu_demo.main", env=env, cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        request = assigned("SP-DEMO-TMP", agency)
        tn = _completing_tracking_number(agency, seed, request.occurred_at)
        request = request.model_copy(update={"tracking_number": tn})
        await EventPublisher(platform, source="/routing").publish(topics.inbox(agency), request)
        records = await read_records(kafka_bootstrap, topics.status(agency), count=3, timeout=90)
        assert [r.status for r, _ in reports_of(records)[tn]] == ["accepted", "in_progress", "completed"]
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    lines = [json.loads(line) for line in output.decode().splitlines() if line.startswith("{")]
    messages = [line["message"] for line in lines]
    assert process.returncode == 0, output.decode()[-3000:]
    assert "agency systems started" in messages
    assert next(line for line in lines if line["message"] == "agency systems started")["total"] == 2
    skipped = [line for line in lines if line["message"].startswith("no credentials file for the agency")]
    assert [line["agency"] for line in skipped] == ["bdg-dinkes"]
    assert messages[-1] == "demo stopped"
    assert json.loads(lines[-1]["stats"])["agency_reports"] == {
        "accepted": 1,
        "completed": 1,
        "in_progress": 1,
    }
    # No personal data in the logs: the applicant's NIK and name never appear.
    assert request.applicant.nik not in output.decode()
    assert request.applicant.name not in output.decode()
