"""Report ids: a retry of the same report keeps its id, a genuine second report (the request came back to
the same agency on a later assignment) gets another one."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from satupintu_shared.events import Applicant, Channel, RequestAssigned, RoutingReason
from satupintu_shared.sdk import AgencyClient, AgencyCredentials, assignment_marker, report_event_id
from satupintu_shared.sdk.ids import SDK_NAMESPACE

OFFLINE = AgencyCredentials("bdg-dinkes", "agency-bdg-dinkes", "not-used", bootstrap_servers="127.0.0.1:1")
FIRST_HOP = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def assigned(tn: str, at: datetime) -> RequestAssigned:
    return RequestAssigned(
        tracking_number=tn,
        occurred_at=at,
        agency_code="bdg-dinkes",
        service_code="ktp-baru",
        region_code="32.73.01",
        applicant=Applicant(nik="3273010101900001", name="Budi Santoso"),
        channel=Channel.WEB,
        due_at=at + timedelta(days=3),
        reason=RoutingReason(rule="jurisdiction", owning_level="regency_city", explanation="test"),
    )


class Recorder:
    """Stands in for the broker: records the ids the client would publish."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    async def publish(self, topic: str, event: Any, *, event_id: str) -> str:
        self.ids.append(event_id)
        return event_id


def test_without_an_assignment_the_id_is_the_one_earlier_versions_derived() -> None:
    legacy = str(uuid.uuid5(SDK_NAMESPACE, "bdg-dinkes:SP-1:accepted:"))
    assert report_event_id("bdg-dinkes", "SP-1", "accepted") == legacy


def test_the_same_report_on_another_assignment_gets_another_id() -> None:
    first = assignment_marker(assigned("SP-1", FIRST_HOP))
    again = assignment_marker(assigned("SP-1", FIRST_HOP))
    second = assignment_marker(assigned("SP-1", FIRST_HOP + timedelta(hours=2)))
    assert first == again != second
    ids = {
        report_event_id("bdg-dinkes", "SP-1", "accepted", assignment=first),
        report_event_id("bdg-dinkes", "SP-1", "accepted", assignment=second),
        report_event_id("bdg-dinkes", "SP-1", "accepted"),
    }
    assert len(ids) == 3
    assert report_event_id("bdg-dinkes", "SP-1", "accepted", assignment=first) == report_event_id(
        "bdg-dinkes", "SP-1", "accepted", assignment=again
    )


def test_the_marker_does_not_depend_on_the_time_zone_the_assignment_was_read_in() -> None:
    jakarta = FIRST_HOP.astimezone(timezone(timedelta(hours=7)))
    assert assignment_marker(assigned("SP-1", jakarta)) == assignment_marker(assigned("SP-1", FIRST_HOP))


async def test_reports_in_the_handler_carry_the_assignment_so_a_request_back_again_is_reported_again() -> (
    None
):
    client = AgencyClient("bdg-dinkes", credentials=OFFLINE)
    recorder = Recorder()
    client._publisher = recorder  # type: ignore[assignment]

    @client.on_assignment
    async def handle(request: RequestAssigned) -> None:
        await client.accept(request.tracking_number)

    first_hop = assigned("SP-1", FIRST_HOP)
    back_again = assigned("SP-1", FIRST_HOP + timedelta(days=1))
    await client._dispatch(first_hop, RequestAssigned.EVENT_TYPE)
    await client._dispatch(first_hop, RequestAssigned.EVENT_TYPE)  # redelivered: the same report
    await client._dispatch(back_again, RequestAssigned.EVENT_TYPE)  # a genuine second assignment
    # Later, outside the handler, naming the assignment gives the handler's id again.
    await client.accept("SP-1", assignment=back_again)
    await client.accept("SP-1", assignment=assignment_marker(first_hop))

    first, redelivered, second, later, later_first = recorder.ids
    assert first == redelivered and later == second and later_first == first
    assert first != second
    assert first == report_event_id("bdg-dinkes", "SP-1", "accepted", assignment=assignment_marker(first_hop))


async def test_a_report_on_another_request_in_the_handler_does_not_take_the_assignment() -> None:
    client = AgencyClient("bdg-dinkes", credentials=OFFLINE)
    recorder = Recorder()
    client._publisher = recorder  # type: ignore[assignment]

    @client.on_assignment
    async def handle(request: RequestAssigned) -> None:
        await client.accept("SP-OTHER")

    await client._dispatch(assigned("SP-1", FIRST_HOP), RequestAssigned.EVENT_TYPE)
    assert recorder.ids == [report_event_id("bdg-dinkes", "SP-OTHER", "accepted")]
    await client.accept("SP-1")  # outside any handler: no assignment known
    assert recorder.ids[-1] == report_event_id("bdg-dinkes", "SP-1", "accepted")
