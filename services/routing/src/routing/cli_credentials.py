"""`satupintu agency credentials create|rotate|revoke|save`: an agency system's own Kafka principal.

The principal is ``agency-<code>`` (after the environment's topic prefix, if any); its grants follow
the catalog (`satupintu catalog apply`), these commands manage its SCRAM-SHA-512 password. A password
is random, shown once (or written to a file only its owner can read) and never kept by SatuPintu: the
broker stores a salted SCRAM hash. Run as the admin tool (``KAFKA_SASL_USERNAME=satupintu-admin``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from aiokafka.errors import KafkaError
from confluent_kafka import KafkaException

from satupintu_shared.acl import agency_group, agency_principal
from satupintu_shared.catalog import Catalog
from satupintu_shared.kafka_admin import KafkaAdministration, new_password
from satupintu_shared.kafka_clients import create_admin
from satupintu_shared.sdk.credentials import AgencyCredentials, InvalidCredentials
from satupintu_shared.settings import KafkaCredentialsMissing, KafkaSettings, SaslMechanism

from .adapters.catalog_topic import CatalogUnavailable, read_applied
from .cli_support import OK, REFUSED, CommandFailed, kafka_settings

MECHANISM: SaslMechanism = "SCRAM-SHA-512"  # what KafkaAdministration.set_password creates
#: How long a saved file's credentials may take to be accepted before they count as not working.
CHECK_TIMEOUT = 15.0


async def create(
    settings: KafkaSettings, code: str, out: TextIO, *, as_json: bool = False, save_dir: Path | None = None
) -> int:
    """Issue the first credentials of agency ``code`` and show them once."""
    await _in_catalog(settings, code)
    username = agency_principal(settings.topics, code)
    administration = KafkaAdministration(settings)
    if await administration.user_exists(username):
        raise CommandFailed(
            f"agency {code} already has credentials ({username}); to replace them: "
            f"satupintu agency credentials rotate {code}",
            REFUSED,
        )
    _emit(await _issue(settings, administration, code), out, as_json=as_json, save_dir=save_dir)
    return OK


async def rotate(
    settings: KafkaSettings, code: str, out: TextIO, *, as_json: bool = False, save_dir: Path | None = None
) -> int:
    """Replace agency ``code``'s password: the old one is refused from now on, for new connections."""
    await _in_catalog(settings, code)
    username = agency_principal(settings.topics, code)
    administration = KafkaAdministration(settings)
    if not await administration.user_exists(username):
        raise CommandFailed(
            f"agency {code} has no credentials yet: satupintu agency credentials create {code}", REFUSED
        )
    _emit(await _issue(settings, administration, code), out, as_json=as_json, save_dir=save_dir)
    return OK


async def revoke(settings: KafkaSettings, code: str, out: TextIO) -> int:
    """Delete agency ``code``'s principal (an agency no longer in the catalog can be revoked too)."""
    username = agency_principal(settings.topics, code)
    administration = KafkaAdministration(settings)
    if not await administration.delete_user(username):
        raise CommandFailed(f"agency {code} has no credentials ({username} does not exist)", REFUSED)
    # Return once the broker has applied the deletion (it follows its metadata log a moment later).
    for _ in range(int(CHECK_TIMEOUT / 0.2)):
        if not await administration.user_exists(username):
            break
        await asyncio.sleep(0.2)
    print(
        f"revoked the credentials of agency {code} ({username}): the broker refuses every new connection "
        "with them; connections open now are not cut (they end when the client reconnects)",
        file=out,
    )
    return OK


async def save(settings: KafkaSettings, folder: Path, codes: Sequence[str], out: TextIO) -> int:
    """Give each agency (default: every agency of the applied catalog) credentials in
    ``folder/<code>.json`` (mode 600), without printing them. A file whose credentials still work is
    kept; one that no longer works is renewed. An agency whose principal exists without a file here got
    its credentials elsewhere (`create`): its password is left alone, so its system keeps working."""
    catalog = await _applied_catalog(settings)
    known = {agency.code for agency in catalog.agencies}
    unknown = sorted(set(codes) - known)
    if unknown:
        raise CommandFailed(f"not in the applied catalog: {', '.join(unknown)}", REFUSED)
    _private_folder(folder)
    administration = KafkaAdministration(settings)
    limit = asyncio.Semaphore(8)

    async def one(code: str) -> str:
        async with limit:
            return await _save_one(settings, administration, folder, code, out)

    outcomes = await asyncio.gather(*(one(code) for code in sorted(codes or known)))
    counts = {kind: outcomes.count(kind) for kind in ("created", "renewed", "kept", "left alone")}
    print(
        f"agency credentials in {folder}: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()),
        file=out,
    )
    return OK


async def _save_one(
    settings: KafkaSettings, administration: KafkaAdministration, folder: Path, code: str, out: TextIO
) -> str:
    path = folder / f"{code}.json"
    if path.exists():
        if await _still_works(settings, code, path):
            return "kept"
        (await _issue(settings, administration, code)).write(path)
        return "renewed"
    if await administration.user_exists(agency_principal(settings.topics, code)):
        print(
            f"  {code}: has credentials issued elsewhere, left alone (to take them over: "
            f"satupintu agency credentials rotate {code} --save {folder})",
            file=out,
        )
        return "left alone"
    (await _issue(settings, administration, code)).write(path)
    return "created"


async def _still_works(settings: KafkaSettings, code: str, path: Path) -> bool:
    """Whether the file holds this environment's credentials of ``code`` and the broker accepts them."""
    try:
        credentials = AgencyCredentials.from_json(path)
    except (OSError, InvalidCredentials):
        return False
    if (credentials.agency_code, credentials.username) != (code, agency_principal(settings.topics, code)):
        return False
    return await _accepted(credentials)


async def _accepted(credentials: AgencyCredentials) -> bool:
    """Whether the broker accepts ``credentials`` now (one connection, closed at once)."""
    admin = create_admin(credentials.settings(), client_id="satupintu-credentials-check")
    try:
        await asyncio.wait_for(admin.start(), CHECK_TIMEOUT)
    except (KafkaError, TimeoutError):
        return False  # refused (a rotated or deleted password) or unreachable under that address
    finally:
        await admin.close()
    return True


async def _issue(
    settings: KafkaSettings, administration: KafkaAdministration, code: str
) -> AgencyCredentials:
    """Set a fresh random password for ``code``'s principal (creating it if needed)."""
    credentials = AgencyCredentials(
        agency_code=code,
        username=agency_principal(settings.topics, code),
        password=new_password(),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        # The agency reaches the broker the way this tool does, always with SCRAM.
        security_protocol="SASL_SSL"
        if settings.kafka_security_protocol.endswith("SSL")
        else "SASL_PLAINTEXT",
        mechanism=MECHANISM,
        ssl_ca_file=str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None,
        topic_prefix=settings.topic_prefix,
    )
    await administration.set_password(credentials.username, credentials.password)
    # The broker applies a credential change from its metadata log a moment after the call returns:
    # hand out the password only once it is accepted (from then on, the old one is refused).
    deadline = asyncio.get_running_loop().time() + CHECK_TIMEOUT
    while not await _accepted(credentials):
        if asyncio.get_running_loop().time() > deadline:
            raise CommandFailed(
                f"the broker did not accept the new password of {code} in {CHECK_TIMEOUT:.0f}s"
            )
        await asyncio.sleep(0.2)
    return credentials


def _emit(credentials: AgencyCredentials, out: TextIO, *, as_json: bool, save_dir: Path | None) -> None:
    code = credentials.agency_code
    if save_dir is not None:
        path = _private_folder(save_dir) / f"{code}.json"
        credentials.write(path)
        print(
            f"saved the credentials of agency {code} ({credentials.username}) to {path} (mode 600)", file=out
        )
        return
    if as_json:
        print(json.dumps(credentials.as_dict(), indent=2), file=out)
        return
    inbox, status, submissions = credentials.topics.agency_topics(code)
    group = agency_group(credentials.topics, code)
    rows = [
        ("username", credentials.username),
        ("password", credentials.password),
        ("mechanism", credentials.mechanism),
        ("security protocol", credentials.security_protocol),
        ("bootstrap servers", credentials.bootstrap_servers),
        *([("TLS CA file", credentials.ssl_ca_file)] if credentials.ssl_ca_file else []),
        ("reads", inbox),
        ("writes", f"{status}, {submissions}"),
        ("consumer groups", f"{group} (or starting with {group}.)"),
    ]
    print(f"Kafka credentials of agency {code}:", file=out)
    for label, value in rows:
        print(f"  {label:18} {value}", file=out)
    print(
        "\nStore the password now in the agency system's secret store: it is shown only once (the broker\n"
        f"keeps only a salted hash). To replace it: satupintu agency credentials rotate {code}",
        file=out,
    )


def _private_folder(folder: Path) -> Path:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


async def _applied_catalog(settings: KafkaSettings) -> Catalog:
    applied = await read_applied(settings)
    if applied is None:
        raise CommandFailed("no catalog has been applied yet: satupintu catalog apply FILE", REFUSED)
    return applied.catalog


async def _in_catalog(settings: KafkaSettings, code: str) -> None:
    catalog = await _applied_catalog(settings)
    if code not in {agency.code for agency in catalog.agencies}:
        raise CommandFailed(
            f"agency {code!r} is not in the applied catalog (add it and run satupintu catalog apply FILE)",
            REFUSED,
        )


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Run the parsed `agency credentials …` command; broker refusals become ``CommandFailed``."""
    try:
        return asyncio.run(_dispatch(kafka_settings(), args, out))
    except (CatalogUnavailable, KafkaCredentialsMissing) as exc:
        raise CommandFailed(str(exc)) from None
    except KafkaException as exc:
        error: Any = exc.args[0] if exc.args else None  # a confluent KafkaError
        reason = error.name() if hasattr(error, "name") else str(exc)
        raise CommandFailed(
            f"the broker refused: {reason} (run as the admin tool: KAFKA_SASL_USERNAME=satupintu-admin "
            "with its password)",
            REFUSED,
        ) from None


async def _dispatch(settings: KafkaSettings, args: argparse.Namespace, out: TextIO) -> int:
    if args.action == "create":
        return await create(settings, args.agency, out, as_json=args.json, save_dir=args.save)
    if args.action == "rotate":
        return await rotate(settings, args.agency, out, as_json=args.json, save_dir=args.save)
    if args.action == "revoke":
        return await revoke(settings, args.agency, out)
    return await save(settings, args.folder, args.agencies, out)
