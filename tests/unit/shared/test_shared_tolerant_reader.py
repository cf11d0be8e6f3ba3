"""Readers are tolerant (unknown fields are ignored), producers strict; every contract is bounded."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from satupintu_shared.catalog import Catalog, CatalogApplied
from satupintu_shared.envelope import ALL_TYPES, InvalidEvent, decode, encode
from satupintu_shared.events import (
    Applicant,
    Channel,
    Contract,
    RequestAccepted,
    RequestAssigned,
    RequestCompleted,
    RequestEscalated,
    RequestInProgress,
    RequestRejected,
    RequestReturned,
    RequestRouted,
    RequestSubmitted,
    RequestUnroutable,
    RoutingReason,
    StatusReported,
    SubmissionReceipt,
    SubmissionRequested,
    SurveyAnswered,
    SurveyAnswers,
)

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=5)
TN = "SP-1SHH-EVDG-KRZH-Q"
APPLICANT = Applicant(nik="3273010101010001", name="Budi Santoso")
REASON = RoutingReason(rule="jurisdiction", owning_level="regency_city", explanation="owns the region")
ACTION: dict[str, Any] = {
    "tracking_number": TN,
    "occurred_at": NOW,
    "agency_code": "bdg-dpmptsp",
    "report_id": "r1",
}
ANSWERS = SurveyAnswers(**dict.fromkeys(SurveyAnswers.model_fields, 3))

SAMPLES: dict[str, Contract] = {
    m.EVENT_TYPE: m
    for m in (
        RequestSubmitted(
            tracking_number=TN, occurred_at=NOW, service_code="izin-usaha", region_code="32.73",
            applicant=APPLICANT, channel=Channel.WEB,
        ),
        RequestRouted(
            tracking_number=TN, occurred_at=NOW, agency_code="bdg-dpmptsp", service_code="izin-usaha",
            region_code="32.73", due_at=LATER, sla_working_days=5, reason=REASON,
        ),
        RequestAccepted(**ACTION),
        RequestInProgress(**ACTION),
        RequestCompleted(**ACTION),
        RequestRejected(**ACTION, reason="incomplete"),
        RequestReturned(**ACTION, reason="not ours"),
        RequestEscalated(
            tracking_number=TN, occurred_at=NOW, from_agency_code="bdg-dpmptsp", agency_code="jabar",
            breached_due_at=NOW, due_at=LATER,
        ),
        RequestUnroutable(
            tracking_number=TN, occurred_at=NOW, service_code="x", region_code="32", reason="none",
        ),
        SurveyAnswered(tracking_number=TN, occurred_at=NOW, answers=ANSWERS),
        RequestAssigned(
            tracking_number=TN, occurred_at=NOW, agency_code="bdg-dpmptsp", service_code="izin-usaha",
            region_code="32.73", applicant=APPLICANT, channel=Channel.WEB, due_at=LATER, reason=REASON,
        ),
        StatusReported(tracking_number=TN, occurred_at=NOW, status="accepted"),
        SubmissionRequested(
            reference="ref-1", submitted_by="bdg-dpmptsp", service_code="izin-usaha", region_code="32.73",
            applicant=APPLICANT,
        ),
        SubmissionReceipt(tracking_number=TN, occurred_at=NOW, reference="ref-1"),
        CatalogApplied(version=1, applied_at=NOW, catalog=Catalog(), digest="0" * 64),
    )
}  # fmt: skip


def test_there_is_a_sample_of_every_event_type() -> None:
    assert SAMPLES.keys() == ALL_TYPES.keys()


@pytest.mark.parametrize("event_type", sorted(SAMPLES))
def test_a_reader_ignores_fields_it_does_not_know(event_type: str) -> None:
    sample = SAMPLES[event_type]
    data = json.loads(sample.model_dump_json())
    data["added_in_a_later_minor_version"] = {"anything": [1, 2]}
    for nested in ("applicant", "reason", "answers", "catalog"):
        if isinstance(data.get(nested), dict):
            data[nested]["also_new"] = "x"
    value, headers = encode(sample, source="/test")
    record = json.dumps(data).encode()

    parsed = decode(record, headers).parse()

    assert parsed == sample
    assert decode(value, headers).parse() == sample
    assert type(sample).read(data) == sample


@pytest.mark.parametrize("event_type", sorted(SAMPLES))
def test_what_our_code_builds_is_still_strict_about_unknown_fields(event_type: str) -> None:
    sample = SAMPLES[event_type]
    data = {**sample.model_dump(), "typo_field": 1}

    with pytest.raises(ValidationError, match="typo_field"):
        type(sample)(**data)
    with pytest.raises(ValidationError, match="typo_field"):
        type(sample).model_validate(data)


def test_a_reader_still_refuses_a_known_field_out_of_bounds() -> None:
    data = json.loads(SAMPLES[RequestRejected.EVENT_TYPE].model_dump_json())
    _, headers = encode(SAMPLES[RequestRejected.EVENT_TYPE], source="/test")
    data["reason"] = "x" * 4001
    data["unknown"] = 1

    with pytest.raises(InvalidEvent, match="reason"):
        decode(json.dumps(data).encode(), headers).parse()


@pytest.mark.parametrize(
    ("event_type", "field", "value"),
    [
        (RequestSubmitted.EVENT_TYPE, "description", "x" * 4001),
        (RequestSubmitted.EVENT_TYPE, "service_code", "x" * 201),
        (RequestSubmitted.EVENT_TYPE, "occurred_at", "1999-12-31T23:59:59Z"),
        (RequestSubmitted.EVENT_TYPE, "occurred_at", "2100-01-01T00:00:00Z"),
        (RequestRouted.EVENT_TYPE, "hop", 101),
        (RequestRouted.EVENT_TYPE, "hop", -1),
        (RequestRouted.EVENT_TYPE, "sla_working_days", 10**30),
        (RequestRouted.EVENT_TYPE, "due_at", "9999-01-01T00:00:00Z"),
        (RequestEscalated.EVENT_TYPE, "escalation_level", 101),
        (RequestAccepted.EVENT_TYPE, "note", "x" * 4001),
        (RequestAccepted.EVENT_TYPE, "report_id", "x" * 201),
        (StatusReported.EVENT_TYPE, "reason", "x" * 4001),
        (SubmissionRequested.EVENT_TYPE, "idempotency_key", "x" * 201),
        (SubmissionReceipt.EVENT_TYPE, "reference", "x" * 101),
        (CatalogApplied.EVENT_TYPE, "version", 2**31),
    ],
)
def test_every_contract_bounds_its_numbers_dates_and_text(event_type: str, field: str, value: Any) -> None:
    data = {**json.loads(SAMPLES[event_type].model_dump_json()), field: value}

    with pytest.raises(ValidationError, match=field):
        ALL_TYPES[event_type].read(data)
