"""Catalog validation: every problem found at once, each in a sentence an integrator can act on."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable

from satupintu_shared.catalog import Agency, AgencyLevel, Catalog, GovernmentLevel, Service

from .regions import covers, region_exists

FIXED_LEVELS = {
    AgencyLevel.NATIONAL: GovernmentLevel.NATIONAL,
    AgencyLevel.PROVINCE: GovernmentLevel.PROVINCE,
    AgencyLevel.REGENCY_CITY: GovernmentLevel.REGENCY_CITY,
}


def validate_catalog(catalog: Catalog, *, known_region: Callable[[str], bool] = region_exists) -> list[str]:
    """All problems of ``catalog``; an empty list means it may be applied."""
    agencies = {a.code: a for a in catalog.agencies}
    return [
        *_duplicates("agency", [a.code for a in catalog.agencies]),
        *_duplicates("service", [s.code for s in catalog.services]),
        *_hierarchy(catalog.agencies, agencies),
        *_regions(catalog.agencies, agencies, known_region),
        *_services(catalog),
        *_overlaps(catalog),
        *(p for s in catalog.services for p in _attributes(s)),
    ]


def _duplicates(kind: str, codes: list[str]) -> list[str]:
    return [f"{kind} {code!r} is defined {n} times" for code, n in Counter(codes).items() if n > 1]


def _hierarchy(agencies: list[Agency], by_code: dict[str, Agency]) -> list[str]:
    problems = []
    for a in agencies:
        if a.parent is not None and a.parent not in by_code:
            problems.append(f"agency {a.code!r}: unknown parent {a.parent!r}")
        if a.level in FIXED_LEVELS and a.government_level != FIXED_LEVELS[a.level]:
            problems.append(
                f"agency {a.code!r}: level {a.level.value} must have government_level "
                f"{FIXED_LEVELS[a.level].value}, not {a.government_level.value}"
            )
    reported: set[frozenset[str]] = set()
    for a in agencies:
        cycle = _cycle_from(a.code, by_code)
        if cycle and frozenset(cycle) not in reported:
            reported.add(frozenset(cycle))
            problems.append("cycle in the agency hierarchy: " + " → ".join([*cycle, cycle[0]]))
    return problems


def _cycle_from(start: str, by_code: dict[str, Agency]) -> list[str] | None:
    path: list[str] = []
    code: str | None = start
    while code is not None and code in by_code:
        if code in path:
            return path[path.index(code) :]
        path.append(code)
        code = by_code[code].parent
    return None


def _regions(agencies: list[Agency], by_code: dict[str, Agency], known: Callable[[str], bool]) -> list[str]:
    problems = []
    for a in agencies:
        problems += [f"agency {a.code!r}: unknown region code {c!r}" for c in a.jurisdiction if not known(c)]
        if a.services and not a.jurisdiction:
            problems.append(f"agency {a.code!r} handles services but has no jurisdiction")
        parent = by_code.get(a.parent) if a.parent else None
        if parent and parent.jurisdiction:
            outside = [c for c in a.jurisdiction if not any(covers(p, c) for p in parent.jurisdiction)]
            if outside:
                problems.append(
                    f"agency {a.code!r}: jurisdiction {', '.join(outside)} is outside its parent "
                    f"{parent.code!r}'s jurisdiction"
                )
    return problems


def _services(catalog: Catalog) -> list[str]:
    known = {s.code for s in catalog.services}
    problems = [
        f"agency {a.code!r} handles unknown service {code!r}"
        for a in catalog.agencies
        for code in a.services
        if code not in known
    ]
    for s in catalog.services:
        if not any(s.code in a.services and a.government_level == s.owning_level for a in catalog.agencies):
            problems.append(
                f"service {s.code!r} ({s.owning_level.value} affair) is handled by no "
                f"{s.owning_level.value}-level agency"
            )
    return problems


def _overlaps(catalog: Catalog) -> list[str]:
    claims: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for a in catalog.agencies:
        for service in a.services:
            for code in set(a.jurisdiction):
                claims[(service, a.government_level.value, code)].append(a.code)
    return [
        f"overlapping jurisdiction: {', '.join(sorted(codes))} all claim region {region} for service "
        f"{service!r} at the {level} level"
        for (service, level, region), codes in sorted(claims.items())
        if len(codes) > 1
    ]


def _attributes(service: Service) -> list[str]:
    problems = [
        f"service {service.code!r}: {p}"
        for p in _duplicates("attribute", [x.code for x in service.attributes])
    ]
    for attr in service.attributes:
        if attr.datatype == "singlevaluelist" and not attr.values:
            problems.append(
                f"service {service.code!r}: attribute {attr.code!r} is a singlevaluelist without values"
            )
        if attr.values and attr.datatype != "singlevaluelist":
            problems.append(
                f"service {service.code!r}: attribute {attr.code!r} lists values but is {attr.datatype}"
            )
    return problems
