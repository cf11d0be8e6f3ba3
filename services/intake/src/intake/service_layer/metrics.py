"""intake's Prometheus metrics. Labels never carry personal data (only catalog codes and outcomes)."""

from __future__ import annotations

from prometheus_client import REGISTRY, CollectorRegistry, Counter


class Metrics:
    """Counters of submissions by door, service and outcome."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self._requests = Counter(
            "intake_requests",
            "Submissions taken in, by door, service_code and outcome",
            ["door", "service_code", "outcome"],
            registry=registry or REGISTRY,
        )
        self._surveys = Counter(
            "intake_surveys", "Survey answers, by outcome", ["outcome"], registry=registry or REGISTRY
        )

    def count(self, door: str, service_code: str, outcome: str) -> None:
        """Count one submission."""
        self._requests.labels(door=door, service_code=service_code, outcome=outcome).inc()

    def survey(self, outcome: str) -> None:
        """Count one survey attempt."""
        self._surveys.labels(outcome=outcome).inc()
