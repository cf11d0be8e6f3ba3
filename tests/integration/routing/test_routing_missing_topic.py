"""routing creates no topic (its principal may not): started before the lifecycle topic exists, it waits,
not ready, and goes to work once the admin tool has created it."""

from __future__ import annotations

import asyncio

import pytest

from routing.settings import Settings
from satupintu_shared.admin import ensure_platform_topics
from satupintu_shared.events import RequestRouted
from tests.integration.routing.conftest import events, of_type, running, send, submitted
from tests.support.kafka import eventually
from tests.support.topic_admin import delete_topic

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def test_routing_started_before_its_topic_exists_is_not_ready_then_works(
    demo_applied: Settings, kafka_bootstrap: str
) -> None:
    t = demo_applied.topics
    await delete_topic(demo_applied, t.lifecycle)
    async with running(demo_applied) as http:
        await asyncio.sleep(2.0)  # several rounds of looking for the topic
        waiting = await http.get("/readyz")
        assert waiting.status_code == 503, waiting.text
        assert waiting.json()["checks"]["consumer"].startswith("failed")

        await ensure_platform_topics(demo_applied)  # what `make up` does, as the admin tool

        async def ready() -> bool:
            return (await http.get("/readyz")).status_code == 200

        await eventually(ready, timeout=30)
        await send(kafka_bootstrap, t.lifecycle, submitted("SP-LATE-0001", "ktp-el", "32.73.01.1001"))
        lifecycle = await events(kafka_bootstrap, t.lifecycle, 2)
        (routed,) = of_type(lifecycle, "routed.v1")
        assert routed.parse(RequestRouted).agency_code == "bdg-disdukcapil"
