"""Killing the consumer mid-batch, before or after the database commit, loses and duplicates nothing."""

from __future__ import annotations

import asyncio

import pytest

from performance.bootstrap import Hooks
from satupintu_shared.settings import KafkaSettings
from satupintu_shared.topics import Topics

from . import scenario
from .support import caught_up, group_of, publish_scenario, running, snapshot, wait_caught_up
from .test_performance_scorecard import assert_capil_card

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]


class SimulatedCrash(BaseException):
    """Not an Exception: nothing in the service may catch it, like a kill."""


def crash_on_batch(n: int, calls: list[int]):  # type: ignore[no-untyped-def]
    async def hook() -> None:
        calls.append(1)
        if len(calls) == n:
            raise SimulatedCrash

    return hook


@pytest.mark.parametrize("moment", ["before_db_commit", "before_offset_commit"])
async def test_a_crash_mid_batch_then_a_restart_loses_and_duplicates_nothing(
    moment: str,
    service_env: dict[str, str],
    kafka_bootstrap: str,
    topics: Topics,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {**service_env, "PERFORMANCE_BATCH_MAX_RECORDS": "5"}
    settings = KafkaSettings(kafka_bootstrap_servers=kafka_bootstrap, topic_prefix=topics.prefix)
    count = await publish_scenario(settings)
    calls: list[int] = []
    hooks = Hooks(**{moment: crash_on_batch(3, calls)})

    async with running(env, monkeypatch, hooks=hooks) as (app, client):
        consumer = app.state.runtime.consumers["lifecycle"]
        assert consumer.task is not None
        await asyncio.wait({consumer.task})  # the simulated crash ends the loop
        assert isinstance(consumer.task.exception(), SimulatedCrash)
        assert (await client.get("/readyz")).status_code == 503
        stored = len((await snapshot(database_url))["events"])
        assert not await caught_up(kafka_bootstrap, group_of(service_env), topics.lifecycle)

    # Two batches were fully committed; the third was stored (or rolled back) but its offsets were not.
    assert 0 < stored < count

    async with running(env, monkeypatch) as (_, client):
        await wait_caught_up(kafka_bootstrap, group_of(service_env), topics.lifecycle)
        after = await snapshot(database_url)
        assert sorted(e["event_id"] for e in after["events"]) == sorted(
            scenario.event_id(i, e) for i, e in enumerate(scenario.events())
        )
        card = (
            await client.get(f"/v1/agencies/{scenario.CAPIL}/scorecard", params={"period": "2026-11"})
        ).json()
        assert_capil_card(card)
