"""What happens after a return (bukan kewenangan) and after a missed deadline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from satupintu_shared.catalog import Agency, Catalog
from satupintu_shared.events import RoutingReason

from .deadlines import due_at
from .decision import NoRoute, Routed, route

#: How often a request may be re-routed after returns before it is declared unroutable.
DEFAULT_HOP_LIMIT = 3


def after_return(
    catalog: Catalog,
    *,
    service_code: str,
    region_code: str,
    returning_agency: str,
    returned_by: list[str],
    hop: int,
    hop_limit: int = DEFAULT_HOP_LIMIT,
) -> Routed | NoRoute:
    """Another eligible agency (not one that returned it), else the returning agency's parent."""
    if hop + 1 > hop_limit:
        return NoRoute(f"returned {hop + 1} times; the hop limit is {hop_limit}")
    excluded = {*returned_by, returning_agency}
    decision = route(catalog, service_code, region_code, exclude=excluded, rule="reroute-after-return")
    if isinstance(decision, Routed):
        return decision
    service = catalog.service(service_code)
    returner = catalog.agency(returning_agency)
    parent = catalog.agency(returner.parent) if returner and returner.parent else None
    if service is None or parent is None or parent.code in excluded:
        return NoRoute(f"returned by {', '.join(sorted(excluded))}; no other agency and no parent to take it")
    reason = RoutingReason(
        rule="parent-after-return",
        owning_level=service.owning_level.value,
        candidates=[parent.code],
        explanation=f"{returning_agency} returned it and no other agency is eligible; "
        f"its parent {parent.code} takes it",
    )
    return Routed(agency=parent, service=service, reason=reason)


@dataclass(frozen=True)
class Escalation:
    """The parent that takes over an overdue request, with its new deadline."""

    to: Agency
    level: int
    due_at: datetime
    reason: RoutingReason


def escalate(
    catalog: Catalog, *, service_code: str, agency_code: str, escalation_level: int, now: datetime
) -> Escalation | str:
    """The escalation of an overdue request, or why it cannot go further up."""
    service = catalog.service(service_code)
    agency = catalog.agency(agency_code)
    if service is None or agency is None:
        return "the service or the assigned agency is no longer in the catalog"
    policy = service.escalation
    if not policy.enabled or escalation_level >= policy.max_levels:
        return f"escalation policy of {service.code} allows no further level"
    parent = catalog.agency(agency.parent) if agency.parent else None
    if parent is None:
        return f"{agency.code} has no parent to escalate to"
    reason = RoutingReason(
        rule="escalation",
        owning_level=service.owning_level.value,
        candidates=[parent.code],
        explanation=f"{agency.code} missed its deadline; escalated to its parent {parent.code} "
        f"(level {escalation_level + 1} of {policy.max_levels})",
    )
    return Escalation(
        to=parent,
        level=escalation_level + 1,
        due_at=due_at(now, policy.extra_working_days, parent.time_zone),
        reason=reason,
    )
