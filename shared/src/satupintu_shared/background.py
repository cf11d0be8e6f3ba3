"""A long-running consumer loop in a background task, with a graceful stop, restarts and a liveness check.

A dead loop is a dead service: when ``_run`` ends on an error, it is started again after a
``Backoff`` pause. After ``MAX_CONSECUTIVE_FAILURES`` failures in a row (or when the task ended for
good) ``check_alive`` fails, so ``/readyz`` takes the replica out of service, and ``dead_loops``
names it, so ``/healthz`` answers 503 and an orchestrator restarts the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from abc import ABC, abstractmethod
from collections.abc import Awaitable
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError

from .failures import Backoff, describe

log = logging.getLogger(__name__)

#: Failures in a row after which the loop counts as dead (``/readyz`` and ``/healthz`` fail).
MAX_CONSECUTIVE_FAILURES = 5
#: A run that lasted this long before failing was healthy: the count of failures in a row starts again.
HEALTHY_RUN_SECONDS = 60.0

_running: weakref.WeakSet[BackgroundLoop] = weakref.WeakSet()


class BackgroundLoop(ABC):
    """Runs ``_run`` in a task. ``_run`` watches ``_stopping`` and finishes its unit of work (a batch,
    its database commit and its offset commit) before returning; ``stop`` waits for that. ``_run``
    ending on an ``Exception`` is restarted with backoff."""

    def __init__(self, topic: str, *, restart_base: float = 0.5, restart_cap: float = 30.0) -> None:
        self._topic = topic
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._restart = Backoff(base=restart_base, cap=restart_cap)
        self._topic_found = False
        #: Failures of ``_run`` in a row.
        self.failures = 0

    @abstractmethod
    async def _run(self) -> None:
        """The loop; returns soon after ``_stopping`` is set."""

    def start(self) -> None:
        """Run the loop in a background task."""
        self._stopping.clear()
        self.failures = 0
        self._task = asyncio.create_task(self._supervise(), name=f"consume-{self._topic}")
        _running.add(self)

    async def _supervise(self) -> None:
        while not self._stopping.is_set():
            started = time.monotonic()
            try:
                await self._run()
                return
            except Exception as exc:
                if time.monotonic() - started >= HEALTHY_RUN_SECONDS:
                    self.failures = 0
                    self._restart.reset()
                self.failures += 1
                log.error(
                    "the consumer loop failed; restarting it",
                    extra={"topic": self._topic, "failures": self.failures, "error": describe(exc)[:300]},
                    exc_info=exc,
                )
            if await self._restart.wait(self._stopping):
                return

    def _made_progress(self) -> None:
        """Called by ``_run`` after a unit of work: the failures in a row are over."""
        if self.failures:
            self.failures = 0
            self._restart.reset()

    async def stop(self, timeout: float = 15.0) -> None:
        """Let the loop finish the work in hand, then return; cancel it after ``timeout`` seconds."""
        self._stopping.set()
        _running.discard(self)
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
        """Raise when the loop is not running, or keeps failing (readiness check)."""
        if self._task is None or self._task.done():
            raise RuntimeError(f"the consumer of {self._topic} is not running")
        if self.failures >= MAX_CONSECUTIVE_FAILURES:
            raise RuntimeError(f"the consumer of {self._topic} failed {self.failures} times in a row")
        if self.awaits_topic and not self._topic_found:
            raise RuntimeError(f"{self._topic} does not exist yet")

    #: Whether the loop waits for its topic to exist (and is not ready until it does).
    awaits_topic = False

    async def _until_topic_exists(self, consumer: AIOKafkaConsumer, *, poll: float) -> None:
        """Return once ``consumer`` sees the loop's topic. Topics are created by the admin tool (`make up`,
        `catalog apply`), never by a service: until then the loop waits, not ready, instead of failing."""
        while not self._stopping.is_set():
            with contextlib.suppress(KafkaError):  # the broker's hiccup: look again
                if self._topic in await consumer.topics():
                    self._topic_found = True
                    return
            log.warning("the topic does not exist yet; waiting for it", extra={"topic": self._topic})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), poll)

    @property
    def dead(self) -> bool:
        """Whether the loop was started, not stopped, and has ended or keeps failing."""
        if self._task is None or self._stopping.is_set():
            return False
        return self._task.done() or self.failures >= MAX_CONSECUTIVE_FAILURES

    @property
    def topic(self) -> str:
        """The topic the loop consumes."""
        return self._topic

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The background task (tests cancel it to simulate a crash)."""
        return self._task


def dead_loops() -> list[str]:
    """The topics of the loops in this process that are dead (``/healthz`` answers 503 while any is)."""
    return sorted(loop.topic for loop in list(_running) if loop.dead)


async def within(seconds: float, stopping: Awaitable[Any], *, step: str) -> bool:
    """Await one shutdown step for at most ``seconds``; False (logged) when it was cut short. Each
    service's steps add up to less than the runner's SIGKILL deadline (30 s in deploy/local/services.sh)."""
    try:
        await asyncio.wait_for(stopping, seconds)
        return True
    except TimeoutError:
        log.warning("shutdown step cut short", extra={"step": step, "seconds": seconds})
        return False
