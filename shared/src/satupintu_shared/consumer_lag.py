"""Consumer lag as a Prometheus gauge: end offsets minus the group's committed offsets, per topic family.

Computed periodically from the broker (not from the consumers' own position), so it also shows a
group whose consumer is stuck or gone. Partitions a group has never committed on are not counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections import defaultdict
from collections.abc import Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import REGISTRY, CollectorRegistry, Gauge

from .kafka_clients import create_admin, create_consumer
from .settings import KafkaSettings
from .topics import topic_family

log = logging.getLogger(__name__)

_GAUGES: dict[int, Gauge] = {}


def lag_gauge(registry: CollectorRegistry | None = None) -> Gauge:
    """``satupintu_consumer_lag{group, topic}``: records not yet committed, by group and topic family."""
    registry = registry or REGISTRY
    if id(registry) not in _GAUGES:
        _GAUGES[id(registry)] = Gauge(
            "satupintu_consumer_lag",
            "Records behind the end of the log, by consumer group and topic family",
            ["group", "topic"],
            registry=registry,
        )
    return _GAUGES[id(registry)]


class ConsumerLag:
    """Every ``interval`` seconds, measures the lag of ``groups`` (group → regex of its topics)."""

    def __init__(
        self,
        settings: KafkaSettings,
        groups: Mapping[str, str],
        *,
        registry: CollectorRegistry | None = None,
        interval: float = 15.0,
    ) -> None:
        self._settings = settings
        self._groups = {group: re.compile(pattern) for group, pattern in groups.items()}
        self._gauge = lag_gauge(registry)
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Measure in a background task until ``stop``."""
        self._task = asyncio.create_task(self._run(), name="consumer-lag")

    async def stop(self) -> None:
        """Stop measuring."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        # Lag is a metric, not a dependency: an unreachable broker means "try again later".
        while True:
            with contextlib.suppress(Exception):
                await self._measure_until_failure()
            await asyncio.sleep(self._interval)

    async def _measure_until_failure(self) -> None:
        admin = create_admin(self._settings, client_id="satupintu-lag")
        consumer = create_consumer(self._settings, client_id="satupintu-lag", group_id=None)
        try:
            await admin.start()
            await consumer.start()
            while True:
                with contextlib.suppress(Exception):
                    await self.measure(admin, consumer)
                await asyncio.sleep(self._interval)
        finally:
            with contextlib.suppress(Exception):
                await consumer.stop()
            with contextlib.suppress(Exception):
                await admin.close()

    async def measure(self, admin: AIOKafkaAdminClient, consumer: AIOKafkaConsumer) -> None:
        """One measurement of every group (sets the gauge)."""
        for group, topics in self._groups.items():
            committed = await admin.list_consumer_group_offsets(group)
            ours = {tp: meta.offset for tp, meta in committed.items() if topics.fullmatch(tp.topic)}
            ends: dict[TopicPartition, int] = await consumer.end_offsets(list(ours)) if ours else {}
            lag: dict[str, int] = defaultdict(int)
            for tp, offset in ours.items():
                lag[topic_family(tp.topic)] += max(0, ends.get(tp, offset) - max(offset, 0))
            for family, value in lag.items():
                self._gauge.labels(group=group, topic=family).set(value)
