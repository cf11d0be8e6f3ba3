"""`satupintu dlq list|replay`: look at dead-lettered records and put them back where they came from.

The dead-letter topic is read from the beginning with no consumer group (nothing is committed, no
service's position moves). A dead letter is the original record (value, key, headers) plus the
``satupintu_dlq_*`` headers that say where it came from and why it was set aside. Its value may hold
personal data, so only its size and CloudEvents type are ever printed.

A dead letter is named ``PARTITION:OFFSET`` in the dead-letter topic (a bare ``OFFSET`` is accepted
when only one partition has it). Replaying republishes the original value, key and headers (without
the ``satupintu_dlq_*`` ones, with ``satupintu_replayed_from``) to the original topic; the CloudEvent id
is unchanged, so consumers that already processed it deduplicate a second replay.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from satupintu_shared.acl import replay_refusal
from satupintu_shared.broker import DLQ_GROUP, DLQ_KIND, DLQ_OFFSET, DLQ_PARTITION, DLQ_REASON, DLQ_TOPIC
from satupintu_shared.kafka_clients import create_consumer, create_producer
from satupintu_shared.settings import KafkaCredentialsMissing, KafkaSettings

from .cli_support import OK, REFUSED, UNAVAILABLE, CommandFailed, Progress, clip, show_time, table

DLQ_PREFIX = "satupintu_dlq_"
REPLAYED_FROM = "satupintu_replayed_from"
CONNECT_TIMEOUT = 15.0
STALL_TIMEOUT = 30.0
Client = TypeVar("Client", AIOKafkaConsumer, AIOKafkaProducer)


@dataclass(frozen=True)
class DeadLetter:
    """One record of the dead-letter topic."""

    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]

    @property
    def id(self) -> str:
        return f"{self.partition}:{self.offset}"

    def header(self, name: str) -> str | None:
        for key, raw in self.headers:
            if key == name:
                return raw.decode(errors="replace")
        return None

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp_ms / 1000, tz=UTC)

    @property
    def kind(self) -> str:
        return self.header(DLQ_KIND) or "?"

    @property
    def source(self) -> str:
        topic = self.header(DLQ_TOPIC) or "?"
        where = [self.header(DLQ_PARTITION), self.header(DLQ_OFFSET)]
        return f"{topic}[{where[0]}]@{where[1]}" if all(w is not None for w in where) else topic

    def original_headers(self, dead_letter_topic: str) -> list[tuple[str, bytes]]:
        """The original headers, without ours, plus where the replay came from."""
        kept = [(k, v) for k, v in self.headers if not k.startswith(DLQ_PREFIX) and k != REPLAYED_FROM]
        return [*kept, (REPLAYED_FROM, f"{dead_letter_topic}:{self.id}".encode())]


async def read_dead_letters(settings: KafkaSettings, *, progress: bool = True) -> list[DeadLetter]:
    """Every record of the dead-letter topic, from the beginning to its current end, oldest first."""
    topic = settings.topics.deadletter
    consumer = await _start(
        lambda: create_consumer(
            settings, client_id="satupintu-cli", group_id=None, auto_offset_reset="earliest"
        ),
        settings,
    )
    try:
        partitions = await _partitions(consumer, topic)
        if not partitions:
            return []
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.beginning_offsets(partitions)
        total = sum(max(ends[tp] - starts[tp], 0) for tp in partitions)
        bar = Progress(f"reading {topic}", total) if progress and total > 1000 else None
        records: list[DeadLetter] = []
        pending = {tp for tp in partitions if ends[tp] > starts[tp]}
        stalled_since = time.monotonic()
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=1000, max_records=2000)
            if batch:
                stalled_since = time.monotonic()
            elif time.monotonic() - stalled_since > STALL_TIMEOUT:
                raise CommandFailed(f"reading {topic} stalled for {STALL_TIMEOUT:.0f}s; is Kafka up?")
            for tp, items in batch.items():
                for r in items:
                    if r.offset < ends[tp]:
                        records.append(
                            DeadLetter(
                                r.partition, r.offset, r.timestamp, r.key, r.value, tuple(r.headers or ())
                            )
                        )
                        if bar:
                            bar.advance()
            for tp in list(pending):
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
        if bar:
            bar.finish()
    except KafkaError as exc:
        raise CommandFailed(f"cannot read {topic}: {exc}") from None
    finally:
        await consumer.stop()
    records.sort(key=lambda d: (d.timestamp_ms, d.partition, d.offset))
    return records


async def list_dead_letters(
    settings: KafkaSettings, out: TextIO, *, limit: int = 50, kind: str | None = None
) -> int:
    """Print the most recent ``limit`` dead letters (of ``kind``), never their payload."""
    records = await read_dead_letters(settings)
    chosen = [d for d in records if kind is None or d.kind == kind]
    if not chosen:
        what = f" of kind {kind!r}" if kind else ""
        print(f"no dead letters{what} in {settings.topics.deadletter}", file=out)
        return OK
    shown = chosen[-limit:] if limit > 0 else chosen
    rows = [
        [
            d.id,
            show_time(d.time),
            d.source,
            d.kind,
            d.header("ce_type") or "-",
            f"{len(d.value or b'')} B",
            d.header(DLQ_GROUP) or "-",
            clip(d.header(DLQ_REASON) or "", 200),
        ]
        for d in shown
    ]
    table(["ID", "TIME", "SOURCE", "KIND", "CE_TYPE", "SIZE", "GROUP", "REASON"], rows, out)
    kinds = Counter(d.kind for d in chosen)
    summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    print(
        f"showing {len(shown)} of {len(chosen)} dead letter(s) ({summary}); "
        f"replay with: satupintu dlq replay ID [ID…]",
        file=out,
    )
    return OK


def select(records: Sequence[DeadLetter], ids: Iterable[str]) -> list[DeadLetter]:
    """The records named by ``ids`` (``PARTITION:OFFSET`` or an unambiguous ``OFFSET``), in that order."""
    by_id = {d.id: d for d in records}
    chosen: list[DeadLetter] = []
    problems: list[str] = []
    for raw in ids:
        text = raw.strip()
        if ":" in text:
            if text in by_id:
                chosen.append(by_id[text])
            else:
                problems.append(f"{text}: no such dead letter")
            continue
        if not text.isdigit():
            problems.append(f"{text}: not an OFFSET or PARTITION:OFFSET")
            continue
        matches = [d for d in records if d.offset == int(text)]
        if len(matches) == 1:
            chosen.append(matches[0])
        elif not matches:
            problems.append(f"{text}: no such dead letter")
        else:
            problems.append(f"{text}: ambiguous, name one of {', '.join(d.id for d in matches)}")
    if problems:
        raise CommandFailed("nothing was replayed:\n  " + "\n  ".join(problems), REFUSED)
    unique: dict[str, DeadLetter] = {d.id: d for d in chosen}
    return list(unique.values())


async def replay(
    settings: KafkaSettings,
    out: TextIO,
    *,
    ids: Sequence[str] = (),
    replay_all: bool = False,
    kind: str | None = None,
    dry_run: bool = False,
) -> int:
    """Republish the chosen dead letters to their original topics; prints progress and a summary."""
    if bool(ids) == replay_all:
        raise CommandFailed("name the dead letters to replay (ID …) or pass --all, not both", REFUSED)
    records = await read_dead_letters(settings)
    chosen = select(records, ids) if ids else list(records)
    if kind is not None:
        chosen = [d for d in chosen if d.kind == kind]
    if not chosen:
        print("nothing to replay", file=out)
        return OK
    without_source = [d for d in chosen if not d.header(DLQ_TOPIC)]
    chosen = [d for d in chosen if d.header(DLQ_TOPIC)]
    for d in without_source:
        print(f"skip {d.id}: it has no {DLQ_TOPIC} header, its source topic is unknown", file=out)
    # Operators put back only what an agency or a channel sent (docs/security.md); the broker would
    # refuse the rest too, but saying why beats a bare authorisation error.
    refused = [(d, replay_refusal(settings.topics, str(d.header(DLQ_TOPIC)))) for d in chosen]
    for d, why in refused:
        if why:
            print(f"refuse {d.id}: not replayed to {d.header(DLQ_TOPIC)}: {why}", file=out)
    chosen = [d for d, why in refused if not why]
    targets = Counter(d.header(DLQ_TOPIC) for d in chosen)
    if dry_run:
        for d in chosen:
            print(
                f"would replay {d.id} ({d.kind}, {d.header('ce_type') or '-'}) to {d.header(DLQ_TOPIC)}",
                file=out,
            )
        print(f"dry run: {len(chosen)} dead letter(s) would be replayed; nothing was published", file=out)
        return OK
    if not chosen:
        return REFUSED
    producer = await _start(lambda: create_producer(settings, client_id="satupintu-cli"), settings)
    bar = Progress(f"replaying {len(chosen)} dead letter(s)", len(chosen), every=2.0)
    failed: list[str] = []
    try:
        for start in range(0, len(chosen), 500):
            window = chosen[start : start + 500]
            sends = [
                await producer.send(
                    str(d.header(DLQ_TOPIC)),
                    d.value,
                    key=d.key,
                    headers=d.original_headers(settings.topics.deadletter),
                )
                for d in window
            ]
            results = await asyncio.gather(*sends, return_exceptions=True)
            for d, result in zip(window, results, strict=True):
                if isinstance(result, BaseException):
                    failed.append(f"{d.id}: {type(result).__name__}: {result}")
                bar.advance()
    except KafkaError as exc:
        raise CommandFailed(f"replay stopped after {bar.done} record(s): {exc}") from None
    finally:
        bar.finish()
        await producer.stop()
    done = len(chosen) - len(failed)
    where = ", ".join(f"{topic} ×{n}" for topic, n in sorted(targets.items(), key=lambda kv: str(kv[0])))
    print(f"replayed {done} of {len(chosen)} dead letter(s) to {where}", file=out)
    for line in failed:
        print(f"  failed {line}", file=out)
    print(
        "the dead letters stay in the dead-letter topic; replaying again is safe (event ids are kept, "
        "consumers deduplicate)",
        file=out,
    )
    return UNAVAILABLE if failed else OK


async def _start(build: Callable[[], Client], settings: KafkaSettings) -> Client:
    try:
        client = build()
    except KafkaCredentialsMissing as exc:
        raise CommandFailed(str(exc)) from None
    try:
        await asyncio.wait_for(client.start(), CONNECT_TIMEOUT)
    except (KafkaError, TimeoutError, OSError) as exc:
        with contextlib.suppress(Exception):
            await client.stop()
        raise CommandFailed(
            f"cannot reach Kafka at {settings.kafka_bootstrap_servers} (KAFKA_BOOTSTRAP_SERVERS): "
            f"{exc or type(exc).__name__}"
        ) from None
    return client


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    """Assign every partition of ``topic`` to ``consumer`` (no group); none when the topic does not exist."""
    found: Any = await consumer.topics()
    if topic not in found:
        return []
    consumer.subscribe([topic])  # without a group: every partition, once the metadata is known
    deadline = time.monotonic() + CONNECT_TIMEOUT
    while not consumer.assignment():
        if time.monotonic() > deadline:
            raise CommandFailed(f"no partitions of {topic} became available within {CONNECT_TIMEOUT:.0f}s")
        await asyncio.sleep(0.05)
    return sorted(consumer.assignment(), key=lambda tp: tp.partition)
