"""Bounds every door enforces: text and item sizes, control characters, lone surrogates, numbers and
dates out of range, refused with a field error naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from intake.domain.bounds import Bounds, loads, token, unsafe_values
from intake.domain.submission import validate_submission
from intake.settings import Settings
from satupintu_shared.catalog import Catalog
from tests.integration.intake.catalog_fixture import CATALOG, valid_body
from tests.integration.intake.hostile_catalog import with_text_attributes


def errors_of(body: Any, catalog: Catalog = CATALOG, **options: Any) -> dict[str, str]:
    submission, errors = validate_submission(body, catalog, **options)
    assert (submission is None) == bool(errors)
    return {e.pointer: e.code for e in errors}


def test_a_text_attribute_without_a_catalog_length_is_bounded_by_the_default() -> None:
    catalog = with_text_attributes()
    huge = valid_body(attributes={"reason": "lost", "statement": "x" * 1_500_000})
    assert errors_of(huge, catalog) == {"/attributes/statement": "too_long", "/": "item_too_large"}
    assert errors_of(valid_body(attributes={"reason": "lost", "statement": "x" * 4000}), catalog) == {}


def test_the_catalogs_max_length_overrides_the_default_text_bound() -> None:
    catalog = with_text_attributes()
    assert errors_of(valid_body(attributes={"reason": "lost", "essay": "x" * 9000}), catalog) == {}
    assert errors_of(valid_body(attributes={"reason": "lost", "essay": "x" * 10_001}), catalog) == {
        "/attributes/essay": "too_long"
    }


def test_the_description_follows_the_configured_text_bound() -> None:
    assert errors_of(valid_body(description="x" * 101), bounds=Bounds(max_text_field_chars=100)) == {
        "/description": "too_long"
    }


def test_an_item_over_the_item_bound_is_refused_as_a_whole() -> None:
    assert errors_of(valid_body(description="x" * 2000), bounds=Bounds(max_item_bytes=1024)) == {
        "/": "item_too_large"
    }
    assert errors_of(valid_body(), pointer="/items/3", bounds=Bounds(max_item_bytes=100)) == {
        "/items/3": "item_too_large"
    }


@pytest.mark.parametrize(
    ("body", "pointer", "code"),
    [
        (valid_body(description="KTP\x00hilang"), "/description", "control_character"),
        (valid_body(description="KTP\ud800hilang"), "/description", "invalid_unicode"),
        (valid_body(service_code="ktp\x1breplacement"), "/service_code", "control_character"),
        (
            valid_body(applicant={"nik": "3273010101900001", "name": "Bu\x07di"}),
            "/applicant/name",
            "control_character",
        ),
        (valid_body(attributes={"reason": "lost\udfff"}), "/attributes/reason", "invalid_unicode"),
        (valid_body(attributes={"reason": "lost", "x\ud800": 1}), "/attributes/x\\ud800", "invalid_unicode"),
        (valid_body(**{"surprise\x01": 1}), "/surprise\\x01", "control_character"),
        (valid_body(**{"k" * 5000: 1}), "/" + "k" * 200 + "…", "too_long"),
    ],
)
def test_control_characters_and_lone_surrogates_are_refused_with_the_field_named(
    body: dict[str, Any], pointer: str, code: str
) -> None:
    assert errors_of(body) == {pointer: code}


def test_tabs_and_line_breaks_stay_allowed_in_free_text() -> None:
    assert errors_of(valid_body(description="baris 1\r\nbaris 2\tkolom")) == {}


def test_integers_and_dates_out_of_range_are_refused() -> None:
    body = valid_body(attributes={"reason": "lost", "copies": 2**60, "lost_on": "0001-01-01"})
    assert errors_of(body) == {"/attributes/copies": "out_of_range", "/attributes/lost_on": "out_of_range"}
    assert errors_of(valid_body(attributes={"reason": "lost", "lost_on": "2101-01-01"})) == {
        "/attributes/lost_on": "out_of_range"
    }
    form = valid_body(attributes={"reason": "lost", "copies": "9" * 5000})
    assert errors_of(form, lenient_attributes=True) == {"/attributes/copies": "number_too_long"}


def test_a_5000_digit_number_is_read_as_a_too_long_number_with_its_field_named() -> None:
    doc = loads(b'{"attributes": {"copies": ' + b"7" * 5000 + b"}}")
    assert [(e.pointer, e.code) for e in unsafe_values(doc)] == [("/attributes/copies", "number_too_long")]
    assert errors_of(valid_body(attributes=doc["attributes"])) == {"/attributes/copies": "number_too_long"}


def test_extra_fields_of_a_door_are_bounded_strings() -> None:
    extra = frozenset({"idempotency_key"})
    assert errors_of(valid_body(idempotency_key="k" * 201), extra_fields=extra) == {
        "/idempotency_key": "too_long"
    }
    assert errors_of(valid_body(idempotency_key=7), extra_fields=extra) == {"/idempotency_key": "type_string"}


def test_pointer_tokens_are_escaped_and_safe_to_echo() -> None:
    assert token("a/b~c") == "a~1b~0c"
    assert token("x\ud800\x02").encode("utf-8") == b"x\\ud800\\x02"


def test_the_item_bound_stays_below_the_broker_record_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTAKE_MAX_ITEM_BYTES", str(1_048_576))
    with pytest.raises(ValueError, match="INTAKE_MAX_ITEM_BYTES"):
        Settings()
    monkeypatch.setenv("INTAKE_MAX_ITEM_BYTES", "200000")
    monkeypatch.setenv("INTAKE_MAX_TEXT_FIELD_CHARS", "9000")
    assert Settings().bounds() == Bounds(max_text_field_chars=9000, max_item_bytes=200_000)
