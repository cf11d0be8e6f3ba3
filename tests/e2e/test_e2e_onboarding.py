"""Onboarding end to end, as docs/onboarding.md tells a newcomer to do it: describe a new agency and a
new service in the catalog, apply it with `satupintu` (which gives the agency its topics and grants),
issue the agency's own Kafka credentials, start the agency's system with the SDK on them, submit a
request through intake — and it arrives, is worked on and completed, while every service keeps
running (same process ids before and after).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from satupintu_shared.acl import agency_principal
from satupintu_shared.events import RequestAssigned
from satupintu_shared.sdk import AgencyClient
from satupintu_shared.topics import Topics
from tests.support.kafka import eventually
from tests.support.platform import ROOT, Platform

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]

DEMO = ROOT / "deploy" / "catalog" / "demo.yaml"
AGENCY = "bdg-dlh"
SERVICE = "pengaduan-sampah"
OFFICER = "198001012005011001"

# The example of docs/onboarding.md, word for word in substance.
NEW_SERVICE: dict[str, Any] = {
    "code": SERVICE,
    "name": "Pengaduan Pengangkutan Sampah",
    "owning_level": "regency_city",
    "sla_working_days": 3,
    "attributes": [
        {"code": "lokasi", "datatype": "string", "required": True, "max_length": 200},
        {
            "code": "jenis",
            "datatype": "singlevaluelist",
            "required": True,
            "values": ["tidak-diangkut", "tps-penuh", "lainnya"],
        },
    ],
    "escalation": {"extra_working_days": 2, "max_levels": 2},
}
NEW_AGENCY: dict[str, Any] = {
    "code": AGENCY,
    "name": "Dinas Lingkungan Hidup {region}",
    "level": "opd",
    "parent": "bdg-pemkot",
    "services": [SERVICE],
}
BODY: dict[str, Any] = {
    "service_code": SERVICE,
    "region_code": "32.73.01",
    "applicant": {"nik": "3273010101900001", "name": "Budi Santoso", "phone": "081234567890"},
    "attributes": {"lokasi": "Jl. Setiabudi No. 10", "jenis": "tidak-diangkut"},
    "description": "Sampah belum diangkut tiga hari",
    "channel": "web",
}


async def cli(platform: Platform, *args: str) -> subprocess.CompletedProcess[str]:
    """`satupintu ARGS` against the platform (in a thread: the services keep being awaited meanwhile)."""
    return await asyncio.to_thread(platform.cli, *args)


def new_catalog(tmp_path: Path) -> Path:
    doc = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    doc["services"].append(NEW_SERVICE)
    doc["agencies"].append(NEW_AGENCY)
    path = tmp_path / "catalog-with-dlh.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


async def test_a_new_agency_and_service_applied_at_runtime_get_the_next_request_without_any_restart(
    platform: Platform, kafka_bootstrap: str, topics: Topics, tmp_path: Path
) -> None:
    await platform.start()
    pids = {name: proc.pid for name, proc in platform.processes.items()}
    platform.env.update(
        {
            "SATUPINTU_INTAKE_URL": platform.url("intake"),
            "SATUPINTU_ROUTING_URL": platform.url("routing"),
            "SATUPINTU_PERFORMANCE_URL": platform.url("performance"),
        }
    )
    demo = await cli(platform, "catalog", "apply", str(DEMO))
    assert demo.returncode == 0, demo.stdout + demo.stderr

    # 1–2. Describe the agency and the service; check and apply them.
    catalog = new_catalog(tmp_path)
    dry = await cli(platform, "catalog", "apply", str(catalog), "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert f"+ agency {AGENCY}: Dinas Lingkungan Hidup Kota Bandung" in dry.stdout
    assert f"+ service {SERVICE}" in dry.stdout
    applied = await cli(platform, "catalog", "apply", str(catalog))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "applied version 2" in applied.stdout
    assert f"(+ {AGENCY})" in applied.stdout  # its topics and grants exist now

    # 3. The agency's own credentials, printed once and stored where its system reads them.
    issued = await cli(platform, "agency", "credentials", "create", AGENCY, "--json")
    assert issued.returncode == 0, issued.stdout + issued.stderr
    credentials_file = tmp_path / "bdg-dlh-credentials.json"
    credentials_file.write_text(issued.stdout, encoding="utf-8")
    assert json.loads(issued.stdout)["username"] == agency_principal(topics, AGENCY)

    # 4. The agency's system, built on the SDK, listens to its inbox before any request exists.
    arrived: list[RequestAssigned] = []
    done = asyncio.Event()
    client = AgencyClient.from_credentials_json(credentials_file)
    assert client.settings.kafka_bootstrap_servers == kafka_bootstrap

    @client.on_assignment
    async def handle(request: RequestAssigned) -> None:
        arrived.append(request)
        await client.accept(request.tracking_number, officer_id=OFFICER, note="diterima petugas kebersihan")
        await client.complete(request.tracking_number, officer_id=OFFICER, note="sampah sudah diangkut")
        done.set()

    async with client, httpx.AsyncClient(base_url=platform.url("intake"), timeout=10) as http:
        await client.listen()

        # 5. Submit over intake's HTTP API; intake learns the new service from the catalog topic, live
        # (a moment after the apply it may still answer 422 unknown service).
        async def submitted() -> str | None:
            response = await http.post("/v1/requests", json=BODY, headers={"Idempotency-Key": "onboarding-1"})
            if response.status_code == 202:
                return str(response.json()["tracking_number"])
            assert response.status_code == 422, response.text
            return None

        tn: str = await eventually(submitted, timeout=30, interval=0.5)

        # 6. It arrives in the new agency's inbox; the agency accepts and completes it.
        await asyncio.wait_for(done.wait(), 60)
        (request,) = arrived
        assert request.tracking_number == tn
        assert request.agency_code == AGENCY and request.service_code == SERVICE
        assert request.applicant.name == "Budi Santoso"  # the agency gets what it needs to act
        assert request.reason is not None and AGENCY in request.reason.candidates

        async def completed_in_routing() -> dict[str, Any] | None:
            url = platform.url("routing", f"/v1/requests/{tn}/assignment")
            doc = (await http.get(url, headers=platform.headers())).json()
            return doc if doc.get("status") == "completed" else None

        assignment = await eventually(completed_in_routing, timeout=30)
        assert assignment["agency_code"] == AGENCY
        assert assignment["reason"]["rule"]

        async def completed_in_intake() -> bool:
            return (await http.get(f"/v1/requests/{tn}")).json().get("status") == "completed"

        await eventually(completed_in_intake, timeout=30)

    # 7. The journey in the terminal, from routing and performance.
    async def journey() -> str | None:
        shown = await cli(platform, "request", "show", tn)
        if shown.returncode == 0 and shown.stdout.count("completed") >= 2 and "accepted" in shown.stdout:
            return shown.stdout
        return None

    text: str = await eventually(journey, timeout=60, interval=1.0)
    assert f"status:   completed at {AGENCY}" in text
    for expected in ("submitted", "routed", "accepted", "completed", OFFICER, "sampah sudah diangkut"):
        assert expected in text, f"{expected!r} missing from:\n{text}"
    assert "Budi" not in text and "3273010101900001" not in text  # no personal data in the terminal

    # No restart: the same processes served everything, and they are still running.
    assert {name: proc.pid for name, proc in platform.processes.items()} == pids
    assert all(proc.poll() is None for proc in platform.processes.values())

    # The agency's system is retired: its credentials are revoked (the broker keeps no unused user).
    revoked = await cli(platform, "agency", "credentials", "revoke", AGENCY)
    assert revoked.returncode == 0, revoked.stdout + revoked.stderr
