"""Agencies as the catalog describes them: names, levels, parents and time zones."""

from __future__ import annotations

from dataclasses import dataclass

from satupintu_shared.catalog import Catalog

from .calendar import DEFAULT_ZONE


@dataclass(frozen=True)
class AgencyInfo:
    """What scorecards and rankings show about an agency."""

    code: str
    name: str | None
    level: str | None
    parent: str | None
    time_zone: str


def info(catalog: Catalog, code: str) -> AgencyInfo:
    """The agency's entry, or a bare one (Jakarta time) when the catalog does not know it."""
    agency = catalog.agency(code)
    if agency is None:
        return AgencyInfo(code, None, None, None, DEFAULT_ZONE)
    return AgencyInfo(code, agency.name, agency.level.value, agency.parent, agency.time_zone.iana)


def descendants(catalog: Catalog, parent: str) -> set[str]:
    """Every agency below ``parent`` in the hierarchy (children, their children, …)."""
    children: dict[str, list[str]] = {}
    for agency in catalog.agencies:
        if agency.parent:
            children.setdefault(agency.parent, []).append(agency.code)
    found: set[str] = set()
    stack = list(children.get(parent, []))
    while stack:
        code = stack.pop()
        if code not in found:
            found.add(code)
            stack.extend(children.get(code, []))
    return found


def select(catalog: Catalog, known: set[str], *, level: str | None, parent: str | None) -> list[str]:
    """Agency codes to rank: catalog agencies plus any seen in the data, filtered by level and parent."""
    codes = {a.code for a in catalog.agencies} | known
    if parent is not None:
        codes &= descendants(catalog, parent)
    if level is not None:
        codes = {c for c in codes if info(catalog, c).level == level}
    return sorted(codes)
