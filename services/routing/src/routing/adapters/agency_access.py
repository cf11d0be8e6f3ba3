"""What the catalog means on the broker: each agency's topics and the environment's ACLs.

Applying a catalog makes the environment's grants exactly ``environment_acls(topics, agencies of the
catalog)``: an agency that joins gets its topics and grants, one that leaves loses its grants (its
topics and their history are kept, so nothing assigned to it is lost).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from satupintu_shared.acl import Acl, environment_acls
from satupintu_shared.admin import ensure_agency_topics
from satupintu_shared.kafka_admin import KafkaAdministration
from satupintu_shared.settings import KafkaSettings
from satupintu_shared.topics import Topics

#: How long `grant_access` waits for the broker to show the grants it made.
SETTLE_SECONDS = 15.0


@dataclass(frozen=True)
class AccessChanges:
    """Grants created and removed (or, in a dry run, that would be)."""

    topics: Topics
    created: frozenset[Acl]
    removed: frozenset[Acl]

    def agencies(self, grants: Iterable[Acl]) -> list[str]:
        """The agencies ``grants`` concern (a platform grant concerns none)."""
        return sorted({code for acl in grants if (code := agency_of(self.topics, acl)) is not None})

    def summary(self, *, planned: bool = False) -> str:
        """One line: how many grants, for which agencies."""
        verbs = ("to create", "to remove") if planned else ("created", "removed")
        line = f"access: {len(self.created)} grants {verbs[0]}, {len(self.removed)} {verbs[1]}"
        gaining, losing = self.agencies(self.created), self.agencies(self.removed)
        details = [f"{label} {', '.join(codes)}" for label, codes in (("+", gaining), ("-", losing)) if codes]
        return f"{line} ({'; '.join(details)})" if details else line


def agency_of(topics: Topics, acl: Acl) -> str | None:
    """The agency ``acl`` belongs to: its principal is the agency's, or it is on one of its topics."""
    principal = f"{topics.prefix}agency-"
    if acl.principal.startswith(principal):
        return acl.principal[len(principal) :]
    head = f"{topics.prefix}satupintu.agency."
    if acl.resource_type == "topic" and acl.resource_name.startswith(head):
        code, _, _kind = acl.resource_name[len(head) :].rpartition(".")
        return code or None
    return None


async def planned_access(settings: KafkaSettings, agency_codes: Iterable[str]) -> AccessChanges:
    """What ``grant_access`` would change, without changing anything."""
    topics = settings.topics
    desired = environment_acls(topics, agency_codes)
    current = await KafkaAdministration(settings).environment_acls(topics)
    return AccessChanges(topics, frozenset(desired - current), frozenset(current - desired))


async def grant_access(settings: KafkaSettings, agency_codes: Iterable[str]) -> AccessChanges:
    """Create every agency's topics, then make the environment's grants exactly the table's, and return
    once the broker shows them (at most ``SETTLE_SECONDS`` later)."""
    codes = sorted(set(agency_codes))
    topics = settings.topics
    await ensure_agency_topics(settings, codes)
    administration = KafkaAdministration(settings)
    desired = environment_acls(topics, codes)
    created, removed = await administration.reconcile(topics, desired)
    # The broker applies grants from its metadata log a moment after the call returned; a catalog
    # published before would let routing deliver to an inbox it may not write yet.
    deadline = asyncio.get_running_loop().time() + SETTLE_SECONDS
    while (created or removed) and await administration.environment_acls(topics) != desired:
        if asyncio.get_running_loop().time() > deadline:
            break  # created all the same: they take effect when the broker catches up
        await asyncio.sleep(0.2)
    return AccessChanges(topics, frozenset(created), frozenset(removed))
