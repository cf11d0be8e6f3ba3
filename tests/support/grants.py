"""Waiting for new credentials and ACLs to take effect: the broker applies a new SCRAM user and new grants
shortly (up to about a second) after they were created, so a test that onboards an agency and at once
acts as it, or as a service on its topics, would race them."""

from __future__ import annotations

from satupintu_shared.settings import KafkaSettings
from satupintu_shared.topics import Topics
from tests.support.security import onboard_agency, until_granted

__all__ = ["onboarded", "until_granted"]


async def onboarded(bootstrap: str, topics: Topics, code: str) -> KafkaSettings:
    """``onboard_agency`` (which returns once the agency's system can connect and use its own topics)."""
    return await onboard_agency(bootstrap, topics, code)
