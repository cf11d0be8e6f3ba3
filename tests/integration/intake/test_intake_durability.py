"""Idempotency keys survive a restart; an unreachable broker gives 503 in time and never 202."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from satupintu_shared.topics import Topics
from tests.support.kafka import read_records

from .catalog_fixture import CATALOG, valid_body
from .conftest import RunIntake

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def test_the_same_idempotency_key_gives_the_same_number_across_a_restart(
    run_intake: RunIntake, kafka_bootstrap: str, topics: Topics
) -> None:
    headers = {"Idempotency-Key": "counter-7-0001"}
    async with run_intake() as client:
        first = await client.post("/v1/requests", json=valid_body(), headers=headers)
    async with run_intake() as client:
        again = await client.post("/v1/requests", json=valid_body(), headers=headers)
        different = await client.post("/v1/requests", json=valid_body(description="other"), headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.json()["tracking_number"] == first.json()["tracking_number"]
    assert again.headers["idempotent-replayed"] == "true"
    assert different.status_code == 409
    records = await read_records(kafka_bootstrap, topics.lifecycle, count=1, timeout=5)
    assert len(records) == 1


async def test_an_unreachable_broker_answers_503_within_the_bound(
    run_intake: RunIntake, tmp_path: Path
) -> None:
    catalog_file = tmp_path / "catalog.json"
    catalog_file.write_text(json.dumps(CATALOG.model_dump(mode="json")))
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
        "INTAKE_PUBLISH_TIMEOUT_SECONDS": "1.5",
        "INTAKE_CATALOG_FILE": str(catalog_file),
        "INTAKE_CATALOG_WAIT_SECONDS": "0",
    }
    async with run_intake(wait_connected=False, **env) as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).status_code == 503
        started = time.monotonic()
        response = await client.post("/v1/requests", json=valid_body())
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert elapsed < 1.5 + 1.0
