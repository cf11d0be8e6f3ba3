"""The test catalog with free-text attributes on the KTP service: ``statement`` bounded only by intake's
default, ``essay`` by the catalog's own ``max_length``."""

from __future__ import annotations

from satupintu_shared.catalog import AttributeSpec, Catalog, CatalogApplied
from satupintu_shared.events import utc_now

from .catalog_fixture import CATALOG, KTP


def with_text_attributes() -> Catalog:
    """The test catalog plus the two text attributes."""
    extra = [
        AttributeSpec(code="statement", datatype="text"),
        AttributeSpec(code="essay", datatype="text", max_length=10_000),
    ]
    services = [
        s.model_copy(update={"attributes": [*s.attributes, *extra]}) if s.code == KTP else s
        for s in CATALOG.services
    ]
    return CATALOG.model_copy(update={"services": services})


def applied_with_text(version: int = 2) -> CatalogApplied:
    """That catalog as the catalog topic carries it (a later version than the fixture's)."""
    return CatalogApplied(
        version=version, applied_at=utc_now(), catalog=with_text_attributes(), digest="text"
    )
