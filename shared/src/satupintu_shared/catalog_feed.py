"""Follows the compacted catalog topic so a service always holds the latest applied catalog.

Every replica reads the whole topic itself (no consumer group): the catalog is small, and each
replica needs all of it. Changes are picked up live, without a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer

from .catalog import Catalog, CatalogApplied
from .envelope import InvalidEvent, decode
from .kafka_clients import create_consumer
from .settings import KafkaSettings

log = logging.getLogger(__name__)

CatalogListener = Callable[[CatalogApplied], Awaitable[None] | None]


class CatalogFeed:
    """The latest ``CatalogApplied`` on the catalog topic, kept current by a background task."""

    def __init__(self, settings: KafkaSettings) -> None:
        self._settings = settings
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

    async def _follow(self) -> None:
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
                        await self._apply(record.value, record.headers or ())
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

    async def _apply(self, value: bytes | None, headers: object) -> None:
        if value is None:
            return
        try:
            applied: CatalogApplied = decode(value, headers).parse(CatalogApplied)  # type: ignore[arg-type]
        except InvalidEvent as exc:
            log.error("ignored an invalid catalog record", extra={"reason": str(exc)})
            return
        if self._latest and applied.version <= self._latest.version:
            return
        self._latest = applied
        async with self._changed:
            self._changed.notify_all()
        for listener in self._listeners:
            result = listener(applied)
            if result is not None:
                await result
