"""Deterministic event ids: a redelivered trigger republishes the same ids, so consumers deduplicate."""

from __future__ import annotations

import uuid

NAMESPACE = uuid.UUID("6f1c1d7e-2b8a-5c1e-9a43-5a7475b1e0a1")


def derived_id(trigger: str, kind: str) -> str:
    """The id of the ``kind`` event caused by ``trigger`` (an event id or another stable string)."""
    return str(uuid.uuid5(NAMESPACE, f"{trigger}:{kind}"))
