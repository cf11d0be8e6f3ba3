"""Every Kafka client of the project is built here, so that the connection and security settings
(``KAFKA_SECURITY_PROTOCOL``, ``KAFKA_SASL_*``, ``KAFKA_SSL_*``) are applied in one place.

Raw aiokafka producers, consumers and admin clients come from the functions below; FastStream brokers
from ``satupintu_shared.broker.create_broker``, which uses ``faststream_security``; the administration
aiokafka lacks (SCRAM credentials, ACLs) uses ``confluent_config`` with confluent-kafka.
"""

from __future__ import annotations

import ssl
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.helpers import create_ssl_context
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from .settings import KafkaSettings


def ssl_context(settings: KafkaSettings) -> ssl.SSLContext | None:
    """The TLS context of a ``SASL_SSL``/``SSL`` connection (None for the plaintext protocols)."""
    if settings.kafka_security_protocol not in ("SASL_SSL", "SSL"):
        return None
    return create_ssl_context(
        cafile=str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None,
        certfile=str(settings.kafka_ssl_certfile) if settings.kafka_ssl_certfile else None,
        keyfile=str(settings.kafka_ssl_keyfile) if settings.kafka_ssl_keyfile else None,
    )


def connection_options(settings: KafkaSettings) -> dict[str, Any]:
    """aiokafka keyword arguments that reach and authenticate to the broker."""
    protocol = settings.kafka_security_protocol
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "security_protocol": protocol,
        "request_timeout_ms": settings.kafka_request_timeout_ms,
        "metadata_max_age_ms": settings.kafka_metadata_max_age_ms,
    }
    if protocol.startswith("SASL"):
        username, password = settings.sasl_credentials()
        options |= {
            "sasl_mechanism": settings.kafka_sasl_mechanism,
            "sasl_plain_username": username,
            "sasl_plain_password": password,
        }
    context = ssl_context(settings)
    if context is not None:
        options["ssl_context"] = context
    return options


def producer_options(settings: KafkaSettings) -> dict[str, Any]:
    """The platform's producer guarantees: a publish that returned is stored once on every in-sync
    replica (``acks=all``, idempotent); a small linger and zstd keep throughput up."""
    return {
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": settings.kafka_linger_ms,
        "compression_type": "zstd",
    }


def create_producer(settings: KafkaSettings, *, client_id: str, **overrides: Any) -> AIOKafkaProducer:
    """An aiokafka producer with the platform's guarantees (``overrides`` win, e.g. ``max_batch_size``)."""
    options = {**connection_options(settings), **producer_options(settings), "client_id": client_id}
    return AIOKafkaProducer(**(options | overrides))


def create_consumer(
    settings: KafkaSettings, *topics: str, client_id: str, group_id: str | None, **overrides: Any
) -> AIOKafkaConsumer:
    """An aiokafka consumer of ``topics`` (none: assign or subscribe later) in ``group_id``. Offsets are
    committed by the caller (``enable_auto_commit`` is off unless overridden)."""
    options = {
        **connection_options(settings),
        "client_id": client_id,
        "group_id": group_id,
        "enable_auto_commit": False,
    }
    return AIOKafkaConsumer(*topics, **(options | overrides))


def create_admin(settings: KafkaSettings, *, client_id: str) -> AIOKafkaAdminClient:
    """An aiokafka admin client (topics, consumer groups, offsets)."""
    options = connection_options(settings)
    options.pop("metadata_max_age_ms", None)
    return AIOKafkaAdminClient(**options, client_id=client_id)


def faststream_security(settings: KafkaSettings) -> BaseSecurity | None:
    """The FastStream ``security`` object for ``settings`` (None for a PLAINTEXT broker)."""
    protocol = settings.kafka_security_protocol
    context = ssl_context(settings)
    if protocol.startswith("SASL"):
        username, password = settings.sasl_credentials()
        kind = {"SCRAM-SHA-512": SASLScram512, "SCRAM-SHA-256": SASLScram256, "PLAIN": SASLPlaintext}[
            settings.kafka_sasl_mechanism
        ]
        return kind(username, password, ssl_context=context, use_ssl=protocol == "SASL_SSL")
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context, use_ssl=True)
    return None


def confluent_config(settings: KafkaSettings, *, client_id: str) -> dict[str, Any]:
    """librdkafka configuration (confluent-kafka) for the same connection."""
    config: dict[str, Any] = {
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        "security.protocol": settings.kafka_security_protocol.lower(),
        "client.id": client_id,
    }
    if settings.kafka_security_protocol.startswith("SASL"):
        username, password = settings.sasl_credentials()
        config |= {
            "sasl.mechanism": settings.kafka_sasl_mechanism,
            "sasl.username": username,
            "sasl.password": password,
        }
    if settings.kafka_security_protocol in ("SASL_SSL", "SSL"):
        for key, path in (
            ("ssl.ca.location", settings.kafka_ssl_cafile),
            ("ssl.certificate.location", settings.kafka_ssl_certfile),
            ("ssl.key.location", settings.kafka_ssl_keyfile),
        ):
            if path is not None:
                config[key] = str(path)
    return config
