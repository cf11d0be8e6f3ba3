"""A Kafka consumer loop that commits offsets only after its handler has committed to the database.

aiokafka directly rather than a framework subscriber, so the order of the two commits is visible in
one place: ``getmany`` → ``handle`` (one database transaction) → ``commit``. A crash before the
offset commit redelivers the batch, which the idempotent handler turns into no change.

Pipelined, one batch deep: while batch N is being written, batch N+1 is fetched and (for a
``StagedHandler``) decoded; its write starts only after N's write has finished, and N's offsets are
committed only after N's write. Writes stay in order, one at a time.

Failures are classified once (``satupintu_shared.failures``): a transient one (the database or the
broker away) retries the write with ``Backoff``. A plain handler whose batch fails otherwise is
called again one record at a time, so that only the record that cannot be stored is skipped (logged
at ERROR; it stays on the topic); a ``StagedHandler`` isolates its bad records itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeAlias, runtime_checkable

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from aiokafka.structs import OffsetAndMetadata

from satupintu_shared.background import BackgroundLoop
from satupintu_shared.failures import POISON_BUDGET, Backoff, Failure, classify, describe
from satupintu_shared.kafka_clients import create_consumer
from satupintu_shared.settings import KafkaSettings

log = logging.getLogger(__name__)

Record: TypeAlias = ConsumerRecord[bytes | None, bytes | None]
BatchHandler = Callable[[list[Record]], Awaitable[None]]
#: The write step of a batch (one database transaction); retried until it succeeds.
Write = Callable[[], Awaitable[None]]


@runtime_checkable
class StagedHandler(Protocol):
    """A handler in two steps, so that decoding a batch overlaps the previous batch's write."""

    async def prepare(self, records: list[Record]) -> Write:
        """Everything but the database (decoding, dead letters); returns the write."""
        ...


class BatchConsumer(BackgroundLoop):
    """Consumes ``topic`` in group ``group_id`` in batches; retries a batch that fails on a dependency
    until it succeeds, and isolates the record that fails for itself."""

    awaits_topic = True

    def __init__(
        self,
        settings: KafkaSettings,
        *,
        topic: str,
        group_id: str,
        handler: BatchHandler | StagedHandler,
        max_records: int = 2000,
        retry_delay: float = 1.0,
        before_offset_commit: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._settings = settings
        super().__init__(topic)
        self._group_id = group_id
        self._handler = handler
        self._max_records = max_records
        self._retry_delay = retry_delay
        self._before_offset_commit = before_offset_commit
        self.batches = 0

    async def _run(self) -> None:
        consumer = create_consumer(
            self._settings,
            self._topic,
            client_id="performance",
            group_id=self._group_id,
            # A new group must not skip requests that arrived before it first started.
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=4 * 1024 * 1024,
        )
        await consumer.start()
        in_flight: tuple[asyncio.Task[bool], list[Record]] | None = None
        try:
            await self._until_topic_exists(consumer, poll=self._retry_delay)
            while not self._stopping.is_set():
                # Do not sit on a written batch waiting for more records: its offsets are due.
                timeout = 0 if in_flight is not None else 500
                batch = await consumer.getmany(timeout_ms=timeout, max_records=self._max_records)
                records: list[Record] = [r for part in batch.values() for r in part]
                # Decoding this batch overlaps the write of the previous one.
                write = await self._prepare(records) if records else None
                if self._stopping.is_set():
                    write = None  # stopping: finish the write in hand only; this batch is redelivered
                if in_flight is not None:
                    task, written = in_flight
                    in_flight = None
                    if not await task:
                        break  # stopping while the write kept failing: nothing more is committed
                    if write is not None:  # the next write may start: the previous one committed
                        in_flight = (asyncio.create_task(self._write(write)), records)
                        write = None
                    await self._committed(consumer, written)
                if write is not None:
                    in_flight = (asyncio.create_task(self._write(write)), records)
            if in_flight is not None:  # stopping: finish the batch in hand
                task, written = in_flight
                in_flight = None
                if await task:
                    await self._committed(consumer, written)
        finally:
            # No commit here: whatever was not committed above is redelivered to the next owner.
            if in_flight is not None:
                in_flight[0].cancel()
                await asyncio.wait({in_flight[0]})
            await consumer.stop()

    async def _prepare(self, records: list[Record]) -> Write | None:
        """The batch's write (None: stopping while preparing it kept failing)."""
        handler = self._handler
        if not isinstance(handler, StagedHandler):
            return lambda: self._isolating(handler, records)
        backoff = Backoff()
        while True:
            try:
                return await handler.prepare(records)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("preparing a batch failed; retrying", extra={"topic": self._topic})
                if await backoff.wait(self._stopping):
                    return None

    async def _isolating(self, handler: BatchHandler, records: list[Record]) -> None:
        """``handler(records)``; when that fails for another reason than a dependency, each record alone."""
        try:
            await handler(records)
            return
        except Exception as exc:
            if classify(exc) is Failure.TRANSIENT or len(records) == 1:
                raise
            log.warning("a batch failed; handling its records one by one", extra={"error": describe(exc)})
        for record in records:
            await self._alone(handler, record)

    async def _alone(self, handler: BatchHandler, record: Record) -> None:
        backoff = Backoff()
        for attempt in range(1, POISON_BUDGET + 1):
            try:
                await handler([record])
                return
            except Exception as exc:
                failure = classify(exc)
                if failure is Failure.TRANSIENT:
                    raise  # the whole batch again, after a pause; what is stored is deduplicated
                if failure is Failure.UNKNOWN and attempt < POISON_BUDGET:
                    await backoff.wait(self._stopping)
                    continue
                log.error(
                    "skipped a record that cannot be stored",
                    extra={"topic": record.topic, "offset": record.offset, "error": describe(exc)[:300]},
                )
                return

    async def _write(self, write: Write) -> bool:
        """Run ``write`` until it succeeds (True) or the consumer stops meanwhile (False)."""
        backoff = Backoff()
        while True:
            try:
                await write()
                self.batches += 1
                return True
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("batch failed; retrying", extra={"topic": self._topic})
                if await backoff.wait(self._stopping):
                    return False

    async def _committed(self, consumer: AIOKafkaConsumer, records: list[Record]) -> None:
        if self._before_offset_commit is not None:
            await self._before_offset_commit()
        await self._commit(consumer, records)

    async def _commit(self, consumer: AIOKafkaConsumer, records: list[Record]) -> None:
        offsets: dict[TopicPartition, Any] = {}
        for r in records:
            offsets[TopicPartition(r.topic, r.partition)] = OffsetAndMetadata(r.offset + 1, "")
        try:
            await consumer.commit(offsets)
            self._made_progress()
        except (CommitFailedError, KafkaError):
            # The group rebalanced: the new owner gets these records again and deduplicates them.
            log.warning("offset commit failed after a rebalance", extra={"topic": self._topic})
