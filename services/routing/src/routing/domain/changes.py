"""What applying a catalog would change, and the digest that identifies a catalog's content."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from satupintu_shared.catalog import Catalog


def digest(catalog: Catalog) -> str:
    """sha256 of the catalog's canonical JSON (sorted keys, no whitespace)."""
    canonical = json.dumps(catalog.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def diff(old: Catalog, new: Catalog) -> list[str]:
    """One line per added (+), removed (-) or changed (~) agency or service, sorted by code."""
    return [
        *_diff(
            "agency",
            {a.code: a.model_dump(mode="json") for a in old.agencies},
            {a.code: a.model_dump(mode="json") for a in new.agencies},
        ),
        *_diff(
            "service",
            {s.code: s.model_dump(mode="json") for s in old.services},
            {s.code: s.model_dump(mode="json") for s in new.services},
        ),
    ]


def _diff(kind: str, old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> list[str]:
    lines = []
    for code in sorted(old.keys() | new.keys()):
        if code not in old:
            lines.append(f"+ {kind} {code}: {new[code].get('name', '')}")
        elif code not in new:
            lines.append(f"- {kind} {code}: {old[code].get('name', '')}")
        elif old[code] != new[code]:
            fields = sorted(
                k for k in old[code].keys() | new[code].keys() if old[code].get(k) != new[code].get(k)
            )
            lines.append(f"~ {kind} {code}: {', '.join(fields)} changed")
    return lines
