"""The current state of each request and of each assignment, folded from new lifecycle events.

An *assignment* is one period during which one agency held the request: opened by RequestRouted or
RequestEscalated, closed by the agency's completion, rejection or return, or by escalation. Agency
KPIs are counted over assignments, so each agency answers for its own time only.

The fold is fed only events not seen before (the event store deduplicates by id), in order. Fields
describing "now" (status, agency, due time) move only forward in time, so a late-arriving older event
can add to counters but never rewinds the state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from satupintu_shared.events import (
    STATUS_OF_EVENT,
    AgencyAction,
    Event,
    RequestAccepted,
    RequestCompleted,
    RequestEscalated,
    RequestInProgress,
    RequestRejected,
    RequestReturned,
    RequestRouted,
    RequestSubmitted,
    RequestUnroutable,
    SurveyAnswered,
)

from .calendar import turnaround_working_days
from .records import StoredEvent

OPEN_STATUSES = ("submitted", "routed", "accepted", "in_progress", "returned", "escalated")
ZoneOf = Callable[[str], str | None]


@dataclass
class RequestState:
    """The read model row of one request."""

    tracking_number: str
    status: str | None = None
    status_at: datetime | None = None
    service_code: str | None = None
    region_code: str | None = None
    channel: str | None = None
    agency_code: str | None = None
    officer_id: str | None = None
    submitted_at: datetime | None = None
    routed_at: datetime | None = None
    assigned_at: datetime | None = None
    due_at: datetime | None = None
    sla_working_days: int | None = None
    completed_at: datetime | None = None
    closed_at: datetime | None = None
    breached: bool = False
    breached_at: datetime | None = None
    returns: int = 0
    escalations: int = 0
    hops: int = 0
    unroutable_reason: str | None = None
    last_event_type: str | None = None
    trace_id: str | None = None
    surveyed_at: datetime | None = None


@dataclass
class Assignment:
    """One agency holding one request, from assignment to outcome."""

    assignment_id: str
    tracking_number: str
    agency_code: str
    service_code: str | None
    assigned_at: datetime
    due_at: datetime
    rule: str | None
    hop: int
    accepted_at: datetime | None = None
    officer_id: str | None = None
    ended_at: datetime | None = None
    outcome: str | None = None
    turnaround_wd: int | None = None
    on_time: bool | None = None


@dataclass(frozen=True)
class Survey:
    """One answered satisfaction survey, attributed to the agency that served the request."""

    tracking_number: str
    agency_code: str | None
    answered_at: datetime
    answers: dict[str, int]


@dataclass
class FoldResult:
    """Everything a batch changed."""

    requests: dict[str, RequestState]
    assignments: dict[str, Assignment]
    surveys: list[Survey]


def _earliest(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b < a else a


def fold(
    states: dict[str, RequestState],
    open_assignments: dict[str, Assignment],
    events: list[StoredEvent],
    zone_of: ZoneOf,
) -> FoldResult:
    """Apply ``events`` (new ones only, in order) to the current states and open assignments."""
    changed: dict[str, RequestState] = {}
    touched: dict[str, Assignment] = {}
    surveys: list[Survey] = []
    for stored in events:
        tn = stored.tracking_number
        state = states.setdefault(tn, RequestState(tn))
        changed[tn] = state
        _apply_request(state, stored)
        for assignment in _apply_assignment(open_assignments, stored, zone_of):
            touched[assignment.assignment_id] = assignment
        if isinstance(stored.event, SurveyAnswered):
            agency = stored.event.agency_code or state.agency_code
            surveys.append(Survey(tn, agency, stored.occurred_at, stored.event.answers.model_dump()))
    return FoldResult(changed, touched, surveys)


def _apply_request(s: RequestState, stored: StoredEvent) -> None:
    e, at = stored.event, stored.occurred_at
    s.trace_id = s.trace_id or stored.trace_id
    newest = s.status_at is None or at >= s.status_at
    if isinstance(e, RequestSubmitted):
        s.service_code, s.region_code, s.channel = e.service_code, e.region_code, e.channel.value
        s.submitted_at = _earliest(s.submitted_at, at)
    elif isinstance(e, RequestRouted):
        s.routed_at = _earliest(s.routed_at, at)
        s.hops = max(s.hops, e.hop)
        s.service_code = s.service_code or e.service_code
        s.region_code = s.region_code or e.region_code
        if newest:
            s.agency_code, s.due_at, s.sla_working_days, s.assigned_at = (
                e.agency_code,
                e.due_at,
                e.sla_working_days,
                at,
            )
            s.officer_id = None
    elif isinstance(e, RequestEscalated):
        s.escalations += 1
        s.breached = True
        s.breached_at = _earliest(s.breached_at, e.breached_due_at)
        if newest:
            s.agency_code, s.due_at, s.assigned_at, s.officer_id = e.agency_code, e.due_at, at, None
    elif isinstance(e, AgencyAction):
        _apply_action(s, e, at, newest)
    elif isinstance(e, RequestUnroutable):
        s.unroutable_reason = e.reason
        s.service_code = s.service_code or e.service_code
        s.region_code = s.region_code or e.region_code
    elif isinstance(e, SurveyAnswered):
        s.surveyed_at = _earliest(s.surveyed_at, at)
    status = STATUS_OF_EVENT.get(stored.type)
    if status is not None and newest:
        s.status, s.status_at, s.last_event_type = status.value, at, stored.type


def _apply_action(s: RequestState, e: AgencyAction, at: datetime, newest: bool) -> None:
    if e.officer_id and newest:
        s.officer_id = e.officer_id
    if isinstance(e, RequestReturned):
        s.returns += 1
    if isinstance(e, RequestCompleted):
        s.completed_at = _earliest(s.completed_at, at)
    if isinstance(e, RequestCompleted | RequestRejected):
        s.closed_at = _earliest(s.closed_at, at)
        if s.due_at is not None and at > s.due_at:
            s.breached = True
            s.breached_at = _earliest(s.breached_at, s.due_at)


def _apply_assignment(opens: dict[str, Assignment], stored: StoredEvent, zone_of: ZoneOf) -> list[Assignment]:
    e, at, tn = stored.event, stored.occurred_at, stored.tracking_number
    current = opens.get(tn)
    out: list[Assignment] = []
    if isinstance(e, RequestRouted | RequestEscalated):
        if current is not None:
            _close(current, at, "escalated" if isinstance(e, RequestEscalated) else "rerouted", None, zone_of)
            out.append(current)
        rule = e.reason.rule if isinstance(e, RequestRouted) else "escalation"
        hop = e.hop if isinstance(e, RequestRouted) else e.escalation_level
        service = (
            e.service_code if isinstance(e, RequestRouted) else (current.service_code if current else None)
        )
        opens[tn] = Assignment(stored.event_id, tn, e.agency_code, service, at, e.due_at, rule, hop)
        out.append(opens[tn])
    elif isinstance(e, AgencyAction) and current is not None and current.agency_code == e.agency_code:
        current.officer_id = e.officer_id or current.officer_id
        if isinstance(e, RequestAccepted | RequestInProgress):
            current.accepted_at = current.accepted_at or at
        else:
            _close(current, at, _OUTCOME[type(e)], e.officer_id, zone_of)
            del opens[tn]
        out.append(current)
    elif isinstance(e, RequestUnroutable) and current is not None:
        _close(current, at, "unroutable", None, zone_of)
        del opens[tn]
        out.append(current)
    return out


_OUTCOME: dict[type[Event], str] = {
    RequestCompleted: "completed",
    RequestRejected: "rejected",
    RequestReturned: "returned",
}


def _close(a: Assignment, at: datetime, outcome: str, officer: str | None, zone_of: ZoneOf) -> None:
    a.ended_at, a.outcome = at, outcome
    a.officer_id = officer or a.officer_id
    a.turnaround_wd = turnaround_working_days(a.assigned_at, at, zone_of(a.agency_code))
    a.on_time = at <= a.due_at
