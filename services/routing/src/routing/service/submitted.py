"""A submitted request: decide the agency, record the assignment, publish routed + assigned."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from satupintu_shared.events import RequestRouted, RequestSubmitted, RequestUnroutable, RoutingReason
from satupintu_shared.telemetry import current_span_ids

from .. import metrics
from ..adapters import assignments, outbox
from ..adapters.assignments import Assignment
from ..domain.deadlines import due_at
from ..domain.decision import NoRoute, Routed, route
from ..domain.ids import derived_id
from .deps import Deps, enqueue_assigned

KINDS = ("routed", "assigned", "unroutable")


async def handle_submitted(deps: Deps, event_id: str, event: RequestSubmitted) -> None:
    """Route ``event`` once: a redelivery finds it processed and only re-flushes its events."""
    async with deps.pool.acquire() as conn, conn.transaction():
        if await assignments.mark_processed(conn, f"submitted:{event_id}"):
            queued = await _route(conn, deps, event_id, event)
        else:
            queued = [derived_id(event_id, kind) for kind in KINDS]
    await deps.relay.flush(queued)


async def _route(conn: asyncpg.Connection, deps: Deps, event_id: str, event: RequestSubmitted) -> list[str]:
    now = deps.clock()
    decision = route(deps.catalog(), event.service_code, event.region_code)
    if isinstance(decision, NoRoute):
        return await _unroutable(conn, deps, event_id, event, decision.reason, now)
    metrics.DECISIONS.labels(rule=decision.reason.rule, outcome="routed").inc()
    a = _assignment(event, decision, now)
    if not await assignments.insert(conn, a):
        return []  # a second submitted event for an assigned tracking number: the first one stands
    metrics.transition(a.service_code, "routed")
    assert a.due_at is not None
    routed = RequestRouted(
        tracking_number=a.tracking_number,
        occurred_at=now,
        agency_code=decision.agency.code,
        service_code=a.service_code,
        region_code=a.region_code,
        due_at=a.due_at,
        sla_working_days=decision.service.sla_working_days,
        reason=decision.reason,
    )
    queued = [await outbox.enqueue(conn, deps.topics.lifecycle, routed, derived_id(event_id, "routed"))]
    return queued + await enqueue_assigned(
        conn,
        deps,
        a,
        agency_code=decision.agency.code,
        due_at=a.due_at,
        reason=decision.reason,
        now=now,
        event_id=derived_id(event_id, "assigned"),
    )


def _assignment(event: RequestSubmitted, decision: Routed, now: datetime) -> Assignment:
    trace_id, span_id = _trace_ids()
    request: dict[str, Any] = {
        "applicant": event.applicant.model_dump(mode="json"),
        "attributes": event.attributes,
        "description": event.description,
        "channel": event.channel.value,
    }
    return Assignment(
        tracking_number=event.tracking_number,
        service_code=event.service_code,
        region_code=event.region_code,
        agency_code=decision.agency.code,
        status="routed",
        since=now,
        due_at=due_at(now, decision.service.sla_working_days, decision.agency.time_zone),
        sla_working_days=decision.service.sla_working_days,
        hop=0,
        escalation_level=0,
        returned_by=[],
        reason=decision.reason.model_dump(mode="json"),
        request=request,
        trace_id=trace_id,
        span_id=span_id,
    )


def _trace_ids() -> tuple[str | None, str | None]:
    # The span routing this request, in the request's trace: later traces link back to it.
    return current_span_ids() or (None, None)


async def _unroutable(
    conn: asyncpg.Connection, deps: Deps, event_id: str, event: RequestSubmitted, reason: str, now: datetime
) -> list[str]:
    metrics.DECISIONS.labels(rule="jurisdiction", outcome="unroutable").inc()
    service = deps.catalog().service(event.service_code)
    why = RoutingReason(
        rule="jurisdiction",
        owning_level=service.owning_level.value if service else "unknown",
        explanation=reason,
    )
    trace_id, span_id = _trace_ids()
    a = Assignment(
        tracking_number=event.tracking_number,
        service_code=event.service_code,
        region_code=event.region_code,
        agency_code=None,
        status="unroutable",
        since=now,
        due_at=None,
        sla_working_days=None,
        hop=0,
        escalation_level=0,
        returned_by=[],
        reason=why.model_dump(mode="json"),
        request=None,
        trace_id=trace_id,
        span_id=span_id,
    )
    if not await assignments.insert(conn, a):
        return []
    metrics.transition(a.service_code, "unroutable")
    unroutable = RequestUnroutable(
        tracking_number=event.tracking_number,
        occurred_at=now,
        service_code=event.service_code,
        region_code=event.region_code,
        reason=reason,
    )
    return [await outbox.enqueue(conn, deps.topics.lifecycle, unroutable, derived_id(event_id, "unroutable"))]
