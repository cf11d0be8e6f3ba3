"""Sample events for tests."""

from __future__ import annotations

from datetime import UTC, datetime

from satupintu_shared.events import Applicant, Channel, RequestSubmitted


def submitted(tracking_number: str = "SP-TEST-0001", **overrides: object) -> RequestSubmitted:
    """A valid RequestSubmitted for Kota Bandung."""
    fields: dict[str, object] = {
        "tracking_number": tracking_number,
        "occurred_at": datetime(2026, 11, 30, 3, 0, tzinfo=UTC),
        "service_code": "ktp-el-replacement",
        "region_code": "32.73.01",
        "applicant": Applicant(nik="3273014107900001", name="Siti Aminah", phone="081234567890"),
        "attributes": {"reason": "lost"},
        "description": "KTP hilang",
        "channel": Channel.WEB,
    }
    fields.update(overrides)
    return RequestSubmitted.model_validate(fields)
