"""CloudEvents 1.0 over Kafka: binary content mode out, binary or structured mode in.

Binary mode puts the attributes in ``ce_*`` headers and the JSON data in the value; structured mode
(``content-type: application/cloudevents+json``) puts everything in the value. The Kafka key is the
subject (the tracking number) so that a request's events stay in order.
"""

from __future__ import annotations

import builtins
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .catalog import CatalogApplied
from .events import EVENT_TYPES, Contract, utc_now

SPECVERSION = "1.0"
JSON = "application/json"
STRUCTURED = "application/cloudevents+json"
ALL_TYPES: dict[str, type[Contract]] = {**EVENT_TYPES, CatalogApplied.EVENT_TYPE: CatalogApplied}

M = TypeVar("M", bound=BaseModel)


class InvalidEvent(ValueError):
    """A record that is not a valid SatuPintu CloudEvent; the message says why (for the dead letter)."""


@dataclass(frozen=True)
class Envelope:
    """A decoded CloudEvent: its context attributes and its JSON data, not yet validated."""

    id: str
    type: str
    source: str
    time: datetime | None
    subject: str | None
    data: Any
    extensions: dict[str, str] = field(default_factory=dict)

    def parse(self, model: builtins.type[M] | None = None) -> M:
        """Validate the data as ``model`` (default: the model registered for this event type).

        A tolerant reader: fields this version does not know are ignored (also in nested objects), so
        a producer may add an optional field without breaking older consumers; every other rule holds.
        """
        target = model or ALL_TYPES.get(self.type)
        if target is None:
            raise InvalidEvent(f"unknown event type {self.type!r}")
        try:
            return target.model_validate(self.data, extra="ignore")  # type: ignore[return-value]
        except ValidationError as exc:
            raise InvalidEvent(f"invalid {self.type} data: {_summarise(exc)}") from exc


def encode(
    event: Contract,
    *,
    source: str,
    event_id: str | None = None,
    subject: str | None = None,
    time: datetime | None = None,
    extensions: Mapping[str, str] | None = None,
) -> tuple[bytes, dict[str, str]]:
    """The value and headers of ``event`` as a binary-mode CloudEvent."""
    event_type = getattr(type(event), "EVENT_TYPE", "")
    if not event_type:
        raise ValueError(f"{type(event).__name__} has no EVENT_TYPE")
    subj = subject if subject is not None else getattr(event, "tracking_number", None)
    when = time or getattr(event, "occurred_at", None) or utc_now()
    headers = {
        "ce_specversion": SPECVERSION,
        "ce_id": event_id or str(uuid.uuid4()),
        "ce_type": event_type,
        "ce_source": source,
        "ce_time": when.isoformat().replace("+00:00", "Z"),
        "content-type": JSON,
    }
    if subj:
        headers["ce_subject"] = subj
    for name, value in (extensions or {}).items():
        headers[f"ce_{name}"] = value
    return event.model_dump_json().encode(), headers


def decode(value: bytes | None, headers: Iterable[tuple[str, bytes]] | Mapping[str, Any]) -> Envelope:
    """Decode a Kafka record into an ``Envelope``, or raise ``InvalidEvent`` saying why."""
    hdrs = _headers(headers)
    content_type = hdrs.get("content-type", "")
    if content_type.startswith(STRUCTURED) or ("ce_type" not in hdrs and value and value[:1] == b"{"):
        return _decode_structured(value)
    missing = [n for n in ("ce_specversion", "ce_id", "ce_type", "ce_source") if not hdrs.get(n)]
    if missing:
        raise InvalidEvent(f"not a CloudEvent: missing header(s) {', '.join(missing)}")
    if hdrs["ce_specversion"] != SPECVERSION:
        raise InvalidEvent(f"unsupported CloudEvents specversion {hdrs['ce_specversion']!r}")
    if content_type and not content_type.startswith(JSON):
        raise InvalidEvent(f"unsupported content-type {content_type!r}; expected {JSON}")
    data = _json(value)
    known = {"ce_specversion", "ce_id", "ce_type", "ce_source", "ce_time", "ce_subject"}
    return Envelope(
        id=hdrs["ce_id"],
        type=hdrs["ce_type"],
        source=hdrs["ce_source"],
        time=_time(hdrs.get("ce_time")),
        subject=hdrs.get("ce_subject"),
        data=data,
        extensions={k[3:]: v for k, v in hdrs.items() if k.startswith("ce_") and k not in known},
    )


def _decode_structured(value: bytes | None) -> Envelope:
    doc = _json(value)
    if not isinstance(doc, dict):
        raise InvalidEvent("structured CloudEvent must be a JSON object")
    missing = [n for n in ("specversion", "id", "type", "source") if not doc.get(n)]
    if missing:
        raise InvalidEvent(f"not a CloudEvent: missing attribute(s) {', '.join(missing)}")
    if doc["specversion"] != SPECVERSION:
        raise InvalidEvent(f"unsupported CloudEvents specversion {doc['specversion']!r}")
    data = doc.get("data")
    if data is None and "data_base64" in doc:
        raise InvalidEvent("data_base64 is not supported; send JSON data")
    known = {"specversion", "id", "type", "source", "time", "subject", "data", "datacontenttype"}
    return Envelope(
        id=str(doc["id"]),
        type=str(doc["type"]),
        source=str(doc["source"]),
        time=_time(doc.get("time")),
        subject=doc.get("subject"),
        data=data,
        extensions={k: str(v) for k, v in doc.items() if k not in known},
    )


def _headers(headers: Iterable[tuple[str, bytes]] | Mapping[str, Any]) -> dict[str, str]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for name, raw in items:
        try:
            out[name.lower()] = raw.decode() if isinstance(raw, bytes | bytearray) else str(raw)
        except UnicodeDecodeError as exc:
            raise InvalidEvent(f"header {name!r} is not UTF-8") from exc
    return out


def _json(value: bytes | None) -> Any:
    if not value:
        raise InvalidEvent("empty message value")
    try:
        return json.loads(value)
    except ValueError as exc:  # not UTF-8, not JSON, or a number too long to parse (int digit limit)
        raise InvalidEvent(f"value is not valid JSON: {exc}") from exc


def _time(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidEvent(f"ce_time {raw!r} is not an RFC 3339 timestamp") from exc


def _summarise(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:10]:
        loc = "/".join(str(p) for p in err["loc"]) or "(root)"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)
