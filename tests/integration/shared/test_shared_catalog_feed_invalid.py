"""An invalid record on the catalog topic never stops the feed: it is skipped (logged, counted and
dead-lettered when the feed has ``DeadLetters``), the last good catalog stays in force and later
catalogs are applied."""

from __future__ import annotations

import pytest

from satupintu_shared.broker import DLQ_KIND, DLQ_TOPIC, DeadLetters, EventPublisher, create_broker
from satupintu_shared.catalog import CATALOG_KEY
from satupintu_shared.catalog_feed import INVALID_RECORDS, CatalogFeed
from satupintu_shared.settings import KafkaSettings
from satupintu_shared.topics import Topics
from tests.integration.shared.test_shared_catalog_feed import applied
from tests.support.kafka import produce, read_records

pytestmark = pytest.mark.kafka


async def test_an_invalid_catalog_record_is_dead_lettered_and_the_feed_goes_on(
    kafka_bootstrap: str, topics: Topics
) -> None:
    settings = KafkaSettings(kafka_bootstrap_servers=kafka_bootstrap, topic_prefix=topics.prefix)
    broker = create_broker(settings, service="test-catalog")
    await broker.connect()
    publisher = EventPublisher(broker, source="/tests")
    await produce(kafka_bootstrap, topics.catalog, b"\x1f\x8b not a catalog", key=CATALOG_KEY.encode())
    await publisher.publish(topics.catalog, applied(1, ["ktp"]), key=CATALOG_KEY, subject=CATALOG_KEY)
    before = INVALID_RECORDS._value.get()
    feed = CatalogFeed(settings, dead_letters=DeadLetters(broker, topics))
    try:
        await feed.start()
        assert feed.caught_up and feed.latest is not None and feed.latest.version == 1

        # Live: a catalog that does not validate (no version) is skipped; the next good one applies.
        await produce(
            kafka_bootstrap,
            topics.catalog,
            b'{"catalog": {}}',
            key=CATALOG_KEY.encode(),
            headers=[
                ("ce_specversion", b"1.0"),
                ("ce_id", b"bad-catalog"),
                ("ce_source", b"/tests"),
                ("ce_type", b"id.satupintu.catalog.applied.v1"),
                ("content-type", b"application/json"),
            ],
        )
        await publisher.publish(
            topics.catalog, applied(2, ["ktp", "kk"]), key=CATALOG_KEY, subject=CATALOG_KEY
        )
        assert (await feed.wait_for_version(2, timeout=20)).version == 2
        assert INVALID_RECORDS._value.get() - before == 2

        dead = await read_records(kafka_bootstrap, topics.deadletter, count=2)
        headers = [{k: v.decode() for k, v in r.headers} for r in dead]
        assert [h[DLQ_KIND] for h in headers] == ["invalid", "invalid"]
        assert {h[DLQ_TOPIC] for h in headers} == {topics.catalog}
    finally:
        await feed.stop()
        await broker.stop()
