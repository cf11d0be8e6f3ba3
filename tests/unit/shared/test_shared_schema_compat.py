"""The published JSON Schemas stay readable by what was built on the released ones."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from satupintu_shared.contracts import baseline_directory, incompatible_changes, release_baseline
from satupintu_shared.schema_compat import breaking_changes, breaking_changes_between

DOCS = Path(__file__).resolve().parents[3] / "docs"
RELEASED: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["tracking_number", "status"],
    "properties": {
        "tracking_number": {"type": "string", "maxLength": 32, "pattern": "^[A-Z0-9-]+$"},
        "status": {"$ref": "#/$defs/Status"},
        "hop": {"type": "integer", "minimum": 0, "maximum": 100, "default": 0},
        "note": {"anyOf": [{"type": "string", "maxLength": 4000}, {"type": "null"}], "default": None},
        "candidates": {"type": "array", "items": {"type": "string", "maxLength": 200}},
        "applicant": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "phone": {"type": "string"}},
            "required": ["name"],
        },
    },
    "$defs": {"Status": {"type": "string", "enum": ["submitted", "routed", "accepted"]}},
}


def _changed(edit: Any) -> dict[str, Any]:
    new = copy.deepcopy(RELEASED)
    edit(new)
    return new


def test_the_same_schema_is_compatible() -> None:
    assert breaking_changes(RELEASED, copy.deepcopy(RELEASED)) == []


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(
            lambda s: s["properties"].update(officer_rank={"type": "string"}), id="new optional field"
        ),
        pytest.param(lambda s: s["properties"]["hop"].update(maximum=1000), id="loosened bound"),
        pytest.param(lambda s: s["properties"]["hop"].update(type="number"), id="integer widened to number"),
        pytest.param(lambda s: s["$defs"]["Status"]["enum"].append("completed"), id="new enum member"),
        pytest.param(lambda s: s["properties"]["tracking_number"].pop("pattern"), id="pattern dropped"),
        pytest.param(lambda s: s["required"].remove("status"), id="no longer required"),
        pytest.param(
            lambda s: s["properties"].update(hop={"anyOf": [{"type": "integer"}, {"type": "null"}]}),
            id="made nullable",
        ),
        pytest.param(lambda s: s["properties"]["applicant"].pop("required"), id="nested no longer required"),
    ],
)
def test_what_an_older_reader_still_reads_is_compatible(edit: Any) -> None:
    assert breaking_changes(RELEASED, _changed(edit)) == []


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda s: s["properties"].pop("hop"), "#/properties/hop: removed"),
        (lambda s: s["required"].append("hop"), "#/properties/hop: newly required"),
        (
            lambda s: s["properties"]["applicant"]["required"].append("phone"),
            "#/properties/applicant/properties/phone: newly required",
        ),
        (
            lambda s: s["properties"].update(officer={"type": "string"}) or s["required"].append("officer"),
            "#/properties/officer: newly required",
        ),
        (lambda s: s["properties"]["hop"].update(type="string"), "#/properties/hop: type 'integer'"),
        (
            lambda s: s["properties"].update(note={"type": "string"}),
            "#/properties/note: type 'null' is no longer allowed",
        ),
        (
            lambda s: s["$defs"]["Status"]["enum"].remove("routed"),
            "#/properties/status: values no longer allowed: routed",
        ),
        (
            lambda s: s["properties"]["hop"].update(maximum=50),
            "#/properties/hop: maximum tightened from 100 to 50",
        ),
        (
            lambda s: s["properties"]["hop"].update(minimum=1),
            "#/properties/hop: minimum tightened from 0 to 1",
        ),
        (
            lambda s: s["properties"]["note"]["anyOf"][0].update(maxLength=100),
            "#/properties/note: maxLength tightened from 4000 to 100",
        ),
        (
            lambda s: s["properties"]["candidates"]["items"].update(maxLength=10),
            "#/properties/candidates/items: maxLength tightened from 200 to 10",
        ),
        (
            lambda s: s["properties"]["candidates"].update(maxItems=5),
            "#/properties/candidates: maxItems tightened",
        ),
        (
            lambda s: s["properties"]["applicant"]["properties"]["name"].update(maxLength=10),
            "#/properties/applicant/properties/name: maxLength tightened from none to 10",
        ),
        (
            lambda s: s["properties"]["tracking_number"].update(pattern="^[A-Z]+$"),
            "#/properties/tracking_number: pattern changed",
        ),
        (
            lambda s: s["properties"].update(
                applied_at={"type": "string", "formatMinimum": "2000-01-01T00:00:00Z"}
            ),
            None,
        ),
    ],
)
def test_what_breaks_an_older_reader_is_reported_where_it_is(edit: Any, expected: str | None) -> None:
    problems = breaking_changes(RELEASED, _changed(edit), name="id.satupintu.x.v1")

    if expected is None:  # a new optional field may come with any bound
        assert problems == []
    else:
        assert any(p.startswith("id.satupintu.x.v1" + expected) for p in problems), problems


def test_a_bound_on_a_date_may_not_be_tightened() -> None:
    old = {"type": "string", "format": "date-time", "formatMinimum": "2000-01-01T00:00:00Z"}

    later = breaking_changes(old, {**old, "formatMinimum": "2010-01-01T00:00:00Z"})
    earlier = breaking_changes(old, {**old, "formatMinimum": "1990-01-01T00:00:00Z"})

    assert later == ["#: formatMinimum tightened from 2000-01-01T00:00:00Z to 2010-01-01T00:00:00Z"]
    assert earlier == []


def test_a_breaking_change_is_allowed_under_a_new_version_of_the_event_type() -> None:
    broken = _changed(lambda s: s["properties"].pop("hop"))

    replaced = breaking_changes_between({"id.x.v1": RELEASED}, {"id.x.v2": broken})
    in_place = breaking_changes_between({"id.x.v1": RELEASED}, {"id.x.v1": broken, "id.x.v2": broken})
    dropped = breaking_changes_between({"id.x.v1": RELEASED, "catalog": RELEASED}, {"id.y.v2": RELEASED})

    assert replaced == []
    assert in_place == ["id.x.v1#/properties/hop: removed"]
    assert dropped == [
        "catalog: removed without a newer version of the type",
        "id.x.v1: removed without a newer version of the type",
    ]


def test_the_schemas_generated_from_the_code_stay_readable_by_the_released_ones() -> None:
    assert baseline_directory(DOCS).is_dir(), (
        "no released schemas: run `python -m satupintu_shared.contracts --release`"
    )
    problems = incompatible_changes(DOCS)

    assert not problems, (
        "A change to the contracts breaks readers of the released schemas (docs/schemas/baseline/). "
        "Keep it compatible (an optional field, a looser bound) or publish a new version of the event "
        "type (….v2) next to the old one.\n" + "\n".join(problems)
    )


def test_the_real_check_catches_a_change_to_a_released_schema(tmp_path: Path) -> None:
    release_baseline(tmp_path)
    released = tmp_path / "schemas" / "baseline" / "id.satupintu.request.routed.v1.json"
    released.write_text(released.read_text().replace('"tracking_number"', '"tracking_no"', 1))

    problems = incompatible_changes(tmp_path)

    assert problems and all("id.satupintu.request.routed.v1" in p for p in problems)
