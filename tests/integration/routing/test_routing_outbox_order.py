"""A request's lifecycle events reach the topic in order, also after a partial flush failure: when one
event fails transiently, the later events of the same request are not published before it (in that
flush, or in a later one), and the sweep retries them in order. The broker and the database are real;
only the relay's producer is wrapped, to make one send fail transiently once."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaTimeoutError

from routing.adapters.outbox import OutboxRelay, Pending, enqueue_many, pending
from routing.settings import Settings
from satupintu_shared.migrations import apply_migrations
from tests.integration.routing.conftest import as_routing, submitted
from tests.support.kafka import read_records

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


class FailsOnce:
    """The relay's producer, except that the send of ``event_id`` fails once, as a timed-out batch."""

    def __init__(self, producer: AIOKafkaProducer, event_id: str) -> None:
        self._producer = producer
        self._event_id = event_id
        self.failed = False

    async def send(self, topic: str, value: bytes, **kwargs: Any) -> asyncio.Future[Any]:
        ids = [v.decode() for k, v in kwargs.get("headers") or () if k == "ce_id"]
        if not self.failed and ids == [self._event_id]:
            self.failed = True
            future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            future.set_exception(KafkaTimeoutError("batch expired (injected)"))
            return future
        return await self._producer.send(topic, value, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._producer, name)


async def test_events_of_a_request_keep_their_order_after_a_transient_send_failure(
    demo_applied: Settings, kafka_bootstrap: str, database_url: str
) -> None:
    t = demo_applied.topics
    await apply_migrations(database_url, schema="routing", package="routing.migrations")
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    relay = OutboxRelay(pool, as_routing(demo_applied), source="satupintu/routing")
    await relay.start()
    try:

        def event(tracking_number: str, n: int) -> Pending:
            return pending(
                t.lifecycle,
                submitted(tracking_number, "ktp-el", "32.73.01.1001"),
                f"order-{tracking_number}-{n}",
                source=relay.source,
            )

        first = [event("SP-ORD-0001", 1), event("SP-ORD-0001", 2), event("SP-ORD-0002", 1)]
        first.insert(2, event("SP-ORD-0001", 3))
        async with pool.acquire() as conn, conn.transaction():
            await enqueue_many(conn, first)
        wrapper = FailsOnce(relay._producer, "order-SP-ORD-0001-1")  # type: ignore[arg-type]
        relay._producer = wrapper  # type: ignore[assignment]

        with pytest.raises(KafkaTimeoutError):
            await relay.publish(first)
        assert wrapper.failed
        # The other request flowed; this one's later events were not sent: its key is held.
        published = await read_records(kafka_bootstrap, t.lifecycle, count=1)
        assert [dict(r.headers)["ce_id"] for r in published] == [b"order-SP-ORD-0002-1"]
        assert list(relay.held.values()) == [
            ["order-SP-ORD-0001-1", "order-SP-ORD-0001-2", "order-SP-ORD-0001-3"]
        ]

        # A later event of the held request, flushed right after its transaction, waits its turn.
        later = event("SP-ORD-0001", 4)
        async with pool.acquire() as conn, conn.transaction():
            await enqueue_many(conn, [later])
        await relay.publish([later])
        assert await pool.fetchval("SELECT count(*) FROM routing.outbox") == 4

        # The sweep retries the held events in order, whatever their age.
        assert await relay.flush_stale() == 4
        assert relay.held == {}
        assert await pool.fetchval("SELECT count(*) FROM routing.outbox") == 0
        records = await read_records(kafka_bootstrap, t.lifecycle, count=5)
        order = [dict(r.headers)["ce_id"].decode() for r in records if r.key == b"SP-ORD-0001"]
        assert order == [f"order-SP-ORD-0001-{n}" for n in (1, 2, 3, 4)]
    finally:
        await relay.stop()
        await pool.close()
