"""Which status an assigned agency may report next, and when a report needs a reason."""

from __future__ import annotations

from dataclasses import dataclass

OPEN = ("routed", "escalated", "accepted", "in_progress")
TERMINAL = ("completed", "rejected", "unroutable")

ALLOWED: dict[str, frozenset[str]] = {
    "routed": frozenset({"accepted", "returned", "rejected"}),
    "escalated": frozenset({"accepted", "returned", "rejected"}),
    "accepted": frozenset({"in_progress", "completed", "rejected", "returned"}),
    "in_progress": frozenset({"completed", "rejected"}),
}
NEEDS_REASON = frozenset({"rejected", "returned"})


@dataclass(frozen=True)
class Refusal:
    """Why a status report is not accepted. ``category`` is the bounded metric label."""

    category: str
    reason: str


def check_report(
    *, assigned_agency: str | None, current: str, acting_agency: str, reported: str, reason: str | None
) -> Refusal | None:
    """None when ``acting_agency`` may move the request from ``current`` to ``reported``."""
    if assigned_agency != acting_agency:
        return Refusal("wrong_agency", f"agency {acting_agency!r} is not the assigned agency")
    if reported not in ALLOWED.get(current, frozenset()):
        return Refusal("invalid_transition", f"transition {current} → {reported} is not allowed")
    if reported in NEEDS_REASON and not (reason and reason.strip()):
        return Refusal("missing_reason", f"status {reported} needs a reason")
    return None
