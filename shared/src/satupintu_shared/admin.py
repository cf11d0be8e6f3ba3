"""Topic administration: create the topics whose settings matter (compaction, partitions) up front."""

from __future__ import annotations

import contextlib

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from .settings import KafkaSettings


async def ensure_topics(
    settings: KafkaSettings, topics: dict[str, dict[str, str]], *, partitions: int = 3
) -> None:
    """Create each topic in ``topics`` (name → config, e.g. ``{"cleanup.policy": "compact"}``) if missing."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        new = [
            NewTopic(
                name,
                num_partitions=1 if config.get("cleanup.policy") == "compact" else partitions,
                replication_factor=1,
                topic_configs=config,
            )
            for name, config in topics.items()
            if name not in existing
        ]
        if new:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(new)
    finally:
        await admin.close()


async def ensure_platform_topics(settings: KafkaSettings) -> None:
    """The platform's own topics: lifecycle, submissions, dead letters, and the compacted catalog."""
    t = settings.topics
    await ensure_topics(
        settings,
        {
            t.lifecycle: {},
            t.submissions: {},
            t.deadletter: {},
            t.catalog: {"cleanup.policy": "compact"},
        },
    )


if __name__ == "__main__":
    import asyncio

    from .settings import KafkaSettings as _Settings

    asyncio.run(ensure_platform_topics(_Settings()))
