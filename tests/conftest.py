"""Where the tests get their real services from, in this order: explicit environment
(KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL) → the local stack that `make test` starts → testcontainers when
a Docker daemon answers → a clear failure. Never a silent skip.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from satupintu_shared.settings import KafkaSettings
from satupintu_shared.topics import Topics
from tests.support.security import principal_env, secrets_dir, use_admin_by_default

# Clients the tests build themselves authenticate as the admin tool; services get their own principal.
use_admin_by_default()

LOCAL_KAFKA = "127.0.0.1:9092"
LOCAL_DATABASE = "postgresql://satupintu:satupintu@127.0.0.1:55432/satupintu"


def _reachable(hostport: str) -> bool:
    host, _, port = hostport.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1.0):
            return True
    except OSError:
        return False


def _docker_answers() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env(timeout=2).ping()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """Bootstrap servers of a real Kafka broker."""
    explicit = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if explicit or _reachable(LOCAL_KAFKA):
        bootstrap = explicit or LOCAL_KAFKA
        # The platform principals exist with the passwords the stack generated (idempotent).
        from satupintu_shared.admin import bootstrap_environment, generated_passwords

        settings = KafkaSettings(kafka_bootstrap_servers=bootstrap)
        asyncio.run(bootstrap_environment(settings, passwords=generated_passwords(secrets_dir())))
        yield bootstrap
    elif _docker_answers():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer("apache/kafka:4.1.0").with_kraft() as kafka:
            yield kafka.get_bootstrap_server()
    else:
        pytest.fail(
            "No Kafka broker: run the tests with `make test` (it starts the local stack), "
            "or set KAFKA_BOOTSTRAP_SERVERS, or run a Docker daemon for testcontainers."
        )


@pytest.fixture(scope="session")
def admin_database_url() -> Iterator[str]:
    """URL of a real PostgreSQL database whose user may create databases."""
    explicit = os.environ.get("DATABASE_URL")
    if explicit:
        yield explicit
    elif _reachable("127.0.0.1:55432"):
        yield LOCAL_DATABASE
    elif _docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:15", driver=None) as pg:
            yield pg.get_connection_url()
    else:
        pytest.fail(
            "No PostgreSQL: run the tests with `make test` (it starts the local stack), "
            "or set DATABASE_URL, or run a Docker daemon for testcontainers."
        )


@pytest.fixture
async def database_url(admin_database_url: str) -> AsyncIterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(admin_database_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base, _, _ = admin_database_url.rpartition("/")
    yield f"{base}/{name}"
    admin = await asyncpg.connect(admin_database_url)
    try:
        # FORCE cannot end server-owned processes (autovacuum) attached to the database: retry briefly.
        for attempt in range(10):
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                break
            except asyncpg.PostgresError:
                if attempt == 9:
                    raise
                await asyncio.sleep(0.5)
    finally:
        await admin.close()


@pytest.fixture
async def topics(request: pytest.FixtureRequest) -> AsyncIterator[Topics]:
    """Topic names no other test uses. When the test uses Kafka, the environment exists on the broker
    as `make up` makes the default one (platform topics, the services' grants), and its topics and
    grants are deleted afterwards."""
    prefix = f"t{uuid.uuid4().hex[:10]}."
    uses_kafka = "kafka_bootstrap" in request.fixturenames
    if uses_kafka:
        from satupintu_shared.admin import bootstrap_environment

        bootstrap = request.getfixturevalue("kafka_bootstrap")
        await bootstrap_environment(KafkaSettings(kafka_bootstrap_servers=bootstrap, topic_prefix=prefix))
    yield Topics(prefix=prefix)
    if uses_kafka:
        # Thousands of leftover topics and grants slow every client: clean up, best effort.
        await _delete_environment(request.getfixturevalue("kafka_bootstrap"), Topics(prefix=prefix))


async def _delete_environment(bootstrap: str, topics: Topics) -> None:
    from satupintu_shared.kafka_admin import KafkaAdministration
    from satupintu_shared.kafka_clients import create_admin

    prefix = topics.prefix
    settings = KafkaSettings(kafka_bootstrap_servers=bootstrap, topic_prefix=prefix)
    administration = KafkaAdministration(settings)
    with contextlib.suppress(Exception):
        await administration.revoke(await administration.environment_acls(topics))
    admin = create_admin(settings, client_id="tests-cleanup")
    try:
        await asyncio.wait_for(admin.start(), 10)
        names = [t for t in await admin.list_topics() if t.startswith(prefix)]
        if names:
            await asyncio.wait_for(admin.delete_topics(names), 20)
    except Exception:
        pass
    finally:
        await admin.close()


def service_principal_env(service: str) -> dict[str, str]:
    """The credentials of service ``service`` (intake, routing, performance) as environment variables."""
    return principal_env(f"satupintu-{service}")


@pytest.fixture
def service_env(kafka_bootstrap: str, database_url: str, topics: Topics) -> dict[str, str]:
    """Environment variables that point a service at this test's broker, database and topics (add the
    service's credentials with ``service_principal_env``)."""
    return {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "DATABASE_URL": database_url,
        "SATUPINTU_TOPIC_PREFIX": topics.prefix,
        "LOG_LEVEL": "WARNING",
    }
