"""Credentials for the tests: the platform's generated secrets (``make test`` starts the stack, which
writes them under ``.state/secrets/``), and agency principals made for one test."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Iterable
from pathlib import Path

from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    KafkaConnectionError,
    TopicAuthorizationFailedError,
)

from satupintu_shared.acl import agency_acls, agency_principal
from satupintu_shared.admin import SECRETS_DIR_ENV, ensure_agency_topics
from satupintu_shared.kafka_admin import KafkaAdministration, new_password
from satupintu_shared.kafka_clients import create_producer
from satupintu_shared.settings import KafkaSettings
from satupintu_shared.topics import Topics

ROOT = Path(__file__).resolve().parents[2]
ADMIN = "satupintu-admin"


def secrets_dir() -> Path:
    """Where the stack keeps its generated secrets."""
    state = os.environ.get("SATUPINTU_STATE_DIR")
    default = Path(state) / "secrets" if state else ROOT / ".state" / "secrets"
    return Path(os.environ.get(SECRETS_DIR_ENV) or default)


def principal_env(name: str) -> dict[str, str]:
    """Environment variables that make a Kafka client authenticate as platform principal ``name``."""
    path = secrets_dir() / "kafka" / name
    if not path.is_file():
        raise AssertionError(f"no password for {name} in {path.parent}: start the stack with `make test`")
    return {
        "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "KAFKA_SASL_USERNAME": name,
        "KAFKA_SASL_PASSWORD_FILE": str(path),
    }


def use_admin_by_default() -> None:
    """Make every client the tests build themselves (helpers, set-up, clean-up) the admin tool, unless
    the environment already names a principal. Code under test gets its own principal explicitly."""
    if "KAFKA_SASL_USERNAME" in os.environ or not (secrets_dir() / "kafka" / ADMIN).is_file():
        return
    os.environ.update(principal_env(ADMIN))
    os.environ.setdefault(SECRETS_DIR_ENV, str(secrets_dir()))


def principal_settings(name: str, bootstrap: str, topics: Topics) -> KafkaSettings:
    """Settings of a client authenticated as platform principal ``name`` in ``topics``' environment."""
    env = principal_env(name)
    return KafkaSettings(
        kafka_bootstrap_servers=bootstrap,
        topic_prefix=topics.prefix,
        kafka_sasl_username=env["KAFKA_SASL_USERNAME"],
        kafka_sasl_password_file=Path(env["KAFKA_SASL_PASSWORD_FILE"]),
    )


async def onboard_agency(bootstrap: str, topics: Topics, code: str) -> KafkaSettings:
    """Give agency ``code`` of ``topics``' environment its topics, a principal with a fresh password and
    its grants (what `catalog apply` plus `agency credentials create` do); returns its client settings."""
    admin_settings = KafkaSettings(kafka_bootstrap_servers=bootstrap, topic_prefix=topics.prefix)
    await ensure_agency_topics(admin_settings, [code])
    administration = KafkaAdministration(admin_settings)
    username, password = agency_principal(topics, code), new_password()
    await administration.set_password(username, password)
    await administration.grant(agency_acls(topics, code))
    system = KafkaSettings(
        kafka_bootstrap_servers=bootstrap,
        topic_prefix=topics.prefix,
        kafka_sasl_username=username,
        kafka_sasl_password=password,
    )
    # The broker applies a new user and new grants up to about a second later: wait, so the test does
    # not race them.
    await until_granted(system, topics.agency_topics(code))
    return system


async def until_granted(
    settings: KafkaSettings, topics: Iterable[str] = (), *, timeout: float = 15.0
) -> None:
    """Return once ``settings``' principal authenticates and is authorised to see each of ``topics`` (fails
    the test after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    producer = await _connected(settings, deadline)
    try:
        for topic in topics:
            while True:
                try:
                    await producer.partitions_for(topic)
                    break
                except TopicAuthorizationFailedError:
                    if time.monotonic() > deadline:
                        raise AssertionError(
                            f"{settings.kafka_sasl_username} was never granted {topic}"
                        ) from None
                    await asyncio.sleep(0.1)
    finally:
        await producer.stop()


async def _connected(settings: KafkaSettings, deadline: float) -> AIOKafkaProducer:
    while True:
        producer = create_producer(settings, client_id="tests-grants-probe")
        try:
            await producer.start()
            return producer
        # a not yet known SCRAM user gets a connection error; a principal whose first WRITE grant is not
        # in effect yet is refused the idempotent producer id
        except (KafkaConnectionError, ClusterAuthorizationFailedError):
            with contextlib.suppress(Exception):
                await producer.stop()
            if time.monotonic() > deadline:
                raise AssertionError(f"{settings.kafka_sasl_username} never authenticated") from None
            await asyncio.sleep(0.1)
