"""What this service keeps of a lifecycle event: no personal data, plus where it came from."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import lokal

from satupintu_shared.events import (
    LIFECYCLE_EVENTS,
    AgencyAction,
    Event,
    RequestEscalated,
    RequestRouted,
    RequestSubmitted,
    SurveyAnswered,
)

LIFECYCLE_TYPES = frozenset(model.EVENT_TYPE for model in LIFECYCLE_EVENTS)
#: Dropped before storage: who the applicant is and free text or form fields that may identify them.
PERSONAL_FIELDS = {"applicant", "attributes", "description"}
#: Free-text fields kept but masked (an officer may paste a phone number or NIK into a note).
FREE_TEXT_FIELDS = ("note", "reason", "explanation")
_MAYBE_PII = re.compile(r"\d{6}|@")
#: A free-text field's string value in compact JSON (pydantic's ``model_dump_json``), at any depth.
_FREE_TEXT_JSON = re.compile(r'"(?:' + "|".join(FREE_TEXT_FIELDS) + r')":"((?:[^"\\]|\\.)*)"')
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One lifecycle event as this service stores it (``payload_json``: the sanitised data as JSON)."""

    event_id: str
    type: str
    tracking_number: str
    occurred_at: datetime
    agency_code: str | None
    officer_id: str | None
    trace_id: str | None
    payload_json: str
    partition: int
    offset: int
    event: Event

    @property
    def payload(self) -> dict[str, Any]:
        """The stored data (no personal fields, free text masked) as a dict."""
        result: dict[str, Any] = json.loads(self.payload_json)
        return result


def trace_id_of(traceparent: str | None) -> str | None:
    """The trace id of a W3C ``traceparent`` header, or None when absent or malformed."""
    match = _TRACEPARENT.match((traceparent or "").strip().lower())
    return match[1] if match and match[1] != "0" * 32 else None


def mask_text(text: str) -> str:
    """``text`` with NIK, phone numbers and e-mail addresses masked (cheap pre-check first)."""
    return lokal.mask_pii(text).text if _MAYBE_PII.search(text) else text


def sanitised_payload(event: Event) -> dict[str, Any]:
    """The event's data without personal fields, free text masked and NUL characters removed."""
    data = event.model_dump(
        mode="json", exclude=PERSONAL_FIELDS if isinstance(event, RequestSubmitted) else None
    )
    return _clean(data)


def sanitised_json(event: Event) -> str:
    """``sanitised_payload(event)`` as JSON text, serialised by pydantic-core straight from the model.

    The common case needs no Python walk over the data: the text is used as is unless a NUL character
    or a free-text field that may hold personal data (6 digits or an ``@``, the same pre-check as
    ``mask_text``) appears in it; then the dict path above cleans it. Digits are never escaped in
    JSON, so the check on the text finds every value the check on the decoded string would find.
    """
    text = event.model_dump_json(exclude=PERSONAL_FIELDS if isinstance(event, RequestSubmitted) else None)
    if "\\u0000" in text or any(_MAYBE_PII.search(v) for v in _FREE_TEXT_JSON.findall(text)):
        return json.dumps(sanitised_payload(event))
    return text


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: (mask_text(v) if k in FREE_TEXT_FIELDS and isinstance(v, str) else _clean(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, str):
        return value.replace("\x00", "")
    return value


def acting_agency(event: Event) -> str | None:
    """The agency that acted (or was given the request) in this event."""
    if isinstance(event, RequestSubmitted):
        return event.submitted_by
    if isinstance(event, AgencyAction | RequestRouted | RequestEscalated | SurveyAnswered):
        return event.agency_code
    return None


def acting_officer(event: Event) -> str | None:
    """The officer (NIP) who reported an agency action, if given."""
    return event.officer_id if isinstance(event, AgencyAction) else None


def to_stored(
    event: Event, *, event_id: str, traceparent: str | None, partition: int, offset: int
) -> StoredEvent:
    """Build the stored form of a parsed lifecycle event."""
    return StoredEvent(
        event_id=event_id,
        type=event.EVENT_TYPE,
        tracking_number=event.tracking_number,
        occurred_at=event.occurred_at,
        agency_code=acting_agency(event),
        officer_id=acting_officer(event),
        trace_id=trace_id_of(traceparent),
        payload_json=sanitised_json(event),
        partition=partition,
        offset=offset,
        event=event,
    )
