"""Idempotency keys are namespaced per door and client; an agency report's fingerprint and event id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from intake.adapters.idempotency import scoped_key
from intake.entrypoints.agency_api import _fingerprint, _report_event_id
from intake.entrypoints.schemas import StatusReportIn

AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def test_one_clients_key_is_not_another_clients_key() -> None:
    keys = {
        scoped_key("http", "k"),
        scoped_key("open311", "k", "api-key-1"),
        scoped_key("open311", "k", "api-key-2"),
        scoped_key("agency", "k", "bdg-dinkes"),
        scoped_key("agency", "k", "bdg-disdukcapil"),
    }
    assert len(keys) == 5
    assert scoped_key("open311", "k", "api-key-1") == scoped_key("open311", "k", "api-key-1")


def test_a_secret_client_identity_is_not_stored_in_the_key() -> None:
    assert "api-key-1" not in scoped_key("open311", "k", "api-key-1")


def test_a_report_is_identified_by_its_request_status_and_body() -> None:
    base = StatusReportIn(tracking_number="SP-1", status="accepted", note="a")
    same = StatusReportIn(tracking_number="SP-1", status="accepted", note="a")
    others = [
        StatusReportIn(tracking_number="SP-1", status="in_progress", note="a"),
        StatusReportIn(tracking_number="SP-1", status="accepted", note="b"),
        StatusReportIn(tracking_number="SP-1", status="accepted"),
    ]
    assert _fingerprint("SP-1", base) == _fingerprint("SP-1", same)
    assert _fingerprint("SP-2", base) != _fingerprint("SP-1", base)
    assert len({_fingerprint("SP-1", r) for r in [base, *others]}) == 4


def test_a_reused_key_after_expiry_gives_a_new_event_id_a_retry_the_same() -> None:
    assert _report_event_id("bdg-dinkes", "k", AT) == _report_event_id("bdg-dinkes", "k", AT)
    assert _report_event_id("bdg-dinkes", "k", AT) != _report_event_id(
        "bdg-dinkes", "k", AT + timedelta(days=4)
    )
    assert _report_event_id("bdg-dinkes", "k", AT) != _report_event_id("bdg-disdukcapil", "k", AT)
