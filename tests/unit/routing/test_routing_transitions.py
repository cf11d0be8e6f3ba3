from __future__ import annotations

import pytest

from routing.domain.transitions import check_report


def report(current: str, reported: str, *, agency: str = "a", reason: str | None = None):  # type: ignore[no-untyped-def]
    return check_report(
        assigned_agency="a", current=current, acting_agency=agency, reported=reported, reason=reason
    )


@pytest.mark.parametrize(
    ("current", "reported"),
    [
        ("routed", "accepted"),
        ("escalated", "accepted"),
        ("accepted", "in_progress"),
        ("accepted", "completed"),
        ("in_progress", "completed"),
        ("accepted", "returned"),
    ],
)
def test_allowed_transitions_from_the_assigned_agency_are_accepted(current: str, reported: str) -> None:
    assert report(current, reported, reason="x") is None


@pytest.mark.parametrize(
    ("current", "reported"),
    [
        ("routed", "completed"),
        ("routed", "in_progress"),
        ("in_progress", "returned"),
        ("completed", "accepted"),
        ("rejected", "accepted"),
        ("unroutable", "accepted"),
        ("accepted", "accepted"),
    ],
)
def test_other_transitions_are_refused(current: str, reported: str) -> None:
    refusal = report(current, reported, reason="x")
    assert refusal is not None and refusal.category == "invalid_transition"


def test_a_report_from_another_agency_is_refused_whatever_it_says() -> None:
    refusal = report("routed", "accepted", agency="intruder")
    assert refusal is not None and refusal.category == "wrong_agency"


@pytest.mark.parametrize("reported", ["rejected", "returned"])
def test_rejections_and_returns_need_a_reason(reported: str) -> None:
    refusal = report("routed", reported, reason="  ")
    assert refusal is not None and refusal.category == "missing_reason"
    assert report("routed", reported, reason="bukan kewenangan kami") is None
