"""What each lifecycle event changes in the citizen-facing status view (pure; no personal data kept)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import lokal

from satupintu_shared.events import (
    STATUS_OF_EVENT,
    AgencyAction,
    Applicant,
    Event,
    RequestEscalated,
    RequestRouted,
    RequestSubmitted,
)

#: Statuses after which nothing more happens to a request (Open311 "closed").
CLOSED = frozenset({"completed", "rejected", "unroutable"})


@dataclass(frozen=True)
class StatusChange:
    """The effect of one lifecycle event; ``None`` fields are left as they were."""

    tracking_number: str
    event_id: str
    occurred_at: datetime
    status: str | None = None
    service_code: str | None = None
    region_code: str | None = None
    channel: str | None = None
    agency_code: str | None = None
    due_at: datetime | None = None
    applicant: dict[str, str] | None = None
    submitted_at: datetime | None = None


def masked_applicant(applicant: Applicant) -> dict[str, str]:
    """Enough to recognise one's own request (``3273********0001``, ``B*** S***``), nothing more."""
    return {
        "nik": lokal.partial_mask("NIK", applicant.nik),
        "name": lokal.partial_mask("NAME", applicant.name),
    }


def status_change(event: Event, event_type: str, event_id: str) -> StatusChange:
    """The change ``event`` makes to its request's status view."""
    status = STATUS_OF_EVENT.get(event_type)
    base = StatusChange(event.tracking_number, event_id, event.occurred_at, status.value if status else None)
    if isinstance(event, RequestSubmitted):
        return replace(
            base,
            service_code=event.service_code,
            region_code=event.region_code,
            channel=event.channel.value,
            applicant=masked_applicant(event.applicant),
            submitted_at=event.occurred_at,
        )
    if isinstance(event, RequestRouted | RequestEscalated):
        return replace(base, agency_code=event.agency_code, due_at=event.due_at)
    if isinstance(event, AgencyAction):
        return replace(base, agency_code=event.agency_code)
    return base
