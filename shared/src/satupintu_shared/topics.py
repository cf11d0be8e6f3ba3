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

    def agency_submissions(self, agency_code: str) -> str:
        """Public: requests ``agency_code``'s system submits; only that agency may write here, so the
        submitting agency is known from the topic, never from the payload."""
        return f"{self.prefix}satupintu.agency.{agency_code}.submissions"

    def agency_topics(self, agency_code: str) -> tuple[str, str, str]:
        """Every topic of one agency: inbox, status, submissions."""
        return self.inbox(agency_code), self.status(agency_code), self.agency_submissions(agency_code)

    @property
    def status_pattern(self) -> str:
        """Regular expression matching every agency's status topic."""
        return self._agency_pattern("status")

    @property
    def agency_submissions_pattern(self) -> str:
        """Regular expression matching every agency's submissions topic."""
        return self._agency_pattern("submissions")

    def agency_of_status_topic(self, topic: str) -> str | None:
        """The agency code a status topic belongs to, or None when ``topic`` is not a status topic."""
        return self._agency_of(topic, "status")

    def agency_of_submissions_topic(self, topic: str) -> str | None:
        """The agency code a submissions topic belongs to, or None when it is not one."""
        return self._agency_of(topic, "submissions")

    def _agency_pattern(self, kind: str) -> str:
        return re.escape(f"{self.prefix}satupintu.agency.") + r"[^.]+" + re.escape(f".{kind}")

    def _agency_of(self, topic: str, kind: str) -> str | None:
        head, tail = f"{self.prefix}satupintu.agency.", f".{kind}"
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
