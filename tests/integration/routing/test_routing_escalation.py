from __future__ import annotations

import asyncio

import asyncpg
import pytest

from satupintu_shared.events import RequestAssigned, RequestEscalated
from tests.integration.routing.conftest import events, of_type, running, send, submitted
from tests.support.kafka import eventually, read_records

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]


async def test_a_breach_escalates_exactly_once_with_two_replicas(
    demo_applied, kafka_bootstrap, database_url
) -> None:
    t = demo_applied.topics
    async with running(demo_applied) as first, running(demo_applied):
        await send(kafka_bootstrap, t.lifecycle, submitted("SP-ESC-0001", "ktp-el", "32.73"))
        await events(kafka_bootstrap, t.inbox("bdg-disdukcapil"), 1)

        # The deadline passes (the test moves it into the past instead of waiting days).
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute(
                "UPDATE routing.assignments SET due_at = now() - interval '1 minute' "
                "WHERE tracking_number = $1",
                "SP-ESC-0001",
            )
        finally:
            await conn.close()

        ((inbox, _),) = await events(kafka_bootstrap, t.inbox("bdg-pemkot"), 1)
        assert inbox.parse(RequestAssigned).reason.rule == "escalation"
        await asyncio.sleep(2.0)  # several watchdog rounds of both replicas
        lifecycle = await events(kafka_bootstrap, t.lifecycle, 3)
        (escalated,) = of_type(lifecycle, "escalated.v1")
        event = escalated.parse(RequestEscalated)
        assert (event.from_agency_code, event.agency_code, event.escalation_level) == (
            "bdg-disdukcapil",
            "bdg-pemkot",
            1,
        )
        assert event.due_at > event.breached_due_at
        assert len(await read_records(kafka_bootstrap, t.inbox("bdg-pemkot"), count=1)) == 1

        async def held_by_parent() -> bool:
            body = (await first.get("/v1/requests/SP-ESC-0001/assignment")).json()
            return body["agency_code"] == "bdg-pemkot" and body["status"] == "escalated"

        await eventually(held_by_parent, timeout=5)
