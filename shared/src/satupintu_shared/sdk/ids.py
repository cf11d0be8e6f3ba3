"""Deterministic CloudEvent ids, so that retrying a report or a submission publishes the same ``ce_id``.

Consumers deduplicate by event id: a retry after a timeout, a crash or a redelivered assignment then
counts once. Pass an ``idempotency_key`` when the same status is legitimately reported more than once
for one request (for example two distinct ``in_progress`` notes).
"""

from __future__ import annotations

import uuid

#: Namespace of every id the SDK derives (uuid5); never change it, or retries across versions differ.
SDK_NAMESPACE = uuid.UUID("0d6c2a4e-8f1b-4c3a-9e57-3b1f6a2d9c80")


def report_event_id(
    agency_code: str, tracking_number: str, status: str, idempotency_key: str | None = None
) -> str:
    """The event id of ``agency_code``'s ``status`` report on ``tracking_number``."""
    name = f"{agency_code}:{tracking_number}:{status}:{idempotency_key or ''}"
    return str(uuid.uuid5(SDK_NAMESPACE, name))


def submission_event_id(agency_code: str, key: str) -> str:
    """The event id of ``agency_code``'s submission with idempotency key (or reference) ``key``."""
    return str(uuid.uuid5(SDK_NAMESPACE, f"{agency_code}:submission:{key}"))
