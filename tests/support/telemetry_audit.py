"""What an end-to-end run exported, gathered for audits: spans, logs and metrics, searched for personal
data; and the metric names a Grafana dashboard queries, checked against what the services export."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import lokal
from prometheus_client.parser import text_string_to_metric_families

from tests.support.otlp import ReceivedSpan

SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("_sum", "_count", "_created"),
}
_METRIC = re.compile(r"\b((?:satupintu|faststream|intake|performance|routing)_[a-z0-9_]+)\b")
# A 32-hex trace id or a span id with letters cannot be a NIK; dropping them keeps the detector honest.
_IDS = re.compile(r"\b(?:[0-9a-f]{32}|(?=[0-9a-f]*[a-f])[0-9a-f]{16})\b")


@dataclass(frozen=True)
class Finding:
    """Personal data found in exported telemetry: where, and what kind."""

    where: str
    kind: str
    excerpt: str


def span_text(span: ReceivedSpan) -> str:
    """Every human-readable part of a span (name, attributes, events) as one line."""
    parts = [span.service, span.name, json.dumps(span.attributes, default=str, ensure_ascii=False)]
    parts += [f"{name} {json.dumps(attrs, default=str, ensure_ascii=False)}" for name, attrs in span.events]
    return " ".join(parts)


def scan(sources: Mapping[str, bytes | str], needles: Mapping[str, str]) -> list[Finding]:
    """Search each source for the exact ``needles`` (kind → value, case-insensitive) and NIK-like values."""
    findings: list[Finding] = []
    for where, content in sources.items():
        text = content.decode("utf-8", errors="replace") if isinstance(content, bytes) else content
        lowered = text.lower()
        for kind, needle in needles.items():
            at = lowered.find(needle.lower())
            if at >= 0:
                findings.append(Finding(where, kind, text[max(0, at - 80) : at + len(needle) + 80]))
        for match in lokal.detect_pii(_IDS.sub(" ", text), types=["NIK"], min_confidence="high"):
            findings.append(Finding(where, "NIK-like", match.value))
    return findings


def exported_metric_names(expositions: Iterable[str]) -> set[str]:
    """Every sample name the expositions define, including those of families without samples yet."""
    names: set[str] = set()
    for text in expositions:
        for family in text_string_to_metric_families(text):
            names.add(family.name)
            names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ()))
            names.update(sample.name for sample in family.samples)
    return names


def dashboard_metric_names(path: Path) -> set[str]:
    """The metric names the dashboard's queries use."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    exprs = [t["expr"] for panel in _panels(doc["panels"]) for t in panel.get("targets", ()) if "expr" in t]
    return {name for expr in exprs for name in _METRIC.findall(expr)}


def _panels(panels: list[dict[str, object]]) -> Iterable[dict[str, object]]:
    for panel in panels:
        yield panel
        nested = panel.get("panels")
        if isinstance(nested, list):
            yield from _panels(nested)
