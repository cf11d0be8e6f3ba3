"""Where intake's catalog comes from: routing's compacted catalog topic, or a file until that exists."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from satupintu_shared.catalog import Catalog
from satupintu_shared.catalog_feed import CatalogFeed


def load_catalog_file(path: str) -> Catalog:
    """A catalog from a YAML or JSON file (a bare catalog, or a ``CatalogApplied`` with ``catalog``)."""
    text = Path(path).read_text(encoding="utf-8")
    doc = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    if isinstance(doc, dict) and "catalog" in doc:
        doc = doc["catalog"]
    return Catalog.model_validate(doc)


class CatalogSource:
    """The newest catalog from the topic, else the file's, else None (not loaded yet)."""

    def __init__(self, feed: CatalogFeed, fallback: Catalog | None = None) -> None:
        self._feed = feed
        self._fallback = fallback

    def __call__(self) -> Catalog | None:
        latest = self._feed.latest
        return latest.catalog if latest else self._fallback
