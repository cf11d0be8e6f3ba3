"""Kafka at the edge: connect in the background (intake starts and answers /healthz without a broker),
and publish with a bound, so that a down or slow broker turns into ``BrokerUnavailable`` in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from faststream.kafka import KafkaBroker

from satupintu_shared.broker import EventPublisher
from satupintu_shared.events import Contract

log = logging.getLogger(__name__)


class BrokerUnavailable(Exception):
    """The broker did not acknowledge in time; nothing may be reported as accepted."""


class BrokerConnection:
    """Starts the broker (and whatever must follow it) in the background, retrying until it connects."""

    def __init__(
        self,
        broker: KafkaBroker,
        *,
        before_start: Callable[[], Awaitable[None]] | None = None,
        retry_seconds: float = 1.0,
    ) -> None:
        self.broker = broker
        self.connected = asyncio.Event()
        self._before_start = before_start
        self._retry = retry_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin connecting; returns at once."""
        self._task = asyncio.create_task(self._connect(), name="kafka-connect")

    async def _connect(self) -> None:
        while True:
            try:
                if self._before_start:
                    await self._before_start()
                await self.broker.start()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("Kafka not reachable yet; retrying", extra={"error": type(exc).__name__})
                with contextlib.suppress(Exception):
                    await self.broker.stop()
                await asyncio.sleep(self._retry)
            else:
                self.connected.set()
                return

    async def stop(self) -> None:
        """Stop connecting, drain the subscribers and flush the producer."""
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.broker.stop()


@dataclass(frozen=True)
class Outgoing:
    """One event to publish."""

    topic: str
    event: Contract
    event_id: str
    key: str | None = None


class BoundedPublisher:
    """Publishes and waits for ``acks=all``, but never longer than ``timeout`` seconds."""

    def __init__(self, connection: BrokerConnection, publisher: EventPublisher, *, timeout: float) -> None:
        self._connection = connection
        self._publisher = publisher
        self.timeout = timeout

    async def publish(self, item: Outgoing) -> None:
        """Publish one event; ``BrokerUnavailable`` when it was not acknowledged within the bound."""
        failures = await self.publish_many([item])
        if failures[0] is not None:
            raise failures[0]

    async def publish_many(self, items: Sequence[Outgoing]) -> list[BrokerUnavailable | None]:
        """Publish concurrently within one bound; per item, None (acknowledged) or the failure."""
        if not items:
            return []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        try:
            await asyncio.wait_for(self._connection.connected.wait(), self.timeout)
        except TimeoutError:
            return [BrokerUnavailable("Kafka is not connected")] * len(items)
        tasks = [asyncio.ensure_future(self._send(item)) for item in items]
        _, pending = await asyncio.wait(tasks, timeout=max(deadline - loop.time(), 0.001))
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        results: list[BrokerUnavailable | None] = []
        for task in tasks:
            if task.cancelled():
                results.append(BrokerUnavailable("no acknowledgement within the bound"))
            elif (exc := task.exception()) is not None:
                results.append(BrokerUnavailable(f"{type(exc).__name__}: {exc}"))
            else:
                results.append(None)
        return results

    async def _send(self, item: Outgoing) -> None:
        await self._publisher.publish(item.topic, item.event, event_id=item.event_id, key=item.key)
