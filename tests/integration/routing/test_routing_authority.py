from __future__ import annotations

import pytest

from satupintu_shared.broker import DLQ_KIND, DLQ_REASON
from satupintu_shared.events import RequestAccepted, RequestAssigned, RequestRouted
from tests.integration.routing.conftest import (
    AgencySystems,
    events,
    of_type,
    report,
    running,
    send,
    status,
    submitted,
)
from tests.support.kafka import eventually, read_records

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def test_a_status_from_an_agency_that_is_not_assigned_is_refused(
    demo_applied, kafka_bootstrap, agency: AgencySystems
) -> None:
    t = demo_applied.topics
    bandung, musi_rawas = await agency("bdg-disdukcapil"), await agency("mura-disdukcapil")
    async with running(demo_applied) as http:
        await send(kafka_bootstrap, t.lifecycle, submitted("SP-AUTH-0001", "ktp-el", "32.73"))
        await events(kafka_bootstrap, t.inbox("bdg-disdukcapil"), 1)

        # Musi Rawas claims a Bandung request; the payload cannot make it the assigned agency.
        await report(musi_rawas, "mura-disdukcapil", status("SP-AUTH-0001", "accepted"))
        (dead,) = await read_records(kafka_bootstrap, t.deadletter, count=1)
        headers = {k: v.decode() for k, v in dead.headers}
        assert headers[DLQ_KIND] == "refused"
        assert "wrong_agency" in headers[DLQ_REASON] and "mura-disdukcapil" in headers[DLQ_REASON]

        # The assigned agency may not skip steps either.
        await report(bandung, "bdg-disdukcapil", status("SP-AUTH-0001", "in_progress"))
        dead = await read_records(kafka_bootstrap, t.deadletter, count=2)
        assert "invalid_transition" in dict(dead[1].headers)[DLQ_REASON].decode()

        report_id = await report(bandung, "bdg-disdukcapil", status("SP-AUTH-0001", "accepted"))
        lifecycle = await events(kafka_bootstrap, t.lifecycle, 3)
        (accepted,) = of_type(lifecycle, "accepted.v1")
        assert accepted.parse(RequestAccepted).agency_code == "bdg-disdukcapil"
        assert accepted.parse(RequestAccepted).report_id == report_id

        async def refusals_counted() -> bool:
            text = (await http.get("/metrics")).text
            return 'satupintu_routing_refusals_total{reason="wrong_agency"}' in text

        await eventually(refusals_counted, timeout=5)
        assert (await http.get("/v1/requests/SP-AUTH-0001/assignment")).json()["status"] == "accepted"


async def test_a_returned_request_is_rerouted_to_another_eligible_agency(
    demo_applied, kafka_bootstrap, agency: AgencySystems
) -> None:
    t = demo_applied.topics
    puskesmas = await agency("bdg-puskesmas-sukasari")
    async with running(demo_applied) as http:
        await send(
            kafka_bootstrap, t.lifecycle, submitted("SP-RET-0001", "layanan-puskesmas", "32.73.01.1001")
        )
        await events(kafka_bootstrap, t.inbox("bdg-puskesmas-sukasari"), 1)

        await report(puskesmas, "bdg-puskesmas-sukasari", status("SP-RET-0001", "returned"))
        (dead,) = await read_records(kafka_bootstrap, t.deadletter, count=1)  # a return needs a reason
        assert "missing_reason" in dict(dead.headers)[DLQ_REASON].decode()

        await report(
            puskesmas,
            "bdg-puskesmas-sukasari",
            status("SP-RET-0001", "returned", reason="bukan kewenangan puskesmas"),
        )
        ((inbox, _),) = await events(kafka_bootstrap, t.inbox("bdg-dinkes"), 1)
        assert inbox.parse(RequestAssigned).applicant.name == "Siti Aminah"
        lifecycle = await events(kafka_bootstrap, t.lifecycle, 4)
        assert [e.type.split(".")[-2] for e, _ in lifecycle] == ["submitted", "routed", "returned", "routed"]
        rerouted = lifecycle[3][0].parse(RequestRouted)
        assert (rerouted.agency_code, rerouted.hop, rerouted.previous_agency_code) == (
            "bdg-dinkes",
            1,
            "bdg-puskesmas-sukasari",
        )
        assert rerouted.reason.rule == "reroute-after-return"
        body = (await http.get("/v1/requests/SP-RET-0001/assignment")).json()
        assert body["returned_by"] == ["bdg-puskesmas-sukasari"] and body["agency_code"] == "bdg-dinkes"

        # The agency that returned it has lost its authority.
        await report(puskesmas, "bdg-puskesmas-sukasari", status("SP-RET-0001", "accepted"))
        dead = await read_records(kafka_bootstrap, t.deadletter, count=2)
        assert "wrong_agency" in dict(dead[1].headers)[DLQ_REASON].decode()
