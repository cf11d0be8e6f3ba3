from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from satupintu_shared.broker import EventPublisher, create_broker
from satupintu_shared.catalog import CATALOG_KEY, Catalog, CatalogApplied, Service
from satupintu_shared.catalog_feed import CatalogFeed
from satupintu_shared.settings import KafkaSettings
from satupintu_shared.topics import Topics

pytestmark = pytest.mark.kafka


def applied(version: int, service_codes: list[str]) -> CatalogApplied:
    catalog = Catalog(
        services=[
            Service(code=code, name=code, owning_level="regency_city", sla_working_days=5)
            for code in service_codes
        ]
    )
    digest = hashlib.sha256(catalog.model_dump_json().encode()).hexdigest()
    return CatalogApplied(version=version, applied_at=datetime.now(UTC), catalog=catalog, digest=digest)


async def test_a_feed_reads_the_applied_catalog_and_follows_changes_live(
    kafka_bootstrap: str, topics: Topics
) -> None:
    settings = KafkaSettings(kafka_bootstrap_servers=kafka_bootstrap, topic_prefix=topics.prefix)
    broker = create_broker(settings, service="test-catalog")
    await broker.connect()
    publisher = EventPublisher(broker, source="/tests")
    await publisher.publish(topics.catalog, applied(1, ["ktp"]), key=CATALOG_KEY, subject=CATALOG_KEY)
    seen: list[int] = []
    feed = CatalogFeed(settings)
    feed.on_change(lambda c: seen.append(c.version))
    try:
        await feed.start()
        assert feed.latest is not None and feed.latest.version == 1
        await publisher.publish(
            topics.catalog, applied(2, ["ktp", "kk"]), key=CATALOG_KEY, subject=CATALOG_KEY
        )
        latest = await feed.wait_for_version(2, timeout=20)
        assert [s.code for s in latest.catalog.services] == ["ktp", "kk"]
        assert feed.catalog.service("kk") is not None
        assert seen == [1, 2]
    finally:
        await feed.stop()
        await broker.stop()
