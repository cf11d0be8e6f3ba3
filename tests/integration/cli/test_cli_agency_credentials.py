"""One principal per agency, from the catalog: `satupintu catalog apply` gives every agency of the file
its topics and exactly its grants (and takes them from an agency that left), and `satupintu agency
credentials create|rotate|revoke|save` manages its password — against the real, secured broker."""

from __future__ import annotations

import json
import stat
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiokafka.conn import create_conn
from aiokafka.errors import SaslAuthenticationFailed, TopicAuthorizationFailedError

from satupintu_shared.acl import agency_group, agency_principal, environment_acls, platform_acls
from satupintu_shared.envelope import decode, encode
from satupintu_shared.events import RequestAccepted, RequestAssigned, RequestCompleted
from satupintu_shared.kafka_admin import KafkaAdministration
from satupintu_shared.kafka_clients import connection_options, create_admin, create_consumer
from satupintu_shared.sdk import AgencyClient, AgencyCredentials
from satupintu_shared.settings import KafkaSettings
from satupintu_shared.topics import Topics
from tests.integration.cli.support import Run, satupintu
from tests.support.events import submitted
from tests.support.kafka import eventually, produce, read_records
from tests.support.platform import Platform

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

SERVICE = "ktp-el-replacement"  # what tests.support.events.submitted asks for, in Kota Bandung
AGENCIES = ("bdg-pemkot", "bdg-disdukcapil", "bdg-dinkes")
CATALOG: dict[str, Any] = {
    "services": [
        {
            "code": SERVICE,
            "name": "Penggantian KTP-el",
            "owning_level": "regency_city",
            "sla_working_days": 3,
            "attributes": [{"code": "reason", "datatype": "string", "required": True}],
        }
    ],
    "agencies": [
        {
            "code": "bdg-pemkot",
            "name": "Pemerintah {region}",
            "level": "regency_city",
            "jurisdiction": ["32.73"],
        },
        {
            "code": "bdg-disdukcapil",
            "name": "Dinas Kependudukan dan Pencatatan Sipil {region}",
            "level": "opd",
            "parent": "bdg-pemkot",
            "services": [SERVICE],
        },
        {"code": "bdg-dinkes", "name": "Dinas Kesehatan {region}", "level": "opd", "parent": "bdg-pemkot"},
    ],
}


def catalog_file(folder: Path, *, without: str | None = None) -> Path:
    doc = json.loads(json.dumps(CATALOG))
    doc["agencies"] = [a for a in doc["agencies"] if a["code"] != without]
    path = folder / f"catalog-without-{without}.yaml" if without else folder / "catalog.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
async def env(kafka_bootstrap: str, topics: Topics) -> AsyncIterator[dict[str, str]]:
    """The CLI's environment for this test's topics (it runs as the admin tool, like `make up`);
    the agency principals it creates are deleted afterwards."""
    yield {"KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "SATUPINTU_TOPIC_PREFIX": topics.prefix}
    administration = KafkaAdministration(KafkaSettings(kafka_bootstrap_servers=kafka_bootstrap))
    for code in AGENCIES:
        await administration.delete_user(agency_principal(topics, code))


def admin_settings(kafka_bootstrap: str, topics: Topics) -> KafkaSettings:
    return KafkaSettings(kafka_bootstrap_servers=kafka_bootstrap, topic_prefix=topics.prefix)


async def broker_grants(kafka_bootstrap: str, topics: Topics) -> set[Any]:
    return await KafkaAdministration(admin_settings(kafka_bootstrap, topics)).environment_acls(topics)


async def topic_names(kafka_bootstrap: str) -> set[str]:
    admin = create_admin(KafkaSettings(kafka_bootstrap_servers=kafka_bootstrap), client_id="tests-topics")
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


def ok(run: Run) -> str:
    assert run.code == 0, run.out + run.err
    return run.out


async def issued(env: dict[str, str], action: str, code: str) -> AgencyCredentials:
    """Credentials from `satupintu agency credentials ACTION CODE --json`."""
    return AgencyCredentials.from_dict(
        json.loads(ok(await satupintu(env, "agency", "credentials", action, code, "--json")))
    )


async def authenticate(credentials: AgencyCredentials) -> None:
    """Open one connection with ``credentials`` (raises the broker's ``SaslAuthenticationFailed``).
    Deliberately a bare connection, not a client: the point is the broker's own answer."""
    options = connection_options(credentials.settings())
    host, _, port = options.pop("bootstrap_servers").rpartition(":")
    options.pop("metadata_max_age_ms")
    connection = await create_conn(host, int(port), **options)
    connection.close()


async def first_record(settings: KafkaSettings, topic: str, *, group_id: str | None) -> Any:
    consumer = create_consumer(
        settings, topic, client_id="tests-agency", group_id=group_id, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        for _ in range(30):
            batch = await consumer.getmany(timeout_ms=1000)
            for records in batch.values():
                return records[0]
        raise AssertionError(f"nothing arrived on {topic}")
    finally:
        await consumer.stop()


async def test_apply_creates_each_agencys_topics_and_exactly_the_table_of_grants_dry_run_first(
    kafka_bootstrap: str, topics: Topics, env: dict[str, str], tmp_path: Path
) -> None:
    # The environment as `make up` leaves it: the platform's grants (in effect a moment after creation).
    before = await eventually(lambda: _platform_only(kafka_bootstrap, topics))
    dry = ok(await satupintu(env, "catalog", "apply", str(catalog_file(tmp_path)), "--dry-run"))
    wanted = environment_acls(topics, AGENCIES)
    gaining = "(+ bdg-dinkes, bdg-disdukcapil, bdg-pemkot)"
    assert f"access: {len(wanted - before)} grants to create, 0 to remove {gaining}" in dry
    assert await broker_grants(kafka_bootstrap, topics) == before  # a dry run touches nothing
    assert not {t for code in AGENCIES for t in topics.agency_topics(code)} & await topic_names(
        kafka_bootstrap
    )

    applied = ok(await satupintu(env, "catalog", "apply", str(catalog_file(tmp_path))))

    assert f"access: {len(wanted - before)} grants created, 0 removed" in applied
    assert applied.rstrip().splitlines()[-1].startswith("applied version 1 ")
    assert await broker_grants(kafka_bootstrap, topics) == wanted
    assert {t for code in AGENCIES for t in topics.agency_topics(code)} <= await topic_names(kafka_bootstrap)
    again = ok(await satupintu(env, "catalog", "apply", str(catalog_file(tmp_path))))
    assert "access: 0 grants created, 0 removed" in again and "unchanged: version 1" in again


async def test_an_agency_that_leaves_the_catalog_loses_its_grants_and_keeps_its_topics(
    kafka_bootstrap: str, topics: Topics, env: dict[str, str], tmp_path: Path
) -> None:
    ok(await satupintu(env, "catalog", "apply", str(catalog_file(tmp_path))))
    dinkes = await issued(env, "create", "bdg-dinkes")
    await produce(kafka_bootstrap, topics.inbox("bdg-dinkes"), b"{}")
    assert await first_record(dinkes.settings(), topics.inbox("bdg-dinkes"), group_id=None)

    dry = ok(
        await satupintu(
            env, "catalog", "apply", str(catalog_file(tmp_path, without="bdg-dinkes")), "--dry-run"
        )
    )
    assert "- agency bdg-dinkes" in dry and "to remove (- bdg-dinkes)" in dry
    out = ok(await satupintu(env, "catalog", "apply", str(catalog_file(tmp_path, without="bdg-dinkes"))))

    assert "removed (- bdg-dinkes)" in out
    assert await broker_grants(kafka_bootstrap, topics) == environment_acls(
        topics, ["bdg-pemkot", "bdg-disdukcapil"]
    )
    assert set(topics.agency_topics("bdg-dinkes")) <= await topic_names(kafka_bootstrap)
    with pytest.raises(TopicAuthorizationFailedError):  # its password still works; its inbox is closed
        await first_record(dinkes.settings(), topics.inbox("bdg-dinkes"), group_id=None)
    refused = await satupintu(env, "agency", "credentials", "rotate", "bdg-dinkes")
    assert refused.code == 1 and "not in the applied catalog" in refused.err


async def test_credentials_are_issued_once_as_json_and_read_the_agencys_own_inbox(
    kafka_bootstrap: str, topics: Topics, env: dict[str, str], tmp_path: Path
) -> None:
    ok(await satupintu(env, "catalog", "apply", str(catalog_file(tmp_path))))
    code = "bdg-disdukcapil"
    run = await satupintu(env, "agency", "credentials", "create", code, "--json")
    doc = json.loads(ok(run))

    assert set(doc) == {
        "agency_code",
        "username",
        "password",
        "mechanism",
        "security_protocol",
        "bootstrap_servers",
        "topics",
    }
    assert doc["agency_code"] == code and doc["username"] == agency_principal(topics, code)
    assert (doc["mechanism"], doc["security_protocol"]) == ("SCRAM-SHA-512", "SASL_PLAINTEXT")
    assert doc["bootstrap_servers"] == kafka_bootstrap and len(doc["password"]) >= 32
    assert doc["topics"]["inbox"] == topics.inbox(code)
    await produce(kafka_bootstrap, topics.inbox(code), b"{}", key=b"SP-CRED-1")
    credentials = AgencyCredentials.from_dict(doc)
    record = await first_record(
        credentials.settings(), topics.inbox(code), group_id=agency_group(topics, code)
    )
    assert record.key == b"SP-CRED-1"

    again = await satupintu(env, "agency", "credentials", "create", code)
    assert again.code == 1 and f"satupintu agency credentials rotate {code}" in again.err
    assert doc["password"] not in again.out + again.err
    unknown = await satupintu(env, "agency", "credentials", "create", "nowhere")
    assert unknown.code == 1 and "not in the applied catalog" in unknown.err
    fresh = await satupintu(env, "agency", "credentials", "rotate", "bdg-pemkot")
    assert fresh.code == 1 and "credentials create bdg-pemkot" in fresh.err


async def test_a_rotated_password_is_refused_at_once_and_the_new_one_is_applied_by_routing_without_a_restart(
    kafka_bootstrap: str, topics: Topics, env: dict[str, str], service_env: dict[str, str], tmp_path: Path
) -> None:
    code = "bdg-disdukcapil"
    ok(await satupintu(env, "catalog", "apply", str(catalog_file(tmp_path))))
    routing = Platform(env=dict(service_env), topics=topics, log_dir=tmp_path)
    await routing.start(("routing",))
    try:
        pid = routing.processes["routing"].pid
        value, headers = encode(submitted("SP-CRED-2", occurred_at=datetime.now(UTC)), source="tests")
        await produce(
            kafka_bootstrap,
            topics.lifecycle,
            value,
            key=b"SP-CRED-2",
            headers=[(k, v.encode()) for k, v in headers.items()],
        )
        old = await issued(env, "create", code)
        async with AgencyClient(code, credentials=old) as client:
            assigned: list[RequestAssigned] = []
            client.on_assignment(lambda request: _append(assigned, request))
            await client.listen()
            await eventually(lambda: _true(bool(assigned)), timeout=60)
            await client.accept("SP-CRED-2", officer_id="198001012005011001")

        new = await issued(env, "rotate", code)

        assert new.password != old.password
        with pytest.raises(SaslAuthenticationFailed):
            await authenticate(old)
        await authenticate(new)
        async with AgencyClient(code, credentials=new) as client:
            await client.complete("SP-CRED-2", officer_id="198001012005011001")

        async def applied() -> list[str]:
            records = await read_records(kafka_bootstrap, topics.lifecycle, count=1)
            types = [decode(r.value, r.headers).type for r in records if r.key == b"SP-CRED-2"]
            return types if RequestCompleted.EVENT_TYPE in types else []

        types = await eventually(applied, timeout=60)
        assert types.index(RequestAccepted.EVENT_TYPE) < types.index(RequestCompleted.EVENT_TYPE)
        assert routing.processes["routing"].pid == pid and routing.processes["routing"].poll() is None
    finally:
        routing.stop()


async def test_revoked_credentials_are_refused_by_the_broker(
    kafka_bootstrap: str, topics: Topics, env: dict[str, str], tmp_path: Path
) -> None:
    ok(await satupintu(env, "catalog", "apply", str(catalog_file(tmp_path))))
    credentials = await issued(env, "create", "bdg-dinkes")
    await authenticate(credentials)

    out = ok(await satupintu(env, "agency", "credentials", "revoke", "bdg-dinkes"))

    assert "revoked the credentials of agency bdg-dinkes" in out
    with pytest.raises(SaslAuthenticationFailed):
        await authenticate(credentials)
    again = await satupintu(env, "agency", "credentials", "revoke", "bdg-dinkes")
    assert again.code == 1 and "has no credentials" in again.err


async def test_save_writes_owner_only_files_keeps_working_ones_and_leaves_others_credentials_alone(
    kafka_bootstrap: str, topics: Topics, env: dict[str, str], tmp_path: Path
) -> None:
    ok(await satupintu(env, "catalog", "apply", str(catalog_file(tmp_path))))
    elsewhere = await issued(env, "create", "bdg-pemkot")  # an agency running its own system
    folder = tmp_path / "secrets" / "agencies"

    first = ok(await satupintu(env, "agency", "credentials", "save", str(folder)))

    assert "2 created, 0 renewed, 0 kept, 1 left alone" in first
    assert sorted(p.name for p in folder.iterdir()) == ["bdg-dinkes.json", "bdg-disdukcapil.json"]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    saved = {p.stem: AgencyCredentials.from_json(p) for p in folder.iterdir()}
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert saved[path.stem].password not in first
    await authenticate(saved["bdg-disdukcapil"])
    await authenticate(elsewhere)  # its password was not replaced

    assert "0 created, 0 renewed, 2 kept, 1 left alone" in ok(
        await satupintu(env, "agency", "credentials", "save", str(folder))
    )
    await issued(env, "rotate", "bdg-disdukcapil")  # the saved file no longer works …
    renewed = ok(await satupintu(env, "agency", "credentials", "save", str(folder), "bdg-disdukcapil"))
    assert "0 created, 1 renewed, 0 kept, 0 left alone" in renewed
    await authenticate(AgencyCredentials.from_json(folder / "bdg-disdukcapil.json"))  # … until renewed
    unknown = await satupintu(env, "agency", "credentials", "save", str(folder), "nowhere")
    assert unknown.code == 1 and "nowhere" in unknown.err


async def _platform_only(kafka_bootstrap: str, topics: Topics) -> set[Any] | None:
    grants = await broker_grants(kafka_bootstrap, topics)
    return grants if grants == platform_acls(topics) else None


async def _true(value: bool) -> bool:
    return value


async def _append(into: list[Any], item: Any) -> None:
    into.append(item)
