"""Agency and officer KPIs: the counts read from the store turned into rates and score components."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field


def ratio(numerator: int, denominator: int) -> float | None:
    """numerator / denominator, or None when there is nothing to divide by."""
    return None if denominator <= 0 else numerator / denominator


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (as PostgreSQL's ``percentile_cont``); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


@dataclass(frozen=True)
class AgencyCounts:
    """What happened at one agency in one period (assignments are what the agency was given)."""

    received: int = 0
    completed: int = 0
    completed_on_time: int = 0
    rejected: int = 0
    returned: int = 0
    escalated: int = 0
    median_turnaround_wd: float | None = None
    p90_turnaround_wd: float | None = None
    backlog: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Rates:
    """The rates derived from ``AgencyCounts``."""

    on_time_rate: float | None
    return_rate: float | None
    escalation_rate: float | None
    rejection_rate: float | None


def rates(c: AgencyCounts) -> Rates:
    """On-time over completions; returns, escalations and rejections over assignments received."""
    return Rates(
        on_time_rate=ratio(c.completed_on_time, c.completed),
        return_rate=ratio(c.returned, c.received),
        escalation_rate=ratio(c.escalated, c.received),
        rejection_rate=ratio(c.rejected, c.received),
    )


def score_components(r: Rates, ikm_value: float | None) -> dict[str, float | None]:
    """The components of the composite score (see ``domain.score``), each 0..1 or None."""
    return {
        "on_time": r.on_time_rate,
        "ikm": None if ikm_value is None else ikm_value / 100,
        "returns": None if r.return_rate is None else 1 - min(r.return_rate, 1.0),
        "escalations": None if r.escalation_rate is None else 1 - min(r.escalation_rate, 1.0),
    }
