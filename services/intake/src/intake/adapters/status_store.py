"""The status read model and the survey table (schema ``intake``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from ..domain.status import StatusChange


@dataclass(frozen=True)
class StatusRow:
    """One request as the citizen sees it (personal data masked)."""

    tracking_number: str
    status: str
    service_code: str | None
    region_code: str | None
    channel: str | None
    agency_code: str | None
    due_at: datetime | None
    applicant: dict[str, str]
    submitted_at: datetime | None
    updated_at: datetime


_COLUMNS = (
    "tracking_number, status, service_code, region_code, channel, agency_code, due_at, "
    "applicant_summary, submitted_at, updated_at"
)

# Whether the event in $2/$10 moves the request on. ``submitted`` is the first event of every request,
# so it never replaces another status, and any other status replaces it (whatever the producers'
# clocks say); after that, statuses only move forward in time (several of one instant apply in order).
_ADVANCES = (
    "($2::text IS NOT NULL AND $2::text <> 'submitted' AND "
    "(s.status = 'submitted' OR s.status_at IS NULL OR $10::timestamptz >= s.status_at))"
)

_UPSERT = f"""
INSERT INTO intake.request_status AS s (tracking_number, status, service_code, region_code, channel,
    agency_code, due_at, applicant_summary, submitted_at, updated_at, last_event_id, status_at)
VALUES ($1, coalesce($2, 'submitted'), $3, $4, $5, $6, $7, coalesce($8::jsonb, '{{}}'::jsonb), $9, $10, $11,
    CASE WHEN $2::text IS NULL THEN NULL ELSE $10::timestamptz END)
ON CONFLICT (tracking_number) DO UPDATE SET
    status = CASE WHEN {_ADVANCES} THEN $2 ELSE s.status END,
    agency_code = CASE WHEN {_ADVANCES} THEN coalesce($6, s.agency_code) ELSE s.agency_code END,
    due_at = CASE WHEN {_ADVANCES} THEN coalesce($7, s.due_at) ELSE s.due_at END,
    status_at = CASE WHEN {_ADVANCES} THEN $10 ELSE s.status_at END,
    service_code = coalesce(s.service_code, $3),
    region_code = coalesce(s.region_code, $4),
    channel = coalesce(s.channel, $5),
    applicant_summary = coalesce($8::jsonb, s.applicant_summary),
    submitted_at = coalesce(s.submitted_at, $9),
    updated_at = greatest($10, s.updated_at),
    last_event_id = $11
WHERE s.last_event_id IS DISTINCT FROM $11
"""


class StatusStore:
    """Reads and writes the read model fed by the lifecycle topic."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def apply(self, change: StatusChange) -> None:
        """Apply one lifecycle event's effect. Idempotent, and a duplicate or late event never moves a
        request back (e.g. a ``routed`` older than the ``accepted`` already shown)."""
        await self._pool.execute(_UPSERT, *_args(change))

    async def apply_many(self, changes: Sequence[StatusChange]) -> None:
        """Apply many in order, atomically, in one round trip (asyncpg pipelines ``executemany``); each as
        ``apply`` does."""
        if changes:
            await self._pool.executemany(_UPSERT, [_args(c) for c in changes])

    async def assignee(self, tracking_number: str) -> tuple[bool, str | None]:
        """(known, agency currently assigned) of a request, per the read model."""
        row = await self._pool.fetchrow(
            "SELECT agency_code FROM intake.request_status WHERE tracking_number = $1", tracking_number
        )
        return (row is not None, row["agency_code"] if row is not None else None)

    async def get(self, tracking_number: str) -> StatusRow | None:
        """The request with ``tracking_number``, if the read model has it."""
        row = await self._pool.fetchrow(
            f"SELECT {_COLUMNS} FROM intake.request_status WHERE tracking_number = $1", tracking_number
        )
        return _row(row) if row else None

    async def search(
        self,
        *,
        tracking_numbers: list[str] | None = None,
        service_code: str | None = None,
        statuses: list[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 1000,
    ) -> list[StatusRow]:
        """Requests matching every given filter, newest first."""
        where: list[str] = ["true"]
        args: list[Any] = []
        for clause, value in (
            ("tracking_number = ANY(${})", tracking_numbers),
            ("service_code = ${}", service_code),
            ("status = ANY(${})", statuses),
            ("submitted_at >= ${}", start),
            ("submitted_at <= ${}", end),
        ):
            if value is not None:
                args.append(value)
                where.append(clause.format(len(args)))
        args.append(limit)
        sql = (
            f"SELECT {_COLUMNS} FROM intake.request_status WHERE {' AND '.join(where)} "
            f"ORDER BY submitted_at DESC NULLS LAST LIMIT ${len(args)}"
        )
        return [_row(r) for r in await self._pool.fetch(sql, *args)]

    async def record_survey(
        self, tracking_number: str, agency_code: str | None, answers: dict[str, Any], event_id: str
    ) -> bool:
        """Store the survey; False when this request already has one."""
        result = await self._pool.execute(
            "INSERT INTO intake.surveys (tracking_number, agency_code, answers, event_id) "
            "VALUES ($1, $2, $3::jsonb, $4) ON CONFLICT (tracking_number) DO NOTHING",
            tracking_number,
            agency_code,
            json.dumps(answers),
            event_id,
        )
        return bool(result.endswith(" 1"))

    async def forget_survey(self, tracking_number: str) -> None:
        """Undo ``record_survey`` when its event could not be published (the citizen may try again)."""
        await self._pool.execute("DELETE FROM intake.surveys WHERE tracking_number = $1", tracking_number)


def _args(change: StatusChange) -> tuple[Any, ...]:
    summary = json.dumps(change.applicant) if change.applicant is not None else None
    return (
        change.tracking_number,
        change.status,
        change.service_code,
        change.region_code,
        change.channel,
        change.agency_code,
        change.due_at,
        summary,
        change.submitted_at,
        change.occurred_at,
        change.event_id,
    )


def _row(row: asyncpg.Record) -> StatusRow:
    data = dict(row)
    summary = data.pop("applicant_summary")
    data["applicant"] = json.loads(summary) if isinstance(summary, str) else dict(summary or {})
    return StatusRow(**data)
