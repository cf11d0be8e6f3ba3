"""PostgreSQL access to routing's own state: assignments and the consumed-event ledger."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from ..domain.transitions import OPEN

COLUMNS = (
    "tracking_number, service_code, region_code, agency_code, status, since, due_at, sla_working_days, hop, "
    "escalation_level, returned_by, reason, request, trace_id, span_id"
)


@dataclass(frozen=True)
class Assignment:
    """One row of ``routing.assignments``."""

    tracking_number: str
    service_code: str
    region_code: str
    agency_code: str | None
    status: str
    since: datetime
    due_at: datetime | None
    sla_working_days: int | None
    hop: int
    escalation_level: int
    returned_by: list[str]
    reason: dict[str, Any]
    request: dict[str, Any] | None
    trace_id: str | None
    #: The span that routed the request: later traces about it link to (trace_id, span_id).
    span_id: str | None = None

    @classmethod
    def from_record(cls, r: asyncpg.Record) -> Assignment:
        values = dict(r)
        values["returned_by"] = list(values["returned_by"])
        values["reason"] = json.loads(values["reason"])
        values["request"] = json.loads(values["request"]) if values["request"] else None
        return cls(**values)


async def mark_processed(conn: asyncpg.Connection, key: str) -> bool:
    """Record that the consumed event ``key`` is handled; False when it already was."""
    done = await conn.fetchval(
        "INSERT INTO routing.processed_events (event_key) VALUES ($1) ON CONFLICT DO NOTHING RETURNING 1", key
    )
    return done is not None


async def mark_processed_many(conn: asyncpg.Connection, keys: Sequence[str]) -> set[str]:
    """Record that the consumed events ``keys`` are handled; returns those that were not already."""
    rows = await conn.fetch(
        "INSERT INTO routing.processed_events (event_key) SELECT unnest($1::text[]) "
        "ON CONFLICT DO NOTHING RETURNING event_key",
        list(keys),
    )
    return {r["event_key"] for r in rows}


async def insert(conn: asyncpg.Connection, a: Assignment) -> bool:
    """Insert ``a``; False when the request already has an assignment."""
    inserted = await conn.fetchval(
        f"INSERT INTO routing.assignments ({COLUMNS}) VALUES "
        "($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12::jsonb,$13::jsonb,$14,$15) "
        "ON CONFLICT (tracking_number) DO NOTHING RETURNING 1",
        a.tracking_number,
        a.service_code,
        a.region_code,
        a.agency_code,
        a.status,
        a.since,
        a.due_at,
        a.sla_working_days,
        a.hop,
        a.escalation_level,
        a.returned_by,
        json.dumps(a.reason),
        json.dumps(a.request) if a.request is not None else None,
        a.trace_id,
        a.span_id,
    )
    return inserted is not None


async def insert_many(conn: asyncpg.Connection, items: Sequence[Assignment]) -> set[str]:
    """Insert ``items`` (distinct tracking numbers) with one statement; returns the tracking numbers
    inserted (a request that already has an assignment keeps it)."""
    if not items:
        return set()
    rows = await conn.fetch(
        f"INSERT INTO routing.assignments ({COLUMNS}) "
        "SELECT tn, sc, rc, ac, st, si, du, sla, hop, esc, rb::text[], re, rq, ti, sp "
        "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], "
        "$7::timestamptz[], $8::int[], $9::int[], $10::int[], $11::text[], $12::jsonb[], $13::jsonb[], "
        "$14::text[], $15::text[]) AS u(tn, sc, rc, ac, st, si, du, sla, hop, esc, rb, re, rq, ti, sp) "
        "ON CONFLICT (tracking_number) DO NOTHING RETURNING tracking_number",
        [a.tracking_number for a in items],
        [a.service_code for a in items],
        [a.region_code for a in items],
        [a.agency_code for a in items],
        [a.status for a in items],
        [a.since for a in items],
        [a.due_at for a in items],
        [a.sla_working_days for a in items],
        [a.hop for a in items],
        [a.escalation_level for a in items],
        # unnest flattens a text[][]: each list travels as an array literal, cast back above
        ["{" + ",".join(_array_item(x) for x in a.returned_by) + "}" for a in items],
        [json.dumps(a.reason) for a in items],
        [json.dumps(a.request) if a.request is not None else None for a in items],
        [a.trace_id for a in items],
        [a.span_id for a in items],
    )
    return {r["tracking_number"] for r in rows}


def _array_item(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


async def lock(conn: asyncpg.Connection, tracking_number: str) -> Assignment | None:
    """The assignment of ``tracking_number``, locked until the transaction ends."""
    row = await conn.fetchrow(
        f"SELECT {COLUMNS} FROM routing.assignments WHERE tracking_number = $1 FOR UPDATE", tracking_number
    )
    return Assignment.from_record(row) if row else None


async def get(conn: asyncpg.Connection | asyncpg.Pool, tracking_number: str) -> Assignment | None:
    """The assignment of ``tracking_number``, if routing has seen the request."""
    row = await conn.fetchrow(
        f"SELECT {COLUMNS} FROM routing.assignments WHERE tracking_number = $1", tracking_number
    )
    return Assignment.from_record(row) if row else None


async def trace_of(conn: asyncpg.Connection | asyncpg.Pool, tracking_number: str) -> tuple[str, str] | None:
    """The (trace id, span id) of the span that routed ``tracking_number``, if known."""
    row = await conn.fetchrow(
        "SELECT trace_id, span_id FROM routing.assignments WHERE tracking_number = $1", tracking_number
    )
    return (row["trace_id"], row["span_id"]) if row and row["trace_id"] and row["span_id"] else None


async def lock_overdue(conn: asyncpg.Connection, now: datetime, limit: int = 100) -> list[Assignment]:
    """Open, escalatable assignments past due, locked; rows another replica holds are skipped."""
    rows = await conn.fetch(
        f"SELECT {COLUMNS} FROM routing.assignments WHERE due_at < $1 AND status = ANY($2::text[]) "
        "AND NOT escalation_exhausted ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED",
        now,
        list(OPEN),
        limit,
    )
    return [Assignment.from_record(r) for r in rows]


async def backlog(conn: asyncpg.Connection | asyncpg.Pool, now: datetime) -> list[tuple[str, str, int, int]]:
    """Open assignments as (agency code, status, count, how many of them are overdue)."""
    rows = await conn.fetch(
        "SELECT agency_code, status, count(*) AS n, count(*) FILTER (WHERE due_at < $1) AS overdue "
        "FROM routing.assignments WHERE status = ANY($2::text[]) AND agency_code IS NOT NULL "
        "GROUP BY agency_code, status",
        now,
        list(OPEN),
    )
    return [(r["agency_code"], r["status"], r["n"], r["overdue"]) for r in rows]


async def update(conn: asyncpg.Connection, tracking_number: str, **fields: Any) -> None:
    """Set ``fields`` on the assignment of ``tracking_number`` (the row must be locked)."""
    sets, args = [], []
    for i, (name, value) in enumerate(fields.items(), start=2):
        cast = "::jsonb" if name in ("reason", "request") else ""
        sets.append(f"{name} = ${i}{cast}")
        args.append(json.dumps(value) if cast and value is not None else value)
    await conn.execute(
        f"UPDATE routing.assignments SET {', '.join(sets)}, updated_at = now() WHERE tracking_number = $1",
        tracking_number,
        *args,
    )
