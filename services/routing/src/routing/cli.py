"""`satupintu`: the integrator's command line (catalog commands). Kafka from KAFKA_BOOTSTRAP_SERVERS and
SATUPINTU_TOPIC_PREFIX, like the services.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from satupintu_shared.settings import KafkaSettings

from .adapters.catalog_topic import CatalogUnavailable
from .entrypoints import catalog_commands


def parser() -> argparse.ArgumentParser:
    """The argument parser of `satupintu`."""
    root = argparse.ArgumentParser(prog="satupintu", description="SatuPintu integrator tools")
    groups = root.add_subparsers(dest="group", required=True)
    catalog = groups.add_parser("catalog", help="the service catalog (agencies and services)")
    commands = catalog.add_subparsers(dest="command", required=True)
    apply = commands.add_parser("apply", help="validate, show the changes, publish as the next version")
    apply.add_argument("file", type=Path)
    apply.add_argument("--dry-run", action="store_true", help="validate and show the changes only")
    validate = commands.add_parser("validate", help="validate a catalog file (no broker needed)")
    validate.add_argument("file", type=Path)
    show = commands.add_parser("show", help="print the applied catalog")
    show.add_argument("--json", action="store_true", help="the full applied catalog as JSON")
    return root


def main(argv: list[str] | None = None) -> int:
    """Run `satupintu`; returns (and exits with) the exit code."""
    args = parser().parse_args(argv)
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # transient retries: not the user's concern
    out = sys.stdout
    try:
        if args.command == "validate":
            code = catalog_commands.validate(args.file, out)
        elif args.command == "apply":
            code = asyncio.run(catalog_commands.apply(KafkaSettings(), args.file, out, dry_run=args.dry_run))
        else:
            code = asyncio.run(catalog_commands.show(KafkaSettings(), out, as_json=args.json))
    except (CatalogUnavailable, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = 2
    if argv is None:
        sys.exit(code)
    return code


if __name__ == "__main__":
    main()
