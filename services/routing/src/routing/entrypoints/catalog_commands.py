"""`satupintu catalog …`: validate, show and apply catalog files. Each returns the process exit code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO

import yaml

from satupintu_shared.catalog import Catalog, CatalogApplied
from satupintu_shared.events import utc_now
from satupintu_shared.settings import KafkaSettings

from ..adapters.agency_access import grant_access, planned_access
from ..adapters.catalog_topic import publish_applied, read_applied
from ..domain.catalog_file import load_catalog
from ..domain.changes import diff, digest


def read_file(path: Path, out: TextIO) -> Catalog | None:
    """The catalog in ``path``, or None after printing every problem found in it."""
    try:
        doc: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        print(f"error: cannot read {path}: {exc}", file=out)
        return None
    catalog, problems = load_catalog(doc)
    if problems or catalog is None:
        print(f"{path}: {len(problems)} problem(s); nothing was applied", file=out)
        for problem in problems:
            print(f"  - {problem}", file=out)
        return None
    return catalog


def validate(path: Path, out: TextIO) -> int:
    """Check ``path`` without touching the broker."""
    catalog = read_file(path, out)
    if catalog is None:
        return 1
    print(
        f"{path}: valid ({len(catalog.agencies)} agencies, {len(catalog.services)} services, "
        f"{digest(catalog)})",
        file=out,
    )
    return 0


async def apply(settings: KafkaSettings, path: Path, out: TextIO, *, dry_run: bool = False) -> int:
    """Validate ``path``, show the changes against the applied catalog, give every agency of it its
    topics and exactly its grants on the broker (an agency that left loses them), and publish it as the
    next version. Access follows the file even when the catalog itself is already applied."""
    catalog = read_file(path, out)
    if catalog is None:
        return 1
    current = await read_applied(settings)
    new_digest = digest(catalog)
    unchanged = current is not None and current.digest == new_digest
    if current is None or not unchanged:
        _print_changes(current, catalog, out)
    elif dry_run:
        print(f"unchanged: version {current.version} ({new_digest}) is already applied", file=out)
    codes = [agency.code for agency in catalog.agencies]
    if dry_run:
        print((await planned_access(settings, codes)).summary(planned=True), file=out)
        print("dry run: nothing was published, no grant changed", file=out)
        return 0
    # Access first: an agency named by the new version finds its topics and grants ready.
    print((await grant_access(settings, codes)).summary(), file=out)
    if current is not None and unchanged:
        print(f"unchanged: version {current.version} ({new_digest}) is already applied", file=out)
        return 0
    version = (current.version if current else 0) + 1
    applied = CatalogApplied(version=version, applied_at=utc_now(), catalog=catalog, digest=new_digest)
    await publish_applied(settings, applied)
    print(f"applied version {version} ({new_digest}) to {settings.topics.catalog}", file=out)
    return 0


def _print_changes(current: CatalogApplied | None, catalog: Catalog, out: TextIO) -> None:
    print(f"changes against version {current.version if current else 0}:", file=out)
    for line in diff(current.catalog if current else Catalog(), catalog):
        print(f"  {line}", file=out)


async def show(settings: KafkaSettings, out: TextIO, *, as_json: bool = False) -> int:
    """Print the applied catalog."""
    current = await read_applied(settings)
    if current is None:
        print("no catalog has been applied yet", file=out)
        return 1
    if as_json:
        print(json.dumps(current.model_dump(mode="json"), indent=2, ensure_ascii=False), file=out)
        return 0
    print(f"version {current.version}, applied {current.applied_at.isoformat()}, {current.digest}", file=out)
    for a in current.catalog.agencies:
        parent = f" < {a.parent}" if a.parent else ""
        print(f"  agency  {a.code:32} {a.level.value:12} {a.name}{parent}", file=out)
    for s in current.catalog.services:
        print(
            f"  service {s.code:32} {s.owning_level.value:12} {s.sla_working_days:3} wd  {s.name}", file=out
        )
    return 0
