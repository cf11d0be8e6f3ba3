"""The watchdog's work: escalate overdue assignments to the parent agency, exactly once per breach.

Overdue rows are locked with ``FOR UPDATE SKIP LOCKED`` and updated in the same transaction that
stores the events in the outbox, so two replicas never escalate the same breach, and a crash after
the commit loses nothing (the relay publishes what the outbox holds). Event ids derive from the
tracking number and the escalation level.
"""

from __future__ import annotations

import asyncpg

from satupintu_shared.events import RequestEscalated
from satupintu_shared.telemetry import linked_trace, span_context

from .. import metrics
from ..adapters import assignments, outbox
from ..adapters.assignments import Assignment
from ..domain.ids import derived_id
from ..domain.policy import escalate
from .deps import Deps, enqueue_assigned


async def escalate_overdue(deps: Deps, *, batch: int = 100) -> int:
    """Escalate every overdue assignment (one batch); returns how many were escalated."""
    async with deps.pool.acquire() as conn, conn.transaction():
        queued: list[str] = []
        escalated = 0
        for a in await assignments.lock_overdue(conn, deps.clock(), batch):
            events = await _escalate_one(conn, deps, a)
            escalated += 1 if events else 0
            queued += events
    await deps.relay.flush(queued)
    return escalated


async def _escalate_one(conn: asyncpg.Connection, deps: Deps, a: Assignment) -> list[str]:
    # Its own trace, linked to the request's: the outbox keeps this context for the publish.
    links = [("request", span_context(a.trace_id, a.span_id))]
    attributes = {
        "satupintu.tracking_number": a.tracking_number,
        "satupintu.agency_code": a.agency_code or "",
    }
    with linked_trace("routing escalation", links, attributes=attributes):
        return await _escalate(conn, deps, a)


async def _escalate(conn: asyncpg.Connection, deps: Deps, a: Assignment) -> list[str]:
    now = deps.clock()
    assert a.agency_code is not None and a.due_at is not None
    step = escalate(
        deps.catalog(),
        service_code=a.service_code,
        agency_code=a.agency_code,
        escalation_level=a.escalation_level,
        now=now,
    )
    if isinstance(step, str):
        metrics.ESCALATIONS.labels(outcome="exhausted").inc()
        await assignments.update(conn, a.tracking_number, escalation_exhausted=True)
        return []
    metrics.ESCALATIONS.labels(outcome="escalated").inc()
    metrics.transition(a.service_code, "escalated")
    await assignments.update(
        conn,
        a.tracking_number,
        agency_code=step.to.code,
        status="escalated",
        since=now,
        due_at=step.due_at,
        escalation_level=step.level,
        reason=step.reason.model_dump(mode="json"),
    )
    trigger = f"{a.tracking_number}:escalation:{step.level}"
    escalated = RequestEscalated(
        tracking_number=a.tracking_number,
        occurred_at=now,
        from_agency_code=a.agency_code,
        agency_code=step.to.code,
        breached_due_at=a.due_at,
        due_at=step.due_at,
        escalation_level=step.level,
    )
    queued = [await outbox.enqueue(conn, deps.topics.lifecycle, escalated, derived_id(trigger, "escalated"))]
    return queued + await enqueue_assigned(
        conn,
        deps,
        a,
        agency_code=step.to.code,
        due_at=step.due_at,
        reason=step.reason,
        now=now,
        event_id=derived_id(trigger, "assigned"),
    )
