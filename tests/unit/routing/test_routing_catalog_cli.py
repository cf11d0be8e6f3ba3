from __future__ import annotations

import io
from pathlib import Path

import yaml

from routing.domain.changes import diff, digest
from routing.entrypoints.catalog_commands import validate
from tests.unit.routing.conftest import DEMO


def test_validate_accepts_the_demo_file() -> None:
    out = io.StringIO()
    assert validate(DEMO, out) == 0
    assert "valid (37 agencies, 18 services" in out.getvalue()


def test_validate_lists_every_problem_and_fails(tmp_path: Path, demo_doc) -> None:
    doc = dict(demo_doc)
    doc["agencies"] = [*demo_doc["agencies"], {"code": "x-1", "name": "X", "level": "opd", "parent": "nope"}]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc))
    out = io.StringIO()
    assert validate(bad, out) == 1
    assert "nothing was applied" in out.getvalue()
    assert "unknown parent 'nope'" in out.getvalue()


def test_the_diff_shows_added_removed_and_changed_entries(demo) -> None:
    changed = demo.model_copy(
        update={
            "agencies": [a for a in demo.agencies if a.code != "bdg-dishub"]
            + [
                demo.agency("kemendagri").model_copy(
                    update={"code": "kemenkes", "name": "Kementerian Kesehatan"}
                )
            ],
            "services": [
                s.model_copy(update={"sla_working_days": 4}) if s.code == "ktp-el" else s
                for s in demo.services
            ],
        }
    )
    assert diff(demo, changed) == [
        "- agency bdg-dishub: Dinas Perhubungan Kota Bandung",
        "+ agency kemenkes: Kementerian Kesehatan",
        "~ service ktp-el: sla_working_days changed",
    ]
    assert digest(demo) != digest(changed)
    assert digest(demo) == digest(demo.model_copy())
