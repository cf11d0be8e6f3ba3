"""An agency's status report: accept it from the assigned agency along allowed transitions, or refuse it."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime

import asyncpg
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind

from satupintu_shared.events import (
    AgencyAction,
    RequestAccepted,
    RequestCompleted,
    RequestInProgress,
    RequestRejected,
    RequestReturned,
    RequestRouted,
    RequestUnroutable,
    StatusReported,
)
from satupintu_shared.telemetry import linked_trace, span_context

from .. import metrics
from ..adapters import assignments, outbox
from ..adapters.assignments import Assignment
from ..domain.deadlines import due_at
from ..domain.decision import NoRoute
from ..domain.ids import derived_id
from ..domain.policy import after_return
from ..domain.transitions import Refusal, check_report
from .deps import Deps, enqueue_assigned

ACTIONS: dict[str, type[AgencyAction]] = {
    "accepted": RequestAccepted,
    "in_progress": RequestInProgress,
    "completed": RequestCompleted,
    "rejected": RequestRejected,
    "returned": RequestReturned,
}
KINDS = ("lifecycle", "rerouted", "reassigned", "unroutable")


async def _handle(deps: Deps, acting_agency: str, event_id: str, report: StatusReported) -> Refusal | None:
    """Apply ``report`` from ``acting_agency`` (known from its topic), or say why it is refused.

    A refusal changes nothing, so a redelivered refusal is refused again; an accepted report is
    recorded and a redelivery only re-flushes its events.
    """
    trigger = f"{acting_agency}:{event_id}"
    async with deps.pool.acquire() as conn, conn.transaction():
        if not await assignments.mark_processed(conn, f"status:{trigger}"):
            queued = [derived_id(trigger, kind) for kind in KINDS]
        else:
            current = await assignments.lock(conn, report.tracking_number)
            refusal = _check(current, acting_agency, report)
            if refusal is not None:
                raise _Refused(refusal)
            assert current is not None
            queued = await _accept(conn, deps, current, acting_agency, event_id, trigger, report)
    await deps.relay.flush(queued)
    return None


class _Refused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.reason)
        self.refusal = refusal


async def apply_status(
    deps: Deps, acting_agency: str, event_id: str, report: StatusReported
) -> Refusal | None:
    """Apply the report; a refusal is returned (its transaction rolled back and counted), not raised.

    The work runs in a new trace of its own, linked to the report's (the agency's ``traceparent``)
    and to the request's (the span that routed it): a report may come days after the request.
    """
    request = await assignments.trace_of(deps.pool, report.tracking_number)
    with _report_trace(acting_agency, event_id, report, request) as span:
        try:
            return await _handle(deps, acting_agency, event_id, report)
        except _Refused as refused:
            metrics.REFUSALS.labels(reason=refused.refusal.category).inc()
            span.set_attribute("satupintu.refusal", refused.refusal.category)
            return refused.refusal


def _report_trace(
    agency: str, event_id: str, report: StatusReported, request: tuple[str, str] | None
) -> AbstractContextManager[Span]:
    links = [
        ("agency_report", trace.get_current_span().get_span_context()),
        ("request", span_context(*request) if request else None),
    ]
    attributes = {
        "messaging.message.id": event_id,
        "satupintu.tracking_number": report.tracking_number,
        "satupintu.agency_code": agency,
        "satupintu.reported_status": report.status,
    }
    return linked_trace("routing status report", links, attributes=attributes, kind=SpanKind.CONSUMER)


def _check(current: Assignment | None, acting_agency: str, report: StatusReported) -> Refusal | None:
    if current is None:
        return Refusal("unknown_request", f"no assignment for tracking number {report.tracking_number}")
    return check_report(
        assigned_agency=current.agency_code,
        current=current.status,
        acting_agency=acting_agency,
        reported=report.status,
        reason=report.reason,
    )


async def _accept(
    conn: asyncpg.Connection,
    deps: Deps,
    a: Assignment,
    agency: str,
    event_id: str,
    trigger: str,
    report: StatusReported,
) -> list[str]:
    now = deps.clock()
    fields = {
        "agency_code": agency,
        "officer_id": report.officer_id,
        "note": report.note,
        "report_id": event_id,
    }
    if report.status in ("rejected", "returned"):
        fields["reason"] = report.reason
    action = ACTIONS[report.status](tracking_number=a.tracking_number, occurred_at=now, **fields)
    queued = [await outbox.enqueue(conn, deps.topics.lifecycle, action, derived_id(trigger, "lifecycle"))]
    metrics.transition(a.service_code, report.status)
    if report.status == "returned":
        return queued + await _reroute(conn, deps, a, agency, trigger, now)
    terminal = report.status in ("completed", "rejected")
    changes: dict[str, object] = {"status": report.status}
    if terminal:
        changes["request"] = None  # personal data is no longer needed once the request is closed
    await assignments.update(conn, a.tracking_number, **changes)
    return queued


async def _reroute(
    conn: asyncpg.Connection, deps: Deps, a: Assignment, agency: str, trigger: str, now: datetime
) -> list[str]:
    decision = after_return(
        deps.catalog(),
        service_code=a.service_code,
        region_code=a.region_code,
        returning_agency=agency,
        returned_by=a.returned_by,
        hop=a.hop,
        hop_limit=deps.hop_limit,
    )
    hop, returned_by = a.hop + 1, [*a.returned_by, agency]
    if isinstance(decision, NoRoute):
        metrics.DECISIONS.labels(rule="reroute-after-return", outcome="unroutable").inc()
        metrics.transition(a.service_code, "unroutable")
        await assignments.update(
            conn,
            a.tracking_number,
            status="unroutable",
            agency_code=None,
            due_at=None,
            since=now,
            hop=hop,
            returned_by=returned_by,
            request=None,
        )
        unroutable = RequestUnroutable(
            tracking_number=a.tracking_number,
            occurred_at=now,
            service_code=a.service_code,
            region_code=a.region_code,
            reason=decision.reason,
            hop=hop,
        )
        return [
            await outbox.enqueue(conn, deps.topics.lifecycle, unroutable, derived_id(trigger, "unroutable"))
        ]
    metrics.DECISIONS.labels(rule=decision.reason.rule, outcome="routed").inc()
    metrics.transition(a.service_code, "routed")
    due = due_at(now, decision.service.sla_working_days, decision.agency.time_zone)
    await assignments.update(
        conn,
        a.tracking_number,
        status="routed",
        agency_code=decision.agency.code,
        since=now,
        due_at=due,
        sla_working_days=decision.service.sla_working_days,
        hop=hop,
        returned_by=returned_by,
        reason=decision.reason.model_dump(mode="json"),
        escalation_level=0,
        escalation_exhausted=False,
    )
    routed = RequestRouted(
        tracking_number=a.tracking_number,
        occurred_at=now,
        agency_code=decision.agency.code,
        service_code=a.service_code,
        region_code=a.region_code,
        due_at=due,
        sla_working_days=decision.service.sla_working_days,
        reason=decision.reason,
        hop=hop,
        previous_agency_code=agency,
    )
    queued = [await outbox.enqueue(conn, deps.topics.lifecycle, routed, derived_id(trigger, "rerouted"))]
    return queued + await enqueue_assigned(
        conn,
        deps,
        a,
        agency_code=decision.agency.code,
        due_at=due,
        reason=decision.reason,
        now=now,
        event_id=derived_id(trigger, "reassigned"),
    )
