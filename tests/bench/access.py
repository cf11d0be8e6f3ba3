"""Who the benchmark is on the secured broker (SASL/SCRAM-SHA-512, ACLs, no auto-create).

- Set-up, observation and clean-up of an environment — its topics, its grants, the synthetic history
  pre-filled into its lifecycle topic, reading what the services wrote there — are the admin tool's work:
  the process's own credentials, ``satupintu-admin`` under ``make bench``. The table of
  docs/security.md lets only the services write the lifecycle, so no other principal could do it.
- The reference workloads — the bare aiokafka relay, its load, Kafka's own perf tools — run as
  ``satupintu-bench``, whose grants cover only the topics and groups named ``<prefix>bench-…``
  (``bench_name``), like any least-privileged client.
- Each service process runs as its own principal (``satupintu-<service>``) with the operator tokens'
  files, as ``deploy/local/services.sh`` starts them.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from satupintu_shared.acl import BENCH, BENCH_PREFIX
from satupintu_shared.settings import KafkaSettings
from tests.support.security import principal_env, secrets_dir


def bench_name(prefix: str, name: str) -> str:
    """A topic or consumer group of the bench principal in environment ``prefix`` (inside its grant)."""
    return f"{prefix}{BENCH_PREFIX}{name}"


def admin_settings(bootstrap: str, prefix: str = "") -> KafkaSettings:
    """The process's own client settings (the admin tool's credentials from the environment)."""
    return KafkaSettings(kafka_bootstrap_servers=bootstrap, topic_prefix=prefix)


def principal_settings(name: str, bootstrap: str, prefix: str = "") -> KafkaSettings:
    """Client settings of platform principal ``name`` (its generated password file)."""
    env = principal_env(name)
    return KafkaSettings(
        kafka_bootstrap_servers=bootstrap,
        topic_prefix=prefix,
        kafka_sasl_username=env["KAFKA_SASL_USERNAME"],
        # Never the admin's password from the environment with another principal's name.
        kafka_sasl_password=None,
        kafka_sasl_password_file=Path(env["KAFKA_SASL_PASSWORD_FILE"]),
    )


def bench_settings(bootstrap: str, prefix: str = "") -> KafkaSettings:
    """Client settings of the benchmark's own principal."""
    return principal_settings(BENCH, bootstrap, prefix)


def service_env(service: str) -> dict[str, str]:
    """Environment of one service process: its own Kafka principal and the files of the operator
    tokens and the Open311 key (only paths, never the secrets themselves)."""
    secrets = secrets_dir()
    return {
        **principal_env(f"satupintu-{service}"),
        "SATUPINTU_SECRETS_DIR": str(secrets),
        "SATUPINTU_OPERATOR_TOKEN_FILE": str(secrets / "operator-token"),
        "SATUPINTU_ADMIN_TOKEN_FILE": str(secrets / "admin-token"),
        "INTAKE_OPEN311_API_KEYS_FILE": str(secrets / "open311-api-key"),
    }


def operator_headers() -> dict[str, str]:
    """HTTP headers of a signed-in operator (the generated operator token)."""
    token = (secrets_dir() / "operator-token").read_text(encoding="utf-8").strip()
    return {"Authorization": f"Bearer {token}"}


def java_client_properties(settings: KafkaSettings) -> str:
    """The Java client configuration (``--producer.config``/``--consumer.config``) of ``settings``."""
    username, password = settings.sasl_credentials()

    def quoted(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    module = "org.apache.kafka.common.security.scram.ScramLoginModule"
    if settings.kafka_sasl_mechanism == "PLAIN":
        module = "org.apache.kafka.common.security.plain.PlainLoginModule"
    return (
        f"security.protocol={settings.kafka_security_protocol}\n"
        f"sasl.mechanism={settings.kafka_sasl_mechanism}\n"
        f"sasl.jaas.config={module} required username={quoted(username)} password={quoted(password)};\n"
    )


def write_private(folder: Path, name: str, text: str) -> Path:
    """Write ``text`` (it holds a password) to a new file in ``folder`` readable by the owner only."""
    fd, path = tempfile.mkstemp(prefix=name, suffix=".properties", dir=folder)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode())
    finally:
        os.close(fd)
    return Path(path)
