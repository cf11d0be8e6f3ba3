"""Idempotency keys in PostgreSQL (schema ``intake``): they survive a restart and are shared by replicas.

A key is namespaced by the caller before it gets here, so that one client's key never finds another
client's record (see ``scoped_key``). A key lives ``ttl`` (``INTAKE_IDEMPOTENCY_TTL_HOURS``, 72 h by
default): an expired key is treated as unused when it is presented again, and ``purge_expired`` deletes
expired keys in bulk.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

log = logging.getLogger(__name__)

#: How often ``reserve`` also purges expired keys (at most once per interval, per replica).
PURGE_INTERVAL_SECONDS = 3600.0

#: How long a key is remembered by default (``INTAKE_IDEMPOTENCY_TTL_HOURS``).
DEFAULT_TTL = timedelta(hours=72)


@dataclass(frozen=True)
class KeyRecord:
    """What a key was first used for."""

    key: str
    fingerprint: str
    tracking_number: str
    occurred_at: datetime
    published: bool
    created_now: bool = False


def scoped_key(door: str, key: str, client: str | None = None) -> str:
    """The stored form of ``key`` presented at ``door`` by ``client`` (an agency code, an Open311
    api_key, …; ``None`` for anonymous callers). A secret client identity is hashed, never stored."""
    if client is None:
        return f"{door}:{key}"
    return f"{door}:{hashlib.sha256(client.encode()).hexdigest()[:32]}:{key}"


# A key older than the TTL is forgotten first (in the same transaction), so that it can be reserved anew.
_EXPIRE = """
DELETE FROM intake.idempotency_keys
WHERE key = ANY($1::text[]) AND created_at < now() - $2::interval
"""
_RESERVE = """
INSERT INTO intake.idempotency_keys (key, fingerprint, tracking_number, occurred_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
ON CONFLICT (key) DO NOTHING
RETURNING key
"""
_FETCH = """
SELECT key, fingerprint, tracking_number, occurred_at, published
FROM intake.idempotency_keys WHERE key = ANY($1::text[])
"""
_PURGE = """
DELETE FROM intake.idempotency_keys
WHERE key IN (
    SELECT key FROM intake.idempotency_keys WHERE created_at < now() - $1::interval LIMIT $2
)
"""


class IdempotencyStore:
    """Reserves keys before publishing and marks them once the broker acknowledged."""

    def __init__(self, pool: asyncpg.Pool, ttl: timedelta = DEFAULT_TTL) -> None:
        self._pool = pool
        self.ttl = ttl
        self._purged_at = time.monotonic()

    async def reserve(self, wanted: Sequence[KeyRecord]) -> dict[str, KeyRecord]:
        """Reserve each key; returns, per key, the record now stored (``created_now`` when it was ours)."""
        if not wanted:
            return {}
        by_key = {r.key: r for r in wanted}
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(_EXPIRE, list(by_key), self.ttl)
            rows = await conn.fetch(
                _RESERVE,
                list(by_key),
                [r.fingerprint for r in by_key.values()],
                [r.tracking_number for r in by_key.values()],
                [r.occurred_at for r in by_key.values()],
            )
            mine = {row["key"] for row in rows}
            result = {k: _created(by_key[k]) for k in mine}
            others = [k for k in by_key if k not in mine]
            if others:
                for row in await conn.fetch(_FETCH, others):
                    result[row["key"]] = KeyRecord(**dict(row))
        await self._purge_now_and_then()
        return result

    async def lookup(self, key: str) -> KeyRecord | None:
        """The unexpired record of ``key``, if any (without reserving it)."""
        row = await self._pool.fetchrow(
            _FETCH.replace("= ANY($1::text[])", "= $1 AND created_at >= now() - $2::interval"), key, self.ttl
        )
        return KeyRecord(**dict(row)) if row else None

    async def mark_published(self, keys: Sequence[str]) -> None:
        """Record that the events of ``keys`` were acknowledged by the broker."""
        if keys:
            await self._pool.execute(
                "UPDATE intake.idempotency_keys SET published = true WHERE key = ANY($1::text[])", list(keys)
            )

    async def purge_expired(self, limit: int = 10_000) -> int:
        """Delete up to ``limit`` keys older than the TTL; returns how many were deleted."""
        status = await self._pool.execute(_PURGE, self.ttl, limit)
        return int(status.rsplit(" ", 1)[-1])

    async def _purge_now_and_then(self) -> None:
        if time.monotonic() - self._purged_at < PURGE_INTERVAL_SECONDS:
            return
        self._purged_at = time.monotonic()
        try:
            await self.purge_expired()
        except (asyncpg.PostgresError, OSError) as exc:
            log.warning("could not purge expired idempotency keys", extra={"error": type(exc).__name__})


def _created(record: KeyRecord) -> KeyRecord:
    return KeyRecord(record.key, record.fingerprint, record.tracking_number, record.occurred_at, False, True)
