"""Idempotency keys identify what they were first used for, per client, for a limited time; a 503 after a
late acknowledgement is recovered by retrying with the same key (real broker and database)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
import pytest

from intake.adapters.idempotency import IdempotencyStore
from satupintu_shared.envelope import decode
from satupintu_shared.events import RequestSubmitted
from satupintu_shared.topics import Topics
from tests.support.kafka import read_records

from .catalog_fixture import BANDUNG_AGENCY, MUSI_RAWAS_AGENCY, valid_body
from .conftest import RunIntake
from .test_intake_agency_http import OFFICER, _create_key, _routed_request, route_to
from .test_intake_open311_survey import FORM

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def _auth(api_key: str, idempotency_key: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {api_key}"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    return headers


@pytest.mark.usefixtures("agencies")
async def test_a_key_reused_for_another_report_is_409_and_the_same_report_gets_the_first_answer(
    run_intake: RunIntake, kafka_bootstrap: str, topics: Topics
) -> None:
    async with run_intake() as client:
        api_key = (await _create_key(client, BANDUNG_AGENCY))["api_key"]
        tn = await _routed_request(client, kafka_bootstrap, topics, BANDUNG_AGENCY)
        other_tn = await _routed_request(client, kafka_bootstrap, topics, BANDUNG_AGENCY)
        report = {"tracking_number": tn, "status": "accepted", "officer_id": OFFICER, "note": "loket 3"}
        first = await client.post("/v1/agency/status", json=report, headers=_auth(api_key, "siak-1"))
        same = await client.post("/v1/agency/status", json=report, headers=_auth(api_key, "siak-1"))
        other_body = await client.post(
            "/v1/agency/status", json={**report, "note": "loket 4"}, headers=_auth(api_key, "siak-1")
        )
        other_status = await client.post(
            "/v1/agency/status", json={**report, "status": "in_progress"}, headers=_auth(api_key, "siak-1")
        )
        other_request = await client.post(
            "/v1/agency/status",
            json={**report, "tracking_number": other_tn},
            headers=_auth(api_key, "siak-1"),
        )
        next_report = await client.post(
            "/v1/agency/status", json={**report, "status": "in_progress"}, headers=_auth(api_key, "siak-2")
        )

    assert first.status_code == same.status_code == next_report.status_code == 202
    assert same.json() == first.json() and same.headers["Idempotent-Replayed"] == "true"
    assert first.headers["Idempotent-Replayed"] == "false"
    for conflict in (other_body, other_status, other_request):
        assert conflict.status_code == 409, conflict.text
        assert conflict.headers["content-type"].startswith("application/problem+json")
        assert "different report" in conflict.json()["detail"]
    assert next_report.json()["event_id"] != first.json()["event_id"]
    records = await read_records(kafka_bootstrap, topics.status(BANDUNG_AGENCY), count=2, timeout=10)
    assert [decode(r.value, r.headers).id for r in records] == [
        first.json()["event_id"],
        next_report.json()["event_id"],
    ]


@pytest.mark.usefixtures("agencies")
async def test_a_retried_report_gets_its_first_answer_after_the_request_moved_on(
    run_intake: RunIntake, kafka_bootstrap: str, topics: Topics
) -> None:
    async with run_intake() as client:
        api_key = (await _create_key(client, BANDUNG_AGENCY))["api_key"]
        tn = await _routed_request(client, kafka_bootstrap, topics, BANDUNG_AGENCY)
        returned = {"tracking_number": tn, "status": "returned", "reason": "bukan kewenangan kami"}
        first = await client.post("/v1/agency/status", json=returned, headers=_auth(api_key, "ret-1"))
        await route_to(client, kafka_bootstrap, topics, tn, MUSI_RAWAS_AGENCY)
        retry = await client.post("/v1/agency/status", json=returned, headers=_auth(api_key, "ret-1"))
        unkeyed = await client.post("/v1/agency/status", json=returned, headers=_auth(api_key))
    assert first.status_code == retry.status_code == 202
    assert retry.json() == first.json() and retry.headers["Idempotent-Replayed"] == "true"
    assert unkeyed.status_code == 403  # a new report: only the current assignee may send it


@pytest.mark.usefixtures("agencies")
async def test_agency_keys_are_scoped_to_their_agency(
    run_intake: RunIntake, kafka_bootstrap: str, topics: Topics
) -> None:
    async with run_intake() as client:
        bandung = (await _create_key(client, BANDUNG_AGENCY))["api_key"]
        musi = (await _create_key(client, MUSI_RAWAS_AGENCY))["api_key"]
        tn_b = await _routed_request(client, kafka_bootstrap, topics, BANDUNG_AGENCY)
        tn_m = await _routed_request(client, kafka_bootstrap, topics, MUSI_RAWAS_AGENCY)
        by_b = await client.post(
            "/v1/agency/status",
            json={"tracking_number": tn_b, "status": "accepted"},
            headers=_auth(bandung, "k-1"),
        )
        by_m = await client.post(
            "/v1/agency/status",
            json={"tracking_number": tn_m, "status": "accepted"},
            headers=_auth(musi, "k-1"),
        )
    assert by_b.status_code == by_m.status_code == 202, (by_b.text, by_m.text)
    assert by_b.json()["event_id"] != by_m.json()["event_id"]


async def test_citizen_keys_are_scoped_to_the_door_and_the_open311_client(run_intake: RunIntake) -> None:
    key = {"Idempotency-Key": "shared-key-1"}
    async with run_intake(INTAKE_OPEN311_API_KEYS="k1,k2") as client:
        k1 = await client.post("/open311/v2/requests.json", data=FORM, headers=key)
        k2 = await client.post("/open311/v2/requests.json", data={**FORM, "api_key": "k2"}, headers=key)
        k1_again = await client.post("/open311/v2/requests.json", data=FORM, headers=key)
        http = await client.post("/v1/requests", json=valid_body(), headers=key)
    assert k1.status_code == k2.status_code == k1_again.status_code == 201
    first, second = k1.json()[0]["service_request_id"], k2.json()[0]["service_request_id"]
    assert first != second
    assert k1_again.json()[0]["service_request_id"] == first
    assert http.status_code == 202 and http.json()["tracking_number"] not in (first, second)


async def test_keys_expire_after_the_configured_time(run_intake: RunIntake, database_url: str) -> None:
    key = {"Idempotency-Key": "expiring-1"}
    async with run_intake(INTAKE_IDEMPOTENCY_TTL_HOURS=str(1 / 3600)) as client:
        first = await client.post("/v1/requests", json=valid_body(), headers=key)
        conflict = await client.post("/v1/requests", json=valid_body(description="other"), headers=key)
        await asyncio.sleep(1.2)
        after = await client.post("/v1/requests", json=valid_body(description="other"), headers=key)
    assert first.status_code == after.status_code == 202 and conflict.status_code == 409
    assert after.json()["tracking_number"] != first.json()["tracking_number"]
    assert after.headers["idempotent-replayed"] == "false"

    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    try:
        await pool.execute(
            "INSERT INTO intake.idempotency_keys (key, fingerprint, tracking_number, occurred_at, created_at)"
            " VALUES ('http:old', 'f', 'SP-X', now(), now() - interval '73 hours'),"
            " ('http:new', 'f', 'SP-Y', now(), now() - interval '71 hours')"
        )
        store = IdempotencyStore(pool, timedelta(hours=72))
        assert await store.lookup("http:old") is None
        assert (found := await store.lookup("http:new")) is not None and found.tracking_number == "SP-Y"
        assert await store.purge_expired() >= 1
        left = {r["key"] for r in await pool.fetch("SELECT key FROM intake.idempotency_keys")}
    finally:
        await pool.close()
    assert "http:old" not in left and "http:new" in left


def _submitted_subjects(records: list) -> dict[str, set[str]]:  # type: ignore[type-arg]
    """Tracking number → the event ids of its ``RequestSubmitted`` records."""
    found: dict[str, set[str]] = {}
    for record in records:
        envelope = decode(record.value, record.headers)
        if envelope.type == RequestSubmitted.EVENT_TYPE:
            found.setdefault(envelope.subject or "", set()).add(envelope.id)
    return found


async def test_a_503_published_late_is_returned_by_a_retry_with_the_same_key(
    run_intake: RunIntake, kafka_bootstrap: str, topics: Topics
) -> None:
    keys = [f"late-{i}" for i in range(8)]
    timed_out: list[str] = []
    answered = 0
    async with run_intake(INTAKE_PUBLISH_TIMEOUT_SECONDS="0.002") as client:
        for key in keys:
            response = await client.post("/v1/requests", json=valid_body(), headers={"Idempotency-Key": key})
            if response.status_code == 503:
                timed_out.append(key)
                assert "may still have been accepted" in response.json()["detail"]
                assert "Idempotency-Key" in response.json()["detail"]
            else:
                assert response.status_code == 202
            answered += 1
        assert timed_out, "no publish timed out: the timeout was not tiny enough"
        # The broker acknowledges the timed-out records a moment later, behind the 503s.
        late = await read_records(kafka_bootstrap, topics.lifecycle, count=len(keys), timeout=15)
    before_retry = _submitted_subjects(late)
    assert len(before_retry) == len(keys)

    async with run_intake(INTAKE_PUBLISH_TIMEOUT_SECONDS="5") as client:
        retries = [
            await client.post("/v1/requests", json=valid_body(), headers={"Idempotency-Key": key})
            for key in keys
        ]
    assert all(r.status_code == 202 for r in retries), [r.text for r in retries]
    numbers = {r.json()["tracking_number"] for r in retries}
    # Every retry found the request its first attempt created: no second request for any key.
    assert numbers == set(before_retry)
    after = _submitted_subjects(
        await read_records(kafka_bootstrap, topics.lifecycle, count=len(keys), timeout=5)
    )
    assert set(after) == numbers and all(len(ids) == 1 for ids in after.values())
    assert answered == len(keys)
