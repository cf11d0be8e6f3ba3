"""`satupintu`: the integrator's and operator's command line.

* ``catalog validate|apply|show`` — the service catalog (Kafka);
* ``agency keys create|list|revoke`` — agency API keys (intake's admin API);
* ``agency credentials create|rotate|revoke|save`` — agency systems' Kafka credentials (the broker);
* ``request show TRACKING`` — a request's journey (routing and performance APIs);
* ``dlq list|replay`` — dead-lettered records (Kafka).

Kafka from KAFKA_BOOTSTRAP_SERVERS and SATUPINTU_TOPIC_PREFIX, like the services; HTTP services from
SATUPINTU_INTAKE_URL, SATUPINTU_ROUTING_URL, SATUPINTU_PERFORMANCE_URL, with the operator tokens
SATUPINTU_ADMIN_TOKEN and SATUPINTU_OPERATOR_TOKEN (or their _FILE, or SATUPINTU_SECRETS_DIR's files).
Exit codes: 0 done, 1 refused (invalid input, unknown request/agency/key), 2 a service or the broker
could not be reached (or failed).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import sys
from pathlib import Path

from satupintu_shared.settings import KafkaCredentialsMissing

from .cli_support import UNAVAILABLE, CommandFailed, kafka_settings

EPILOG = """\
environment: KAFKA_BOOTSTRAP_SERVERS (127.0.0.1:9092), SATUPINTU_TOPIC_PREFIX (empty),
  SATUPINTU_INTAKE_URL (http://127.0.0.1:8080), SATUPINTU_ROUTING_URL (http://127.0.0.1:8081),
  SATUPINTU_PERFORMANCE_URL (http://127.0.0.1:8082),
  SATUPINTU_ADMIN_TOKEN / SATUPINTU_ADMIN_TOKEN_FILE (agency keys; else $SATUPINTU_SECRETS_DIR/admin-token),
  SATUPINTU_OPERATOR_TOKEN / _FILE (request show; else $SATUPINTU_SECRETS_DIR/operator-token),
  SATUPINTU_SECRETS_DIR (./.state/secrets)
exit codes: 0 done, 1 refused (invalid input, unknown name), 2 service or broker unavailable"""


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parser() -> argparse.ArgumentParser:
    """The argument parser of `satupintu`."""
    root = argparse.ArgumentParser(
        prog="satupintu",
        description="SatuPintu integrator and operator tools",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    groups = root.add_subparsers(dest="group", required=True)

    catalog = groups.add_parser("catalog", help="the service catalog (agencies and services)")
    commands = catalog.add_subparsers(dest="command", required=True)
    apply = commands.add_parser("apply", help="validate, show the changes, publish as the next version")
    apply.add_argument("file", type=Path)
    apply.add_argument("--dry-run", action="store_true", help="validate and show the changes only")
    apply.add_argument("--quiet", action="store_true", help="print only the outcome (problems in full)")
    validate = commands.add_parser("validate", help="validate a catalog file (no broker needed)")
    validate.add_argument("file", type=Path)
    show = commands.add_parser("show", help="print the applied catalog")
    show.add_argument("--json", action="store_true", help="the full applied catalog as JSON")

    agency = groups.add_parser("agency", help="agency systems' credentials")
    agency_commands = agency.add_subparsers(dest="command", required=True)
    keys = agency_commands.add_parser("keys", help="API keys for status reports over HTTP (intake)")
    key_commands = keys.add_subparsers(dest="action", required=True)
    create = key_commands.add_parser("create", help="create a key (printed once: store it)")
    create.add_argument("agency", metavar="AGENCY", help="agency code, e.g. bdg-disdukcapil")
    create.add_argument("--json", action="store_true", help="print intake's answer as JSON")
    listing = key_commands.add_parser("list", help="list an agency's keys (ids and dates, never the keys)")
    listing.add_argument("agency", metavar="AGENCY")
    listing.add_argument("--json", action="store_true")
    revoke = key_commands.add_parser("revoke", help="revoke a key: refused from now on")
    revoke.add_argument("agency", metavar="AGENCY")
    revoke.add_argument("key_id", metavar="KEY_ID")
    _credentials_parser(agency_commands)

    request = groups.add_parser("request", help="service requests")
    request_commands = request.add_subparsers(dest="command", required=True)
    journey = request_commands.add_parser("show", help="a request's journey: assignment and timeline")
    journey.add_argument("tracking_number", metavar="TRACKING")
    journey.add_argument("--json", action="store_true", help="routing's and performance's documents")

    dlq = groups.add_parser("dlq", help="dead-lettered records")
    dlq_commands = dlq.add_subparsers(dest="command", required=True)
    dlq_list = dlq_commands.add_parser("list", help="the most recent dead letters (never their payload)")
    dlq_list.add_argument("--limit", type=_positive, default=50, help="how many, newest last (default 50)")
    dlq_list.add_argument("--kind", help="only this kind: invalid, handler-error, refused, …")
    dlq_replay = dlq_commands.add_parser("replay", help="republish dead letters to their original topics")
    dlq_replay.add_argument("ids", nargs="*", metavar="OFFSET", help="PARTITION:OFFSET (as listed) or OFFSET")
    dlq_replay.add_argument("--all", action="store_true", help="every dead letter (of --kind)")
    dlq_replay.add_argument("--kind", help="only this kind")
    dlq_replay.add_argument("--dry-run", action="store_true", help="show what would be replayed only")
    return root


def _credentials_parser(agency_commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    credentials = agency_commands.add_parser(
        "credentials", help="Kafka credentials (SCRAM) of agency systems"
    )
    actions = credentials.add_subparsers(dest="action", required=True)
    for action, text in (
        ("create", "issue an agency's credentials (printed once: store them)"),
        ("rotate", "replace the password: the old one is refused from now on"),
    ):
        command = actions.add_parser(action, help=text)
        command.add_argument("agency", metavar="AGENCY", help="agency code in the applied catalog")
        shown = command.add_mutually_exclusive_group()
        shown.add_argument("--json", action="store_true", help="print them as JSON (the SDK reads that file)")
        shown.add_argument(
            "--save", type=Path, metavar="DIR", help="write DIR/AGENCY.json (mode 600) instead"
        )
    revoke = actions.add_parser("revoke", help="delete an agency's credentials: refused from now on")
    revoke.add_argument("agency", metavar="AGENCY")
    save = actions.add_parser(
        "save", help="write DIR/<code>.json (mode 600) for agencies, keeping working ones"
    )
    save.add_argument("folder", type=Path, metavar="DIR")
    save.add_argument("agencies", nargs="*", metavar="AGENCY", help="default: every agency of the catalog")


def run(args: argparse.Namespace) -> int:
    """Dispatch parsed arguments to their command; returns the exit code."""
    # Imported per command: the HTTP commands start fast without loading Kafka and the catalog code.
    out = sys.stdout
    if args.group == "agency" and args.command == "credentials":
        from . import cli_credentials

        return cli_credentials.run(args, out)
    if args.group == "agency":
        from . import cli_keys

        if args.action == "create":
            return cli_keys.create(args.agency, out, as_json=args.json)
        if args.action == "list":
            return cli_keys.list_keys(args.agency, out, as_json=args.json)
        return cli_keys.revoke(args.agency, args.key_id, out)
    if args.group == "request":
        from . import cli_request

        return cli_request.show(args.tracking_number, out, as_json=args.json)

    if args.group == "catalog":
        from .adapters.catalog_topic import CatalogUnavailable
        from .entrypoints import catalog_commands

        try:
            if args.command == "validate":
                return catalog_commands.validate(args.file, out)
            if args.command == "apply":
                buffer = io.StringIO()
                code = asyncio.run(
                    catalog_commands.apply(
                        kafka_settings(), args.file, buffer if args.quiet else out, dry_run=args.dry_run
                    )
                )
                if args.quiet:
                    lines = buffer.getvalue().splitlines()
                    print("\n".join(lines if code else lines[-1:]), file=out if code == 0 else sys.stderr)
                return code
            return asyncio.run(catalog_commands.show(kafka_settings(), out, as_json=args.json))
        except CatalogUnavailable as exc:
            raise CommandFailed(str(exc)) from None
    from . import cli_dlq

    if args.command == "list":
        return asyncio.run(cli_dlq.list_dead_letters(kafka_settings(), out, limit=args.limit, kind=args.kind))
    return asyncio.run(
        cli_dlq.replay(
            kafka_settings(), out, ids=args.ids, replay_all=args.all, kind=args.kind, dry_run=args.dry_run
        )
    )


def main(argv: list[str] | None = None) -> int:
    """Run `satupintu`; returns (and exits with) the exit code."""
    args = parser().parse_args(argv)
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # transient retries: not the user's concern
    try:
        code = run(args)
    except CommandFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = exc.code
    except KafkaCredentialsMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = UNAVAILABLE
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = UNAVAILABLE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        code = 130
    if argv is None:
        sys.exit(code)
    return code


if __name__ == "__main__":
    main()
