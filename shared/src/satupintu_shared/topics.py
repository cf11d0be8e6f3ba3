"""Kafka topic names: the public ones (see BRIEF.md) and the platform's internal ones.

Every name carries an optional prefix so that tests and parallel environments get their own topics
without changing the names users rely on (the default prefix is empty).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Topics:
    """The topic names of one SatuPintu environment."""

    prefix: str = ""

    @property
    def lifecycle(self) -> str:
        """Canonical history: every state change of every request, keyed by tracking number."""
        return f"{self.prefix}satupintu.requests.lifecycle"

    @property
    def submissions(self) -> str:
        """Public: agency systems submit new requests here (CloudEvents)."""
        return f"{self.prefix}satupintu.intake.submissions"

    @property
    def catalog(self) -> str:
        """Compacted: the applied service catalog (one record per key ``catalog``)."""
        return f"{self.prefix}satupintu.catalog"

    @property
    def deadletter(self) -> str:
        """Messages that could not be decoded, validated or accepted, with the reason in headers."""
        return f"{self.prefix}satupintu.deadletter"

    def inbox(self, agency_code: str) -> str:
        """Public: requests assigned to ``agency_code`` (read by that agency's system)."""
        return f"{self.prefix}satupintu.agency.{agency_code}.inbox"

    def status(self, agency_code: str) -> str:
        """Public: progress reports written by ``agency_code``'s system."""
        return f"{self.prefix}satupintu.agency.{agency_code}.status"

    @property
    def status_pattern(self) -> str:
        """Regular expression matching every agency's status topic."""
        return re.escape(f"{self.prefix}satupintu.agency.") + r"[^.]+" + re.escape(".status")

    def agency_of_status_topic(self, topic: str) -> str | None:
        """The agency code a status topic belongs to, or None when ``topic`` is not a status topic."""
        head, tail = f"{self.prefix}satupintu.agency.", ".status"
        if topic.startswith(head) and topic.endswith(tail):
            code = topic[len(head) : -len(tail)]
            return code if code and "." not in code else None
        return None


def topic_family(topic: str) -> str:
    """A bounded label for ``topic``: ``agency.inbox``/``agency.status`` for the many agency topics,
    else its last two parts (``requests.lifecycle``), so metric cardinality stays bounded."""
    parts = topic.split(".")
    if "agency" in parts:
        return "agency." + parts[-1]
    return ".".join(parts[-2:])
