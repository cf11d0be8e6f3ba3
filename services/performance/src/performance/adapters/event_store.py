"""PostgreSQL writes of the ingest path: one transaction per batch, a fixed handful of round trips.

Every table is written set-based: the batch's rows are copied (``COPY … FROM STDIN``, binary) into
session-local staging tables, then one ``INSERT … SELECT … ON CONFLICT`` per table moves them over.
The number of statements per batch does not grow with the batch; the staging tables are emptied at
every commit (``ON COMMIT DELETE ROWS``) and are private to the connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Any

import asyncpg

from ..domain.ikm import ELEMENTS
from ..domain.readmodel import Assignment, RequestState, Survey, ZoneOf, fold
from ..domain.records import StoredEvent

_EVENT_COLUMNS = (
    "event_id",
    "tracking_number",
    "type",
    "occurred_at",
    "agency_code",
    "officer_id",
    "trace_id",
    "payload",
    "kafka_partition",
    "kafka_offset",
)
_REQUEST_COLUMNS = tuple(f.name for f in fields(RequestState))
_ASSIGNMENT_COLUMNS = tuple(f.name for f in fields(Assignment))
_SURVEY_COLUMNS = ("tracking_number", "agency_code", "answered_at", *ELEMENTS)

# Session-local (pg_temp) staging tables; IF NOT EXISTS keeps this one cheap statement per batch.
_STAGING = f"""
CREATE TEMP TABLE IF NOT EXISTS staged_events ON COMMIT DELETE ROWS AS
    SELECT {", ".join(_EVENT_COLUMNS)} FROM events WITH NO DATA;
CREATE TEMP TABLE IF NOT EXISTS staged_requests ON COMMIT DELETE ROWS AS
    SELECT {", ".join(_REQUEST_COLUMNS)} FROM requests WITH NO DATA;
CREATE TEMP TABLE IF NOT EXISTS staged_assignments ON COMMIT DELETE ROWS AS
    SELECT {", ".join(_ASSIGNMENT_COLUMNS)} FROM assignments WITH NO DATA;
CREATE TEMP TABLE IF NOT EXISTS staged_surveys ON COMMIT DELETE ROWS AS
    SELECT {", ".join(_SURVEY_COLUMNS)} FROM surveys WITH NO DATA;
"""

_INSERT_EVENTS = f"""
INSERT INTO events ({", ".join(_EVENT_COLUMNS)})
SELECT {", ".join(_EVENT_COLUMNS)} FROM staged_events
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id
"""
_SELECT_REQUESTS = (
    f"SELECT {', '.join(_REQUEST_COLUMNS)} FROM requests WHERE tracking_number = ANY($1::text[]) "
    "ORDER BY tracking_number FOR UPDATE"
)
_SELECT_OPEN_ASSIGNMENTS = (
    f"SELECT {', '.join(_ASSIGNMENT_COLUMNS)} FROM assignments "
    "WHERE tracking_number = ANY($1::text[]) AND ended_at IS NULL"
)
_UPSERT_REQUESTS = (
    f"INSERT INTO requests ({', '.join(_REQUEST_COLUMNS)}, updated_at) "
    f"SELECT {', '.join(_REQUEST_COLUMNS)}, now() FROM staged_requests ORDER BY tracking_number "
    "ON CONFLICT (tracking_number) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in _REQUEST_COLUMNS[1:])
    + ", updated_at = now()"
)
_UPSERT_ASSIGNMENTS = (
    f"INSERT INTO assignments ({', '.join(_ASSIGNMENT_COLUMNS)}) "
    f"SELECT {', '.join(_ASSIGNMENT_COLUMNS)} FROM staged_assignments ORDER BY assignment_id "
    "ON CONFLICT (assignment_id) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in _ASSIGNMENT_COLUMNS[1:])
)
_INSERT_SURVEYS = (
    f"INSERT INTO surveys ({', '.join(_SURVEY_COLUMNS)}) "
    f"SELECT {', '.join(_SURVEY_COLUMNS)} FROM staged_surveys "
    "ON CONFLICT (tracking_number) DO NOTHING"
)

_event_row = attrgetter(
    "event_id",
    "tracking_number",
    "type",
    "occurred_at",
    "agency_code",
    "officer_id",
    "trace_id",
    "payload_json",
    "partition",
    "offset",
)
_request_row = attrgetter(*_REQUEST_COLUMNS)
_assignment_row = attrgetter(*_ASSIGNMENT_COLUMNS)

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
        numbers = sorted({e.tracking_number for e in batch})
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(_STAGING)
            # Lock the requests first, in a stable order, so two replicas briefly sharing a partition
            # cannot deadlock; then read their states and open assignments.
            request_rows = await conn.fetch(_SELECT_REQUESTS, numbers)
            open_rows = await conn.fetch(_SELECT_OPEN_ASSIGNMENTS, numbers)
            await _copy(conn, "staged_events", _EVENT_COLUMNS, map(_event_row, batch))
            # While the database inserts the events, fold them all, as if all were new (the usual case).
            inserting = asyncio.ensure_future(conn.fetch(_INSERT_EVENTS))
            try:
                await asyncio.sleep(0)  # let the INSERT go out before the CPU-bound fold
                result = self._fold(request_rows, open_rows, batch)
            finally:
                fresh_ids = {r[0] for r in await inserting}
            fresh = batch
            if len(fresh_ids) < len(batch):  # some were replays: fold only the new ones, from scratch
                fresh = [e for e in batch if e.event_id in fresh_ids]
                result = self._fold(request_rows, open_rows, fresh)
            if fresh:
                await self._write(conn, result)
            if self._before_commit is not None:
                await self._before_commit()
        return len(fresh)

    def _fold(
        self, request_rows: list[asyncpg.Record], open_rows: list[asyncpg.Record], events: list[StoredEvent]
    ) -> _Folded:
        numbers = {e.tracking_number for e in events}
        states = {r[0]: RequestState(*r) for r in request_rows if r[0] in numbers}
        opens = {r["tracking_number"]: Assignment(*r) for r in open_rows if r["tracking_number"] in numbers}
        result = fold(states, opens, events, self._zone_of)
        return _Folded(
            [_request_row(s) for s in result.requests.values()],
            [_assignment_row(a) for a in result.assignments.values()],
            _survey_rows(result.surveys),
        )

    async def _write(self, conn: asyncpg.Connection, result: _Folded) -> None:
        await _copy(conn, "staged_requests", _REQUEST_COLUMNS, result.requests)
        await conn.execute(_UPSERT_REQUESTS)
        if result.assignments:
            await _copy(conn, "staged_assignments", _ASSIGNMENT_COLUMNS, result.assignments)
            await conn.execute(_UPSERT_ASSIGNMENTS)
        if result.surveys:
            await _copy(conn, "staged_surveys", _SURVEY_COLUMNS, result.surveys)
            await conn.execute(_INSERT_SURVEYS)


@dataclass(frozen=True)
class _Folded:
    """The rows a batch changes, ready for COPY."""

    requests: list[tuple[Any, ...]]
    assignments: list[tuple[Any, ...]]
    surveys: list[tuple[Any, ...]]


async def _copy(
    conn: asyncpg.Connection, table: str, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]
) -> None:
    await conn.copy_records_to_table(table, columns=columns, records=rows, schema_name="pg_temp")


def _survey_rows(surveys: list[Survey]) -> list[tuple[Any, ...]]:
    first: dict[str, Survey] = {}
    for s in surveys:  # one survey per request: the first answer in the batch wins, as in the table
        first.setdefault(s.tracking_number, s)
    return [
        (s.tracking_number, s.agency_code, s.answered_at, *(s.answers[n] for n in ELEMENTS))
        for s in first.values()
    ]
