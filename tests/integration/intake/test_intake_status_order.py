"""The citizen's status view: visible right after the 202, never moved back by a duplicate or late event,
and not upset by event fields this version does not know."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from satupintu_shared.envelope import decode, encode
from satupintu_shared.events import (
    Event,
    RequestAccepted,
    RequestRouted,
    RequestSubmitted,
    RoutingReason,
    SubmissionRequested,
    SurveyAnswered,
    SurveyAnswers,
)
from satupintu_shared.topics import Topics
from tests.support.events import submitted
from tests.support.kafka import produce, read_records

from .catalog_fixture import BANDUNG_AGENCY, KTP, MUSI_RAWAS_AGENCY, valid_body
from .conftest import RunIntake
from .test_intake_open311_survey import FORM

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

REASON = RoutingReason(rule="jurisdiction", owning_level="regency_city", explanation="owns 32.73")


async def test_a_request_is_visible_as_submitted_right_after_the_answer(run_intake: RunIntake) -> None:
    async with run_intake(INTAKE_OPEN311_API_KEYS="k1") as client:
        seen = []
        for _ in range(5):
            tn = (await client.post("/v1/requests", json=valid_body())).json()["tracking_number"]
            view = await client.get(f"/v1/requests/{tn}")
            seen.append((view.status_code, view.json().get("status")))
        created = await client.post("/open311/v2/requests.json", data=FORM)
        assert created.status_code == 201, created.text
        request_id = created.json()[0]["service_request_id"]
        open311 = await client.get(f"/open311/v2/requests/{request_id}.json")
    assert seen == [(200, "submitted")] * 5
    assert open311.status_code == 200 and open311.json()[0]["status_notes"] == "submitted"


async def test_a_duplicate_or_late_event_never_moves_the_status_back(
    run_intake: RunIntake, kafka_bootstrap: str, topics: Topics
) -> None:
    async with run_intake() as client:
        tn = (await client.post("/v1/requests", json=valid_body())).json()["tracking_number"]
        at = (await client.get(f"/v1/requests/{tn}")).json()
        t0 = datetime.fromisoformat(at["submitted_at"])
        routed = _routed(tn, t0 + timedelta(seconds=1), BANDUNG_AGENCY)
        routed_id = str(uuid.uuid4())
        accepted = RequestAccepted(
            tracking_number=tn,
            occurred_at=t0 + timedelta(seconds=2),
            agency_code=BANDUNG_AGENCY,
            report_id="r",
        )
        await _publish(kafka_bootstrap, topics, routed, event_id=routed_id)
        # A later version's event carries a field this one does not know: read, not dead-lettered.
        await _publish(kafka_bootstrap, topics, accepted, extra={"officer_rank": "III/a"})
        await _publish(kafka_bootstrap, topics, routed, event_id=routed_id)  # a duplicate
        late = _routed(tn, t0 + timedelta(milliseconds=1500), MUSI_RAWAS_AGENCY)
        await _publish(kafka_bootstrap, topics, late)  # a late one, older than the acceptance
        await _publish(kafka_bootstrap, topics, submitted(tn, occurred_at=t0))  # the submission again
        view = await _after_marker(client, kafka_bootstrap, topics, tn, t0 + timedelta(seconds=10))
    assert view["status"] == "accepted"
    assert view["agency_code"] == BANDUNG_AGENCY
    assert datetime.fromisoformat(view["due_at"]) == routed.due_at


async def test_a_kafka_submission_with_fields_of_a_later_contract_version_is_taken_in(
    run_intake: RunIntake, kafka_bootstrap: str, topics: Topics
) -> None:
    body = valid_body(reference="SIAK-NEWER", channel="agency_system", priority_hint="high")
    body["applicant"] = {**body["applicant"], "preferred_language": "su"}
    value, headers = (
        json.dumps(body).encode(),
        [
            ("ce_specversion", b"1.0"),
            ("ce_id", str(uuid.uuid4()).encode()),
            ("ce_type", SubmissionRequested.EVENT_TYPE.encode()),
            ("ce_source", b"/siak"),
            ("content-type", b"application/json"),
        ],
    )
    async with run_intake():
        await produce(kafka_bootstrap, topics.submissions, value, key=b"SIAK-NEWER", headers=headers)
        records = await read_records(kafka_bootstrap, topics.lifecycle, count=1)
    event = decode(records[0].value, records[0].headers).parse()
    assert isinstance(event, RequestSubmitted) and event.applicant.nik == body["applicant"]["nik"]


async def test_a_routing_clock_behind_intakes_still_moves_the_request_on(
    run_intake: RunIntake, kafka_bootstrap: str, topics: Topics
) -> None:
    async with run_intake() as client:
        tn = (await client.post("/v1/requests", json=valid_body())).json()["tracking_number"]
        t0 = datetime.fromisoformat((await client.get(f"/v1/requests/{tn}")).json()["submitted_at"])
        behind = t0 - timedelta(seconds=30)
        await _publish(kafka_bootstrap, topics, _routed(tn, behind, BANDUNG_AGENCY))
        accepted = RequestAccepted(
            tracking_number=tn,
            occurred_at=behind + timedelta(seconds=1),
            agency_code=BANDUNG_AGENCY,
            report_id="r",
        )
        await _publish(kafka_bootstrap, topics, accepted)
        view = await _after_marker(client, kafka_bootstrap, topics, tn, t0 + timedelta(seconds=10))
    assert view["status"] == "accepted"


def _routed(tn: str, at: datetime, agency: str) -> RequestRouted:
    return RequestRouted(
        tracking_number=tn,
        occurred_at=at,
        agency_code=agency,
        service_code=KTP,
        region_code="32.73.01",
        due_at=at + timedelta(days=7),
        sla_working_days=5,
        reason=REASON,
    )


async def _publish(
    bootstrap: str,
    topics: Topics,
    event: Event,
    *,
    event_id: str | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    value, headers = encode(event, source="/tests", event_id=event_id or str(uuid.uuid4()))
    if extra:
        value = json.dumps({**json.loads(value), **extra}).encode()
    await produce(
        bootstrap,
        topics.lifecycle,
        value,
        key=event.tracking_number.encode(),
        headers=[(k, v.encode()) for k, v in headers.items()],
    )


async def _after_marker(
    client: httpx.AsyncClient, bootstrap: str, topics: Topics, tn: str, at: datetime
) -> dict[str, Any]:
    """The view once intake applied everything published before: a survey event (no status of its own)
    goes last on the request's partition, and shows in ``updated_at``."""
    answers = SurveyAnswers(**dict.fromkeys(SurveyAnswers.model_fields, 4))
    await _publish(bootstrap, topics, SurveyAnswered(tracking_number=tn, occurred_at=at, answers=answers))
    for _ in range(200):
        view: dict[str, Any] = (await client.get(f"/v1/requests/{tn}")).json()
        if datetime.fromisoformat(view["updated_at"]) == at:
            return view
        await asyncio.sleep(0.05)
    raise AssertionError(f"intake never applied the events of {tn}: {view}")


async def test_an_event_the_database_refuses_is_dead_lettered_and_the_view_carries_on(
    run_intake: RunIntake, kafka_bootstrap: str, topics: Topics, database_url: str
) -> None:
    import asyncpg

    from satupintu_shared.broker import DLQ_KIND, DLQ_REASON

    async with run_intake() as client:
        refused_tn = (await client.post("/v1/requests", json=valid_body())).json()["tracking_number"]
        fine_tn = (await client.post("/v1/requests", json=valid_body())).json()["tracking_number"]
        t0 = datetime.fromisoformat((await client.get(f"/v1/requests/{fine_tn}")).json()["submitted_at"])
        # A rule of this database (standing in for any value it refuses) that one event breaks.
        db = await asyncpg.connect(database_url)
        try:
            await db.execute(
                "ALTER TABLE intake.request_status ADD CONSTRAINT no_musi CHECK (agency_code <> $$"
                + MUSI_RAWAS_AGENCY
                + "$$) NOT VALID"
            )
        finally:
            await db.close()
        await _publish(
            kafka_bootstrap, topics, _routed(refused_tn, t0 + timedelta(seconds=1), MUSI_RAWAS_AGENCY)
        )
        await _publish(kafka_bootstrap, topics, _routed(fine_tn, t0 + timedelta(seconds=1), BANDUNG_AGENCY))
        view = await _after_marker(client, kafka_bootstrap, topics, fine_tn, t0 + timedelta(seconds=10))
        (dead,) = await read_records(kafka_bootstrap, topics.deadletter, count=1)
        refused_view = (await client.get(f"/v1/requests/{refused_tn}")).json()
    headers = {k: v.decode() for k, v in dead.headers}
    assert headers[DLQ_KIND] == "invalid" and "CheckViolation" in headers[DLQ_REASON]
    assert dead.key == refused_tn.encode()
    assert (view["status"], view["agency_code"]) == ("routed", BANDUNG_AGENCY)
    assert refused_view["status"] == "submitted"
