"""Follows the compacted catalog topic so a service always holds the latest applied catalog.

Every replica reads the whole topic itself (no consumer group): the catalog is small, and each
replica needs all of it. Changes are picked up live, without a restart.

A record that cannot be decoded or validated never stops the feed: it is skipped with an ERROR log and
``satupintu_catalog_feed_invalid_records_total``, the last good catalog stays in force, and, when the
feed was given ``DeadLetters``, it is dead-lettered (kind ``invalid``, group ``catalog-feed``) once per
process (every replica reads the whole topic, so each may dead-letter the same record once; its
topic, partition and offset headers tell the copies apart). A dead-letter write that does not succeed
within ``DEAD_LETTER_TIMEOUT`` is given up (logged): the feed goes on. A listener that fails is logged;
the catalog it was told about stays applied.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from prometheus_client import REGISTRY, Counter

from .broker import DeadLetters
from .catalog import Catalog, CatalogApplied
from .envelope import InvalidEvent, decode
from .kafka_clients import create_consumer
from .settings import KafkaSettings

log = logging.getLogger(__name__)

CatalogListener = Callable[[CatalogApplied], Awaitable[None] | None]

#: Seconds a dead-letter write of an invalid catalog record may take before the feed goes on without it.
DEAD_LETTER_TIMEOUT = 10.0
#: The dead letters' consumer group header: the feed reads without a group.
FEED_GROUP = "catalog-feed"


def _invalid_counter() -> Counter:
    existing = REGISTRY._names_to_collectors.get("satupintu_catalog_feed_invalid_records")
    if isinstance(existing, Counter):
        return existing
    return Counter(
        "satupintu_catalog_feed_invalid_records",
        "Catalog records skipped because they could not be decoded or validated",
    )


#: ``satupintu_catalog_feed_invalid_records_total``: catalog records skipped (alert on any increase).
INVALID_RECORDS = _invalid_counter()


class CatalogFeed:
    """The latest ``CatalogApplied`` on the catalog topic, kept current by a background task."""

    def __init__(
        self, settings: KafkaSettings, *, dead_letters: DeadLetters | None = None, start_delay: float = 0.0
    ) -> None:
        """``dead_letters``: where invalid records go (else they are only logged and counted);
        ``start_delay``: seconds to wait before reading (a fault-injection hook: a slow catalog)."""
        self._settings = settings
        self._dead_letters = dead_letters
        self._dead_lettered: set[tuple[int, int]] = set()
        self._start_delay = start_delay
        self._latest: CatalogApplied | None = None
        self._listeners: list[CatalogListener] = []
        self._task: asyncio.Task[None] | None = None
        self._caught_up = asyncio.Event()
        self._changed = asyncio.Condition()

    @property
    def latest(self) -> CatalogApplied | None:
        """The newest applied catalog, or None before any was applied."""
        return self._latest

    @property
    def caught_up(self) -> bool:
        """Whether the records present at start have been read (so ``latest`` is really the latest)."""
        return self._caught_up.is_set()

    @property
    def catalog(self) -> Catalog:
        """The newest applied catalog, or an empty one."""
        return self._latest.catalog if self._latest else Catalog()

    def on_change(self, listener: CatalogListener) -> None:
        """Call ``listener`` with every newer catalog (after it became ``latest``)."""
        self._listeners.append(listener)

    async def start(self, *, catch_up_timeout: float = 15.0) -> None:
        """Start following; returns once the records present at start have been read (or on timeout)."""
        self._task = asyncio.create_task(self._follow(), name="catalog-feed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._caught_up.wait(), catch_up_timeout)

    async def stop(self) -> None:
        """Stop following."""
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def wait_for_version(self, version: int, timeout: float = 30.0) -> CatalogApplied:
        """Wait until a catalog of at least ``version`` has been read."""

        async def reached() -> CatalogApplied:
            async with self._changed:
                await self._changed.wait_for(lambda: bool(self._latest and self._latest.version >= version))
            assert self._latest is not None
            return self._latest

        return await asyncio.wait_for(reached(), timeout)

    async def wait_caught_up(self, timeout: float | None = None) -> bool:
        """Wait until ``caught_up`` (at most ``timeout`` seconds); return whether it is."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._caught_up.wait(), timeout)
        return self.caught_up

    async def _follow(self) -> None:
        if self._start_delay:
            log.warning("the catalog feed starts late (delay hook)", extra={"seconds": self._start_delay})
            await asyncio.sleep(self._start_delay)
        while True:
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("catalog feed failed; reconnecting")
                await asyncio.sleep(1.0)

    async def _consume(self) -> None:
        topic = self._settings.topics.catalog
        consumer = create_consumer(
            self._settings,
            topic,
            client_id="satupintu-catalog-feed",
            group_id=None,
            # The whole compacted history is the state: always read from the start.
            auto_offset_reset="earliest",
        )
        await consumer.start()
        try:
            while True:
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    for record in records:
                        await self._apply(record)
                if not self._caught_up.is_set() and await self._at_end(consumer):
                    self._caught_up.set()
        finally:
            await consumer.stop()

    async def _at_end(self, consumer: AIOKafkaConsumer) -> bool:
        parts = consumer.assignment()
        if not parts:
            return False
        ends = await consumer.end_offsets(list(parts))
        for tp, end in ends.items():
            if await consumer.position(tp) < end:
                return False
        return True

    async def _apply(self, record: ConsumerRecord[bytes | None, bytes | None]) -> None:
        if record.value is None:
            return
        try:
            applied: CatalogApplied = decode(record.value, record.headers or ()).parse(CatalogApplied)
        except Exception as exc:  # whatever the record is, the feed goes on
            reason = str(exc) if isinstance(exc, InvalidEvent) else f"{type(exc).__name__}: {exc}"
            await self._invalid(record, reason)
            return
        if self._latest and applied.version <= self._latest.version:
            return
        self._latest = applied
        async with self._changed:
            self._changed.notify_all()
        for listener in self._listeners:
            try:
                result = listener(applied)
                if result is not None:
                    await result
            except Exception:
                log.exception("a catalog listener failed", extra={"version": applied.version})

    async def _invalid(self, record: ConsumerRecord[bytes | None, bytes | None], reason: str) -> None:
        INVALID_RECORDS.inc()
        log.error(
            "skipped an invalid catalog record; the last good catalog stays in force",
            extra={"offset": record.offset, "partition": record.partition, "reason": reason[:300]},
        )
        where = (record.partition, record.offset)
        if self._dead_letters is None or where in self._dead_lettered:
            return
        try:
            await asyncio.wait_for(
                self._dead_letters.send(record, reason=reason, group=FEED_GROUP, kind="invalid"),
                DEAD_LETTER_TIMEOUT,
            )
            self._dead_lettered.add(where)
        except Exception:
            log.exception("could not dead-letter an invalid catalog record; going on without")
