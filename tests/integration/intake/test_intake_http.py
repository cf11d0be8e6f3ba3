"""Submitting over HTTP stores the request on the lifecycle topic before answering 202."""

from __future__ import annotations

import json

import pytest

from satupintu_shared.envelope import decode
from satupintu_shared.events import RequestSubmitted
from satupintu_shared.topics import Topics
from tests.support.kafka import read_records

from .catalog_fixture import valid_body
from .conftest import RunIntake

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def test_a_valid_request_is_published_as_submitted_and_answered_202(
    run_intake: RunIntake, kafka_bootstrap: str, topics: Topics
) -> None:
    async with run_intake() as client:
        response = await client.post("/v1/requests", json=valid_body())
        assert response.status_code == 202, response.text
        body = response.json()
        tn = body["tracking_number"]
        assert body["status"] == "submitted"
        assert len(body["trace_id"]) == 32
        assert response.headers["location"] == f"/v1/requests/{tn}"

        records = await read_records(kafka_bootstrap, topics.lifecycle, count=1)
        envelope = decode(records[0].value, records[0].headers)
        event = envelope.parse()
        assert isinstance(event, RequestSubmitted)
        assert envelope.type == RequestSubmitted.EVENT_TYPE
        assert records[0].key == tn.encode()
        assert event.tracking_number == tn
        assert event.applicant.nik == "3273010101900001"
        assert event.attributes == {"reason": "lost", "copies": 1}
        assert dict(records[0].headers)["traceparent"].decode().split("-")[1] == body["trace_id"]


async def test_the_status_view_shows_the_request_with_personal_data_masked(run_intake: RunIntake) -> None:
    async with run_intake() as client:
        tn = (await client.post("/v1/requests", json=valid_body())).json()["tracking_number"]
        for _ in range(100):
            view = await client.get(f"/v1/requests/{tn}")
            if view.status_code == 200:
                break
        assert view.status_code == 200, view.text
        doc = view.json()
        assert doc["status"] == "submitted"
        assert doc["applicant"]["nik"] == "3273********0001"
        assert "Budi" not in json.dumps(doc) and "3273010101900001" not in json.dumps(doc)
        assert doc["service_name"] == "Penggantian KTP-el"
        assert doc["region_name"] == "Sukasari"


async def test_invalid_fields_are_listed_in_one_problem_in_indonesian_on_request(
    run_intake: RunIntake,
) -> None:
    body = valid_body(region_code="99.99", applicant={"nik": "123", "name": "X"}, attributes={"reason": "x"})
    async with run_intake() as client:
        response = await client.post("/v1/requests", json=body, headers={"Accept-Language": "id-ID,id;q=0.9"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["title"] == "Validasi gagal"
    pointers = {e["pointer"]: e["detail"] for e in problem["errors"]}
    assert set(pointers) == {"/region_code", "/applicant/nik", "/attributes/reason"}
    assert pointers["/applicant/nik"] == "NIK harus terdiri dari 16 digit angka"


async def test_wrong_content_type_malformed_json_and_oversized_bodies_are_4xx(run_intake: RunIntake) -> None:
    async with run_intake() as client:
        wrong_type = await client.post("/v1/requests", content=b"a=b", headers={"content-type": "text/plain"})
        malformed = await client.post(
            "/v1/requests", content=b"{", headers={"content-type": "application/json"}
        )
        big = await client.post("/v1/requests", json=valid_body(description="x" * 70_000))
        unknown = await client.post("/v1/requests", json=valid_body(colour="red"))
    assert wrong_type.status_code == 415
    assert malformed.status_code == 400
    assert big.status_code == 413
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["pointer"] == "/colour"


async def test_a_mistyped_tracking_number_gets_a_404_with_a_hint(run_intake: RunIntake) -> None:
    async with run_intake() as client:
        tn = (await client.post("/v1/requests", json=valid_body())).json()["tracking_number"]
        typo = tn[:4] + ("A" if tn[4] != "A" else "B") + tn[5:]
        response = await client.get(f"/v1/requests/{typo}")
    assert response.status_code == 404
    assert "mistyped" in response.json()["detail"]


async def test_a_batch_takes_good_items_and_reports_bad_ones(
    run_intake: RunIntake, kafka_bootstrap: str, topics: Topics
) -> None:
    items = [valid_body(idempotency_key=f"b-{i}") for i in range(5)]
    items[2] = valid_body(service_code="nope")
    async with run_intake() as client:
        response = await client.post("/v1/requests:batch", json={"items": items})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [202, 202, 422, 202, 202]
    assert results[2]["errors"][0]["pointer"] == "/items/2/service_code"
    records = await read_records(kafka_bootstrap, topics.lifecycle, count=4)
    assert {r.key.decode() for r in records} == {r["tracking_number"] for r in results if r["status"] == 202}
