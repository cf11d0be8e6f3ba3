from __future__ import annotations

import asyncio

import pytest

from satupintu_shared.events import RequestAssigned, RequestRouted
from tests.integration.routing.conftest import events, of_type, running, send, submitted
from tests.support.kafka import read_records

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def test_bandung_and_musi_rawas_requests_land_in_their_own_inboxes(
    demo_applied, kafka_bootstrap
) -> None:
    t = demo_applied.topics
    async with running(demo_applied) as http:
        bdg_id = await send(kafka_bootstrap, t.lifecycle, submitted("SP-BDG-0001", "ktp-el", "32.73.01.1001"))
        await send(kafka_bootstrap, t.lifecycle, submitted("SP-MURA-0001", "ktp-el", "16.05.01"))

        ((bdg, _),) = await events(kafka_bootstrap, t.inbox("bdg-disdukcapil"), 1)
        ((mura, _),) = await events(kafka_bootstrap, t.inbox("mura-disdukcapil"), 1)
        bdg_assigned, mura_assigned = bdg.parse(RequestAssigned), mura.parse(RequestAssigned)
        assert (
            bdg_assigned.tracking_number == "SP-BDG-0001" and mura_assigned.tracking_number == "SP-MURA-0001"
        )
        assert bdg_assigned.applicant.nik == "3273010101900001"  # the agency that must act gets the data

        lifecycle = await events(kafka_bootstrap, t.lifecycle, 4)
        routed = {e.subject: e.parse(RequestRouted) for e in of_type(lifecycle, "routed.v1")}
        assert routed["SP-BDG-0001"].agency_code == "bdg-disdukcapil"
        assert routed["SP-BDG-0001"].reason.matched_region == "32.73"
        assert routed["SP-MURA-0001"].due_at == mura_assigned.due_at

        # A redelivered submitted event changes nothing and publishes nothing new.
        await send(
            kafka_bootstrap, t.lifecycle, submitted("SP-BDG-0001", "ktp-el", "32.73.01.1001"), event_id=bdg_id
        )
        await asyncio.sleep(2.0)
        assert len(await read_records(kafka_bootstrap, t.inbox("bdg-disdukcapil"), count=1)) == 1
        lifecycle = await events(kafka_bootstrap, t.lifecycle, 5)
        assert len(of_type(lifecycle, "routed.v1")) == 2

        body = (await http.get("/v1/requests/SP-BDG-0001/assignment")).json()
        assert body["agency_code"] == "bdg-disdukcapil" and body["status"] == "routed"
        assert body["agency_name"] == "Dinas Kependudukan dan Pencatatan Sipil Kota Bandung"
        assert body["reason"]["rule"] == "jurisdiction" and body["due_at"]
        assert (await http.get("/v1/requests/SP-NONE-0001/assignment")).status_code == 404
        catalog = (await http.get("/v1/catalog")).json()
        assert catalog["version"] == 1 and len(catalog["services"]) == 18
        assert (await http.get("/readyz")).status_code == 200


async def test_a_request_nobody_has_authority_over_is_unroutable_not_dropped(
    demo_applied, kafka_bootstrap
) -> None:
    t = demo_applied.topics
    async with running(demo_applied):
        await send(kafka_bootstrap, t.lifecycle, submitted("SP-ACEH-0001", "ktp-el", "11.01"))
        lifecycle = await events(kafka_bootstrap, t.lifecycle, 2)
        (unroutable,) = of_type(lifecycle, "unroutable.v1")
        assert "11.01" in unroutable.data["reason"]
