"""A long-running consumer loop in a background task, with a graceful stop and a liveness check."""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod

log = logging.getLogger(__name__)


class BackgroundLoop(ABC):
    """Runs ``_run`` in a task. ``_run`` watches ``_stopping`` and finishes its unit of work (a batch,
    its database commit and its offset commit) before returning; ``stop`` waits for that."""

    def __init__(self, topic: str) -> None:
        self._topic = topic
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    @abstractmethod
    async def _run(self) -> None:
        """The loop; returns soon after ``_stopping`` is set."""

    def start(self) -> None:
        """Run the loop in a background task."""
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name=f"consume-{self._topic}")

    async def stop(self, timeout: float = 15.0) -> None:
        """Let the loop finish the work in hand, then return; cancel it after ``timeout`` seconds."""
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
