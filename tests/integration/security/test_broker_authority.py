"""The broker enforces authority: every principal can do what docs/security.md grants and nothing
else. Each refusal is the broker's own answer (an authentication or authorisation error)."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid

import pytest
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    TopicAuthorizationFailedError,
)

from satupintu_shared.acl import (
    BENCH,
    DEMO,
    INTAKE,
    PERFORMANCE,
    ROUTING,
    agency_group,
    environment_acls,
)
from satupintu_shared.kafka_admin import KafkaAdministration
from satupintu_shared.kafka_clients import create_consumer, create_producer
from satupintu_shared.settings import KafkaSettings
from satupintu_shared.topics import Topics
from tests.support.security import onboard_agency, principal_settings, secrets_dir

pytestmark = [pytest.mark.kafka]


async def write(settings: KafkaSettings, topic: str) -> None:
    producer = create_producer(settings, client_id="authority-test")
    await asyncio.wait_for(producer.start(), 15)
    try:
        await asyncio.wait_for(producer.send_and_wait(topic, b"{}", key=b"k"), 15)
    finally:
        await producer.stop()


async def read(settings: KafkaSettings, topic: str, group: str) -> None:
    """Join ``group`` on ``topic`` and fetch once (raises the broker's refusal)."""
    consumer = create_consumer(settings, topic, client_id="authority-test", group_id=group)
    try:
        await asyncio.wait_for(consumer.start(), 15)
        await asyncio.wait_for(consumer.getmany(timeout_ms=1000), 15)
    finally:
        await consumer.stop()


async def test_an_anonymous_client_connects_to_nothing(kafka_bootstrap: str) -> None:
    anonymous = KafkaSettings(kafka_bootstrap_servers=kafka_bootstrap, kafka_security_protocol="PLAINTEXT")
    with pytest.raises(KafkaConnectionError):
        await write(anonymous, Topics().lifecycle)


async def test_an_unknown_user_or_a_wrong_password_is_refused_by_the_broker(
    kafka_bootstrap: str, caplog: pytest.LogCaptureFixture
) -> None:
    for username in ("nobody", INTAKE):
        caplog.clear()
        stranger = KafkaSettings(
            kafka_bootstrap_servers=kafka_bootstrap,
            kafka_sasl_username=username,
            kafka_sasl_password=uuid.uuid4().hex,
        )
        with caplog.at_level(logging.ERROR, logger="aiokafka"), pytest.raises(KafkaConnectionError):
            await write(stranger, Topics().lifecycle)
        assert "SaslAuthenticationFailed" in caplog.text


async def test_an_agency_acts_on_its_own_topics_only(kafka_bootstrap: str, topics: Topics) -> None:
    a, b = f"a{uuid.uuid4().hex[:6]}", f"b{uuid.uuid4().hex[:6]}"
    agency_a = await onboard_agency(kafka_bootstrap, topics, a)
    await onboard_agency(kafka_bootstrap, topics, b)

    # what it may do
    await read(agency_a, topics.inbox(a), agency_group(topics, a))
    await read(agency_a, topics.inbox(a), f"{agency_group(topics, a)}.second-app")
    await write(agency_a, topics.status(a))
    await write(agency_a, topics.agency_submissions(a))

    # what it may not
    with pytest.raises(TopicAuthorizationFailedError):
        await read(agency_a, topics.inbox(b), agency_group(topics, a))
    with pytest.raises(GroupAuthorizationFailedError):
        await read(agency_a, topics.inbox(a), agency_group(topics, b))
    for foreign in (
        topics.status(b),
        topics.agency_submissions(b),
        topics.inbox(a),
        topics.lifecycle,
        topics.catalog,
        topics.deadletter,
    ):
        with pytest.raises(TopicAuthorizationFailedError):
            await write(agency_a, foreign)


@pytest.mark.parametrize(
    ("principal", "may_write", "may_not_write", "may_not_read"),
    [
        (INTAKE, "lifecycle", "catalog", "deadletter"),
        (ROUTING, "lifecycle", "catalog", "submissions"),
        (PERFORMANCE, "deadletter", "lifecycle", "submissions"),
        (DEMO, None, "submissions", "lifecycle"),
        (BENCH, None, "lifecycle", "lifecycle"),
    ],
)
async def test_each_service_principal_is_refused_what_the_table_does_not_grant(
    kafka_bootstrap: str,
    topics: Topics,
    principal: str,
    may_write: str | None,
    may_not_write: str,
    may_not_read: str,
) -> None:
    settings = principal_settings(principal, kafka_bootstrap, topics)
    if may_write:
        await write(settings, getattr(topics, may_write))
    # A principal that may write nothing at all is refused even an idempotent producer id (cluster).
    with pytest.raises((TopicAuthorizationFailedError, ClusterAuthorizationFailedError)):
        await write(settings, getattr(topics, may_not_write))
    with pytest.raises((TopicAuthorizationFailedError, GroupAuthorizationFailedError)):
        await read(settings, getattr(topics, may_not_read), f"{topics.prefix}{principal}")


async def test_a_service_cannot_read_an_agency_topic_it_does_not_serve(
    kafka_bootstrap: str, topics: Topics
) -> None:
    code = f"c{uuid.uuid4().hex[:6]}"
    await onboard_agency(kafka_bootstrap, topics, code)
    routing = principal_settings(ROUTING, kafka_bootstrap, topics)
    performance = principal_settings(PERFORMANCE, kafka_bootstrap, topics)
    await read(routing, topics.status(code), f"{topics.prefix}satupintu-routing-test")
    with pytest.raises(TopicAuthorizationFailedError):
        await read(routing, topics.inbox(code), f"{topics.prefix}satupintu-routing-test")
    with pytest.raises(TopicAuthorizationFailedError):
        await read(performance, topics.inbox(code), f"{topics.prefix}satupintu-performance-test")


async def test_the_grants_on_the_broker_are_exactly_the_table(kafka_bootstrap: str, topics: Topics) -> None:
    codes = [f"x{uuid.uuid4().hex[:6]}", f"y{uuid.uuid4().hex[:6]}"]
    for code in codes:
        await onboard_agency(kafka_bootstrap, topics, code)
    administration = KafkaAdministration(KafkaSettings(kafka_bootstrap_servers=kafka_bootstrap))

    assert await administration.environment_acls(topics) == environment_acls(topics, codes)

    # An agency that leaves: reconciling to the smaller table removes exactly its grants.
    created, removed = await administration.reconcile(topics, environment_acls(topics, codes[:1]))
    assert not created
    assert removed and all(
        codes[1] in acl.resource_name or acl.principal.endswith(codes[1]) for acl in removed
    )
    assert await administration.environment_acls(topics) == environment_acls(topics, codes[:1])


async def test_the_tls_listener_authenticates_over_the_stacks_certificate(
    kafka_bootstrap: str, topics: Topics
) -> None:
    ca = secrets_dir() / "tls" / "ca.crt"
    host = kafka_bootstrap.rsplit(":", 1)[0]
    tls = os.environ.get("SATUPINTU_KAFKA_TLS_PORT", "9095")
    if not ca.is_file():
        pytest.fail(f"no CA certificate at {ca}: the stack generates one (make test)")
    base = principal_settings(INTAKE, f"{host}:{tls}", topics)
    over_tls = base.model_copy(update={"kafka_security_protocol": "SASL_SSL", "kafka_ssl_cafile": ca})
    await write(over_tls, topics.lifecycle)
    # Without the CA the client does not trust the broker: nothing is sent.
    untrusted = base.model_copy(update={"kafka_security_protocol": "SASL_SSL"})
    with pytest.raises(KafkaConnectionError):
        await write(untrusted, topics.lifecycle)
