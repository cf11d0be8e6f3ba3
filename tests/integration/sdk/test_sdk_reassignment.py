"""A request that comes back to the same agency is a new assignment, and its reports new reports; a
redelivered assignment is not (real broker, the agency's own principal)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from faststream.kafka import KafkaBroker

from satupintu_shared.broker import EventPublisher
from satupintu_shared.events import RequestAssigned
from satupintu_shared.sdk import AgencyClient, assignment_marker, report_event_id
from satupintu_shared.settings import KafkaSettings
from satupintu_shared.topics import Topics

from .test_sdk_agency import AGENCY, OFFICER, agency, assigned, headers_of, platform, status_records, tracing

pytestmark = pytest.mark.kafka

__all__ = ["agency", "platform", "tracing"]  # fixtures used below


async def test_accepting_a_request_back_again_is_a_new_report_and_a_redelivery_is_not(
    kafka_bootstrap: str, topics: Topics, agency: KafkaSettings, platform: KafkaBroker
) -> None:
    first_hop = assigned("SP-SDK-0101")
    back_again = first_hop.model_copy(update={"occurred_at": first_hop.occurred_at + timedelta(days=1)})
    inbox = EventPublisher(platform, source="/routing")
    # The first assignment, the same assignment redelivered (routing's outbox re-published it), then the
    # request back after a return and a re-route.
    for event in (first_hop, first_hop, back_again):
        await inbox.publish(topics.inbox(AGENCY), event, event_id=f"assigned-{event.occurred_at.isoformat()}")

    client = AgencyClient(AGENCY, settings=agency)

    @client.on_assignment
    async def handle(request: RequestAssigned) -> None:
        await client.accept(request.tracking_number, officer_id=OFFICER)

    async with client:
        await client.listen()
        records = await status_records(kafka_bootstrap, topics, count=3)

    ids = [headers_of(r)["ce_id"] for r in records]
    assert ids[0] == ids[1] != ids[2]
    assert ids[0] == report_event_id(
        AGENCY, "SP-SDK-0101", "accepted", assignment=assignment_marker(first_hop)
    )
    assert ids[2] == report_event_id(
        AGENCY, "SP-SDK-0101", "accepted", assignment=assignment_marker(back_again)
    )
