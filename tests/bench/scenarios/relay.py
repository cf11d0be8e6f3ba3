"""Scenario 2, the bare client: a minimal aiokafka relay (consume → produce, no logic) with our producer
settings, over a pre-filled topic. The yardstick for the routing stage. It runs as the bench principal
(``satupintu-bench``) on bench topics, authenticated and authorised like every service."""

from __future__ import annotations

import asyncio
import time
from typing import ClassVar

from satupintu_shared.kafka_clients import create_consumer, create_producer
from satupintu_shared.settings import KafkaSettings

from ..access import bench_name, bench_settings
from ..infra import (
    create_topics,
    environment,
    produce_all,
    rate_from_timestamps,
    read_topic,
    run_token,
    submitted_records,
)
from ..report import Figures
from .base import Context, Scenario


async def relay(
    kafka: KafkaSettings, source: str, dest: str, *, count: int, group: str, timeout: float = 120
) -> float:
    """Copy ``count`` records from ``source`` to ``dest``; seconds from the first poll to the last ack."""
    consumer = create_consumer(
        kafka, source, client_id="satupintu-bench-relay", group_id=group, auto_offset_reset="earliest"
    )
    producer = create_producer(kafka, client_id="satupintu-bench-relay", request_timeout_ms=30_000)
    await consumer.start()
    await producer.start()
    done = 0
    started = 0.0
    deadline = time.monotonic() + timeout
    try:
        while done < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500, max_records=500)
            if not batch:
                continue
            started = started or time.perf_counter()
            futures = [
                await producer.send(dest, r.value, key=r.key, headers=list(r.headers))
                for records in batch.values()
                for r in records
            ]
            await asyncio.gather(*futures)
            await consumer.commit()
            done += len(futures)
        return time.perf_counter() - started
    finally:
        await consumer.stop()
        await producer.stop()


class Relay(Scenario):
    name = "relay"
    number = "2"
    title = "Bare client: aiokafka relay (consume → produce, no logic), our producer settings"
    units: ClassVar[dict[str, str]] = {
        "relay_events_per_s": "events/s",
        "relay_wall_events_per_s": "events/s",
    }
    throughput = ("relay_events_per_s", "relay_wall_events_per_s")

    async def prepare(self, ctx: Context) -> None:
        self.params = {"events": 20_000 if ctx.quick else 50_000, "partitions": 3}

    async def run_once(self, ctx: Context, index: int) -> Figures:
        n = int(self.params["events"])
        async with environment(ctx.env, "relay") as topics:
            prefix = topics.prefix
            source, dest = bench_name(prefix, "source"), bench_name(prefix, "dest")
            await create_topics(ctx.env, {source: 3, dest: 3})
            bench = bench_settings(ctx.env.bootstrap, prefix)
            await produce_all(bench, source, submitted_records(run_token(), n))
            wall = await relay(bench, source, dest, count=n, group=bench_name(prefix, "relay"))
            out = await read_topic(bench, dest, count=n)
        # Same measure as the routing stage: first to last output record (producer timestamps).
        return {
            "relay_events_per_s": rate_from_timestamps([r.timestamp for r in out]),
            "relay_wall_events_per_s": n / wall if wall > 0 else None,
        }
