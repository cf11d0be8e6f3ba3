"""PostgreSQL writes of the ingest path: one transaction per batch, a handful of round trips."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import astuple, fields

import asyncpg

from ..domain.ikm import ELEMENTS
from ..domain.readmodel import Assignment, FoldResult, RequestState, ZoneOf, fold
from ..domain.records import StoredEvent

_INSERT_EVENTS = """
INSERT INTO events (event_id, tracking_number, type, occurred_at, agency_code, officer_id, trace_id,
                    payload, kafka_partition, kafka_offset)
SELECT e.id, e.tn, e.type, e.at, e.agency, e.officer, e.trace, e.payload::jsonb, e.part, e.off
FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::text[],
            $8::text[], $9::int[], $10::bigint[])
     AS e(id, tn, type, at, agency, officer, trace, payload, part, off)
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id
"""

_REQUEST_COLUMNS = [f.name for f in fields(RequestState)]
_UPSERT_REQUEST = (
    f"INSERT INTO requests ({', '.join(_REQUEST_COLUMNS)}, updated_at) "
    f"VALUES ({', '.join(f'${i + 1}' for i in range(len(_REQUEST_COLUMNS)))}, now()) "
    "ON CONFLICT (tracking_number) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in _REQUEST_COLUMNS[1:])
    + ", updated_at = now()"
)
_ASSIGNMENT_COLUMNS = [f.name for f in fields(Assignment)]
_UPSERT_ASSIGNMENT = (
    f"INSERT INTO assignments ({', '.join(_ASSIGNMENT_COLUMNS)}) "
    f"VALUES ({', '.join(f'${i + 1}' for i in range(len(_ASSIGNMENT_COLUMNS)))}) "
    "ON CONFLICT (assignment_id) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in _ASSIGNMENT_COLUMNS[1:])
)
_INSERT_SURVEY = (
    f"INSERT INTO surveys (tracking_number, agency_code, answered_at, {', '.join(ELEMENTS)}) "
    f"VALUES ({', '.join(f'${i + 1}' for i in range(3 + len(ELEMENTS)))}) "
    "ON CONFLICT (tracking_number) DO NOTHING"
)

#: Test hook: awaited inside the transaction after every write, before the commit.
BeforeCommit = Callable[[], Awaitable[None]]


class EventStore:
    """Stores batches of lifecycle events and advances the read models in the same transaction."""

    def __init__(
        self, pool: asyncpg.Pool, zone_of: ZoneOf, before_commit: BeforeCommit | None = None
    ) -> None:
        self._pool = pool
        self._zone_of = zone_of
        self._before_commit = before_commit

    async def store(self, batch: list[StoredEvent]) -> int:
        """Store ``batch`` in one transaction; returns how many events were new (the rest were replays)."""
        batch = list({e.event_id: e for e in reversed(batch)}.values())[::-1]  # first copy of each id wins
        async with self._pool.acquire() as conn, conn.transaction():
            fresh_ids = await self._insert_events(conn, batch)
            fresh = [e for e in batch if e.event_id in fresh_ids]
            if fresh:
                result = await self._advance(conn, fresh)
                await self._write(conn, result)
            if self._before_commit is not None:
                await self._before_commit()
        return len(fresh)

    async def _insert_events(self, conn: asyncpg.Connection, batch: list[StoredEvent]) -> set[str]:
        columns: list[list[object]] = [[] for _ in range(10)]
        for e in batch:
            row = (
                e.event_id,
                e.tracking_number,
                e.type,
                e.occurred_at,
                e.agency_code,
                e.officer_id,
                e.trace_id,
                json.dumps(e.payload),
                e.partition,
                e.offset,
            )
            for column, value in zip(columns, row, strict=True):
                column.append(value)
        return {r["event_id"] for r in await conn.fetch(_INSERT_EVENTS, *columns)}

    async def _advance(self, conn: asyncpg.Connection, fresh: list[StoredEvent]) -> FoldResult:
        numbers = sorted({e.tracking_number for e in fresh})
        # Lock the rows in a stable order so two replicas briefly sharing a partition cannot deadlock.
        rows = await conn.fetch(
            f"SELECT {', '.join(_REQUEST_COLUMNS)} FROM requests WHERE tracking_number = ANY($1::text[]) "
            "ORDER BY tracking_number FOR UPDATE",
            numbers,
        )
        states = {r["tracking_number"]: RequestState(**dict(r)) for r in rows}
        open_rows = await conn.fetch(
            f"SELECT {', '.join(_ASSIGNMENT_COLUMNS)} FROM assignments "
            "WHERE tracking_number = ANY($1::text[]) AND ended_at IS NULL",
            numbers,
        )
        opens = {r["tracking_number"]: Assignment(**dict(r)) for r in open_rows}
        return fold(states, opens, fresh, self._zone_of)

    async def _write(self, conn: asyncpg.Connection, result: FoldResult) -> None:
        await conn.executemany(_UPSERT_REQUEST, [astuple(s) for s in result.requests.values()])
        if result.assignments:
            await conn.executemany(_UPSERT_ASSIGNMENT, [astuple(a) for a in result.assignments.values()])
        if result.surveys:
            await conn.executemany(
                _INSERT_SURVEY,
                [
                    (s.tracking_number, s.agency_code, s.answered_at, *(s.answers[n] for n in ELEMENTS))
                    for s in result.surveys
                ],
            )
