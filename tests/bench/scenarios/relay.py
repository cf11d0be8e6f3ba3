"""Scenario 2, the bare client: a minimal aiokafka relay (consume → produce, no logic) with our producer
settings, over a pre-filled topic. The yardstick for the routing stage."""

from __future__ import annotations

import asyncio
import time
from typing import ClassVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from ..infra import (
    Env,
    create_topics,
    produce_all,
    producer_options,
    rate_from_timestamps,
    read_topic,
    run_token,
    submitted_records,
    topic_prefix,
)
from ..report import Figures
from .base import Context, Scenario


async def relay(env: Env, source: str, dest: str, *, count: int, group: str, timeout: float = 120) -> float:
    """Copy ``count`` records from ``source`` to ``dest``; seconds from the first poll to the last ack."""
    consumer = AIOKafkaConsumer(
        source,
        bootstrap_servers=env.bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    producer = AIOKafkaProducer(**producer_options(env.bootstrap))
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
        async with topic_prefix(ctx.env, "relay") as prefix:
            source, dest = f"{prefix}source", f"{prefix}dest"
            await create_topics(ctx.env, {source: 3, dest: 3})
            await produce_all(ctx.env, source, submitted_records(run_token(), n))
            wall = await relay(ctx.env, source, dest, count=n, group=f"{prefix}relay")
            out = await read_topic(ctx.env, dest, count=n)
        # Same measure as the routing stage: first to last output record (producer timestamps).
        return {
            "relay_events_per_s": rate_from_timestamps([r.timestamp for r in out]),
            "relay_wall_events_per_s": n / wall if wall > 0 else None,
        }
