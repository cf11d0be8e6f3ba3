"""A small runner for plain SQL migrations: each service keeps its own schema and its own files."""

from __future__ import annotations

import logging
from importlib import resources

import asyncpg

log = logging.getLogger(__name__)


async def apply_migrations(dsn_or_conn: str | asyncpg.Connection, *, schema: str, package: str) -> list[str]:
    """Apply the ``NNN_name.sql`` files of ``package`` not yet applied to ``schema``, in order.

    Each file runs in its own transaction; an advisory lock makes concurrent replicas wait for each
    other instead of racing. Returns the names applied now.
    """
    conn = await asyncpg.connect(dsn_or_conn) if isinstance(dsn_or_conn, str) else dsn_or_conn
    try:
        files = sorted(
            (f for f in resources.files(package).iterdir() if f.name.endswith(".sql")), key=lambda f: f.name
        )
        applied_now: list[str] = []
        await conn.execute("SELECT pg_advisory_lock(hashtext($1))", f"migrations:{schema}")
        try:
            await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            await conn.execute(
                f'CREATE TABLE IF NOT EXISTS "{schema}".schema_migrations '
                "(version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {
                r["version"] for r in await conn.fetch(f'SELECT version FROM "{schema}".schema_migrations')
            }
            for f in files:
                if f.name in done:
                    continue
                async with conn.transaction():
                    await conn.execute(f'SET LOCAL search_path TO "{schema}", public')
                    await conn.execute(f.read_text())
                    await conn.execute(
                        f'INSERT INTO "{schema}".schema_migrations (version) VALUES ($1)', f.name
                    )
                applied_now.append(f.name)
                log.info("applied migration", extra={"schema": schema, "migration": f.name})
        finally:
            await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", f"migrations:{schema}")
        return applied_now
    finally:
        if isinstance(dsn_or_conn, str):
            await conn.close()
