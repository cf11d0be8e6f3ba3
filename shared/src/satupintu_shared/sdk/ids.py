"""Deterministic CloudEvent ids, so that retrying a report or a submission publishes the same ``ce_id``.

Consumers deduplicate by event id: a retry after a timeout, a crash or a redelivered assignment then
counts once. A genuine second report must therefore get another id:

- ``assignment`` names the assignment the report answers (``assignment_marker`` of its
  ``RequestAssigned``): a request that comes back to the same agency (after a return and a re-route) is
  a new assignment, and accepting it again is a new report. ``AgencyClient`` fills it in for reports
  made while handling an assignment; pass it yourself for reports made later.
- ``idempotency_key`` tells apart reports of the same status within one assignment (for example two
  distinct ``in_progress`` notes), or an explicit attempt.

Without either, the id is the one earlier versions derived, so retries across an upgrade still match.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Protocol

#: Namespace of every id the SDK derives (uuid5); never change it, or retries across versions differ.
SDK_NAMESPACE = uuid.UUID("0d6c2a4e-8f1b-4c3a-9e57-3b1f6a2d9c80")


class _Assignment(Protocol):
    @property
    def occurred_at(self) -> datetime: ...


def assignment_marker(assignment: _Assignment) -> str:
    """What identifies one assignment of a request to an agency: when routing made it (the same on
    every redelivery of that assignment, different for the next hop)."""
    return assignment.occurred_at.astimezone(UTC).isoformat()


def report_event_id(
    agency_code: str,
    tracking_number: str,
    status: str,
    idempotency_key: str | None = None,
    assignment: str | None = None,
) -> str:
    """The event id of ``agency_code``'s ``status`` report on ``tracking_number`` (in answer to
    ``assignment``, an ``assignment_marker``, when known)."""
    name = f"{agency_code}:{tracking_number}:{status}:{idempotency_key or ''}"
    if assignment:
        name += f":assignment={assignment}"
    return str(uuid.uuid5(SDK_NAMESPACE, name))


def submission_event_id(agency_code: str, key: str) -> str:
    """The event id of ``agency_code``'s submission with idempotency key (or reference) ``key``."""
    return str(uuid.uuid5(SDK_NAMESPACE, f"{agency_code}:submission:{key}"))
