from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from routing.domain.catalog_file import load_catalog
from satupintu_shared.catalog import Catalog

DEMO = Path(__file__).resolve().parents[3] / "deploy" / "catalog" / "demo.yaml"


@pytest.fixture(scope="session")
def demo_doc() -> dict:
    return yaml.safe_load(DEMO.read_text())


@pytest.fixture(scope="session")
def demo(demo_doc: dict) -> Catalog:
    catalog, problems = load_catalog(demo_doc)
    assert problems == []
    assert catalog is not None
    return catalog
