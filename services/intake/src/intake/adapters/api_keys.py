"""Agency API keys in PostgreSQL (schema ``intake``): hashed secrets, several per agency, revocable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from ..domain.api_keys import PresentedKey, generate_key, secret_matches

#: ``last_used_at`` is refreshed at most this often per key (a write per report would be wasteful).
LAST_USED_RESOLUTION_SECONDS = 60


@dataclass(frozen=True)
class KeyInfo:
    """A key as listed (never its secret)."""

    key_id: str
    agency_code: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True)
class CreatedKey:
    """A new key: ``api_key`` is the only time the secret is shown."""

    key_id: str
    api_key: str
    agency_code: str
    created_at: datetime


class ApiKeyStore:
    """Creates, lists, revokes and verifies agency API keys."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def create(self, agency_code: str) -> CreatedKey:
        """A new active key for ``agency_code`` (existing keys stay active: rotation)."""
        while True:
            new = generate_key()
            row = await self._pool.fetchrow(
                "INSERT INTO intake.agency_api_keys (key_id, agency_code, secret_hash) VALUES ($1, $2, $3) "
                "ON CONFLICT (key_id) DO NOTHING RETURNING created_at",
                new.key_id,
                agency_code,
                new.secret_hash,
            )
            if row is not None:  # else an id collision (1 in 36^12): draw again
                return CreatedKey(new.key_id, new.api_key, agency_code, row["created_at"])

    async def list(self, agency_code: str) -> list[KeyInfo]:
        """Every key of ``agency_code``, revoked ones included, oldest first."""
        rows = await self._pool.fetch(
            "SELECT key_id, agency_code, created_at, revoked_at, last_used_at FROM intake.agency_api_keys "
            "WHERE agency_code = $1 ORDER BY created_at, key_id",
            agency_code,
        )
        return [KeyInfo(**dict(r)) for r in rows]

    async def revoke(self, agency_code: str, key_id: str) -> bool:
        """Revoke a key (idempotent); False when ``agency_code`` has no such key."""
        row = await self._pool.fetchrow(
            "UPDATE intake.agency_api_keys SET revoked_at = coalesce(revoked_at, now()) "
            "WHERE key_id = $1 AND agency_code = $2 RETURNING key_id",
            key_id,
            agency_code,
        )
        return row is not None

    async def verify(self, presented: PresentedKey) -> str | None:
        """The agency of an active key whose secret matches, else None; notes when it was used."""
        row = await self._pool.fetchrow(
            "SELECT agency_code, secret_hash, revoked_at, last_used_at FROM intake.agency_api_keys "
            "WHERE key_id = $1",
            presented.key_id,
        )
        if row is None or row["revoked_at"] is not None or not secret_matches(presented, row["secret_hash"]):
            return None
        await self._pool.execute(
            "UPDATE intake.agency_api_keys SET last_used_at = now() WHERE key_id = $1 AND "
            "(last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2))",
            presented.key_id,
            float(LAST_USED_RESOLUTION_SECONDS),
        )
        agency: str = row["agency_code"]
        return agency
