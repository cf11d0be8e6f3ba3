"""`satupintu dlq list|replay` against the real broker: what a dead letter says, and putting it back."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker

from satupintu_shared.broker import DeadLetters, create_broker
from satupintu_shared.kafka_clients import create_producer
from satupintu_shared.settings import KafkaSettings
from satupintu_shared.topics import Topics
from tests.integration.cli.support import satupintu
from tests.support.grants import onboarded
from tests.support.kafka import produce, read_records

pytestmark = pytest.mark.kafka

NIK = "3273014107900001"  # personal data inside the payloads: must never be printed
AGENCY = "bdg-disdukcapil"


@pytest.fixture
def env(kafka_bootstrap: str, topics: Topics) -> dict[str, str]:
    return {"KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "SATUPINTU_TOPIC_PREFIX": topics.prefix}


@pytest.fixture
async def dead_letters(kafka_bootstrap: str, topics: Topics) -> AsyncIterator[DeadLetters]:
    settings = KafkaSettings(kafka_bootstrap_servers=kafka_bootstrap, topic_prefix=topics.prefix)
    broker: KafkaBroker = create_broker(settings, service="test-dlq")
    await broker.connect()
    yield DeadLetters(broker, topics)
    await broker.stop()


def headers_of(record: ConsumerRecord[Any, Any]) -> list[tuple[str, bytes]]:
    return list(record.headers or ())


async def poison(kafka_bootstrap: str, topics: Topics) -> ConsumerRecord[Any, Any]:
    """A record on the lifecycle topic that is not a CloudEvent (no headers), with personal data."""
    await produce(
        kafka_bootstrap,
        topics.lifecycle,
        json.dumps({"nik": NIK, "oops": True}).encode(),
        key=b"SP-DLQ-0001",
    )
    (record,) = await read_records(kafka_bootstrap, topics.lifecycle, count=1)
    return record


async def status_report(kafka_bootstrap: str, topics: Topics) -> ConsumerRecord[Any, Any]:
    """A well-formed status CloudEvent (routing would refuse it: the request is not this agency's),
    written by the agency's system with its own credentials on its own status topic."""
    system = await onboarded(kafka_bootstrap, topics, AGENCY)
    event_id = str(uuid.uuid4())
    headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", event_id.encode()),
        ("ce_type", b"id.satupintu.agency.status-reported.v1"),
        ("ce_source", f"/agency/{AGENCY}".encode()),
        ("ce_subject", b"SP-DLQ-0002"),
        ("content-type", b"application/json"),
        ("traceparent", b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    ]
    value = json.dumps(
        {"tracking_number": "SP-DLQ-0002", "occurred_at": "2026-11-30T03:00:00Z", "status": "accepted"}
    ).encode()
    producer = create_producer(system, client_id=f"tests-{AGENCY}")
    await producer.start()
    try:
        await producer.send_and_wait(topics.status(AGENCY), value, key=b"SP-DLQ-0002", headers=headers)
    finally:
        await producer.stop()
    (record,) = await read_records(kafka_bootstrap, topics.status(AGENCY), count=1)
    return record


async def test_list_shows_where_a_dead_letter_came_from_and_why_but_never_its_payload(
    kafka_bootstrap: str, topics: Topics, env: dict[str, str], dead_letters: DeadLetters
) -> None:
    await dead_letters.send(
        await poison(kafka_bootstrap, topics),
        reason="not a CloudEvent: missing ce_type",
        group="satupintu-routing",
        kind="invalid",
    )
    await dead_letters.send(
        await status_report(kafka_bootstrap, topics),
        reason="refused (not-assigned): SP-DLQ-0002 is not assigned to bdg-disdukcapil",
        group="satupintu-routing-status",
        kind="refused",
    )

    run = await satupintu(env, "dlq", "list")
    assert run.code == 0, run.err
    assert "not a CloudEvent: missing ce_type" in run.out
    assert "refused (not-assigned): SP-DLQ-0002 is not assigned to bdg-disdukcapil" in run.out
    assert f"{topics.lifecycle}[0]@0" in run.out or topics.lifecycle in run.out
    assert topics.status(AGENCY) in run.out
    assert "id.satupintu.agency.status-reported.v1" in run.out
    assert "satupintu-routing-status" in run.out
    assert "showing 2 of 2 dead letter(s) (1 invalid, 1 refused)" in run.out
    assert NIK not in run.out + run.err and "oops" not in run.out  # the payload is never shown
    size = len(json.dumps({"nik": NIK, "oops": True}).encode())
    assert f"{size} B" in run.out

    refused = await satupintu(env, "dlq", "list", "--kind", "refused")
    assert refused.code == 0
    assert "is not assigned" in refused.out and "missing ce_type" not in refused.out

    newest = await satupintu(env, "dlq", "list", "--limit", "1")
    assert "showing 1 of 2" in newest.out and "is not assigned" in newest.out  # the newest one

    bad = await satupintu(env, "dlq", "list", "--limit", "0")
    assert bad.code == 2 and "must be at least 1" in bad.err  # argparse usage error


async def test_replay_puts_the_original_record_back_on_its_topic_with_its_original_headers(
    kafka_bootstrap: str, topics: Topics, env: dict[str, str], dead_letters: DeadLetters
) -> None:
    original = await status_report(kafka_bootstrap, topics)
    await dead_letters.send(original, reason="refused (not-assigned): …", group="g", kind="refused")
    await dead_letters.send(
        await poison(kafka_bootstrap, topics), reason="not a CloudEvent", group="g", kind="invalid"
    )
    letters = await read_records(kafka_bootstrap, topics.deadletter, count=2)
    letter = next(r for r in letters if r.topic == topics.deadletter and r.key == b"SP-DLQ-0002")
    letter_id = f"{letter.partition}:{letter.offset}"

    dry = await satupintu(env, "dlq", "replay", letter_id, "--dry-run")
    assert dry.code == 0, dry.err
    assert f"would replay {letter_id} (refused" in dry.out and "nothing was published" in dry.out

    unknown = await satupintu(env, "dlq", "replay", letter_id, "7:999999")
    assert unknown.code == 1 and "7:999999: no such dead letter" in unknown.err
    assert "nothing was replayed" in unknown.err

    run = await satupintu(env, "dlq", "replay", letter_id)
    assert run.code == 0, run.err
    assert f"replayed 1 of 1 dead letter(s) to {topics.status(AGENCY)} ×1" in run.out

    records = await read_records(kafka_bootstrap, topics.status(AGENCY), count=2)
    assert len(records) == 2, "the dry run and the refused replay published nothing"
    replayed = records[1]
    assert replayed.value == original.value and replayed.key == original.key
    # Exactly the dead letter's copy of the original headers, ours removed, the replay's origin added.
    assert headers_of(replayed) == [
        *[(k, v) for k, v in headers_of(letter) if not k.startswith("satupintu_dlq_")],
        ("satupintu_replayed_from", f"{topics.deadletter}:{letter_id}".encode()),
    ]
    # So the CloudEvent is the same one (same id: consumers deduplicate a second replay).
    replayed_headers = dict(headers_of(replayed))
    for name, value in headers_of(original):
        if name.startswith("ce_") or name == "content-type":
            assert replayed_headers[name] == value, name
    assert not any(name.startswith("satupintu_dlq_") for name, _ in headers_of(replayed))

    # --all --kind picks by kind; the lifecycle poison is not put back: only the services write the
    # canonical history, and the operator is told so.
    everything = await satupintu(env, "dlq", "replay", "--all", "--kind", "invalid")
    assert everything.code == 1, everything.out
    assert f"not replayed to {topics.lifecycle}: only the services write the lifecycle" in everything.out
    assert len(await read_records(kafka_bootstrap, topics.lifecycle, count=1)) == 1

    neither = await satupintu(env, "dlq", "replay")
    assert neither.code == 1 and "--all" in neither.err


async def test_an_unreachable_broker_is_a_clear_error_with_exit_code_2(topics: Topics) -> None:
    run = await satupintu(
        {"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "SATUPINTU_TOPIC_PREFIX": topics.prefix}, "dlq", "list"
    )
    assert run.code == 2
    assert "cannot reach Kafka at 127.0.0.1:1" in run.err
    assert "Traceback" not in run.err
