from __future__ import annotations

import io

import pytest
import yaml

from routing.entrypoints.catalog_commands import apply
from satupintu_shared.events import RequestAssigned
from tests.integration.routing.conftest import (
    DEMO,
    events,
    running,
    send,
    submitted,
    until_routing_may_deliver,
)
from tests.support.kafka import eventually, read_records

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def test_a_catalog_applied_at_runtime_routes_the_next_request_to_a_new_agency(
    demo_applied, kafka_bootstrap, tmp_path
) -> None:
    t = demo_applied.topics
    async with running(demo_applied) as http:
        await send(kafka_bootstrap, t.lifecycle, submitted("SP-CAT-0001", "bansos", "32.73.05.1001"))
        await events(kafka_bootstrap, t.inbox("bdg-dinsos"), 1)

        doc = yaml.safe_load(DEMO.read_text())
        doc["agencies"].append(
            {
                "code": "bdg-dinsos-andir",
                "name": "UPT Dinas Sosial Kecamatan {region}",
                "level": "unit",
                "parent": "bdg-dinsos",
                "jurisdiction": ["32.73.05"],
                "services": ["bansos"],
            }
        )
        changed = tmp_path / "catalog.yaml"
        changed.write_text(yaml.safe_dump(doc, allow_unicode=True))
        out = io.StringIO()
        assert await apply(demo_applied, changed, out, dry_run=True) == 0
        assert "+ agency bdg-dinsos-andir: UPT Dinas Sosial Kecamatan Andir" in out.getvalue()
        assert await apply(demo_applied, changed, io.StringIO()) == 0
        await until_routing_may_deliver(demo_applied, changed)

        async def version_2() -> bool:
            return (await http.get("/v1/catalog")).json()["version"] == 2

        await eventually(version_2, timeout=15)

        await send(kafka_bootstrap, t.lifecycle, submitted("SP-CAT-0002", "bansos", "32.73.05.1001"))
        ((inbox, _),) = await events(kafka_bootstrap, t.inbox("bdg-dinsos-andir"), 1)
        assert inbox.parse(RequestAssigned).tracking_number == "SP-CAT-0002"

        # Unchanged and invalid catalogs publish nothing.
        out = io.StringIO()
        assert await apply(demo_applied, changed, out) == 0 and "unchanged: version 2" in out.getvalue()
        doc["agencies"][-1]["parent"] = "nowhere"
        changed.write_text(yaml.safe_dump(doc))
        assert await apply(demo_applied, changed, io.StringIO()) == 1
        assert len(await read_records(kafka_bootstrap, t.catalog, count=2)) == 2
