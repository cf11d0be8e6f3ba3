"""latest.png: throughputs next to the baselines (log scale) and latencies against their 200 ms targets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def draw(result: dict[str, Any], path: Path) -> None:
    """Draw the chart of ``result`` (latest.json's content) to ``path``."""
    throughput: list[tuple[str, float]] = []
    latency: list[tuple[str, float]] = []
    for name, sc in result.get("scenarios", {}).items():
        units = sc.get("units") or {}
        for fig, value in (sc.get("figures") or {}).items():
            if value is None:
                continue
            unit = units.get(fig, "")
            if unit in ("events/s", "requests/s"):
                throughput.append((f"{sc.get('number', '')} {name}\n{fig}", value))
            elif unit == "ms":
                latency.append((f"{sc.get('number', '')} {name}\n{fig}", value))
    fig, (left, right) = plt.subplots(1, 2, figsize=(16, 7), gridspec_kw={"width_ratios": [3, 2]})
    if throughput:
        labels, values = zip(*throughput, strict=True)
        colors = ["#555555" if lbl.startswith(("1 ", "2 ")) else "#1f77b4" for lbl in labels]
        left.barh(range(len(values)), values, color=colors)
        left.set_yticks(range(len(values)), labels, fontsize=7)
        left.set_xscale("log")
        left.invert_yaxis()
        for i, v in enumerate(values):
            left.text(v, i, f" {v:,.0f}", va="center", fontsize=7)
    left.set_title("Throughput (median; grey = baselines)")
    left.set_xlabel("per second (log scale)")
    if latency:
        labels, values = zip(*latency, strict=True)
        right.barh(range(len(values)), values, color="#ff7f0e")
        right.set_yticks(range(len(values)), labels, fontsize=7)
        right.invert_yaxis()
        right.axvline(200, color="red", linestyle="--", linewidth=1, label="200 ms target")
        right.legend(fontsize=7)
        for i, v in enumerate(values):
            right.text(v, i, f" {v:,.1f}", va="center", fontsize=7)
    else:
        right.text(0.5, 0.5, "no latency measured", ha="center", va="center", transform=right.transAxes)
    right.set_title("Latency (median of runs)")
    right.set_xlabel("ms")
    fig.suptitle(f"SatuPintu benchmark {result.get('started_at', '')} ({result.get('mode', '')})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
