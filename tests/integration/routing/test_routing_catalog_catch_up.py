"""Routing never decides on a catalog it has not read yet: after a slow start of its catalog feed, a
submitted event that was already waiting is routed to the right agency, never ``unroutable``; and a
routing replica still waiting for its catalog stops within its shutdown budget."""

from __future__ import annotations

import time

import pytest

from routing.bootstrap import SHUTDOWN_BUDGET
from satupintu_shared.events import RequestAssigned, RequestRouted, RequestSubmitted, RequestUnroutable
from tests.integration.routing.conftest import events, running, send, submitted
from tests.support.kafka import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def test_a_waiting_request_is_routed_only_once_the_slow_catalog_feed_caught_up(
    demo_applied, kafka_bootstrap
) -> None:
    t = demo_applied.topics
    slow = demo_applied.model_copy(
        update={"catalog_catch_up_seconds": 0.05, "catalog_feed_delay_seconds": 4.0}
    )
    await send(kafka_bootstrap, t.lifecycle, submitted("SP-SLOW-0001", "bansos", "32.73.05.1001"))

    async with running(slow) as http:
        # Start-up gave up waiting for the catalog: the consumer waits instead, and says so.
        ready = await http.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["consumer"].startswith("failed")

        ((inbox, _),) = await events(kafka_bootstrap, t.inbox("bdg-dinsos"), 1)
        assert inbox.parse(RequestAssigned).tracking_number == "SP-SLOW-0001"

        async def is_ready() -> bool:
            return (await http.get("/readyz")).status_code == 200

        await eventually(is_ready, timeout=15)

    lifecycle = await events(kafka_bootstrap, t.lifecycle, 2)
    types = [e.type for e, _ in lifecycle]
    assert RequestUnroutable.EVENT_TYPE not in types
    assert types == [RequestSubmitted.EVENT_TYPE, RequestRouted.EVENT_TYPE]
    assert lifecycle[1][0].parse(RequestRouted).agency_code == "bdg-dinsos"


async def test_routing_waiting_for_its_catalog_stops_within_its_shutdown_budget(demo_applied) -> None:
    stuck = demo_applied.model_copy(
        update={"catalog_catch_up_seconds": 0.05, "catalog_feed_delay_seconds": 120.0}
    )
    async with running(stuck) as http:
        assert (await http.get("/readyz")).status_code == 503
        started = time.monotonic()
    assert time.monotonic() - started < sum(SHUTDOWN_BUDGET.values())
