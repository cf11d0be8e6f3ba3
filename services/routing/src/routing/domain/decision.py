"""The routing rule: which agency has authority over a request, and why.

Among the agencies at the service's owning level of government that handle the service, the one
whose jurisdiction covers the request's region most specifically wins. Ties (which a validated
catalog does not have) are broken by agency level (unit before OPD before …) and then by code, so
the decision is always deterministic.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from satupintu_shared.catalog import Agency, AgencyLevel, Catalog, Service
from satupintu_shared.events import RoutingReason

from .regions import covers, depth

LEVEL_ORDER = {
    AgencyLevel.UNIT: 0,
    AgencyLevel.OPD: 1,
    AgencyLevel.REGENCY_CITY: 2,
    AgencyLevel.PROVINCE: 3,
    AgencyLevel.NATIONAL: 4,
}


@dataclass(frozen=True)
class Routed:
    """The agency chosen, the service it was chosen for, and the reasons."""

    agency: Agency
    service: Service
    reason: RoutingReason


@dataclass(frozen=True)
class NoRoute:
    """No agency can take the request; ``reason`` is shown to operators."""

    reason: str


def best_match(agency: Agency, region_code: str) -> str | None:
    """The most specific code of ``agency``'s jurisdiction that covers ``region_code``."""
    matches = [code for code in agency.jurisdiction if covers(code, region_code)]
    return max(matches, key=depth) if matches else None


def route(
    catalog: Catalog,
    service_code: str,
    region_code: str,
    *,
    exclude: Collection[str] = (),
    rule: str = "jurisdiction",
) -> Routed | NoRoute:
    """Decide which agency gets a request for ``service_code`` in ``region_code``."""
    service = catalog.service(service_code)
    if service is None:
        return NoRoute(f"service {service_code!r} is not in the catalog")
    eligible = [
        a
        for a in catalog.agencies
        if a.government_level == service.owning_level and service.code in a.services and a.code not in exclude
    ]
    matched = [(a, m) for a in eligible if (m := best_match(a, region_code)) is not None]
    if not matched:
        return NoRoute(
            f"no {service.owning_level.value}-level agency handling {service.code!r} "
            f"covers region {region_code}" + (f" (excluding {', '.join(sorted(exclude))})" if exclude else "")
        )
    matched.sort(key=lambda am: (-depth(am[1]), LEVEL_ORDER[am[0].level], am[0].code))
    agency, region = matched[0]
    reason = RoutingReason(
        rule=rule,
        owning_level=service.owning_level.value,
        matched_region=region,
        candidates=[a.code for a, _ in matched],
        explanation=(
            f"{service.code} is a {service.owning_level.value} affair; {agency.code} handles it and its "
            f"jurisdiction {region} is the most specific covering {region_code}"
        ),
    )
    return Routed(agency=agency, service=service, reason=reason)
