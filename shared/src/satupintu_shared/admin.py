"""Topic administration and the platform's bootstrap on a secured broker.

``python -m satupintu_shared.admin`` (run by ``make up`` and ``make test`` with the admin tool's
credentials) creates the platform topics of the environment, the SCRAM users of the services, the demo
and the benchmark with the passwords ``make up`` generated, and their ACLs. Agency topics, users and
grants follow the catalog (``satupintu catalog apply``, ``satupintu agency credentials``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path

from aiokafka.admin import NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from .acl import SERVICE_PRINCIPALS, platform_acls
from .kafka_clients import create_admin
from .settings import KafkaSettings

#: Where `make up` keeps the platform's generated secrets (one file per Kafka principal in kafka/).
SECRETS_DIR_ENV = "SATUPINTU_SECRETS_DIR"


def secrets_dir() -> Path:
    """The folder of the platform's generated secrets (``SATUPINTU_SECRETS_DIR`` or ``.state/secrets``)."""
    return Path(os.environ.get(SECRETS_DIR_ENV) or Path.cwd() / ".state" / "secrets")


async def ensure_topics(
    settings: KafkaSettings, topics: dict[str, dict[str, str]], *, partitions: int = 3
) -> None:
    """Create each topic in ``topics`` (name → config, e.g. ``{"cleanup.policy": "compact"}``) if missing."""
    admin = create_admin(settings, client_id="satupintu-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        new = [
            NewTopic(
                name,
                num_partitions=1 if config.get("cleanup.policy") == "compact" else partitions,
                replication_factor=1,
                topic_configs=config,
            )
            for name, config in topics.items()
            if name not in existing
        ]
        if new:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(new)
    finally:
        await admin.close()


async def ensure_platform_topics(settings: KafkaSettings) -> None:
    """The platform's own topics: lifecycle, submissions, dead letters, and the compacted catalog."""
    t = settings.topics
    await ensure_topics(
        settings,
        {
            t.lifecycle: {},
            t.submissions: {},
            t.deadletter: {},
            t.catalog: {"cleanup.policy": "compact"},
        },
    )


async def ensure_agency_topics(settings: KafkaSettings, agency_codes: Iterable[str]) -> None:
    """Each agency's inbox, status and submissions topics (the broker creates no topic by itself)."""
    t = settings.topics
    await ensure_topics(settings, {name: {} for code in agency_codes for name in t.agency_topics(code)})


async def bootstrap_environment(settings: KafkaSettings, *, passwords: dict[str, str] | None = None) -> None:
    """Platform topics and the platform principals' grants of ``settings``' environment; with
    ``passwords`` (principal → password) also creates or updates those users."""
    from .kafka_admin import KafkaAdministration

    await ensure_platform_topics(settings)
    administration = KafkaAdministration(settings)
    for username, password in (passwords or {}).items():
        await administration.set_password(username, password)
    await administration.grant(platform_acls(settings.topics))


def generated_passwords(folder: Path) -> dict[str, str]:
    """The passwords `make up` generated for the platform principals (those whose file exists)."""
    found = {}
    for name in SERVICE_PRINCIPALS:
        path = folder / "kafka" / name
        if path.is_file():
            found[name] = path.read_text(encoding="utf-8").strip()
    return found


if __name__ == "__main__":
    import asyncio

    asyncio.run(bootstrap_environment(KafkaSettings(), passwords=generated_passwords(secrets_dir())))
