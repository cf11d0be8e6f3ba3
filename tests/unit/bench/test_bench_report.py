"""The benchmark's pure result logic: medians, ratios to baselines, targets, the Markdown table."""

from __future__ import annotations

from typing import Any

import pytest

from tests.bench.report import (
    TARGETS,
    Target,
    baseline_values,
    evaluate_targets,
    median,
    median_figures,
    percentile,
    ratio,
    ratios_to_baselines,
    reached,
    render_markdown,
    target_value,
)


def scenario(status: str = "ok", **figures: float | None) -> dict[str, Any]:
    return {"status": status, "figures": figures, "runs": [figures]}


def test_median_skips_what_was_not_measured() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, None, 1.0, float("nan")]) == 2.5
    assert median([None]) is None
    assert median([]) is None


def test_median_figures_is_per_figure_over_runs() -> None:
    runs = [{"a": 1.0, "b": 10.0}, {"a": 3.0}, {"a": 2.0, "b": 30.0}]
    assert median_figures(runs) == {"a": 2.0, "b": 20.0}


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) is None


def test_ratio_needs_a_positive_baseline() -> None:
    assert ratio(5.0, 10.0) == 0.5
    assert ratio(None, 10.0) is None
    assert ratio(5.0, None) is None
    assert ratio(5.0, 0.0) is None


def test_ratios_to_each_baseline_measured_in_the_same_run() -> None:
    scenarios = {
        "physical": scenario(producer_events_per_s=40_000.0, consumer_events_per_s=200_000.0),
        "relay": scenario(relay_events_per_s=10_000.0),
    }
    baselines = baseline_values(scenarios)
    assert baselines == {"producer_limit": 40_000.0, "consumer_limit": 200_000.0, "bare_relay": 10_000.0}
    got = ratios_to_baselines({"x": 5_000.0, "latency": 3.0}, ("x",), baselines)
    assert got == {"x": {"producer_limit": 0.125, "consumer_limit": 0.025, "bare_relay": 0.5}}


@pytest.mark.parametrize(
    ("op", "value", "threshold", "expected"),
    [
        (">=", 0.5, 0.5, True),
        (">=", 0.49, 0.5, False),
        ("<", 199.9, 200, True),
        ("<", 200, 200, False),
        ("<=", 0.25, 0.25, True),
        ("<=", None, 0.25, False),
    ],
)
def test_reached(op: Any, value: float | None, threshold: float, expected: bool) -> None:
    assert reached(op, value, threshold) is expected


def test_target_kinds() -> None:
    scenarios = {
        "routing": scenario(traced_events_per_s=6_000.0, untraced_events_per_s=8_000.0),
        "relay": scenario(relay_events_per_s=10_000.0),
    }
    by_name = {t.name: t for t in TARGETS}
    assert target_value(by_name["routing_vs_bare_relay"], scenarios) == pytest.approx(0.6)
    assert target_value(by_name["tracing_cost_routing"], scenarios) == pytest.approx(0.25)
    fig = Target("x", "", "figure", "relay", "relay_events_per_s", ">=", 1, "events/s")
    assert target_value(fig, scenarios) == 10_000.0


def test_every_target_of_the_issue_has_one_entry_and_missing_ones_say_why() -> None:
    scenarios = {
        "routing": scenario(traced_events_per_s=6_000.0, untraced_events_per_s=7_000.0),
        "relay": scenario(relay_events_per_s=10_000.0),
        "performance": {"status": "not-run", "why": "no consumer yet", "figures": {}},
        "queries": scenario(scorecard_ms=120.0, ranking_ms=250.0),
    }
    entries = {e["name"]: e for e in evaluate_targets(scenarios)}
    assert set(entries) == {t.name for t in TARGETS}
    for e in entries.values():
        assert set(e) >= {"name", "target", "value", "unit", "reached"}
    assert entries["routing_vs_bare_relay"]["reached"] is True
    assert entries["tracing_cost_routing"]["value"] == pytest.approx(1 - 6 / 7)
    assert entries["scorecard_query"]["reached"] is True
    assert entries["ranking_query"]["reached"] is False
    assert entries["performance_ingest"]["value"] is None
    assert entries["performance_ingest"]["reached"] is False
    assert "no consumer yet" in entries["performance_ingest"]["why"]


def test_markdown_shows_targets_scenarios_ratios_and_not_run_reasons() -> None:
    scenarios = {
        "relay": scenario(relay_events_per_s=10_000.0)
        | {
            "number": "2",
            "units": {"relay_events_per_s": "events/s"},
            "ratios": {"relay_events_per_s": {"bare_relay": 1.0}},
        },
        "e2e": {"status": "not-run", "why": "intake | not\nready", "number": "5", "figures": {}},
    }
    md = render_markdown({"scenarios": scenarios, "targets": evaluate_targets(scenarios), "runs": 3})
    assert "| routing_vs_bare_relay |" in md
    assert "| 2 | relay | ok | relay_events_per_s | 10,000 | events/s | 10,000 |" in md
    assert "1.00×" in md
    assert "intake / not ready" in md
