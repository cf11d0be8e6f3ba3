"""What the SDK decides before anything reaches the broker: event ids and report validity."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from satupintu_shared.sdk import AgencyClient, AgencyCredentials, report_event_id, submission_event_id

# Never connected: nothing may be sent, and these credentials are never checked.
OFFLINE = AgencyCredentials("bdg-dinkes", "agency-bdg-dinkes", "not-used", bootstrap_servers="127.0.0.1:1")


def test_the_same_report_always_gets_the_same_event_id() -> None:
    assert report_event_id("bdg-dinkes", "SP-1", "accepted") == report_event_id(
        "bdg-dinkes", "SP-1", "accepted"
    )


def test_event_ids_differ_by_agency_request_status_and_idempotency_key() -> None:
    ids = {
        report_event_id("bdg-dinkes", "SP-1", "accepted"),
        report_event_id("bdg-disdukcapil", "SP-1", "accepted"),
        report_event_id("bdg-dinkes", "SP-2", "accepted"),
        report_event_id("bdg-dinkes", "SP-1", "completed"),
        report_event_id("bdg-dinkes", "SP-1", "accepted", "second"),
        submission_event_id("bdg-dinkes", "SP-1"),
    }
    assert len(ids) == 6


async def test_a_rejection_or_return_without_a_reason_is_refused_before_publishing() -> None:
    client = AgencyClient("bdg-dinkes", credentials=OFFLINE)
    with pytest.raises(ValueError, match="needs a reason"):
        await client.reject("SP-0001", "")
    with pytest.raises(ValueError, match="needs a reason"):
        await client.report("SP-0001", "returned")


async def test_an_officer_id_that_is_not_an_nip_is_refused_before_publishing() -> None:
    client = AgencyClient("bdg-dinkes", credentials=OFFLINE)
    with pytest.raises(ValidationError):
        await client.accept("SP-0001", officer_id="budi")


async def test_consuming_without_a_handler_is_refused_so_no_assignment_is_committed_unseen() -> None:
    client = AgencyClient("bdg-dinkes", credentials=OFFLINE)
    with pytest.raises(RuntimeError, match="register on_assignment"):
        await client.listen()
