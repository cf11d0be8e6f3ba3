"""A small HTTP/1.1 load generator on raw asyncio streams (keep-alive, loopback only).

httpx costs more CPU per request than the service under test on this 2-core machine, so the load
generator would measure itself; this client pre-serialises requests and parses only the status line,
Content-Length (or chunked) and the body. Bounded in count and time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .report import percentile

__all__ = ["Connection", "LoadResult", "Sample", "build_request", "closed_loop", "open_loop", "percentile"]


def build_request(method: str, path: str, body: Any, *, headers: dict[str, str] | None = None) -> bytes:
    """A complete HTTP/1.1 request with a JSON body."""
    payload = json.dumps(body, separators=(",", ":")).encode()
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/json",
        "Accept: application/json",
        f"Content-Length: {len(payload)}",
        *(f"{k}: {v}" for k, v in (headers or {}).items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


class Connection:
    """One keep-alive connection."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        """Send ``raw`` and return (status, body); reconnects once if the server closed the connection."""
        for attempt in (0, 1):
            if self._writer is None:
                self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
            try:
                assert self._reader is not None
                self._writer.write(raw)
                return await _read_response(self._reader)
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def close(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        return status, await reader.readexactly(int(headers["content-length"]))
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = bytearray()
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return status, bytes(body)
            body += await reader.readexactly(size)
            await reader.readexactly(2)
    return status, b""


@dataclass
class Sample:
    """One request: when it was due/sent, how long it took, what came back."""

    index: int
    sent_at: float  # time.time() at which it was due (open loop) or sent (closed loop)
    latency: float
    status: int
    body: bytes = b""


@dataclass
class LoadResult:
    samples: list[Sample] = field(default_factory=list)
    elapsed: float = 0.0
    errors: int = 0

    def ok(self, statuses: Sequence[int] = (200, 201, 202)) -> list[Sample]:
        return [s for s in self.samples if s.status in statuses]


async def closed_loop(
    host: str,
    port: int,
    make: Callable[[int], bytes],
    *,
    concurrency: int,
    duration: float,
    max_requests: int,
    keep_body: bool = False,
) -> LoadResult:
    """``concurrency`` workers send back to back until ``duration`` seconds or ``max_requests`` passed."""
    result = LoadResult()
    counter = iter(range(max_requests))
    deadline = time.monotonic() + duration

    async def worker() -> None:
        conn = Connection(host, port)
        try:
            for i in counter:
                if time.monotonic() >= deadline:
                    return
                raw = make(i)
                wall, started = time.time(), time.perf_counter()
                try:
                    status, body = await conn.request(raw)
                except (OSError, asyncio.IncompleteReadError):
                    result.errors += 1
                    continue
                result.samples.append(
                    Sample(i, wall, time.perf_counter() - started, status, body if keep_body else b"")
                )
        finally:
            await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.elapsed = time.perf_counter() - started
    return result


async def open_loop(
    host: str,
    port: int,
    make: Callable[[int], bytes],
    *,
    rate: float,
    duration: float,
    connections: int = 64,
    keep_body: bool = True,
    drain: float = 10.0,
) -> LoadResult:
    """Offer ``rate`` requests/s for ``duration`` s. Latency counts from when a request was *due*, so a
    slow server cannot hide its queueing (no coordinated omission)."""
    result = LoadResult()
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(Connection(host, port))
    total = int(rate * duration)
    tasks: list[asyncio.Task[None]] = []

    async def one(i: int, due_wall: float, due: float) -> None:
        conn = await pool.get()
        try:
            status, body = await conn.request(make(i))
            result.samples.append(
                Sample(i, due_wall, time.perf_counter() - due, status, body if keep_body else b"")
            )
        except (OSError, asyncio.IncompleteReadError):
            result.errors += 1
        finally:
            pool.put_nowait(conn)

    start, start_wall = time.perf_counter(), time.time()
    i = 0
    while i < total:
        now = time.perf_counter()
        while i < total and start + i / rate <= now:
            offset = i / rate
            tasks.append(asyncio.create_task(one(i, start_wall + offset, start + offset)))
            i += 1
        await asyncio.sleep(0.001)
    # A server that cannot keep up builds a queue here: give it ``drain`` seconds, then abandon the rest
    # (they count as errors, so the load stays bounded in time).
    _, pending = await asyncio.wait(tasks, timeout=drain) if tasks else (set(), set())
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    result.errors += len(pending)
    result.elapsed = time.perf_counter() - start
    while not pool.empty():
        with contextlib.suppress(Exception):
            await pool.get_nowait().close()
    return result
