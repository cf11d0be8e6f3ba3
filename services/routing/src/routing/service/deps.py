"""What the handlers need, wired once by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from satupintu_shared.catalog import Catalog
from satupintu_shared.events import RequestAssigned, RoutingReason, utc_now
from satupintu_shared.topics import Topics

from ..adapters import outbox
from ..adapters.assignments import Assignment
from ..adapters.outbox import OutboxRelay
from ..domain.policy import DEFAULT_HOP_LIMIT


@dataclass
class Deps:
    """Database pool, outbox relay, topic names, the current catalog and the clock."""

    pool: asyncpg.Pool
    relay: OutboxRelay
    topics: Topics
    catalog: Callable[[], Catalog]
    clock: Callable[[], datetime] = field(default=utc_now)
    hop_limit: int = DEFAULT_HOP_LIMIT


def assigned_event(
    a: Assignment, *, agency_code: str, due_at: datetime, reason: RoutingReason, now: datetime
) -> RequestAssigned | None:
    """The inbox message for ``agency_code`` with the request's data (None once routing cleared it)."""
    request: dict[str, Any] | None = a.request
    if request is None:
        return None
    return RequestAssigned(
        tracking_number=a.tracking_number,
        occurred_at=now,
        agency_code=agency_code,
        service_code=a.service_code,
        region_code=a.region_code,
        due_at=due_at,
        reason=reason,
        **request,
    )


async def enqueue_assigned(
    conn: asyncpg.Connection,
    deps: Deps,
    a: Assignment,
    *,
    agency_code: str,
    due_at: datetime,
    reason: RoutingReason,
    now: datetime,
    event_id: str,
) -> list[str]:
    """Queue the inbox message for ``agency_code`` with the request's data (if routing still holds it)."""
    assigned = assigned_event(a, agency_code=agency_code, due_at=due_at, reason=reason, now=now)
    if assigned is None:
        return []
    return [await outbox.enqueue(conn, deps.topics.inbox(agency_code), assigned, event_id)]
