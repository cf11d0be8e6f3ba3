"""docs/sdk.md shows the example that actually ships, and its sample report is a valid StatusReported."""

from __future__ import annotations

import json
import re
from pathlib import Path

from satupintu_shared.events import StatusReported
from satupintu_shared.sdk import example

DOC = (Path(__file__).resolve().parents[3] / "docs" / "sdk.md").read_text()


def test_the_one_screen_example_in_the_docs_is_the_shipped_example() -> None:
    shown = DOC.split("## An agency system on one screen", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    assert shown == Path(example.__file__).read_text(), "copy sdk/example.py into docs/sdk.md"
    assert len(shown.splitlines()) <= 50, "the example must fit on one screen"


def test_the_sample_report_for_non_python_systems_is_valid() -> None:
    [payload] = re.findall(r"echo '(\{.*?\})'", DOC)
    assert StatusReported.model_validate(json.loads(payload)).status == "accepted"
