"""The Open311 facade submits and lists requests; the survey opens once, after completion."""

from __future__ import annotations

import asyncio
from pathlib import Path
from xml.etree import ElementTree as ET

import httpx
import pytest

from satupintu_shared.envelope import decode, encode
from satupintu_shared.events import RequestCompleted, SurveyAnswered, utc_now
from satupintu_shared.topics import Topics
from tests.support.kafka import produce, read_records

from .catalog_fixture import BANDUNG_AGENCY, KTP, valid_body
from .conftest import RunIntake

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

FORM = {
    "api_key": "k1",
    "service_code": KTP,
    "region_code": "32.73.01",
    "nik": "3273010101900001",
    "first_name": "Budi",
    "last_name": "Santoso",
    "attribute[reason]": "damaged",
    "attribute[urgent]": "true",
    "attribute[copies]": "2",
    "address_string": "Jl. Setiabudi No. 10",
    "description": "KTP rusak",
}
ANSWERS = dict.fromkeys(
    [
        "requirements",
        "procedure",
        "completion_time",
        "cost",
        "product_specification",
        "officer_competence",
        "officer_behaviour",
        "facilities",
        "complaint_handling",
    ],
    4,
)


async def _visible(client: httpx.AsyncClient, path: str) -> httpx.Response:
    for _ in range(100):
        response = await client.get(path)
        if response.status_code == 200 and response.content not in (b"[]",):
            return response
        await asyncio.sleep(0.05)
    raise AssertionError(f"{path} never became visible")


async def test_open311_submits_form_encoded_requests_and_lists_them(
    run_intake: RunIntake, kafka_bootstrap: str, topics: Topics
) -> None:
    async with run_intake(INTAKE_OPEN311_API_KEYS="k1,k2") as client:
        services = await client.get("/open311/v2/services.xml")
        definition = (await client.get(f"/open311/v2/services/{KTP}.json")).json()
        forbidden = await client.post("/open311/v2/requests.json", data={**FORM, "api_key": "bad"})
        created = await client.post("/open311/v2/requests.json", data=FORM)
        bad = await client.post("/open311/v2/requests.xml", data={**FORM, "nik": "12"})
        assert created.status_code == 201, created.text
        tn = created.json()[0]["service_request_id"]
        one = (await _visible(client, f"/open311/v2/requests/{tn}.json")).json()[0]
        listed = (await client.get("/open311/v2/requests.json", params={"service_code": KTP})).json()
        missing = await client.get("/open311/v2/requests/SP-0000-0000-0000-0.json")
    assert ET.fromstring(services.content).find("service/service_code").text == KTP  # type: ignore[union-attr]
    assert {a["code"]: a["datatype"] for a in definition["attributes"]}["copies"] == "number"
    assert forbidden.status_code == 403 and forbidden.json()[0]["code"] == 403
    assert bad.status_code == 400 and "nik" in ET.fromstring(bad.content).find("error/description").text  # type: ignore[operator,union-attr]
    assert one["status"] == "open" and one["status_notes"] == "submitted" and one["address_id"] == "32.73.01"
    assert [r["service_request_id"] for r in listed] == [tn]
    assert missing.status_code == 404
    records = await read_records(kafka_bootstrap, topics.lifecycle, count=1)
    event = decode(records[0].value, records[0].headers).parse()
    assert event.channel == "open311"  # type: ignore[attr-defined]
    assert event.attributes == {"reason": "damaged", "urgent": True, "copies": 2}  # type: ignore[attr-defined]
    assert "Jl. Setiabudi" in event.description  # type: ignore[attr-defined]


async def test_without_configured_api_keys_every_open311_post_is_refused(
    run_intake: RunIntake, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    async with run_intake(INTAKE_OPEN311_API_KEYS="") as client:
        refused = [
            await client.post("/open311/v2/requests.json", data={**FORM, "api_key": key})
            for key in ("k1", "", "anything")
        ]
        without = await client.post(
            "/open311/v2/requests.xml", data={k: v for k, v in FORM.items() if k != "api_key"}
        )
        listing = await client.get("/open311/v2/services.json")  # reading stays public
    assert [r.status_code for r in refused] == [403, 403, 403]
    assert refused[0].json() == [{"code": 403, "description": "api_key is missing or not valid"}]
    assert without.status_code == 403 and b"<code>403</code>" in without.content
    assert listing.status_code == 200
    assert "no Open311 api_key is configured" in capfd.readouterr().err  # the service logs JSON to stderr

    keys = tmp_path / "open311-api-keys"
    keys.write_text("from-a-file-1\n\nfrom-a-file-2\n")
    async with run_intake(INTAKE_OPEN311_API_KEYS="", INTAKE_OPEN311_API_KEYS_FILE=str(keys)) as client:
        accepted = await client.post("/open311/v2/requests.json", data={**FORM, "api_key": "from-a-file-2"})
        other = await client.post("/open311/v2/requests.json", data={**FORM, "api_key": "k1"})
    assert accepted.status_code == 201, accepted.text
    assert other.status_code == 403


async def test_the_survey_is_taken_once_and_only_after_completion(
    run_intake: RunIntake, kafka_bootstrap: str, topics: Topics
) -> None:
    async with run_intake() as client:
        tn = (await client.post("/v1/requests", json=valid_body())).json()["tracking_number"]
        await _visible(client, f"/v1/requests/{tn}")
        too_early = await client.post(f"/v1/requests/{tn}/survey", json=ANSWERS)
        completed = RequestCompleted(
            tracking_number=tn, occurred_at=utc_now(), agency_code=BANDUNG_AGENCY, report_id="r-1"
        )
        value, headers = encode(completed, source="/tests")
        await produce(
            kafka_bootstrap,
            topics.lifecycle,
            value,
            key=tn.encode(),
            headers=[(k, v.encode()) for k, v in headers.items()],
        )
        for _ in range(100):
            if (await client.get(f"/v1/requests/{tn}")).json()["status"] == "completed":
                break
            await asyncio.sleep(0.05)
        out_of_range = await client.post(f"/v1/requests/{tn}/survey", json={**ANSWERS, "cost": 5})
        answered = await client.post(f"/v1/requests/{tn}/survey", json=ANSWERS)
        twice = await client.post(f"/v1/requests/{tn}/survey", json=ANSWERS)
    assert too_early.status_code == 409
    assert out_of_range.status_code == 422 and out_of_range.json()["errors"][0]["pointer"] == "/cost"
    assert answered.status_code == 201
    assert twice.status_code == 409
    records = await read_records(kafka_bootstrap, topics.lifecycle, count=3)
    surveys = [decode(r.value, r.headers).parse() for r in records if b"survey" in dict(r.headers)["ce_type"]]
    assert len(surveys) == 1 and isinstance(surveys[0], SurveyAnswered)
    assert surveys[0].agency_code == BANDUNG_AGENCY and surveys[0].answers.cost == 4
