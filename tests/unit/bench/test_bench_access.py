"""Who the benchmark is on the broker: its own topics and groups fall under the bench principal's grant,
and the Java tools get that principal's SCRAM settings from a file only its owner can read."""

from __future__ import annotations

import stat
from pathlib import Path

from satupintu_shared.acl import BENCH, Acl, platform_acls
from satupintu_shared.settings import KafkaSettings
from satupintu_shared.topics import Topics
from tests.bench.access import bench_name, java_client_properties, write_private
from tests.bench.infra import ENVIRONMENT_PREFIX, unique


def granted(acls: set[Acl], principal: str, kind: str, name: str, operation: str) -> bool:
    """Whether ``acls`` let ``principal`` do ``operation`` on resource ``name`` (the broker's matching)."""
    return any(
        a.principal == principal
        and a.resource_type == kind
        and a.operation == operation
        and (name == a.resource_name if a.pattern_type == "literal" else name.startswith(a.resource_name))
        for a in acls
    )


def test_the_bench_principal_may_use_the_topics_and_groups_the_bench_names() -> None:
    topics = Topics(unique(f"{ENVIRONMENT_PREFIX}relay") + ".")
    acls = platform_acls(topics)
    for name in ("source", "dest", "perf"):
        for operation in ("READ", "WRITE"):
            assert granted(acls, BENCH, "topic", bench_name(topics.prefix, name), operation)
    for group in ("relay", "perf-consumer"):
        assert granted(acls, BENCH, "group", bench_name(topics.prefix, group), "READ")


def test_the_bench_principal_may_not_touch_the_platform_topics_or_another_environment() -> None:
    topics = Topics(unique(f"{ENVIRONMENT_PREFIX}relay") + ".")
    other = Topics(unique(f"{ENVIRONMENT_PREFIX}relay") + ".")
    # The default environment's grants share the broker with every benchmark environment.
    acls = platform_acls(topics) | platform_acls(Topics())
    for name in (topics.lifecycle, topics.catalog, topics.deadletter, bench_name(other.prefix, "source")):
        assert not granted(acls, BENCH, "topic", name, "WRITE")
        assert not granted(acls, BENCH, "topic", name, "READ")
    # the environment's prefix alone (without `bench-`) is not the bench's
    assert not granted(acls, BENCH, "topic", f"{topics.prefix}source", "WRITE")
    # nor are the services' consumer groups of a benchmark environment
    assert not granted(acls, BENCH, "group", f"{topics.prefix}satupintu-routing", "READ")


def test_java_client_properties_carry_the_principal_and_quote_its_password() -> None:
    settings = KafkaSettings(
        kafka_sasl_username="satupintu-bench", kafka_sasl_password='p"a\\ss', kafka_sasl_password_file=None
    )
    text = java_client_properties(settings)
    assert "security.protocol=SASL_PLAINTEXT\n" in text
    assert "sasl.mechanism=SCRAM-SHA-512\n" in text
    assert (
        "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
        'username="satupintu-bench" password="p\\"a\\\\ss";\n'
    ) in text


def test_the_client_properties_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = write_private(tmp_path, "bench-client", "sasl.jaas.config=secret\n")
    assert path.read_text() == "sasl.jaas.config=secret\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
