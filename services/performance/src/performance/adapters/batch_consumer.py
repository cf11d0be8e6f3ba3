"""A Kafka consumer loop that commits offsets only after its handler has committed to the database.

aiokafka directly rather than a framework subscriber, so the order of the two commits is visible in
one place: ``getmany`` → ``handle`` (one database transaction) → ``commit``. A crash before the
offset commit redelivers the batch, which the idempotent handler turns into no change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from aiokafka.structs import OffsetAndMetadata

from satupintu_shared.settings import KafkaSettings

log = logging.getLogger(__name__)

Record: TypeAlias = ConsumerRecord[bytes | None, bytes | None]
BatchHandler = Callable[[list[Record]], Awaitable[None]]


class BatchConsumer:
    """Consumes ``topic`` in group ``group_id`` in batches; retries a failing batch until it succeeds."""

    def __init__(
        self,
        settings: KafkaSettings,
        *,
        topic: str,
        group_id: str,
        handler: BatchHandler,
        max_records: int = 2000,
        retry_delay: float = 1.0,
        before_offset_commit: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._settings = settings
        self._topic = topic
        self._group_id = group_id
        self._handler = handler
        self._max_records = max_records
        self._retry_delay = retry_delay
        self._before_offset_commit = before_offset_commit
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.batches = 0

    def start(self) -> None:
        """Run the loop in a background task."""
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name=f"consume-{self._topic}")

    async def stop(self, timeout: float = 15.0) -> None:
        """Finish the batch in hand (handler and offset commit), then leave the group."""
        self._stopping.set()
        if self._task is None:
            return
        done, _ = await asyncio.wait({self._task}, timeout=timeout)
        if not done:
            self._task.cancel()
            await asyncio.wait({self._task})
        if not self._task.cancelled() and self._task.exception() is not None:
            log.error(
                "the consumer loop had died", extra={"topic": self._topic}, exc_info=self._task.exception()
            )

    def check_alive(self) -> None:
        """Raise when the loop is not running (readiness check)."""
        if self._task is None or self._task.done():
            raise RuntimeError(f"the consumer of {self._topic} is not running")

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The background task (tests cancel it to simulate a crash)."""
        return self._task

    async def _run(self) -> None:
        consumer = AIOKafkaConsumer(
            self._topic,
            bootstrap_servers=self._settings.kafka_bootstrap_servers,
            group_id=self._group_id,
            enable_auto_commit=False,
            # A new group must not skip requests that arrived before it first started.
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=4 * 1024 * 1024,
            metadata_max_age_ms=self._settings.kafka_metadata_max_age_ms,
        )
        await consumer.start()
        try:
            while not self._stopping.is_set():
                batch = await consumer.getmany(timeout_ms=500, max_records=self._max_records)
                records: list[Record] = [r for part in batch.values() for r in part]
                if records and await self._handle(records):
                    if self._before_offset_commit is not None:
                        await self._before_offset_commit()
                    await self._commit(consumer, records)
        finally:
            # No commit here: whatever was not committed above is redelivered to the next owner.
            await consumer.stop()

    async def _handle(self, records: list[Record]) -> bool:
        while True:
            try:
                await self._handler(records)
                self.batches += 1
                return True
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("batch failed; retrying", extra={"topic": self._topic, "records": len(records)})
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self._retry_delay)
                if self._stopping.is_set():
                    return False

    async def _commit(self, consumer: AIOKafkaConsumer, records: list[Record]) -> None:
        offsets: dict[TopicPartition, Any] = {}
        for r in records:
            offsets[TopicPartition(r.topic, r.partition)] = OffsetAndMetadata(r.offset + 1, "")
        try:
            await consumer.commit(offsets)
        except (CommitFailedError, KafkaError):
            # The group rebalanced: the new owner gets these records again and deduplicates them.
            log.warning("offset commit failed after a rebalance", extra={"topic": self._topic})
