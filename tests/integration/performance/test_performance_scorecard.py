"""A scripted month of lifecycle events, through Kafka and PostgreSQL, gives exactly the expected numbers."""

from __future__ import annotations

import csv
import io
import re

import pytest

from satupintu_shared.settings import KafkaSettings
from satupintu_shared.topics import Topics
from tests.support.kafka import eventually, produce

from . import scenario
from .support import group_of, publish_scenario, running, snapshot, wait_caught_up

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]


def kafka_settings(env: dict[str, str]) -> KafkaSettings:
    return KafkaSettings(
        kafka_bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"], topic_prefix=env["SATUPINTU_TOPIC_PREFIX"]
    )


def assert_capil_card(card: dict) -> None:  # type: ignore[type-arg]
    expected = scenario.CAPIL_SCORECARD
    for key in (
        "received",
        "completed",
        "completed_on_time",
        "on_time_rate",
        "rejected",
        "returned",
        "escalations",
    ):
        assert card[key] == expected[key], key
    assert card["turnaround_working_days"]["median"] == pytest.approx(3.5)
    assert card["turnaround_working_days"]["p90"] == pytest.approx(4.7)
    assert card["return_rate"] == pytest.approx(1 / 7) and card["escalation_rate"] == pytest.approx(1 / 7)
    assert card["backlog"]["open"] == 3 and card["backlog"]["ageing_working_days"] == expected["ageing"]
    ikm = card["ikm"]
    assert (ikm["respondents"], ikm["value"], ikm["grade"]) == (2, 87.5, "B")
    assert ikm["element_means"]["cost"] == 3.5
    assert card["score"]["value"] == expected["score"]
    assert card["score"]["weights"] == {"on_time": 0.4, "ikm": 0.3, "returns": 0.15, "escalations": 0.15}
    assert card["agency"]["parent"] == scenario.PEMKOT and card["agency"]["level"] == "opd"


async def test_scripted_events_produce_exactly_the_expected_scorecard_and_views(
    service_env: dict[str, str],
    kafka_bootstrap: str,
    topics: Topics,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = kafka_settings(service_env)
    count = await publish_scenario(settings)
    await produce(
        kafka_bootstrap,
        topics.lifecycle,
        b"not json at all",
        key=b"SP-BAD",
        headers=[
            ("ce_specversion", b"1.0"),
            ("ce_id", b"bad-1"),
            ("ce_type", b"id.satupintu.request.completed.v1"),
            ("ce_source", b"/x"),
        ],
    )
    async with running(service_env, monkeypatch) as (_, client):
        await wait_caught_up(kafka_bootstrap, group_of(service_env), topics.lifecycle)

        card = (
            await client.get(f"/v1/agencies/{scenario.CAPIL}/scorecard", params={"period": "2026-11"})
        ).json()
        assert_capil_card(card)

        day = (
            await client.get(f"/v1/agencies/{scenario.CAPIL}/scorecard", params={"period": "2026-11-04"})
        ).json()
        assert (day["received"], day["completed"], day["completed_on_time"]) == (1, 1, 1)

        ranking = (
            await client.get(
                "/v1/rankings", params={"period": "2026-11", "level": "opd", "parent": scenario.PEMKOT}
            )
        ).json()
        assert [(c["agency"]["code"], c["rank"]) for c in ranking["items"]] == [
            (scenario.DPMPTSP, 1),
            (scenario.CAPIL, 2),
        ]
        assert ranking["items"][0]["score"]["value"] == 100.0

        response = await client.get("/v1/rankings", params={"period": "2026-11", "format": "csv"})
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert {r["agency.code"] for r in rows} >= {scenario.CAPIL, scenario.DPMPTSP, scenario.PEMKOT}
        assert next(r for r in rows if r["agency.code"] == scenario.CAPIL)["score.value"] == str(
            scenario.CAPIL_SCORECARD["score"]
        )

        officers = (
            await client.get(f"/v1/agencies/{scenario.CAPIL}/officers", params={"period": "2026-11"})
        ).json()
        by_id = {o["officer_id"]: o for o in officers["items"]}
        assert (
            by_id[scenario.NIP_A]["handled"],
            by_id[scenario.NIP_A]["completed"],
            by_id[scenario.NIP_A]["completed_on_time"],
            by_id[scenario.NIP_A]["median_turnaround_working_days"],
        ) == (3, 1, 1, 2.0)
        assert (
            by_id[scenario.NIP_B]["handled"],
            by_id[scenario.NIP_B]["completed"],
            by_id[scenario.NIP_B]["completed_on_time"],
            by_id[scenario.NIP_B]["rejected"],
        ) == (2, 1, 0, 1)
        mine = (
            await client.get(f"/v1/officers/{scenario.NIP_C}/scorecard", params={"period": "2026-11"})
        ).json()
        assert [(o["agency_code"], o["completed"]) for o in mine["items"]] == [(scenario.DPMPTSP, 1)]

        timeline = (await client.get("/v1/requests/SP-R3/timeline")).json()
        assert [e["name"] for e in timeline["events"]] == [
            "submitted",
            "routed",
            "returned",
            "routed",
            "completed",
        ]
        assert timeline["events"][2]["reason"] == "bukan kewenangan: izin usaha"
        assert timeline["events"][2]["officer_id"] == scenario.NIP_A
        assert [r["agency_code"] for r in timeline["routing_reasons"]] == [scenario.CAPIL, scenario.DPMPTSP]
        assert timeline["routing_reasons"][0]["explanation"] == "Kota Bandung owns KTP services"
        # The trace id of the record's traceparent (the publisher's own span, once tracing is set up).
        assert re.fullmatch("[0-9a-f]{32}", timeline["trace_id"])
        assert timeline["trace_id"] == timeline["events"][0]["trace_id"]
        assert timeline["seconds_per_state"]["returned"] == 3600.0 and timeline["breached"] is False
        late = (await client.get("/v1/requests/SP-R2/timeline")).json()
        assert late["breached"] is True and late["breached_at"].startswith("2026-11-05T10:00:00")

        missing = await client.get("/v1/requests/SP-NOPE/timeline")
        assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
        bad = await client.get(f"/v1/agencies/{scenario.CAPIL}/scorecard", params={"period": "2026-13"})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "period"

        unroutable = (await client.get("/v1/unroutable")).json()["items"]
        assert [u["tracking_number"] for u in unroutable] == ["SP-R9"]
        assert unroutable[0]["links"]["timeline"] == "/v1/requests/SP-R9/timeline"
        breaches = {b["tracking_number"] for b in (await client.get("/v1/breaches")).json()["items"]}
        assert breaches == {"SP-R2", "SP-R4", "SP-R6", "SP-R7", "SP-R8"}
        found = (
            await client.get("/v1/requests", params={"agency": scenario.CAPIL, "status": "routed"})
        ).json()
        assert {r["tracking_number"] for r in found["items"]} == {"SP-R7", "SP-R8"}

        async def dead_lettered() -> list[dict]:  # type: ignore[type-arg]
            return (await client.get("/v1/dead-letters")).json()["items"]

        dead = await eventually(dead_lettered)
        assert dead[0]["tracking_number"] == "SP-BAD" and dead[0]["kind"] == "invalid"
        assert dead[0]["consumer_group"] == group_of(service_env)
        overview = (await client.get("/v1/overview")).json()
        assert overview["unroutable"] == 1 and overview["dead_letters"] == 1 and overview["breaches"] == 5

    stored = await snapshot(database_url)
    assert len(stored["events"]) == count
    assert "3273010101900001" not in str(stored) and "Siti Rahma" not in str(stored)


async def test_the_same_events_delivered_twice_change_nothing(
    service_env: dict[str, str],
    kafka_bootstrap: str,
    topics: Topics,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = kafka_settings(service_env)
    await publish_scenario(settings)
    async with running(service_env, monkeypatch) as (_, client):
        await wait_caught_up(kafka_bootstrap, group_of(service_env), topics.lifecycle)
        before = await snapshot(database_url)
        await publish_scenario(settings, with_catalog=False, times=2)
        await wait_caught_up(kafka_bootstrap, group_of(service_env), topics.lifecycle)
        assert await snapshot(database_url) == before
        card = (
            await client.get(f"/v1/agencies/{scenario.CAPIL}/scorecard", params={"period": "2026-11"})
        ).json()
        assert_capil_card(card)
