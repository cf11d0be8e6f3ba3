"""An outbox event that can never be published (a topic routing may not write, a row that no longer
validates) is dead-lettered with its reason and its row deleted; the events stored after it flow."""

from __future__ import annotations

import asyncpg
import pytest

from routing.settings import Settings
from satupintu_shared.broker import DLQ_KIND, DLQ_REASON, DLQ_TOPIC
from tests.integration.routing.conftest import running, submitted
from tests.support.kafka import eventually, read_records

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

_INSERT = (
    "INSERT INTO routing.outbox (event_id, topic, event_type, payload, created_at) "
    "VALUES ($1, $2, $3, $4::jsonb, now() - interval '1 minute')"
)


async def test_an_outbox_event_that_can_never_be_published_is_dead_lettered_and_later_ones_flow(
    demo_applied: Settings, kafka_bootstrap: str, database_url: str
) -> None:
    t = demo_applied.topics
    event = submitted("SP-OUTBOX-0001", "ktp-el", "32.73.01.1001")
    async with running(demo_applied):
        conn = await asyncpg.connect(database_url)
        try:
            async with conn.transaction():  # stored in this order; the watchdog's sweep publishes them
                # routing may only read the catalog topic: refused for good (authorisation)
                await conn.execute(
                    _INSERT, "outbox-refused", t.catalog, event.EVENT_TYPE, event.model_dump_json()
                )
                # an event type nobody knows any more: the row cannot be encoded
                await conn.execute(_INSERT, "outbox-unknown", t.lifecycle, "id.satupintu.gone.v1", "{}")
                await conn.execute(
                    _INSERT, "outbox-fine", t.lifecycle, event.EVENT_TYPE, event.model_dump_json()
                )

            async def published() -> bool:
                records = await read_records(kafka_bootstrap, t.lifecycle, count=1, timeout=5)
                return any(dict(r.headers or ()).get("ce_id") == b"outbox-fine" for r in records)

            await eventually(published, timeout=60)
            dead = await read_records(kafka_bootstrap, t.deadletter, count=2, timeout=30)
            by_id = {dict(r.headers)["ce_id"].decode(): {k: v.decode() for k, v in r.headers} for r in dead}
            assert set(by_id) == {"outbox-refused", "outbox-unknown"}
            assert by_id["outbox-refused"][DLQ_KIND] == "publish-refused"
            assert "TopicAuthorizationFailed" in by_id["outbox-refused"][DLQ_REASON]
            assert by_id["outbox-refused"][DLQ_TOPIC] == t.catalog
            assert by_id["outbox-unknown"][DLQ_KIND] == "publish-refused"

            async def drained() -> bool:
                return await conn.fetchval("SELECT count(*) FROM routing.outbox") == 0

            await eventually(drained, timeout=30)
        finally:
            await conn.close()
