"""Read queries of the operator views: timelines, searches, breaches, unroutable and dead letters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from ..domain.readmodel import OPEN_STATUSES

_OPEN = "status = ANY($1::text[])"


class OpsQueries:
    """Operator-facing reads over the events, requests and dead_letters tables."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def request(self, tracking_number: str) -> dict[str, Any] | None:
        """The read model row of a request."""
        row = await self._pool.fetchrow("SELECT * FROM requests WHERE tracking_number = $1", tracking_number)
        return dict(row) if row else None

    async def events(self, tracking_number: str) -> list[dict[str, Any]]:
        """The stored events of a request, oldest first."""
        rows = await self._pool.fetch(
            "SELECT event_id, type, occurred_at, agency_code, officer_id, trace_id, payload::text AS payload "
            "FROM events WHERE tracking_number = $1 ORDER BY occurred_at, kafka_offset",
            tracking_number,
        )
        return [dict(r) for r in rows]

    async def search(
        self,
        *,
        status: str | None,
        agency: str | None,
        service: str | None,
        breached: bool | None,
        limit: int,
        offset: int,
        now: datetime,
    ) -> list[dict[str, Any]]:
        """Requests matching every given filter, most recently changed first."""
        clauses, args = ["true"], [list(OPEN_STATUSES), now]
        for column, value in (("status", status), ("agency_code", agency), ("service_code", service)):
            if value is not None:
                args.append(value)
                clauses.append(f"{column} = ${len(args)}")
        if breached is not None:
            clauses.append(f"{'' if breached else 'NOT '}(breached OR ({_OPEN} AND due_at < $2))")
        args += [limit, offset]
        sql = (
            f"SELECT *, (breached OR ({_OPEN} AND due_at < $2)) AS breached_now FROM requests "
            f"WHERE {' AND '.join(clauses)} ORDER BY status_at DESC NULLS LAST, tracking_number "
            f"LIMIT ${len(args) - 1} OFFSET ${len(args)}"
        )
        return [dict(r) for r in await self._pool.fetch(sql, *args)]

    async def breaches(self, now: datetime, limit: int) -> list[dict[str, Any]]:
        """Requests that missed a deadline: escalated or finished late, or open and past due now."""
        sql = (
            "SELECT *, COALESCE(breached_at, due_at) AS breach_at FROM requests "
            f"WHERE breached OR ({_OPEN} AND due_at < $2) ORDER BY breach_at DESC LIMIT $3"
        )
        return [dict(r) for r in await self._pool.fetch(sql, list(OPEN_STATUSES), now, limit)]

    async def unroutable(self, limit: int) -> list[dict[str, Any]]:
        """Requests no agency has authority over, newest first."""
        rows = await self._pool.fetch(
            "SELECT * FROM requests WHERE status = 'unroutable' ORDER BY status_at DESC LIMIT $1", limit
        )
        return [dict(r) for r in rows]

    async def dead_letters(self, limit: int) -> list[dict[str, Any]]:
        """Dead-lettered records, newest first (metadata only)."""
        rows = await self._pool.fetch("SELECT * FROM dead_letters ORDER BY received_at DESC LIMIT $1", limit)
        return [dict(r) for r in rows]

    async def overview(self, now: datetime, due_before: datetime) -> dict[str, Any]:
        """The control-room numbers (see the README for each)."""
        async with self._pool.acquire() as conn:
            per_minute = await conn.fetch(
                "SELECT date_trunc('minute', occurred_at) AS minute, count(*) AS requests FROM events "
                "WHERE type = 'id.satupintu.request.submitted.v1' "
                "AND occurred_at >= $1::timestamptz - interval '1 hour' "
                "AND occurred_at <= $1 GROUP BY 1 ORDER BY 1",
                now,
            )
            backlog = await conn.fetch(
                f"SELECT agency_code, count(*) AS open, count(*) FILTER (WHERE due_at < $2) AS overdue "
                f"FROM requests WHERE {_OPEN} AND agency_code IS NOT NULL GROUP BY 1 ORDER BY 2 DESC",
                list(OPEN_STATUSES),
                now,
            )
            due_soon = await conn.fetchval(
                f"SELECT count(*) FROM requests WHERE {_OPEN} AND due_at >= $2 AND due_at < $3",
                list(OPEN_STATUSES),
                now,
                due_before,
            )
            breaches = await conn.fetchval(
                f"SELECT count(*) FROM requests WHERE breached OR ({_OPEN} AND due_at < $2)",
                list(OPEN_STATUSES),
                now,
            )
            unroutable = await conn.fetchval("SELECT count(*) FROM requests WHERE status = 'unroutable'")
            dead = await conn.fetchval("SELECT count(*) FROM dead_letters")
        return {
            "requests_per_minute": [dict(r) for r in per_minute],
            "backlog": [dict(r) for r in backlog],
            "due_within_next_working_day": due_soon,
            "breaches": breaches,
            "unroutable": unroutable,
            "dead_letters": dead,
        }
