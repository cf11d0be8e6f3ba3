"""Prometheus metrics of routing. Labels are bounded categories, never tracking numbers or personal data."""

from __future__ import annotations

from prometheus_client import REGISTRY, Counter

from satupintu_shared.broker import dead_letter_counter

DECISIONS = Counter(
    "satupintu_routing_decisions",
    "Routing decisions, by rule and outcome (routed or unroutable)",
    ["rule", "outcome"],
)
ESCALATIONS = Counter(
    "satupintu_routing_escalations", "Overdue assignments, by outcome (escalated or exhausted)", ["outcome"]
)
REFUSALS = Counter(
    "satupintu_routing_refusals",
    "Security-relevant refusals of agency status reports, by reason category",
    ["reason"],
)


def _dead_letters() -> Counter:
    # Another service's module may have registered it already in this process (tests import all).
    try:
        return dead_letter_counter()
    except ValueError:
        return REGISTRY._names_to_collectors["satupintu_dead_letters"]  # type: ignore[return-value]


DEAD_LETTERS = _dead_letters()
