"""The composite performance score: a weighted mean of KPI components, each between 0 and 1.

score = 100 × Σ wᵢ·cᵢ / Σ wᵢ over the components that have data. A component without data (no
completions, no survey answers, nothing received) is left out and the remaining weights renormalised,
so an agency is neither punished nor rewarded for what could not be measured.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: Component → (default weight, what it measures).
COMPONENTS: dict[str, tuple[float, str]] = {
    "on_time": (0.40, "completed on or before the due time / completed"),
    "ikm": (0.30, "IKM / 100"),
    "returns": (0.15, "1 - returned as not our authority / received"),
    "escalations": (0.15, "1 - escalated for a missed deadline / received"),
}
DEFAULT_WEIGHTS: dict[str, float] = {name: weight for name, (weight, _) in COMPONENTS.items()}
FORMULA = "score = 100 × Σ(weight × component) / Σ(weight), over the components that have data"


def validate_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """Weights for exactly the known components, none negative, not all zero."""
    unknown = set(weights) - set(COMPONENTS)
    if unknown:
        raise ValueError(
            f"unknown score component(s): {', '.join(sorted(unknown))}; known: {', '.join(COMPONENTS)}"
        )
    merged = {name: float(weights.get(name, 0.0)) for name in COMPONENTS}
    if any(w < 0 for w in merged.values()) or sum(merged.values()) <= 0:
        raise ValueError("score weights must be non-negative and not all zero")
    return merged


@dataclass(frozen=True)
class Score:
    """The score and everything needed to recompute it by hand."""

    value: float | None
    weights: dict[str, float]
    components: dict[str, float | None]
    effective_weights: dict[str, float]


def composite_score(components: Mapping[str, float | None], weights: Mapping[str, float]) -> Score:
    """Combine ``components`` (None = no data) with ``weights``; None when nothing could be measured."""
    present = {
        n: min(max(c, 0.0), 1.0) for n, c in components.items() if c is not None and weights.get(n, 0) > 0
    }
    total = sum(weights[n] for n in present)
    if total <= 0:
        return Score(None, dict(weights), dict(components), {})
    effective = {n: weights[n] / total for n in present}
    value = round(100 * sum(effective[n] * c for n, c in present.items()), 2)
    return Score(value, dict(weights), dict(components), {n: round(w, 4) for n, w in effective.items()})
