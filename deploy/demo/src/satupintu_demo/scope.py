"""Which agencies and services the demo animates: those of the demo catalog file, as applied.

Scoping matters because an integrator following the onboarding guide adds an agency and runs its own
agency system: a demo simulator in the same consumer group would take half of that agency's inbox,
and demo citizens would flood its new service. So the demo only touches what the demo catalog file
names (or everything, when ``DEMO_CATALOG_FILE`` is empty).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from satupintu_shared.catalog import Catalog


@dataclass(frozen=True)
class Scope:
    """Agency and service codes the demo may act for (None: any)."""

    agencies: frozenset[str] | None = None
    services: frozenset[str] | None = None

    @classmethod
    def from_catalog_file(cls, path: Path | None, allowlist: frozenset[str] | None = None) -> Scope:
        """The codes a catalog file (``deploy/catalog/demo.yaml``) declares, narrowed by ``allowlist``."""
        agencies: frozenset[str] | None = None
        services: frozenset[str] | None = None
        if path is not None:
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            agencies = frozenset(str(a["code"]) for a in doc.get("agencies") or [] if "code" in a)
            services = frozenset(str(s["code"]) for s in doc.get("services") or [] if "code" in s)
        if allowlist is not None:
            agencies = allowlist if agencies is None else agencies & allowlist
        return cls(agencies, services)

    def agencies_in(self, catalog: Catalog) -> list[str]:
        """The applied catalog's agencies the demo simulates."""
        return [a.code for a in catalog.agencies if self.agencies is None or a.code in self.agencies]
