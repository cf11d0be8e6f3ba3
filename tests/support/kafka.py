"""Test helpers that talk to the real broker directly (aiokafka), independent of the code under test."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import ConsumerRecord

from satupintu_shared.kafka_clients import create_consumer, create_producer
from satupintu_shared.settings import KafkaSettings


async def read_records(
    bootstrap: str, topic: str, *, count: int, timeout: float = 30.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read at least ``count`` records from the start of ``topic`` (fails the test on timeout)."""
    settings = KafkaSettings(kafka_bootstrap_servers=bootstrap)
    consumer = create_consumer(
        settings, topic, client_id="tests-reader", group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    deadline = time.monotonic() + timeout
    try:
        while len(records) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"only {len(records)} of {count} records arrived on {topic} in {timeout}s"
                )
            batch = await consumer.getmany(timeout_ms=int(min(left, 1.0) * 1000))
            for part in batch.values():
                records.extend(part)
    finally:
        await consumer.stop()
    return records


async def produce(
    bootstrap: str,
    topic: str,
    value: bytes | None,
    *,
    key: bytes | None = None,
    headers: list[tuple[str, bytes]] | None = None,
) -> None:
    """Produce one record with acks=all."""
    producer = create_producer(KafkaSettings(kafka_bootstrap_servers=bootstrap), client_id="tests-producer")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key, headers=headers or [])
    finally:
        await producer.stop()


async def eventually(
    check: Callable[[], Awaitable[Any]], *, timeout: float = 30.0, interval: float = 0.2
) -> Any:
    """Await ``check`` until it returns a truthy value, or fail with its last error or result."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = await check()
            if last:
                return last
        except AssertionError as exc:
            last = exc
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last: {last!r}")
