"""Hostile input at every door of intake (HTTP, batch, Open311, the agency HTTP API, the survey, the Kafka
ingress): oversized fields and items, control characters, lone surrogates, huge numbers and out-of-range
values are refused with a 4xx naming the field (or dead-lettered with the field's reason), and a fresh
valid request is still accepted afterwards."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from satupintu_shared.broker import DLQ_KIND, DLQ_REASON, EventPublisher, create_broker
from satupintu_shared.catalog import CATALOG_KEY
from satupintu_shared.envelope import decode
from satupintu_shared.events import SubmissionReceipt
from satupintu_shared.settings import KafkaSettings
from satupintu_shared.topics import Topics
from tests.support.kafka import produce, read_records

from .catalog_fixture import BANDUNG_AGENCY, KTP, valid_body
from .conftest import RunIntake, admin_headers
from .hostile_catalog import applied_with_text
from .test_intake_agency_http import OFFICER, _create_key, _routed_request
from .test_intake_kafka_ingress import binary_headers, publish_as, submission
from .test_intake_open311_survey import ANSWERS, FORM

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

JSON = {"content-type": "application/json"}
HUGE = "7" * 5000
MEGA = "x" * 1_500_000


@pytest.fixture
async def text_catalog(kafka_bootstrap: str, service_env: dict[str, str], catalog_published: None) -> None:
    """A later catalog version whose KTP service has free-text attributes (``statement``, ``essay``)."""
    settings = KafkaSettings(
        kafka_bootstrap_servers=kafka_bootstrap, topic_prefix=service_env["SATUPINTU_TOPIC_PREFIX"]
    )
    broker = create_broker(settings, service="intake-test")
    await broker.start()
    try:
        await EventPublisher(broker, source="/tests").publish(
            settings.topics.catalog, applied_with_text(), key=CATALOG_KEY, subject=CATALOG_KEY
        )
    finally:
        await broker.stop()


async def _until_text_catalog(client: httpx.AsyncClient) -> None:
    for _ in range(100):
        definition = (await client.get(f"/open311/v2/services/{KTP}.json")).json()
        if "statement" in {a["code"] for a in definition.get("attributes", [])}:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the catalog with text attributes never arrived")


def fields(response: httpx.Response) -> dict[str, str]:
    """pointer → code of a problem document's field errors."""
    return {e["pointer"]: e["code"] for e in response.json()["errors"]}


def raw_body(text: str) -> bytes:
    """A JSON body written by hand (the standard library cannot write lone surrogates or huge numbers)."""
    return text.encode()


async def _still_accepts(client: httpx.AsyncClient) -> None:
    fresh = await client.post("/v1/requests", json=valid_body())
    assert fresh.status_code == 202, fresh.text
    view = await client.get(fresh.json()["links"]["status"])
    assert view.status_code in (200, 404)  # the read model may lag; another slice makes it read-your-write


async def test_hostile_submissions_are_refused_with_the_field_named(run_intake: RunIntake) -> None:
    body = json.dumps(valid_body())
    async with run_intake(INTAKE_MAX_ITEM_BYTES="2048") as client:
        huge = await client.post(
            "/v1/requests", content=body.replace('"copies": 1', f'"copies": {HUGE}'), headers=JSON
        )
        surrogate = await client.post(
            "/v1/requests", content=body.replace("KTP hilang", "KTP \\ud800"), headers=JSON
        )
        control = await client.post("/v1/requests", json=valid_body(description="KTP\u0000hilang"))
        key_control = await client.post("/v1/requests", json={**valid_body(), "x\u001b": 1})
        out_of_range = await client.post(
            "/v1/requests",
            json=valid_body(attributes={"reason": "lost", "copies": 2**60, "lost_on": "1000-01-01"}),
        )
        too_large = await client.post("/v1/requests", json=valid_body(description="x" * 3000))
        await _still_accepts(client)
    assert huge.status_code == 400 and huge.headers["content-type"] == "application/problem+json"
    assert fields(huge) == {"/attributes/copies": "number_too_long"}
    assert surrogate.status_code == 400 and fields(surrogate) == {"/description": "invalid_unicode"}
    assert control.status_code == 422 and fields(control) == {"/description": "control_character"}
    assert key_control.status_code == 422 and fields(key_control) == {"/x\\x1b": "control_character"}
    assert fields(out_of_range) == {
        "/attributes/copies": "out_of_range",
        "/attributes/lost_on": "out_of_range",
    }
    assert too_large.status_code == 422 and fields(too_large) == {"/": "item_too_large"}


@pytest.mark.usefixtures("text_catalog")
async def test_a_batch_refuses_each_hostile_item_and_accepts_the_others(run_intake: RunIntake) -> None:
    items = [
        json.dumps(valid_body()),
        json.dumps(valid_body(attributes={"reason": "lost", "statement": MEGA})),
        json.dumps(valid_body(description="\\ud800")).replace("\\\\ud800", "\\ud800"),
        json.dumps(valid_body()).replace('"copies": 1', f'"copies": {HUGE}'),
        json.dumps(valid_body(attributes={"reason": "lost", "essay": "y" * 9000})),
        json.dumps(valid_body(applicant={"nik": "3273010101900001", "name": "Bu\u0007di"})),
        json.dumps({**valid_body(), "idempotency_key": "k" * 5000}),
    ]
    async with run_intake() as client:
        await _until_text_catalog(client)
        response = await client.post(
            "/v1/requests:batch", content=raw_body('{"items": [' + ",".join(items) + "]}"), headers=JSON
        )
        await _still_accepts(client)
    assert response.status_code == 200, response.text[:2000]
    results = response.json()["results"]
    assert [r["status"] for r in results] == [202, 422, 422, 422, 202, 422, 422]
    errors = [{e["pointer"]: e["code"] for e in r.get("errors", [])} for r in results]
    assert errors[1] == {"/items/1/attributes/statement": "too_long", "/items/1": "item_too_large"}
    assert errors[2] == {"/items/2/description": "invalid_unicode"}
    assert errors[3] == {"/items/3/attributes/copies": "number_too_long"}
    assert errors[5] == {"/items/5/applicant/name": "control_character"}
    assert errors[6] == {"/items/6/idempotency_key": "too_long"}


async def test_open311_refuses_hostile_forms_naming_the_parameter(run_intake: RunIntake) -> None:
    async with run_intake(INTAKE_OPEN311_API_KEYS="k1") as client:
        post = "/open311/v2/requests.json"
        control = await client.post(post, data={**FORM, "first_name": "Bu\u0001di"})
        huge = await client.post(post, data={**FORM, "attribute[copies]": HUGE})
        old = await client.post(post, data={**FORM, "attribute[lost_on]": "0999-12-31"})
        big = await client.post(post, data={**FORM, "attribute[copies]": str(2**60)})
        long_key = await client.post(post, data=FORM, headers={"Idempotency-Key": "k" * 201})
        fresh = await client.post(post, data=FORM)
        dates = [
            await client.get("/open311/v2/requests.json", params={"start_date": d, "end_date": d})
            for d in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-14:00", "1899-12-31")
        ]
        nul = await client.get("/open311/v2/requests.json", params={"service_code": "ktp\x00"})
    assert nul.status_code == 400 and nul.json()[0]["description"].startswith("service_code:")
    assert [d.status_code for d in dates] == [400, 400, 400]
    assert "dates must be between" in dates[0].json()[0]["description"]
    assert control.status_code == 400 and control.json()[0]["description"].startswith("first_name:")
    assert huge.status_code == 400 and huge.json()[0]["description"].startswith("attribute[copies]:")
    assert old.status_code == 400 and old.json()[0]["description"].startswith("attribute[lost_on]:")
    assert big.status_code == 400 and big.json()[0]["description"].startswith("attribute[copies]:")
    assert long_key.status_code == 400 and "Idempotency-Key" in long_key.json()[0]["description"]
    assert fresh.status_code == 201, fresh.text


@pytest.mark.usefixtures("agencies")
async def test_the_agency_api_refuses_hostile_reports_naming_the_field(
    run_intake: RunIntake, kafka_bootstrap: str, topics: Topics
) -> None:
    async with run_intake(INTAKE_MAX_TEXT_FIELD_CHARS="100") as client:
        key = await _create_key(client, BANDUNG_AGENCY)
        auth = {"Authorization": f"Bearer {key['api_key']}"}
        tn = await _routed_request(client, kafka_bootstrap, topics, BANDUNG_AGENCY)
        report = {"tracking_number": tn, "status": "in_progress", "officer_id": OFFICER}

        async def send(body: Any, raw: str | None = None) -> httpx.Response:
            content = raw_body(raw) if raw is not None else json.dumps(body).encode()
            return await client.post("/v1/agency/status", content=content, headers={**auth, **JSON})

        control = await send({**report, "note": "ok\u0000"})
        long_note = await send({**report, "note": "n" * 101})
        surrogate = await send(None, json.dumps({**report, "note": "@"}).replace('"@"', '"\\udc00"'))
        huge = await send(None, json.dumps({**report, "extra": "@"}).replace('"@"', HUGE))
        applied = await send({**report, "note": "berkas\nlengkap"})
        admin = [
            await client.get("/v1/admin/agencies/x%00y/keys", headers=admin_headers()),
            await client.delete("/v1/admin/agencies/x%00y/keys/abc", headers=admin_headers()),
        ]
    assert [a.status_code for a in admin] == [404, 404]
    assert control.status_code == 422 and fields(control) == {"/note": "control_character"}
    assert long_note.status_code == 422 and fields(long_note) == {"/note": "too_long"}
    assert surrogate.status_code == 400 and fields(surrogate) == {"/note": "invalid_unicode"}
    assert huge.status_code == 400 and fields(huge) == {"/extra": "number_too_long"}
    assert applied.status_code == 202, applied.text


async def test_the_survey_refuses_hostile_answers_naming_the_field(run_intake: RunIntake) -> None:
    async with run_intake() as client:
        tn = (await client.post("/v1/requests", json=valid_body())).json()["tracking_number"]
        path = f"/v1/requests/{tn}/survey"
        text = json.dumps(ANSWERS)
        huge = await client.post(path, content=text.replace('"cost": 4', f'"cost": {HUGE}'), headers=JSON)
        surrogate = await client.post(path, content=text[:-1] + ', "\\ud800": 1}', headers=JSON)
        out_of_range = await client.post(path, json={**ANSWERS, "cost": 2**70})
        await _still_accepts(client)
    assert huge.status_code == 400 and fields(huge) == {"/cost": "number_too_long"}
    assert surrogate.status_code == 400 and fields(surrogate) == {"/\\ud800": "invalid_unicode"}
    assert out_of_range.status_code == 422 and fields(out_of_range) == {"/cost": "number_too_large"}


@pytest.mark.usefixtures("text_catalog")
async def test_hostile_kafka_submissions_are_dead_lettered_with_the_field_reasons(
    run_intake: RunIntake, kafka_bootstrap: str, topics: Topics, agencies: dict[str, Any]
) -> None:
    bandung, own = agencies[BANDUNG_AGENCY], topics.agency_submissions(BANDUNG_AGENCY)
    hostile = [
        json.dumps(submission(reference="H-1", description="a\u0000b")),
        json.dumps(submission(reference="H-2", description="@")).replace('"@"', '"\\ud800"'),
        json.dumps(submission(reference="H-3")).replace('"copies": 1', f'"copies": {HUGE}'),
        json.dumps(submission(reference="H-4", attributes={"reason": "lost", "statement": "s" * 200_000})),
        json.dumps(submission(reference="H-5", attributes={"reason": "lost", "lost_on": "3000-01-01"})),
    ]
    async with run_intake() as client:
        await _until_text_catalog(client)
        # One key: one partition, so once the valid one is receipted every hostile one was handled.
        for value in hostile:
            await produce(kafka_bootstrap, own, value.encode(), key=b"same", headers=binary_headers())
        await publish_as(bandung, own, submission(reference="OK-1"), key=b"same")
        receipts = await read_records(kafka_bootstrap, topics.inbox(BANDUNG_AGENCY), count=1)
        dead = await read_records(kafka_bootstrap, topics.deadletter, count=len(hostile))
    receipt = decode(receipts[0].value, receipts[0].headers).parse()
    assert isinstance(receipt, SubmissionReceipt) and receipt.reference == "OK-1"
    reasons = [{k: v.decode() for k, v in r.headers}[DLQ_REASON] for r in dead]
    kinds = [{k: v.decode() for k, v in r.headers}[DLQ_KIND] for r in dead]
    # The 5000-digit number fails in the shared CloudEvent decoder (before intake's validation), which
    # cannot name the field: it is dead-lettered as invalid JSON with Python's own reason.
    assert kinds == ["invalid"] * 5, reasons
    expected = [
        "/description: contains a control character",
        "/description: contains a lone surrogate",
        "4300",
        "/attributes/statement: must be at most 4000 characters",
        "/attributes/lost_on: must be between",
    ]
    for reason, part in zip(reasons, expected, strict=True):
        assert part in reason, reasons
