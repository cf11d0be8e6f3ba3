"""The audit the end-to-end run relies on: it does find personal data, and it reads the dashboard."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from tests.support.platform import ROOT
from tests.support.telemetry_audit import dashboard_metric_names, exported_metric_names, scan

DASHBOARD = ROOT / "deploy" / "grafana" / "satupintu.json"


def test_the_scan_finds_given_values_and_nik_like_numbers_but_not_trace_ids() -> None:
    sources: dict[str, bytes | str] = {
        "log": '{"message": "hello Ratna Kusumawardani"}',
        "span": b"\x0a\x10attr 3273014708850003",
        "clean": "trace 4bf92f3577b34da6a3ce929d0e0e4736 span 00f067aa0ba902b7 tn SP-1SHH-EVDG-KRZH-Q",
    }
    findings = scan(sources, {"name": "ratna kusumawardani"})
    assert {(f.where, f.kind) for f in findings} == {("log", "name"), ("span", "NIK-like")}


def test_metric_families_without_samples_still_count_as_exported() -> None:
    registry = CollectorRegistry()
    Counter("x_events", "x", ["kind"], registry=registry)
    Histogram("x_seconds", "x", registry=registry)
    names = exported_metric_names([generate_latest(registry).decode()])
    assert {"x_events_total", "x_seconds_bucket", "x_seconds_count"} <= names


def test_the_dashboard_queries_satupintu_business_metrics() -> None:
    names = dashboard_metric_names(DASHBOARD)
    for expected in (
        "satupintu_request_transitions_total",
        "satupintu_routing_decisions_total",
        "satupintu_routing_escalations_total",
        "satupintu_dead_letters_total",
        "satupintu_consumer_lag",
        "satupintu_http_requests_total",
    ):
        assert expected in names
