"""The escalation watchdog: a periodic task in every replica (the database makes it exactly-once)."""

from __future__ import annotations

import asyncio
import logging

from ..service.deps import Deps
from ..service.escalation import escalate_overdue

log = logging.getLogger(__name__)


async def run_watchdog(deps: Deps, interval_seconds: float) -> None:
    """Every ``interval_seconds``: escalate overdue assignments, publish outbox leftovers."""
    while True:
        try:
            escalated = await escalate_overdue(deps)
            if escalated:
                log.info("escalated overdue assignments", extra={"count": escalated})
            await deps.relay.flush_stale()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("watchdog round failed; retrying next round")
        await asyncio.sleep(interval_seconds)
