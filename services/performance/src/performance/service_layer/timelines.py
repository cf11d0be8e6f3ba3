"""The journey of one request: every event, the time spent in each state, deadline and breach."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from satupintu_shared.events import STATUS_OF_EVENT, RequestRouted

from ..adapters.ops_queries import OpsQueries
from ..domain.readmodel import OPEN_STATUSES
from ..domain.timeline import seconds_per_state, stays


def short_type(event_type: str) -> str:
    """``id.satupintu.request.in-progress.v1`` → ``in-progress``."""
    parts = event_type.split(".")
    return parts[-2] if len(parts) >= 2 else event_type


def breach_of(row: dict[str, Any], now: datetime) -> tuple[bool, datetime | None]:
    """Whether the request breached a deadline, and when: stored fact, or open and past due now."""
    if row.get("breached"):
        return True, row.get("breached_at")
    due = row.get("due_at")
    if row.get("status") in OPEN_STATUSES and due is not None and due < now:
        return True, due
    return False, None


def _event_doc(e: dict[str, Any]) -> dict[str, Any]:
    payload = json.loads(e["payload"])
    status = STATUS_OF_EVENT.get(e["type"])
    doc: dict[str, Any] = {
        "event_id": e["event_id"],
        "type": e["type"],
        "name": short_type(e["type"]),
        "status": status.value if status else None,
        "occurred_at": e["occurred_at"],
        "agency_code": e["agency_code"],
        "officer_id": e["officer_id"],
        "trace_id": e["trace_id"],
    }
    for key in (
        "note",
        "reason",
        "due_at",
        "hop",
        "from_agency_code",
        "previous_agency_code",
        "escalation_level",
    ):
        if payload.get(key) is not None:
            doc[key] = payload[key]
    return doc


async def timeline(ops: OpsQueries, tracking_number: str, now: datetime) -> dict[str, Any] | None:
    """The timeline document, or None for an unknown tracking number."""
    row = await ops.request(tracking_number)
    if row is None:
        return None
    events = await ops.events(tracking_number)
    docs = [_event_doc(e) for e in events]
    changes = [(d["status"], d["occurred_at"]) for d in docs if d["status"] is not None]
    spans = stays(changes, now)
    breached, breached_at = breach_of(row, now)
    routing = [
        {
            "occurred_at": e["occurred_at"],
            "agency_code": e["agency_code"],
            **json.loads(e["payload"])["reason"],
        }
        for e in events
        if e["type"] == RequestRouted.EVENT_TYPE
    ]
    keep = (
        "tracking_number",
        "status",
        "service_code",
        "region_code",
        "channel",
        "agency_code",
        "officer_id",
        "submitted_at",
        "routed_at",
        "assigned_at",
        "due_at",
        "sla_working_days",
        "completed_at",
        "closed_at",
        "returns",
        "escalations",
        "hops",
        "unroutable_reason",
        "trace_id",
        "surveyed_at",
    )
    return {
        **{k: row[k] for k in keep},
        "breached": breached,
        "breached_at": breached_at,
        "events": docs,
        "time_in_state": [
            {"status": s.status, "entered_at": s.entered_at, "left_at": s.left_at, "seconds": s.seconds}
            for s in spans
        ],
        "seconds_per_state": seconds_per_state(spans),
        "routing_reasons": routing,
        "trace_ids": sorted({d["trace_id"] for d in docs if d["trace_id"]}),
    }
