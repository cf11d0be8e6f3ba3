"""Time spent in each state of a request, from its ordered status-changing events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

TERMINAL = frozenset({"completed", "rejected", "unroutable"})


@dataclass(frozen=True)
class Stay:
    """One uninterrupted stay in a state."""

    status: str
    entered_at: datetime
    left_at: datetime | None
    seconds: float


def stays(changes: Sequence[tuple[str, datetime]], now: datetime) -> list[Stay]:
    """Consecutive stays; the last one runs until ``now`` unless the state is terminal."""
    out: list[Stay] = []
    for i, (status, entered) in enumerate(changes):
        if i + 1 < len(changes):
            left: datetime | None = changes[i + 1][1]
        else:
            left = None if status in TERMINAL else now
        seconds = max((left - entered).total_seconds(), 0.0) if left else 0.0
        out.append(Stay(status, entered, left if i + 1 < len(changes) else None, seconds))
    return out


def seconds_per_state(items: Sequence[Stay]) -> dict[str, float]:
    """Total seconds spent in each state (a state entered twice adds up)."""
    totals: dict[str, float] = {}
    for stay in items:
        totals[stay.status] = totals.get(stay.status, 0.0) + stay.seconds
    return totals
