"""The escalation watchdog: a periodic task in every replica (the database makes it exactly-once)."""

from __future__ import annotations

import asyncio
import logging

from .. import metrics
from ..adapters import assignments
from ..service.deps import Deps
from ..service.escalation import escalate_overdue

log = logging.getLogger(__name__)


async def run_watchdog(deps: Deps, interval_seconds: float) -> None:
    """Every ``interval_seconds``: escalate overdue requests, publish outbox leftovers, gauge the backlog."""
    while True:
        try:
            escalated = await escalate_overdue(deps)
            if escalated:
                log.info("escalated overdue assignments", extra={"count": escalated})
            await deps.relay.flush_stale()
            await refresh_backlog(deps)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("watchdog round failed; retrying next round")
        await asyncio.sleep(interval_seconds)


async def refresh_backlog(deps: Deps) -> None:
    """Set the open and overdue assignment gauges from the database (labels: agency code, status)."""
    rows = await assignments.backlog(deps.pool, deps.clock())
    metrics.OPEN_ASSIGNMENTS.clear()
    metrics.OVERDUE_ASSIGNMENTS.clear()
    overdue: dict[str, int] = {}
    for agency, status, count, late in rows:
        metrics.OPEN_ASSIGNMENTS.labels(agency_code=agency, status=status).set(count)
        overdue[agency] = overdue.get(agency, 0) + late
    for agency, late in overdue.items():
        metrics.OVERDUE_ASSIGNMENTS.labels(agency_code=agency).set(late)
