"""The fast decode path of ingest gives exactly what the general path gives, and defers to it otherwise."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import ConsumerRecord

from performance.domain.records import sanitised_json, sanitised_payload
from performance.service_layer.ingest import LifecycleIngest, _decode_fast
from performance.settings import Settings
from satupintu_shared.envelope import InvalidEvent, encode
from satupintu_shared.events import (
    Applicant,
    Channel,
    Event,
    RequestCompleted,
    RequestEscalated,
    RequestReturned,
    RequestRouted,
    RequestSubmitted,
    RequestUnroutable,
    RoutingReason,
    StatusReported,
    SurveyAnswered,
    SurveyAnswers,
)

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
TN = "SP-0001"
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def events() -> list[Event]:
    reason = RoutingReason(
        rule="jurisdiction", owning_level="opd", candidates=["capil"], explanation="Bandung"
    )
    return [
        RequestSubmitted(
            tracking_number=TN,
            occurred_at=T0,
            service_code="ktp-el",
            region_code="32.73.01",
            applicant=Applicant(nik="3273010101900001", name="Budi", phone="081234567890"),
            attributes={"alasan": "hilang", "note": "NIK 3273010101900001"},
            description="hubungi budi@example.com",
            channel=Channel.WEB,
        ),
        RequestRouted(
            tracking_number=TN,
            occurred_at=T0,
            agency_code="capil",
            service_code="ktp-el",
            region_code="32.73.01",
            due_at=T0 + timedelta(days=3),
            sla_working_days=3,
            reason=reason,
        ),
        RequestRouted(
            tracking_number=TN,
            occurred_at=T0,
            agency_code="capil",
            service_code="ktp-el",
            region_code="32.73.01",
            due_at=T0 + timedelta(days=3),
            sla_working_days=3,
            reason=reason.model_copy(update={"explanation": "call 081234567890"}),
        ),
        RequestReturned(
            tracking_number=TN,
            occurred_at=T0,
            agency_code="capil",
            officer_id="198501012010011001",
            report_id="r",
            reason="hubungi 081234567890",
            note="NIK 3273010101900001",
        ),
        RequestCompleted(
            tracking_number=TN, occurred_at=T0, agency_code="capil", report_id="c", note="ok\x00 done"
        ),
        RequestCompleted(
            tracking_number=TN, occurred_at=T0, agency_code="capil", report_id="c", note='quote " and \\ é'
        ),
        RequestEscalated(
            tracking_number=TN,
            occurred_at=T0,
            from_agency_code="capil",
            agency_code="pemkot",
            breached_due_at=T0,
            due_at=T0 + timedelta(days=2),
        ),
        RequestUnroutable(
            tracking_number=TN, occurred_at=T0, service_code="x", region_code="32.73.01", reason="a@b"
        ),
        SurveyAnswered(
            tracking_number=TN,
            occurred_at=T0,
            answers=SurveyAnswers(**{n: 3 for n in SurveyAnswers.model_fields}),
        ),
    ]


def record(value: bytes | None, headers: list[tuple[str, bytes]], offset: int = 7) -> Any:
    return ConsumerRecord("t", 1, offset, 0, 0, b"k", value, None, 1, len(value or b""), headers)


def binary(event: Event, **extra: str) -> Any:
    value, headers = encode(event, source="test", event_id="id-1")
    return record(value, [(k, v.encode()) for k, v in {**headers, **extra}.items()])


@pytest.mark.parametrize("event", events(), ids=lambda e: type(e).__name__)
def test_the_sanitised_json_is_the_sanitised_payload(event: Event) -> None:
    assert json.loads(sanitised_json(event)) == sanitised_payload(event)


@pytest.mark.parametrize("event", events(), ids=lambda e: type(e).__name__)
def test_the_fast_path_stores_what_the_general_path_stores(event: Event) -> None:
    ingest = LifecycleIngest(None, None, group="g")  # type: ignore[arg-type]
    rec = binary(event, traceparent=TRACEPARENT)
    fast = _decode_fast(rec)
    assert fast is not None
    slow = ingest._decode_checked(rec)
    assert fast.payload == slow.payload and json.loads(fast.payload_json) == sanitised_payload(event)
    assert (fast.event_id, fast.type, fast.tracking_number, fast.occurred_at, fast.trace_id) == (
        slow.event_id,
        slow.type,
        slow.tracking_number,
        slow.occurred_at,
        slow.trace_id,
    )
    assert (fast.agency_code, fast.officer_id, fast.partition, fast.offset, fast.event) == (
        slow.agency_code,
        slow.officer_id,
        slow.partition,
        slow.offset,
        slow.event,
    )
    assert fast.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert "3273010101900001" not in fast.payload_json and "081234567890" not in fast.payload_json


def test_unusual_records_take_the_general_path_and_are_refused_with_its_reason() -> None:
    ingest = LifecycleIngest(None, None, group="g")  # type: ignore[arg-type]
    ev = events()[1]
    value, headers = encode(ev, source="test", event_id="id-1")
    hb = [(k, v.encode()) for k, v in headers.items()]
    structured = json.dumps(
        {"specversion": "1.0", "id": "s", "type": ev.EVENT_TYPE, "source": "x", "data": json.loads(value)}
    ).encode()
    cases = {
        "structured": record(structured, [("content-type", b"application/cloudevents+json")]),
        "upper-case headers": record(value, [(k.upper(), v) for k, v in hb]),
        "bad ce_time": record(value, [*hb, ("ce_time", b"yesterday")]),
        "not UTF-8": record(value, [*hb, ("x-extra", b"\xff")]),
        "invalid data": record(value.replace(b'"capil"', b"17"), hb),
        "not JSON": record(b"{nope", hb),
        "not lifecycle": binary(
            StatusReported(tracking_number=TN, occurred_at=T0, status="accepted")  # type: ignore[arg-type]
        ),
        "empty": record(None, hb),
    }
    for name, rec in cases.items():
        assert _decode_fast(rec) is None, name
        if name in ("structured", "upper-case headers"):
            assert ingest._decode(rec).event == ev, name
        else:
            with pytest.raises(InvalidEvent):
                ingest._decode(rec)


def test_the_dead_letter_group_follows_the_lifecycle_group(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PERFORMANCE_DLQ_CONSUMER_GROUP", raising=False)
    monkeypatch.setenv("PERFORMANCE_CONSUMER_GROUP", "staging.satupintu-performance")
    assert Settings().deadletter_group == "staging.satupintu-performance-dlq"
    monkeypatch.delenv("PERFORMANCE_CONSUMER_GROUP")
    assert Settings().deadletter_group == "satupintu-performance-dlq"
    monkeypatch.setenv("PERFORMANCE_DLQ_CONSUMER_GROUP", "explicit")
    assert Settings().deadletter_group == "explicit"
