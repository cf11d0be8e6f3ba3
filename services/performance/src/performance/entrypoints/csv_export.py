"""CSV renderings of scorecards, rankings and officer scorecards (flattened, one row per item)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import Response

CSV = "text/csv"


def wants_csv(request: Request, fmt: str | None) -> bool:
    """``?format=csv`` or ``Accept: text/csv``."""
    return fmt == "csv" or (fmt is None and CSV in request.headers.get("accept", ""))


def flatten(doc: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested keys joined with dots (``score.value``); lists are left out."""
    out: dict[str, Any] = {}
    for key, value in doc.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, f"{name}."))
        elif not isinstance(value, list):
            out[name] = value
    return out


def csv_response(rows: Iterable[Mapping[str, Any]], filename: str) -> Response:
    """A CSV attachment; columns are the union of the rows' flattened keys, in first-seen order."""
    flat = [flatten(r) for r in rows]
    columns: dict[str, None] = {}
    for row in flat:
        columns.update(dict.fromkeys(row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(flat)
    return Response(
        buffer.getvalue(),
        media_type=f"{CSV}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
