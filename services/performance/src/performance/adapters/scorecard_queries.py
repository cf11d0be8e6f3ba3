"""Read queries of the scorecards and rankings: grouped by agency, one round trip per measure.

Each query takes parallel arrays (one element per agency) so a single agency's scorecard and a
ranking of a hundred agencies use the same SQL and the same indexes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from ..domain.ikm import ELEMENTS


@dataclass(frozen=True)
class Scope:
    """One agency's period in its own time zone, and the backlog ageing thresholds at ``as_of``."""

    code: str
    lo: datetime
    hi: datetime
    as_of: datetime
    zone: str
    thresholds: tuple[date, date, date]


_PERIODS = "unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) AS p(code, lo, hi)"

# LATERAL: one index-only range scan of assignments_received per agency.
_RECEIVED = f"""
SELECT p.code, r.received
FROM {_PERIODS}
CROSS JOIN LATERAL (
    SELECT count(*) AS received FROM assignments a
    WHERE a.agency_code = p.code AND a.assigned_at >= p.lo AND a.assigned_at < p.hi
) r
"""

_OUTCOMES = f"""
SELECT p.code,
       count(*) FILTER (WHERE a.outcome = 'completed') AS completed,
       count(*) FILTER (WHERE a.outcome = 'completed' AND a.on_time) AS completed_on_time,
       count(*) FILTER (WHERE a.outcome = 'rejected') AS rejected,
       count(*) FILTER (WHERE a.outcome = 'returned') AS returned,
       count(*) FILTER (WHERE a.outcome = 'escalated') AS escalated,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY a.turnaround_wd) FILTER (WHERE a.outcome = 'completed')
           AS median_turnaround_wd,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY a.turnaround_wd) FILTER (WHERE a.outcome = 'completed')
           AS p90_turnaround_wd
FROM {_PERIODS}
JOIN assignments a ON a.agency_code = p.code AND a.ended_at >= p.lo AND a.ended_at < p.hi
GROUP BY p.code
"""

# Open at as_of: assigned_at < as_of AND (ended_at IS NULL OR ended_at >= as_of), written as the range
# containment that the GiST index assignments_open_during answers (migration 003, same expression);
# the aggregate inside LATERAL keeps it one index scan per agency.
_BACKLOG = """
SELECT p.code, x.*
FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::date[], $5::date[], $6::date[])
     AS p(code, as_of, tz, t2, t5, t10)
CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE o.d >= p.t2) AS "0-2",
           count(*) FILTER (WHERE o.d < p.t2 AND o.d >= p.t5) AS "3-5",
           count(*) FILTER (WHERE o.d < p.t5 AND o.d >= p.t10) AS "6-10",
           count(*) FILTER (WHERE o.d < p.t10) AS ">10"
    FROM (
        SELECT (a.assigned_at AT TIME ZONE p.tz)::date AS d
        FROM assignments a
        WHERE tstzrange(a.assigned_at,
                        CASE WHEN a.ended_at < a.assigned_at THEN a.assigned_at ELSE a.ended_at END,
                        '(]') @> p.as_of
          AND a.agency_code = p.code
    ) o
) x
"""

_SURVEYS = f"""
SELECT p.code, count(*) AS respondents, {", ".join(f"sum(s.{e})::int AS {e}" for e in ELEMENTS)}
FROM {_PERIODS}
JOIN surveys s ON s.agency_code = p.code AND s.answered_at >= p.lo AND s.answered_at < p.hi
GROUP BY p.code
"""

# DISTINCT as a loose index scan (one probe of assignments_received per agency, not one per row).
_KNOWN_AGENCIES = """
WITH RECURSIVE codes AS (
    (SELECT agency_code FROM assignments ORDER BY agency_code LIMIT 1)
    UNION ALL
    SELECT (SELECT a.agency_code FROM assignments a WHERE a.agency_code > c.agency_code
            ORDER BY a.agency_code LIMIT 1)
    FROM codes c WHERE c.agency_code IS NOT NULL
)
SELECT agency_code FROM codes WHERE agency_code IS NOT NULL
"""

_OFFICER_OUTCOMES = """
SELECT a.agency_code, a.officer_id,
       count(*) FILTER (WHERE a.outcome = 'completed') AS completed,
       count(*) FILTER (WHERE a.outcome = 'completed' AND a.on_time) AS completed_on_time,
       count(*) FILTER (WHERE a.outcome = 'rejected') AS rejected,
       count(*) FILTER (WHERE a.outcome = 'returned') AS returned,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY a.turnaround_wd) FILTER (WHERE a.outcome = 'completed')
           AS median_turnaround_wd
FROM assignments a
WHERE a.officer_id IS NOT NULL AND a.ended_at >= $1 AND a.ended_at < $2 AND {where}
GROUP BY a.agency_code, a.officer_id
"""

_OFFICER_HANDLED = """
SELECT e.agency_code, e.officer_id, count(DISTINCT e.tracking_number) AS handled
FROM events e
WHERE e.officer_id IS NOT NULL AND e.occurred_at >= $1 AND e.occurred_at < $2 AND {where}
GROUP BY e.agency_code, e.officer_id
"""


def _arrays(scopes: list[Scope]) -> tuple[list[str], list[datetime], list[datetime]]:
    return [s.code for s in scopes], [s.lo for s in scopes], [s.hi for s in scopes]


class ScorecardQueries:
    """Grouped KPI queries over the assignments and surveys tables."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def known_agencies(self) -> set[str]:
        """Agencies that ever held a request."""
        return {r["agency_code"] for r in await self._pool.fetch(_KNOWN_AGENCIES)}

    async def agency_measures(self, scopes: list[Scope]) -> dict[str, dict[str, dict[str, object]]]:
        """Per agency code: ``received``, ``outcomes``, ``backlog`` and ``surveys`` rows (missing = none)."""
        arrays = _arrays(scopes)
        backlog_args = (
            [s.code for s in scopes],
            [s.as_of for s in scopes],
            [s.zone for s in scopes],
            *([s.thresholds[i] for s in scopes] for i in range(3)),
        )
        async with self._pool.acquire() as conn:
            measures = {
                "received": await conn.fetch(_RECEIVED, *arrays),
                "outcomes": await conn.fetch(_OUTCOMES, *arrays),
                "backlog": await conn.fetch(_BACKLOG, *backlog_args),
                "surveys": await conn.fetch(_SURVEYS, *arrays),
            }
        out: dict[str, dict[str, dict[str, object]]] = {s.code: {} for s in scopes}
        for name, rows in measures.items():
            for row in rows:
                out[row["code"]][name] = dict(row)
        return out

    async def officers(
        self, lo: datetime, hi: datetime, *, agency: str | None = None, officer: str | None = None
    ) -> list[dict[str, Any]]:
        """Officer rows (agency, officer id, handled, completed, on time, median turnaround) in the period."""
        where, arg = ("a.agency_code = $3", agency) if agency is not None else ("a.officer_id = $3", officer)
        outcomes = await self._pool.fetch(_OFFICER_OUTCOMES.format(where=where), lo, hi, arg)
        handled = await self._pool.fetch(
            _OFFICER_HANDLED.format(where=where.replace("a.", "e.")), lo, hi, arg
        )
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for r in handled:
            rows[(r["agency_code"], r["officer_id"])] = {**dict(r)}
        for r in outcomes:
            rows.setdefault((r["agency_code"], r["officer_id"]), {"handled": 0}).update(dict(r))
        return [rows[k] for k in sorted(rows)]
