"""Who a submission over Kafka comes from: the agency the broker let write the topic it arrived on.

Each agency writes only its own submissions topic (``satupintu.agency.<code>.submissions``, enforced by
the broker's ACLs), so the topic names the submitting agency; a payload's ``submitted_by`` is a claim
anyone could write and is never believed. The shared submissions topic names no agency: what arrives
there is a submission from no agency, and one claiming an agency is refused.
"""

from __future__ import annotations

from typing import Any

from satupintu_shared.topics import Topics


class SubmitterRefused(Exception):
    """The payload claims to come from an agency the topic does not vouch for."""


def submitting_agency(topics: Topics, topic: str, data: dict[str, Any] | None) -> str | None:
    """The agency ``data`` (arrived on ``topic``) is submitted by: the owner of a per-agency submissions
    topic, None on the shared one. Raises ``SubmitterRefused`` when the payload's ``submitted_by``
    names another agency, or any agency on the shared topic."""
    claimed = (data or {}).get("submitted_by")
    agency = topics.agency_of_submissions_topic(topic)
    if agency is None:
        if claimed is not None:
            raise SubmitterRefused(
                f"submitted_by {claimed!r} is not accepted on {topic}: publish to "
                f"{topics.agency_submissions('<code>')} with the agency's own credentials (an agency "
                "submits only in its own name)"
            )
        return None
    if claimed is not None and claimed != agency:
        raise SubmitterRefused(
            f"submitted_by {claimed!r} is not the agency of {topic} ({agency!r}): "
            "an agency submits only in its own name"
        )
    return agency
