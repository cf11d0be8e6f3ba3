"""Fault injection under traffic: while citizens submit over HTTP and the agency reports over Kafka (SDK)
and over HTTP (API key), PostgreSQL is frozen for 5 s (SIGSTOP of the server and all its processes) and
then the broker for 8 s (the services' broker requests time out within the stall, so they see it as
errors, not as a pause). Transient faults are retried, never dead-lettered: afterwards the dead-letter
topic is empty, every accepted request is routed and every report applied (routing and performance),
each request's lifecycle is in order on the topic, and intake's status equals routing's.

Other tests share the broker and the database: the stalls are kept short and always undone (SIGCONT in
``finally``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from satupintu_shared.envelope import decode
from satupintu_shared.events import STATUS_OF_EVENT, RequestAssigned
from satupintu_shared.kafka_clients import create_consumer
from satupintu_shared.sdk import AgencyClient
from satupintu_shared.settings import KafkaSettings
from tests.support.kafka import eventually
from tests.support.platform import ROOT, Platform
from tests.support.security import onboard_agency

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]

AGENCY = "bdg-disdukcapil"
OFFICER = "198507172010012003"
POSTGRES_STALL, KAFKA_STALL = 5.0, 8.0
BODY: dict[str, Any] = {
    "service_code": "ktp-el",
    "region_code": "32.73.01",
    "applicant": {"nik": "3273010101900001", "name": "Budi Santoso", "phone": "081234567890"},
    "attributes": {"alasan": "hilang"},
    "description": "KTP-el hilang",
    "channel": "web",
}
ORDER = ["submitted", "routed", "accepted"]


# --- freezing the shared servers ---------------------------------------------------------------------


def _state_dir() -> Path:
    return Path(os.environ.get("SATUPINTU_STATE_DIR") or ROOT / ".state")


def _pid(name: str) -> int:
    path = _state_dir() / "pids" / f"{name}.pid"
    if not path.is_file():
        pytest.fail(f"no {path}: this test freezes the local stack that `make test` starts")
    return int(path.read_text().split()[0])


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                found.update(int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split())
    return found


@contextlib.contextmanager
def frozen(name: str) -> Iterator[None]:
    """SIGSTOP server ``name`` (its pid file's process and every descendant) until the block ends."""
    root = _pid(name)
    stopped: list[int] = []
    try:
        os.kill(root, signal.SIGSTOP)  # first, so that it forks no new backend meanwhile
        stopped.append(root)
        todo = _children(root)
        while todo:
            pid = todo.pop()
            if pid in stopped:
                continue
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
                stopped.append(pid)
            todo |= _children(pid)
        yield
    finally:
        for pid in reversed(stopped):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


# --- the traffic -------------------------------------------------------------------------------------


class Traffic:
    """Submissions and agency reports, as careful clients make them (same key on every retry)."""

    def __init__(self, platform: Platform, api_key: str) -> None:
        self.platform = platform
        self.api_key = api_key
        self.accepted: dict[str, str] = {}  # idempotency key → tracking number (answered 202)
        self.reported_kafka: set[str] = set()
        self.reported_http: set[str] = set()
        self.assigned: list[str] = []
        self.http_reports: asyncio.Queue[str] = asyncio.Queue()
        self.retries = {"submit": 0, "kafka_report": 0, "http_report": 0}
        self.running = True

    async def submit_forever(self, http: httpx.AsyncClient, worker: int) -> None:
        n = 0
        while self.running:
            n += 1
            key = f"faults-{worker}-{n}"
            tn = await self._submit(http, key)
            if tn:
                self.accepted[key] = tn
            await asyncio.sleep(0.2)

    async def _submit(self, http: httpx.AsyncClient, key: str) -> str | None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                response = await http.post(
                    self.platform.url("intake", "/v1/requests"), json=BODY, headers={"Idempotency-Key": key}
                )
            except httpx.HTTPError:
                response = None
            if response is not None and response.status_code == 202:
                return str(response.json()["tracking_number"])
            if response is not None and response.status_code not in (503, 504):
                raise AssertionError(f"submission {key}: {response.status_code} {response.text}")
            self.retries["submit"] += 1
            await asyncio.sleep(0.5)
        raise AssertionError(f"submission {key} never accepted within 60 s")

    async def report_over_http(self, http: httpx.AsyncClient) -> None:
        while True:
            tn = await self.http_reports.get()
            try:
                await self._report_over_http(http, tn)
            finally:
                self.http_reports.task_done()

    async def _report_over_http(self, http: httpx.AsyncClient, tn: str) -> None:
        body = {"tracking_number": tn, "status": "accepted", "officer_id": OFFICER, "note": "via HTTP"}
        headers = {"Authorization": f"Bearer {self.api_key}", "Idempotency-Key": f"accept-{tn}"}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                response = await http.post(
                    self.platform.url("intake", "/v1/agency/status"), json=body, headers=headers
                )
            except httpx.HTTPError:
                response = None
            if response is not None and response.status_code == 202:
                self.reported_http.add(tn)
                return
            # 403/404: intake's read model has not seen the assignment yet; 503: a fault
            if response is not None and response.status_code not in (403, 404, 503, 504):
                raise AssertionError(f"report on {tn}: {response.status_code} {response.text}")
            self.retries["http_report"] += 1
            await asyncio.sleep(0.5)
        raise AssertionError(f"the HTTP report on {tn} was never accepted within 60 s")

    async def on_assignment(self, client: AgencyClient, assigned: RequestAssigned) -> None:
        tn = assigned.tracking_number
        if tn in self.assigned:
            return  # a redelivery: already reported
        self.assigned.append(tn)
        if len(self.assigned) % 2:
            await self.http_reports.put(tn)
            return
        deadline = time.monotonic() + 60
        while True:
            try:
                await client.accept(tn, officer_id=OFFICER, note="via Kafka")
                self.reported_kafka.add(tn)
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                self.retries["kafka_report"] += 1
                await asyncio.sleep(0.5)


# --- the test ----------------------------------------------------------------------------------------


async def test_postgres_and_broker_stalls_under_traffic_lose_nothing_and_dead_letter_nothing(
    platform: Platform,
) -> None:
    _pid("postgres"), _pid("kafka")  # fails early, before any traffic, where the stack is not ours
    started = time.monotonic()
    # Broker requests time out well within the stall, so that the services see the fault as errors
    # (expired batches, timed-out fetches and commits) and must classify them, not just wait it out.
    platform.env["KAFKA_REQUEST_TIMEOUT_MS"] = "3000"
    await platform.start()
    applied = await asyncio.to_thread(
        platform.cli, "catalog", "apply", str(ROOT / "deploy/catalog/demo.yaml")
    )
    assert applied.returncode == 0, applied.stdout + applied.stderr
    bootstrap = platform.env["KAFKA_BOOTSTRAP_SERVERS"]
    system = await onboard_agency(bootstrap, platform.topics, AGENCY)

    async with httpx.AsyncClient(timeout=10) as http:
        api_key = await eventually(lambda: _agency_key(http, platform), timeout=30, interval=0.5)
        traffic = Traffic(platform, api_key)
        client = AgencyClient(AGENCY, settings=system)
        async with client:

            @client.on_assignment
            async def handle(assigned: RequestAssigned) -> None:
                await traffic.on_assignment(client, assigned)

            await client.listen()
            # The first request is accepted once intake has read the catalog.
            first = await eventually(lambda: _first_submission(http, platform), timeout=30, interval=0.5)
            traffic.accepted["faults-first"] = first
            tasks = [asyncio.create_task(traffic.submit_forever(http, worker)) for worker in range(2)] + [
                asyncio.create_task(traffic.report_over_http(http)) for _ in range(2)
            ]
            try:
                await _sleep_watching(tasks, 5)
                with frozen("postgres"):
                    await _sleep_watching(tasks, POSTGRES_STALL)
                await _sleep_watching(tasks, 6)
                with frozen("kafka"):
                    await _sleep_watching(tasks, KAFKA_STALL)
                await _sleep_watching(tasks, 6)
                traffic.running = False
                await asyncio.wait_for(asyncio.gather(*tasks[:2]), 70)
                # Every accepted request reaches the agency, which reports on it.
                accepted = set(traffic.accepted.values())
                await eventually(
                    lambda: _all_reported(traffic, accepted, tasks[2:]), timeout=60, interval=0.5
                )
                await asyncio.wait_for(traffic.http_reports.join(), 70)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

        await _assert_applied_everywhere(http, platform, accepted)

    settings = KafkaSettings(kafka_bootstrap_servers=bootstrap)
    letters = await _all_records(settings, platform.topics.deadletter)
    assert not letters, "transient faults were dead-lettered:\n" + "\n".join(
        f"{dict((k, v.decode(errors='replace')) for k, v in r.headers)}" for r in letters[:5]
    )
    _assert_lifecycle_order(await _all_records(settings, platform.topics.lifecycle), accepted)
    assert len(accepted) >= 10, f"too little traffic to mean anything: {len(accepted)} requests"
    assert traffic.reported_kafka and traffic.reported_http
    assert time.monotonic() - started < 150, "the test is meant to stay short"
    print(
        f"{len(accepted)} requests, {len(traffic.reported_kafka)} reported over Kafka, "
        f"{len(traffic.reported_http)} over HTTP; retries {traffic.retries}; "
        f"{time.monotonic() - started:.0f} s"
    )


async def _sleep_watching(tasks: list[asyncio.Task[None]], seconds: float) -> None:
    """Sleep, but fail at once if a traffic task failed (a refused submission or report)."""
    done, _ = await asyncio.wait(tasks, timeout=seconds, return_when=asyncio.FIRST_EXCEPTION)
    for task in done:
        task.result()


async def _agency_key(http: httpx.AsyncClient, platform: Platform) -> str | None:
    response = await http.post(
        platform.url("intake", f"/v1/admin/agencies/{AGENCY}/keys"), headers=platform.headers("administrator")
    )
    if response.status_code == 201:
        return str(response.json()["api_key"])
    assert response.status_code in (404, 503), response.text  # until intake has read the catalog
    return None


async def _first_submission(http: httpx.AsyncClient, platform: Platform) -> str | None:
    response = await http.post(
        platform.url("intake", "/v1/requests"), json=BODY, headers={"Idempotency-Key": "faults-first"}
    )
    if response.status_code == 202:
        return str(response.json()["tracking_number"])
    assert response.status_code in (422, 503), response.text
    return None


async def _all_reported(traffic: Traffic, accepted: set[str], reporters: list[asyncio.Task[None]]) -> bool:
    for task in reporters:
        if task.done():
            task.result()
    missing = accepted - set(traffic.assigned)
    assert not missing, (
        f"{len(missing)} accepted requests never reached the agency, e.g. {sorted(missing)[:3]}"
    )
    return True


async def _assert_applied_everywhere(http: httpx.AsyncClient, platform: Platform, accepted: set[str]) -> None:
    operator = platform.headers()

    async def converged() -> bool:
        for tn in sorted(accepted):
            routing = await http.get(
                platform.url("routing", f"/v1/requests/{tn}/assignment"), headers=operator
            )
            assert routing.status_code == 200, f"routing does not know {tn}: {routing.text}"
            doc = routing.json()
            assert (doc["agency_code"], doc["status"]) == (AGENCY, "accepted"), f"{tn} in routing: {doc}"
            timeline = await http.get(
                platform.url("performance", f"/v1/requests/{tn}/timeline"), headers=operator
            )
            assert timeline.status_code == 200, f"performance does not know {tn}: {timeline.text}"
            statuses = [e["status"] for e in timeline.json()["events"] if e["status"]]
            assert statuses == ORDER, f"{tn}'s timeline in performance: {statuses}"
            status = await http.get(platform.url("intake", f"/v1/requests/{tn}"))
            assert status.status_code == 200 and status.json()["status"] == doc["status"], (
                f"{tn}: intake shows {status.status_code} {status.text}, routing {doc['status']}"
            )
        return True

    await eventually(converged, timeout=60, interval=1.0)


async def _all_records(settings: KafkaSettings, topic: str) -> list[Any]:
    """Every record of ``topic``, from the start to its current end."""
    consumer = create_consumer(settings, client_id="tests-faults-reader", group_id=None)
    await consumer.start()
    try:
        assert topic in await consumer.topics(), f"no topic {topic}"
        consumer.subscribe([topic])  # without a group: every partition, once the metadata is known
        deadline = time.monotonic() + 15
        while not consumer.assignment():
            assert time.monotonic() < deadline, f"no partitions of {topic} assigned"
            await asyncio.sleep(0.05)
        partitions = sorted(consumer.assignment(), key=lambda tp: tp.partition)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[Any] = []
        deadline = time.monotonic() + 30
        while [p for p in partitions if await consumer.position(p) < ends[p]]:
            assert time.monotonic() < deadline, f"could not read {topic} to its end"
            for part in (await consumer.getmany(timeout_ms=1000)).values():
                records.extend(part)
        return records
    finally:
        await consumer.stop()


def _assert_lifecycle_order(records: list[Any], accepted: set[str]) -> None:
    """Per request, the distinct lifecycle events on the topic are submitted, routed, accepted, in order."""
    seen: set[str] = set()
    per_request: dict[str, list[str]] = {}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        envelope = decode(record.value, record.headers)
        if envelope.id in seen:
            continue  # an at-least-once duplicate: consumers deduplicate it by id
        seen.add(envelope.id)
        status = STATUS_OF_EVENT.get(envelope.type)
        if status is not None:
            per_request.setdefault(str(envelope.data["tracking_number"]), []).append(status.value)
    wrong = {tn: per_request.get(tn) for tn in sorted(accepted) if per_request.get(tn) != ORDER}
    assert not wrong, (
        f"lifecycle out of order or incomplete for {len(wrong)} requests: {list(wrong.items())[:3]}"
    )
