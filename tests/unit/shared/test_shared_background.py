"""A dead loop is a dead service: a consumer loop that ends on an error is restarted with backoff, and
after failing again and again it makes ``/readyz`` and ``/healthz`` fail."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from satupintu_shared.background import MAX_CONSECUTIVE_FAILURES, BackgroundLoop, dead_loops
from satupintu_shared.http import health_router
from tests.support.kafka import eventually


class Flaky(BackgroundLoop):
    """Fails ``failing`` times, then runs until stopped."""

    def __init__(self, topic: str, failing: int) -> None:
        super().__init__(topic, restart_base=0.01, restart_cap=0.02)
        self.failing = failing
        self.runs = 0

    async def _run(self) -> None:
        self.runs += 1
        if self.runs <= self.failing:
            raise RuntimeError("the broker said no")
        self._made_progress()
        await self._stopping.wait()


async def _until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    async def holds() -> bool:
        return check()

    await eventually(holds, timeout=timeout, interval=0.01)


async def test_a_loop_that_failed_a_few_times_is_restarted_and_stays_alive() -> None:
    loop = Flaky("t-recovers", failing=2)
    loop.start()
    try:
        await _until(lambda: loop.runs == 3)
        loop.check_alive()
        assert loop.failures == 0
        assert "t-recovers" not in dead_loops()
    finally:
        await loop.stop()


async def test_a_loop_that_keeps_failing_fails_readiness_and_health() -> None:
    loop = Flaky("t-keeps-failing", failing=10_000)
    app = FastAPI()

    async def consumer() -> None:
        loop.check_alive()

    app.include_router(health_router({"consumer": consumer}))
    loop.start()
    try:
        await _until(lambda: loop.failures >= MAX_CONSECUTIVE_FAILURES)
        with pytest.raises(RuntimeError, match="in a row"):
            loop.check_alive()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            assert (await http.get("/readyz")).status_code == 503
            health = await http.get("/healthz")
            assert health.status_code == 503
            assert "t-keeps-failing" in health.json()["dead"]
    finally:
        await loop.stop()
    assert "t-keeps-failing" not in dead_loops()  # stopped on purpose: not dead


async def test_health_is_ok_while_every_loop_runs() -> None:
    loop = Flaky("t-fine", failing=0)
    app = FastAPI()
    app.include_router(health_router({}))
    loop.start()
    try:
        await _until(lambda: loop.runs == 1)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            assert (await http.get("/healthz")).status_code == 200
    finally:
        await loop.stop()
