"""`satupintu agency keys create|list|revoke` against the real intake (its admin API), as an integrator
onboarding an agency that reports over HTTP does it. What a key may do is intake's own test."""

from __future__ import annotations

import asyncio
import re

import pytest

from tests.support.platform import ROOT, Platform

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.postgres]

AGENCY = "bdg-disdukcapil"


async def test_an_integrator_creates_lists_and_revokes_an_agency_key_with_the_cli(platform: Platform) -> None:
    await platform.start(("intake",))
    platform.env["SATUPINTU_INTAKE_URL"] = platform.url("intake")
    applied = await asyncio.to_thread(
        platform.cli, "catalog", "apply", str(ROOT / "deploy/catalog/demo.yaml")
    )
    assert applied.returncode == 0, applied.stdout + applied.stderr

    created = await asyncio.to_thread(platform.cli, "agency", "keys", "create", AGENCY)
    assert created.returncode == 0, created.stdout + created.stderr + platform.log("intake")
    match = re.search(rf"created key (\S+) for {AGENCY}", created.stdout)
    assert match, created.stdout
    key_id = match.group(1)
    assert "shown only once" in created.stdout

    listed = await asyncio.to_thread(platform.cli, "agency", "keys", "list", AGENCY)
    assert listed.returncode == 0, listed.stderr
    assert key_id in listed.stdout and "1 key(s), 1 active" in listed.stdout

    revoked = await asyncio.to_thread(platform.cli, "agency", "keys", "revoke", AGENCY, key_id)
    assert revoked.returncode == 0, revoked.stderr
    listed = await asyncio.to_thread(platform.cli, "agency", "keys", "list", AGENCY)
    assert "revoked" in listed.stdout and "1 key(s), 0 active" in listed.stdout

    unknown = await asyncio.to_thread(platform.cli, "agency", "keys", "revoke", AGENCY, "no-such-key")
    assert unknown.returncode == 1 and "(404)" in unknown.stderr

    platform.env["SATUPINTU_ADMIN_TOKEN"] = "wrong-token"
    refused = await asyncio.to_thread(platform.cli, "agency", "keys", "list", AGENCY)
    assert refused.returncode == 1 and ("(401)" in refused.stderr or "(403)" in refused.stderr)
