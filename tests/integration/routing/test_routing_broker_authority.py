"""A hostile agency system with valid credentials cannot act for another agency: the broker refuses the
forged records, so routing's state does not move."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.errors import TopicAuthorizationFailedError

from satupintu_shared.envelope import encode
from satupintu_shared.events import RequestAccepted
from satupintu_shared.kafka_clients import create_producer
from satupintu_shared.settings import KafkaSettings
from tests.integration.routing.conftest import AgencySystems, events, report, running, send, status, submitted

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def forge(system: KafkaSettings, topic: str, value: bytes, headers: dict[str, str]) -> None:
    producer = create_producer(system, client_id="forger")
    await producer.start()
    try:
        await asyncio.wait_for(
            producer.send_and_wait(
                topic, value, key=b"SP-FORGE-0001", headers=[(k, v.encode()) for k, v in headers.items()]
            ),
            15,
        )
    finally:
        await producer.stop()


async def test_a_forged_report_or_history_from_another_agency_is_refused_and_changes_nothing(
    demo_applied, kafka_bootstrap, agency: AgencySystems
) -> None:
    t = demo_applied.topics
    bandung, musi_rawas = await agency("bdg-disdukcapil"), await agency("mura-disdukcapil")
    async with running(demo_applied) as http:
        await send(kafka_bootstrap, t.lifecycle, submitted("SP-FORGE-0001", "ktp-el", "32.73"))
        await events(kafka_bootstrap, t.inbox("bdg-disdukcapil"), 1)

        # Musi Rawas writes Bandung's status topic, the lifecycle and the catalog: the broker refuses all.
        value, headers = encode(status("SP-FORGE-0001", "completed"), source="/agency/bdg-disdukcapil")
        with pytest.raises(TopicAuthorizationFailedError):
            await forge(musi_rawas, t.status("bdg-disdukcapil"), value, headers)
        forged = RequestAccepted(
            tracking_number="SP-FORGE-0001",
            occurred_at=status("SP-FORGE-0001", "accepted").occurred_at,
            agency_code="bdg-disdukcapil",
            report_id="forged",
        )
        value, headers = encode(forged, source="routing")
        with pytest.raises(TopicAuthorizationFailedError):
            await forge(musi_rawas, t.lifecycle, value, headers)
        with pytest.raises(TopicAuthorizationFailedError):
            await forge(musi_rawas, t.catalog, b"{}", {})

        await asyncio.sleep(1.0)
        assignment = (await http.get("/v1/requests/SP-FORGE-0001/assignment")).json()
        assert (assignment["status"], assignment["agency_code"]) == ("routed", "bdg-disdukcapil")
        history = await events(kafka_bootstrap, t.lifecycle, 2)
        assert [e.type.split(".")[-2] for e, _ in history] == ["submitted", "routed"]

        # The assigned agency, on its own topic, is heard at once.
        await report(bandung, "bdg-disdukcapil", status("SP-FORGE-0001", "accepted"))
        await events(kafka_bootstrap, t.lifecycle, 3)
        assert (await http.get("/v1/requests/SP-FORGE-0001/assignment")).json()["status"] == "accepted"
