"""Prometheus metrics of routing. Labels are bounded categories, never tracking numbers or personal data."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

from satupintu_shared.broker import dead_letter_counter

DECISIONS = Counter(
    "satupintu_routing_decisions",
    "Routing decisions, by rule and outcome (routed or unroutable)",
    ["rule", "outcome"],
)
ESCALATIONS = Counter(
    "satupintu_routing_escalations", "Overdue assignments, by outcome (escalated or exhausted)", ["outcome"]
)
TRANSITIONS = Counter(
    "satupintu_request_transitions",
    "Requests reaching a lifecycle state through routing, by catalog service code and state",
    ["service_code", "status"],
)
OPEN_ASSIGNMENTS = Gauge(
    "satupintu_routing_open_assignments",
    "Open requests (the backlog), by holding agency and state; refreshed every watchdog round",
    ["agency_code", "status"],
)
OVERDUE_ASSIGNMENTS = Gauge(
    "satupintu_routing_overdue_assignments",
    "Open requests past their due time, by holding agency; refreshed every watchdog round",
    ["agency_code"],
)
REFUSALS = Counter(
    "satupintu_routing_refusals",
    "Security-relevant refusals of agency status reports, by reason category",
    ["reason"],
)


DEAD_LETTERS = dead_letter_counter()


def transition(service_code: str, status: str) -> None:
    """Count one request reaching ``status`` (routed, unroutable, escalated, accepted, …)."""
    TRANSITIONS.labels(service_code=service_code, status=status).inc()
