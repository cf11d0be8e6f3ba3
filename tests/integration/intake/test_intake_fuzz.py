"""Property-based fuzzing: whatever a client sends to POST /v1/requests, intake never answers 5xx."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .catalog_fixture import valid_body
from .conftest import RunIntake

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
fields = st.sampled_from(
    [
        "service_code",
        "region_code",
        "applicant",
        "attributes",
        "description",
        "channel",
        "submitted_by",
        "extra",
    ]
)
mutations = st.dictionaries(fields, values, max_size=4)
raw_bodies = st.binary(max_size=200)


async def test_random_bodies_never_cause_a_server_error(run_intake: RunIntake) -> None:
    async with run_intake() as client:
        seen: list[int] = []

        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
        @given(mutations, raw_bodies)
        def case(mutation: dict[str, Any], raw: bytes) -> None:
            cases.append((mutation, raw))

        cases: list[tuple[dict[str, Any], bytes]] = []
        case()
        for mutation, raw in cases:
            body = json.dumps({**valid_body(), **mutation}).encode()
            for content in (body, raw):
                response = await client.post(
                    "/v1/requests", content=content, headers={"content-type": "application/json"}
                )
                seen.append(response.status_code)
                assert response.status_code < 500, (content, response.text)
    assert 202 in seen or 422 in seen
