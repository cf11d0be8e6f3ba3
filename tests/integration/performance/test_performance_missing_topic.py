"""performance creates no topic (its principal may not): started before the lifecycle topic exists, it
waits, not ready, and ingests once the admin tool has created it."""

from __future__ import annotations

import asyncio

import pytest

from satupintu_shared.admin import ensure_platform_topics
from satupintu_shared.settings import KafkaSettings
from satupintu_shared.topics import Topics
from tests.support.kafka import eventually
from tests.support.topic_admin import delete_topic

from .support import group_of, publish_scenario, running, wait_caught_up

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def test_performance_started_before_its_topic_exists_is_not_ready_then_ingests(
    service_env: dict[str, str], kafka_bootstrap: str, topics: Topics, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = KafkaSettings(kafka_bootstrap_servers=kafka_bootstrap, topic_prefix=topics.prefix)
    await delete_topic(settings, topics.lifecycle)
    async with running(service_env, monkeypatch) as (_, client):
        await asyncio.sleep(2.0)  # several rounds of looking for the topic
        waiting = await client.get("/readyz")
        assert waiting.status_code == 503, waiting.text
        assert waiting.json()["checks"]["consumers"].startswith("failed")

        await ensure_platform_topics(settings)  # what `make up` does, as the admin tool

        async def ready() -> bool:
            return (await client.get("/readyz")).status_code == 200

        await eventually(ready, timeout=30)
        await publish_scenario(settings)
        await wait_caught_up(kafka_bootstrap, group_of(service_env), topics.lifecycle)
