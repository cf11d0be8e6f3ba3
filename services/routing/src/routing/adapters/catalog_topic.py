"""The compacted catalog topic: read the applied catalog, publish a new one."""

from __future__ import annotations

from satupintu_shared.admin import ensure_platform_topics
from satupintu_shared.catalog import CATALOG_KEY, CatalogApplied
from satupintu_shared.catalog_feed import CatalogFeed
from satupintu_shared.envelope import encode
from satupintu_shared.kafka_clients import create_producer
from satupintu_shared.settings import KafkaSettings

SOURCE = "satupintu-cli"


class CatalogUnavailable(RuntimeError):
    """The catalog topic could not be read to its end."""


async def read_applied(settings: KafkaSettings, *, timeout: float = 15.0) -> CatalogApplied | None:
    """The catalog applied now (None if none ever was); the topic is created compacted if missing (the
    CLI runs as the admin tool, which may create topics)."""
    await ensure_platform_topics(settings)
    feed = CatalogFeed(settings)
    await feed.start(catch_up_timeout=timeout)
    try:
        if not feed.caught_up:
            raise CatalogUnavailable(f"could not read {settings.topics.catalog} within {timeout:.0f}s")
        return feed.latest
    finally:
        await feed.stop()


async def publish_applied(settings: KafkaSettings, applied: CatalogApplied) -> str:
    """Publish ``applied`` keyed ``catalog``, wait for the broker's acknowledgement; returns the event id."""
    value, headers = encode(applied, source=SOURCE, subject=CATALOG_KEY, time=applied.applied_at)
    producer = create_producer(settings, client_id=SOURCE)
    await producer.start()
    try:
        await producer.send_and_wait(
            settings.topics.catalog,
            value,
            key=CATALOG_KEY.encode(),
            headers=[(k, v.encode()) for k, v in headers.items()],
        )
    finally:
        await producer.stop()
    return headers["ce_id"]
