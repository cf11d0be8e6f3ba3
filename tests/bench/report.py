"""Pure result logic: medians of runs, ratios to the baselines, the issue's targets, the Markdown table.

Nothing here touches a broker, a database or a clock, so it is unit-tested (tests/unit/bench).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Figures = dict[str, float | None]

#: The baselines every throughput figure is compared with: (label, scenario, figure).
BASELINES: tuple[tuple[str, str, str], ...] = (
    ("producer_limit", "physical", "producer_events_per_s"),
    ("consumer_limit", "physical", "consumer_events_per_s"),
    ("bare_relay", "relay", "relay_events_per_s"),
)


def median(values: Iterable[float | None]) -> float | None:
    """The median of the values that were measured (None and NaN are skipped), or None if there are none."""
    kept = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    return statistics.median(kept) if kept else None


def median_figures(runs: Sequence[Mapping[str, float | None]]) -> Figures:
    """Per figure, the median over the runs (a figure missing in a run counts as not measured there)."""
    names: list[str] = []
    for run in runs:
        names.extend(n for n in run if n not in names)
    return {name: median(run.get(name) for run in runs) for name in names}


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) by nearest rank, or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q * len(ordered))))
    return ordered[rank - 1]


def ratio(value: float | None, baseline: float | None) -> float | None:
    """``value / baseline``, or None when either is missing or the baseline is not positive."""
    if value is None or baseline is None or baseline <= 0:
        return None
    return value / baseline


def baseline_values(scenarios: Mapping[str, Mapping[str, Any]]) -> dict[str, float | None]:
    """The baselines measured in this run (label → events/s), None where not measured."""
    out: dict[str, float | None] = {}
    for label, scenario, figure in BASELINES:
        out[label] = (scenarios.get(scenario, {}).get("figures") or {}).get(figure)
    return out


def ratios_to_baselines(
    figures: Mapping[str, float | None], throughput: Iterable[str], baselines: Mapping[str, float | None]
) -> dict[str, dict[str, float | None]]:
    """For each throughput figure (events/s), its ratio to each baseline."""
    return {
        name: {label: ratio(figures.get(name), base) for label, base in baselines.items()}
        for name in throughput
        if name in figures
    }


# --- targets -----------------------------------------------------------------------------------------

Op = Literal[">=", "<", "<="]


@dataclass(frozen=True)
class Target:
    """One target of issue 8.

    ``kind`` says how the value is computed from scenario medians:
    - ``figure``: ``scenario.figure`` as it is;
    - ``ratio``: ``scenario.figure / other_scenario.other_figure``;
    - ``cost``: ``1 - scenario.figure / other_scenario.other_figure`` (throughput lost, 0..1).
    """

    name: str
    description: str
    kind: Literal["figure", "ratio", "cost"]
    scenario: str
    figure: str
    op: Op
    threshold: float
    unit: str
    other_scenario: str = ""
    other_figure: str = ""

    @property
    def target(self) -> str:
        """The target as people read it, e.g. ``>= 10000 events/s``."""
        shown = f"{self.threshold:g}"
        return f"{self.op} {shown} {self.unit}".strip()


TARGETS: tuple[Target, ...] = (
    Target(
        "routing_vs_bare_relay",
        "routing stage (tracing on) vs the bare aiokafka relay",
        "ratio",
        "routing",
        "traced_events_per_s",
        ">=",
        0.5,
        "x relay",
        "relay",
        "relay_events_per_s",
    ),
    Target(
        "performance_ingest",
        "performance ingest into PostgreSQL (tracing on)",
        "figure",
        "performance",
        "traced_events_per_s",
        ">=",
        10_000,
        "events/s",
    ),
    Target(
        "intake_single",
        "intake single submissions, one process",
        "figure",
        "intake-single",
        "requests_per_s",
        ">=",
        2_000,
        "requests/s",
    ),
    Target(
        "intake_batch",
        "intake requests through the batch endpoint",
        "figure",
        "intake-batch",
        "requests_per_s",
        ">=",
        20_000,
        "requests/s",
    ),
    Target(
        "e2e_p99_at_500",
        "end-to-end p99 (POST to performance DB) at 500 submissions/s",
        "figure",
        "e2e",
        "p99_ms",
        "<",
        200,
        "ms",
    ),
    Target(
        "tracing_cost_routing",
        "throughput lost by routing at 100 % vs 0 % sampling",
        "cost",
        "routing",
        "traced_events_per_s",
        "<=",
        0.25,
        "fraction",
        "routing",
        "untraced_events_per_s",
    ),
    Target(
        "tracing_cost_performance",
        "throughput lost by performance ingest at 100 % vs 0 % sampling",
        "cost",
        "performance",
        "traced_events_per_s",
        "<=",
        0.25,
        "fraction",
        "performance",
        "untraced_events_per_s",
    ),
    Target(
        "scorecard_query",
        "monthly agency scorecard over one million events (HTTP, median)",
        "figure",
        "queries",
        "scorecard_ms",
        "<",
        200,
        "ms",
    ),
    Target(
        "ranking_query",
        "monthly ranking over one million events (HTTP, median)",
        "figure",
        "queries",
        "ranking_ms",
        "<",
        200,
        "ms",
    ),
)


def _figure(scenarios: Mapping[str, Mapping[str, Any]], scenario: str, figure: str) -> float | None:
    return (scenarios.get(scenario, {}).get("figures") or {}).get(figure)


def target_value(target: Target, scenarios: Mapping[str, Mapping[str, Any]]) -> float | None:
    """The value of ``target`` from the scenario medians, or None when a figure it needs is missing."""
    value = _figure(scenarios, target.scenario, target.figure)
    if target.kind == "figure":
        return value
    other = _figure(scenarios, target.other_scenario, target.other_figure)
    r = ratio(value, other)
    if r is None:
        return None
    return r if target.kind == "ratio" else 1.0 - r


def reached(op: Op, value: float | None, threshold: float) -> bool:
    """Whether ``value op threshold`` holds (a missing value never reaches a target)."""
    if value is None:
        return False
    if op == ">=":
        return value >= threshold
    if op == "<":
        return value < threshold
    return value <= threshold


def evaluate_targets(
    scenarios: Mapping[str, Mapping[str, Any]], targets: Sequence[Target] = TARGETS
) -> list[dict[str, Any]]:
    """The ``targets`` list of latest.json: one entry per target, with why when it could not be measured."""
    out: list[dict[str, Any]] = []
    for t in targets:
        value = target_value(t, scenarios)
        entry: dict[str, Any] = {
            "name": t.name,
            "description": t.description,
            "target": t.target,
            "value": value,
            "unit": t.unit,
            "reached": reached(t.op, value, t.threshold),
        }
        if value is None:
            missing = []
            for name in {t.scenario, t.other_scenario} - {""}:
                sc = scenarios.get(name, {})
                if sc.get("status") != "ok":
                    missing.append(
                        f"{name}: {sc.get('status', 'not selected')} ({sc.get('why', '')})".rstrip(" ()")
                    )
            entry["why"] = "; ".join(missing) or "a figure it needs was not measured"
        else:
            notes = [scenarios.get(n, {}).get("note") for n in {t.scenario, t.other_scenario} - {""}]
            if any(notes):
                entry["note"] = "; ".join(n for n in notes if n)
        out.append(entry)
    return out


# --- Markdown ---------------------------------------------------------------------------------------


def fmt(value: float | None, unit: str = "") -> str:
    """A figure for the table: thousands separated, fractions as percent, ratios with two decimals."""
    if value is None:
        return "—"
    if unit == "fraction":
        return f"{value * 100:.1f} %"
    if unit.startswith("x"):
        return f"{value:.2f}×" if abs(value) >= 0.01 else f"{value:.4f}×"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


def render_markdown(result: Mapping[str, Any]) -> str:
    """latest.md: the targets, then every scenario with its medians and its ratio to the baselines."""
    lines = [
        f"# SatuPintu benchmark — {result.get('started_at', '')}",
        "",
        f"Mode: {result.get('mode', '')}, {result.get('runs', '')} run(s) per scenario, medians shown; "
        f"machine: {result.get('machine', '')}; total {fmt(result.get('seconds'))} s.",
        "",
        "## Targets (issue 8)",
        "",
        "| target | goal | value | reached |",
        "|---|---|---|---|",
    ]
    for t in result.get("targets", []):
        mark = "yes" if t["reached"] else ("not measured" if t["value"] is None else "**no**")
        why = f" — {_cell(t['why'])}" if t.get("why") else ""
        lines.append(
            f"| {t['name']} | {t['target']} | {fmt(t['value'], t['unit'])} {_unit(t['unit'])} | {mark}{why} |"
        )
    lines += [
        "",
        "## Scenarios",
        "",
        "| # | scenario | status | figure | median | unit | runs | × producer limit | × consumer limit "
        "| × bare relay |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, sc in result.get("scenarios", {}).items():
        figures: Mapping[str, float | None] = sc.get("figures") or {}
        units: Mapping[str, str] = sc.get("units") or {}
        ratios: Mapping[str, Mapping[str, float | None]] = sc.get("ratios") or {}
        label = f"{sc.get('number', '')}"
        if sc.get("status") != "ok" or not figures:
            why = _cell(str(sc.get("why", "")))
            lines.append(f"| {label} | {name} | {sc.get('status')} | {why[:300]} | — | | | | | |")
            continue
        for i, (fig, value) in enumerate(figures.items()):
            runs = ", ".join(fmt(r.get(fig)) for r in sc.get("runs", []))
            r = ratios.get(fig, {})
            lines.append(
                f"| {label if i == 0 else ''} | {name if i == 0 else ''} | {sc['status'] if i == 0 else ''} "
                f"| {fig} | {fmt(value)} | {units.get(fig, '')} | {runs} "
                f"| {fmt(r.get('producer_limit'), 'x')} | {fmt(r.get('consumer_limit'), 'x')} "
                f"| {fmt(r.get('bare_relay'), 'x')} |"
            )
    notes = [(n, sc["note"]) for n, sc in result.get("scenarios", {}).items() if sc.get("note")]
    if notes:
        lines += ["", "Notes:", ""] + [f"- **{n}**: {note}" for n, note in notes]
    return "\n".join(lines) + "\n"


def _cell(text: str, limit: int = 300) -> str:
    """Text safe in one Markdown table cell: one line, no pipes, bounded."""
    one = " ".join(text.replace("|", "/").split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def _unit(unit: str) -> str:
    return "" if unit in ("fraction",) or unit.startswith("x") else unit
