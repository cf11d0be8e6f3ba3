"""Submitted requests, a batch at a time: decide the agencies, record the assignments, publish the events.

A batch is decided in memory first (the routing rule is pure), then written in ONE transaction: the
consumed event ids (``processed_events``), the new assignments and the outbox rows, each with one
statement. After the commit every resulting event is sent at once and the outbox rows are deleted
once the broker acknowledged them all. Guarantees, as for one event at a time:

- a redelivered event finds its id processed: nothing changes, its events (same ids) are re-flushed;
- a second submission for a tracking number that already has an assignment changes nothing;
- a crash after the commit loses nothing (the outbox), and events of one request keep their order;
- each event is decided and published within its own trace context (``Submitted.context``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.context import Context

from satupintu_shared.catalog import Catalog, TimeZone
from satupintu_shared.events import (
    RequestAssigned,
    RequestRouted,
    RequestSubmitted,
    RequestUnroutable,
    RoutingReason,
)
from satupintu_shared.telemetry import current_span_ids, current_traceparent

from .. import metrics
from ..adapters import assignments, outbox
from ..adapters.assignments import Assignment
from ..adapters.outbox import Pending
from ..domain.deadlines import due_at
from ..domain.decision import NoRoute, Routed, route
from ..domain.ids import derived_id
from .deps import Deps

KINDS = ("routed", "assigned", "unroutable")


@dataclass(frozen=True)
class Submitted:
    """One consumed ``RequestSubmitted``, with the trace context its processing belongs to."""

    event_id: str
    event: RequestSubmitted
    context: Context | None = None

    @property
    def key(self) -> str:
        return f"submitted:{self.event_id}"


@dataclass(frozen=True)
class Failed:
    """An event that could not be decided (it is dead-lettered; the rest of the batch goes on)."""

    item: Submitted
    error: Exception


@dataclass(frozen=True)
class _Decision:
    item: Submitted
    assignment: Assignment
    events: list[Pending]
    rule: str
    outcome: str  # routed | unroutable


async def route_submitted(deps: Deps, items: Sequence[Submitted]) -> list[Failed]:
    """Route ``items`` (in consumption order) once each; returns those that could not be decided."""
    decided: dict[str, _Decision] = {}
    failed: list[Failed] = []
    now = deps.clock()
    decide = _Decider(deps, deps.catalog(), now)
    for item in items:
        if item.key in decided:
            continue  # the same event twice in one batch
        with _within(item.context):
            try:
                decided[item.key] = decide(item)
            except Exception as exc:  # a poison event: isolated, the batch goes on
                failed.append(Failed(item, exc))
    if not decided:
        return failed

    # The batch's database work is traced within the first event's processing.
    with _within(next(iter(decided.values())).item.context):
        async with deps.pool.acquire() as conn, conn.transaction():
            new = await assignments.mark_processed_many(conn, list(decided))
            # One assignment per request: the first submission stands (in this batch or before it).
            first: dict[str, _Decision] = {}
            for key, d in decided.items():
                if key in new:
                    first.setdefault(d.assignment.tracking_number, d)
            inserted = await assignments.insert_many(conn, [d.assignment for d in first.values()])
            stored = [d for d in first.values() if d.assignment.tracking_number in inserted]
            events = [e for d in stored for e in d.events]
            await outbox.enqueue_many(conn, events)

    for key, d in decided.items():
        if key in new:
            metrics.DECISIONS.labels(rule=d.rule, outcome=d.outcome).inc()
    for d in stored:
        metrics.transition(d.assignment.service_code, d.assignment.status)
    await deps.relay.publish(events)
    # Redelivered events: publish whatever a crash left of theirs in the outbox (same ids).
    again = [
        derived_id(d.item.event_id, kind) for key, d in decided.items() if key not in new for kind in KINDS
    ]
    if again:
        await deps.relay.flush(again)
    return failed


@contextmanager
def _within(context: Context | None) -> Iterator[None]:
    token = otel_context.attach(context) if context is not None else None
    try:
        yield
    finally:
        if token is not None:
            otel_context.detach(token)


class _Decider:
    """Decides events of one batch, in memory; decisions and deadlines repeat a lot, so they are memoised."""

    def __init__(self, deps: Deps, catalog: Catalog, now: datetime) -> None:
        self._deps = deps
        self._catalog = catalog
        self._now = now
        self._source = deps.relay.source
        self._routes: dict[tuple[str, str], Routed | NoRoute] = {}
        self._due: dict[tuple[int, TimeZone], datetime] = {}
        self._reasons: dict[int, dict[str, Any]] = {}
        self._context: Context | None = None
        self._traceparent: str | None = None

    def __call__(self, item: Submitted) -> _Decision:
        event = item.event
        where = (event.service_code, event.region_code)
        decision = self._routes.get(where)
        if decision is None:
            decision = self._routes[where] = route(self._catalog, event.service_code, event.region_code)
        # The event's processing span: published events and the assignment refer to it.
        self._context, self._traceparent = otel_context.get_current(), current_traceparent()
        if isinstance(decision, NoRoute):
            return self._unroutable(item, decision.reason)
        return self._routed(item, decision)

    def _routed(self, item: Submitted, decision: Routed) -> _Decision:
        event, now, topics = item.event, self._now, self._deps.topics
        sla, zone = decision.service.sla_working_days, decision.agency.time_zone
        due = self._due.get((sla, zone))
        if due is None:
            due = self._due[(sla, zone)] = due_at(now, sla, zone)
        reason = self._reasons.get(id(decision))
        if reason is None:
            reason = self._reasons[id(decision)] = decision.reason.model_dump(mode="json")
        a = _assignment(event, decision, now, due, reason)
        routed = RequestRouted(
            tracking_number=a.tracking_number,
            occurred_at=now,
            agency_code=decision.agency.code,
            service_code=a.service_code,
            region_code=a.region_code,
            due_at=due,
            sla_working_days=sla,
            reason=decision.reason,
        )
        events = [self._pending(topics.lifecycle, routed, item, "routed")]
        # What deps.assigned_event builds from the stored request, from the validated models directly.
        assigned = RequestAssigned(
            tracking_number=a.tracking_number,
            occurred_at=now,
            agency_code=decision.agency.code,
            service_code=a.service_code,
            region_code=a.region_code,
            due_at=due,
            reason=decision.reason,
            applicant=event.applicant,
            attributes=event.attributes,
            description=event.description,
            channel=event.channel,
        )
        events.append(self._pending(topics.inbox(decision.agency.code), assigned, item, "assigned"))
        return _Decision(item, a, events, rule=decision.reason.rule, outcome="routed")

    def _unroutable(self, item: Submitted, reason: str) -> _Decision:
        event, now = item.event, self._now
        service = self._catalog.service(event.service_code)
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
        unroutable = RequestUnroutable(
            tracking_number=event.tracking_number,
            occurred_at=now,
            service_code=event.service_code,
            region_code=event.region_code,
            reason=reason,
        )
        events = [self._pending(self._deps.topics.lifecycle, unroutable, item, "unroutable")]
        return _Decision(item, a, events, rule="jurisdiction", outcome="unroutable")

    def _pending(self, topic: str, event: Any, item: Submitted, kind: str) -> Pending:
        return outbox.pending(
            topic,
            event,
            derived_id(item.event_id, kind),
            source=self._source,
            traceparent=self._traceparent,
            context=self._context,
        )


def _assignment(
    event: RequestSubmitted, decision: Routed, now: datetime, due: datetime, reason: dict[str, Any]
) -> Assignment:
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
        due_at=due,
        sla_working_days=decision.service.sla_working_days,
        hop=0,
        escalation_level=0,
        returned_by=[],
        reason=reason,
        request=request,
        trace_id=trace_id,
        span_id=span_id,
    )


def _trace_ids() -> tuple[str | None, str | None]:
    # The span routing this request, in the request's trace: later traces link back to it.
    return current_span_ids() or (None, None)
