"""The seven scenarios of issue 8, in the order they run (baselines first)."""

from __future__ import annotations

from .base import Scenario


def all_scenarios() -> list[Scenario]:
    """Fresh instances of every scenario, baselines first."""
    from .e2e import EndToEnd
    from .intake_http import IntakeBatch, IntakeSingle
    from .physical import Physical
    from .queries import Queries
    from .relay import Relay
    from .stages import PerformanceStage, RoutingStage, ScaleOut

    return [
        Physical(),
        Relay(),
        RoutingStage(),
        PerformanceStage(),
        IntakeSingle(),
        IntakeBatch(),
        EndToEnd(),
        Queries(),
        ScaleOut(),
    ]
