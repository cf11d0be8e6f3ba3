"""Hostile input at every door, then the pipeline still works end to end: the platform as processes
takes oversized, malformed and out-of-range input over HTTP and Kafka; each is refused at the door with
a 4xx or dead-lettered with its reason, and afterwards a fresh request is routed, shown to the citizen,
stored by performance, and an agency report still applies."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from satupintu_shared.broker import DLQ_REASON, DLQ_TOPIC
from satupintu_shared.kafka_clients import create_producer
from satupintu_shared.settings import KafkaSettings
from tests.e2e.test_e2e_faults import AGENCY, BODY, OFFICER, _agency_key, _all_records
from tests.support.kafka import eventually
from tests.support.platform import ROOT, Platform
from tests.support.security import onboard_agency

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]


async def _send(settings: KafkaSettings, topic: str, value: bytes, headers: dict[str, str]) -> None:
    # gzip, and a request limit above the broker's record limit: the broker judges the compressed batch
    producer = create_producer(
        settings, client_id="hostile", compression_type="gzip", max_request_size=8 * 1024 * 1024
    )
    await producer.start()
    try:
        await producer.send_and_wait(
            topic, value, key=b"SP-HOSTILE", headers=[(k, v.encode()) for k, v in headers.items()]
        )
    finally:
        await producer.stop()


def _cloudevent(event_type: str) -> dict[str, str]:
    return {
        "ce_specversion": "1.0",
        "ce_id": str(uuid.uuid4()),
        "ce_type": event_type,
        "ce_source": "/hostile",
        "content-type": "application/json",
    }


async def test_after_hostile_input_at_every_door_a_fresh_request_goes_all_the_way(
    platform: Platform,
) -> None:
    await platform.start()
    applied = platform.cli("catalog", "apply", str(ROOT / "deploy/catalog/demo.yaml"))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    bootstrap = platform.env["KAFKA_BOOTSTRAP_SERVERS"]
    topics = platform.topics
    agency = await onboard_agency(bootstrap, topics, AGENCY)
    admin = KafkaSettings(kafka_bootstrap_servers=bootstrap, topic_prefix=topics.prefix)
    intake = platform.url("intake", "/v1/requests")

    async with httpx.AsyncClient(timeout=30) as http:
        api_key = await eventually(lambda: _agency_key(http, platform), timeout=30, interval=0.5)
        json_header = {"Content-Type": "application/json"}
        # HTTP: a number too long to parse, a lone surrogate, a C0 control character, an oversized item
        huge = b'{"service_code": "ktp-el", "region_code": "32.73.01", "attributes": {"n": ' + b"9" * 5000
        refused = {
            "huge number": await http.post(intake, content=huge + b"}}", headers=json_header),
            "lone surrogate": await http.post(
                intake, content=b'{"description": "\\ud800"}', headers=json_header
            ),
            "control character": await http.post(intake, json={**BODY, "description": "a\u0007b"}),
        }
        for what, response in refused.items():
            assert 400 <= response.status_code < 500, f"{what}: {response.status_code} {response.text}"
            assert response.headers["content-type"].startswith("application/problem+json"), what
        batch = await http.post(
            platform.url("intake", "/v1/requests:batch"),
            json={"items": [BODY, {**BODY, "description": "x" * 1_500_000}]},
        )
        assert batch.status_code == 200, batch.text
        statuses = [item["status"] for item in batch.json()["results"]]
        assert statuses[0] == 202 and statuses[1] == 422, batch.json()["results"][1]

        # Kafka: 1.2 MB of undecodable bytes on the lifecycle (compressed below the broker's limit), an
        # unknown event type, and garbage on the agency's own submissions topic.
        poison = b"\xff" * 1_200_000  # not UTF-8; gzip makes it a few KiB on the wire
        await _send(admin, topics.lifecycle, poison, _cloudevent("id.satupintu.request.submitted.v1"))
        await _send(admin, topics.lifecycle, b'{"x": 1}', _cloudevent("id.satupintu.request.teleported.v9"))
        await _send(
            agency,
            topics.agency_submissions(AGENCY),
            b"\xff\xfe not json",
            _cloudevent("id.satupintu.intake.submission-requested.v1"),
        )

        # Afterwards the whole way works: routed, shown to the citizen, stored, and a report applies.
        fresh = await http.post(intake, json=BODY, headers={"Idempotency-Key": str(uuid.uuid4())})
        assert fresh.status_code == 202, fresh.text
        tn = fresh.json()["tracking_number"]
        operator = platform.headers()

        async def routed() -> bool:
            doc = (
                await http.get(platform.url("routing", f"/v1/requests/{tn}/assignment"), headers=operator)
            ).json()
            return bool(doc.get("agency_code") == AGENCY)

        await eventually(routed, timeout=30)
        report = await http.post(
            platform.url("intake", "/v1/agency/status"),
            json={"tracking_number": tn, "status": "accepted", "officer_id": OFFICER},
            headers={"Authorization": f"Bearer {api_key}", "Idempotency-Key": f"accept-{tn}"},
        )
        assert report.status_code == 202, report.text

        async def everywhere() -> bool:
            assignment = await http.get(
                platform.url("routing", f"/v1/requests/{tn}/assignment"), headers=operator
            )
            citizen = await http.get(platform.url("intake", f"/v1/requests/{tn}"))
            timeline = await http.get(
                platform.url("performance", f"/v1/requests/{tn}/timeline"), headers=operator
            )
            stored = [e["status"] for e in timeline.json().get("events", [])] if timeline.is_success else []
            return (
                assignment.json().get("status") == "accepted"
                and citizen.json().get("status") == "accepted"
                and "accepted" in stored
            )

        await eventually(everywhere, timeout=45, interval=0.5)

    # The Kafka garbage is in the dead letters with its reason: the lifecycle poison (from each service
    # that reads the lifecycle) and the agency's submission (from intake).
    letters = await _all_records(admin, topics.deadletter)
    by_source: dict[str, list[dict[str, Any]]] = {}
    for record in letters:
        headers = {k: v.decode(errors="replace") for k, v in record.headers}
        by_source.setdefault(headers[DLQ_TOPIC], []).append(headers)
    assert by_source.get(topics.lifecycle), by_source.keys()
    assert by_source.get(topics.agency_submissions(AGENCY)), by_source.keys()
    for headers in (h for hs in by_source.values() for h in hs):
        assert headers[DLQ_REASON], headers
