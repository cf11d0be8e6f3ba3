"""Removing a topic for a test that shows what a service does before the admin tool created it."""

from __future__ import annotations

from satupintu_shared.kafka_clients import create_admin
from satupintu_shared.settings import KafkaSettings
from tests.support.kafka import eventually


async def delete_topic(settings: KafkaSettings, topic: str) -> None:
    """Delete ``topic`` (as the admin tool) and return once the broker no longer lists it."""
    admin = create_admin(settings, client_id="tests-delete-topic")
    await admin.start()
    try:
        await admin.delete_topics([topic])

        async def gone() -> bool:
            return topic not in await admin.list_topics()

        await eventually(gone, timeout=20)
    finally:
        await admin.close()
