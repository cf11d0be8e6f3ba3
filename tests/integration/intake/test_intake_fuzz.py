"""Property-based fuzzing of every door: whatever a client sends to POST /v1/requests, the batch, Open311,
the agency status API or the survey, intake never answers 5xx; whatever an agency system writes to its
submissions topic, the ingress carries on. After each, a fresh valid request is still accepted."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta, timezone
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from satupintu_shared.envelope import decode
from satupintu_shared.events import SubmissionReceipt
from satupintu_shared.settings import KafkaSettings
from satupintu_shared.topics import Topics
from tests.support.kafka import produce

from .catalog_fixture import BANDUNG_AGENCY, valid_body
from .conftest import RunIntake
from .test_intake_agency_http import OFFICER, _create_key
from .test_intake_kafka_ingress import binary_headers, everything_in, publish_as, submission
from .test_intake_open311_survey import ANSWERS, FORM

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

T = TypeVar("T")
#: Replaced, quotes included, by a 5,000-digit number literal once the body is written as JSON.
HUGE_MARK = "@@huge-number@@"
JSON = {"content-type": "application/json"}

hostile_text = st.sampled_from(
    [
        "\ud800",
        "a\udfffb",
        "\x00",
        "nul\x00x",
        "\x1b[31m",
        "tab\tok\r\n",
        "x" * 5000,
        "\u202e",
        "😀",
        HUGE_MARK,
    ]
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=True)
    | st.text(max_size=30)
    | hostile_text
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8) | hostile_text, inner, max_size=3)
    ),
    max_leaves=8,
)
fields = st.sampled_from(
    [
        "service_code",
        "region_code",
        "applicant",
        "attributes",
        "description",
        "channel",
        "submitted_by",
        "idempotency_key",
        "reference",
        "extra",
    ]
)
mutations = st.dictionaries(fields, values, max_size=4)
raw_bodies = st.binary(max_size=200)
report_fields = st.sampled_from(["tracking_number", "status", "officer_id", "note", "reason", "extra"])
survey_fields = st.sampled_from([*ANSWERS, "extra"])
form_fields = st.sampled_from(
    [*FORM, "attribute[lost_on]", "attribute[note]", "attribute[x]", "email", "phone", "lat", "long"]
)
form_values = st.text(max_size=30) | hostile_text.filter(lambda s: "\ud800" not in s and "\udfff" not in s)


def examples(strategy: st.SearchStrategy[T], count: int) -> list[T]:
    """``count`` examples drawn by hypothesis (the requests are then sent from the test's event loop)."""
    drawn: list[T] = []

    @settings(max_examples=count, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(strategy)
    def case(value: T) -> None:
        drawn.append(value)

    case()
    return drawn


def dumps(doc: Any) -> bytes:
    """``doc`` as JSON, lone surrogates escaped and ``HUGE_MARK`` turned into a 5,000-digit number."""
    return json.dumps(doc).replace(f'"{HUGE_MARK}"', "9" * 5000).encode()


async def _receipted(bootstrap: str, inbox: str, reference: str) -> bool:
    for record in await everything_in(bootstrap, inbox):
        receipt = decode(record.value, record.headers).parse()
        if isinstance(receipt, SubmissionReceipt) and receipt.reference == reference:
            return True
    return False


async def _still_accepts(client: httpx.AsyncClient) -> None:
    fresh = await client.post("/v1/requests", json=valid_body())
    assert fresh.status_code == 202, fresh.text


async def test_random_bodies_never_cause_a_server_error(run_intake: RunIntake) -> None:
    seen: list[int] = []
    async with run_intake() as client:
        for mutation, raw in examples(st.tuples(mutations, raw_bodies), 60):
            for content in (dumps({**valid_body(), **mutation}), raw):
                response = await client.post("/v1/requests", content=content, headers=JSON)
                seen.append(response.status_code)
                assert response.status_code < 500, (content[:300], response.text[:500])
        await _still_accepts(client)
    assert 202 in seen and 422 in seen and 400 in seen


async def test_random_batches_never_cause_a_server_error(run_intake: RunIntake) -> None:
    async with run_intake() as client:
        for batch in examples(st.lists(mutations, min_size=1, max_size=4), 30):
            items = [{**valid_body(), **mutation} for mutation in batch]
            response = await client.post("/v1/requests:batch", content=dumps({"items": items}), headers=JSON)
            assert response.status_code < 500, response.text[:500]
            if response.status_code == 200:
                statuses = [r["status"] for r in response.json()["results"]]
                assert len(statuses) == len(items) and all(s in (202, 409, 422) for s in statuses)
        await _still_accepts(client)


async def test_random_open311_forms_never_cause_a_server_error(run_intake: RunIntake) -> None:
    async with run_intake(INTAKE_OPEN311_API_KEYS="k1") as client:
        for form in examples(st.dictionaries(form_fields, form_values, max_size=4), 40):
            body = urlencode({**FORM, **form, "api_key": "k1"}).replace("%40%40huge-number%40%40", "9" * 5000)
            for fmt in ("json", "xml"):
                response = await client.post(
                    f"/open311/v2/requests.{fmt}",
                    content=body,
                    headers={"content-type": "application/x-www-form-urlencoded"},
                )
                assert response.status_code < 500, (form, response.text[:500])
        fresh = await client.post("/open311/v2/requests.json", data=FORM)
        assert fresh.status_code == 201, fresh.text


async def test_random_open311_queries_never_cause_a_server_error(run_intake: RunIntake) -> None:
    offsets = st.builds(
        timezone, st.timedeltas(min_value=-timedelta(hours=14), max_value=timedelta(hours=14))
    )
    moments = st.datetimes(timezones=offsets).map(lambda d: d.isoformat())
    query = st.dictionaries(
        st.sampled_from(["start_date", "end_date", "status", "service_code", "service_request_id"]),
        moments
        | st.text(max_size=30)
        | hostile_text.filter(lambda s: "\ud800" not in s and "\udfff" not in s),
        max_size=3,
    )
    async with run_intake() as client:
        for params in examples(query, 60):
            response = await client.get("/open311/v2/requests.json", params=params)
            assert response.status_code < 500, (params, response.text[:500])
        await _still_accepts(client)


@pytest.mark.usefixtures("agencies")
async def test_random_agency_reports_never_cause_a_server_error(run_intake: RunIntake) -> None:
    async with run_intake() as client:
        key = await _create_key(client, BANDUNG_AGENCY)
        tn = (await client.post("/v1/requests", json=valid_body())).json()["tracking_number"]
        report = {"tracking_number": tn, "status": "in_progress", "officer_id": OFFICER, "note": "ok"}
        headers = {**JSON, "Authorization": f"Bearer {key['api_key']}"}
        for mutation in examples(st.dictionaries(report_fields, values, max_size=3), 40):
            response = await client.post(
                "/v1/agency/status", content=dumps({**report, **mutation}), headers=headers
            )
            assert response.status_code < 500, (mutation, response.text[:500])
        await _still_accepts(client)


async def test_random_survey_answers_never_cause_a_server_error(run_intake: RunIntake) -> None:
    async with run_intake() as client:
        tn = (await client.post("/v1/requests", json=valid_body())).json()["tracking_number"]
        for mutation in examples(st.dictionaries(survey_fields, values, max_size=3), 40):
            response = await client.post(
                f"/v1/requests/{tn}/survey", content=dumps({**ANSWERS, **mutation}), headers=JSON
            )
            assert response.status_code < 500, (mutation, response.text[:500])
        await _still_accepts(client)


async def test_random_kafka_submissions_never_stop_the_ingress(
    run_intake: RunIntake, kafka_bootstrap: str, topics: Topics, agencies: dict[str, KafkaSettings]
) -> None:
    own = topics.agency_submissions(BANDUNG_AGENCY)
    drawn = examples(st.tuples(mutations, raw_bodies), 25)
    async with run_intake() as client:
        # One key, one partition: once the valid submission after them is receipted, every one before
        # it was handled (accepted or dead-lettered), none blocked the ingress.
        for mutation, raw in drawn:
            for value in (dumps({**submission(), **mutation}), raw or b"{}"):
                await produce(kafka_bootstrap, own, value, key=b"fuzz", headers=binary_headers())
        await publish_as(agencies[BANDUNG_AGENCY], own, submission(reference="AFTER-FUZZ"), key=b"fuzz")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while not await _receipted(kafka_bootstrap, topics.inbox(BANDUNG_AGENCY), "AFTER-FUZZ"):
            assert loop.time() < deadline, "the valid submission after the fuzzed ones was never receipted"
            await asyncio.sleep(0.5)
        await _still_accepts(client)
