"""Idempotency keys in PostgreSQL (schema ``intake``): they survive a restart and are shared by replicas."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg


@dataclass(frozen=True)
class KeyRecord:
    """What a key was first used for."""

    key: str
    fingerprint: str
    tracking_number: str
    occurred_at: datetime
    published: bool
    created_now: bool = False


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


class IdempotencyStore:
    """Reserves keys before publishing and marks them once the broker acknowledged."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def reserve(self, wanted: Sequence[KeyRecord]) -> dict[str, KeyRecord]:
        """Reserve each key; returns, per key, the record now stored (``created_now`` when it was ours)."""
        if not wanted:
            return {}
        by_key = {r.key: r for r in wanted}
        async with self._pool.acquire() as conn:
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
        return result

    async def mark_published(self, keys: Sequence[str]) -> None:
        """Record that the submitted events of ``keys`` were acknowledged by the broker."""
        if keys:
            await self._pool.execute(
                "UPDATE intake.idempotency_keys SET published = true WHERE key = ANY($1::text[])", list(keys)
            )


def _created(record: KeyRecord) -> KeyRecord:
    return KeyRecord(record.key, record.fingerprint, record.tracking_number, record.occurred_at, False, True)
