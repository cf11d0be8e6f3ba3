"""Counters of what the demo did, logged as one summary line now and then (no personal data)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Stats:
    """What the citizens and agency systems did since start."""

    citizens: Counter[str] = field(default_factory=Counter)
    plans: Counter[str] = field(default_factory=Counter)
    reports: Counter[str] = field(default_factory=Counter)

    def summary(self) -> dict[str, dict[str, int]]:
        """A JSON-friendly snapshot."""
        return {
            "citizens": dict(sorted(self.citizens.items())),
            "agency_plans": dict(sorted(self.plans.items())),
            "agency_reports": dict(sorted(self.reports.items())),
        }
