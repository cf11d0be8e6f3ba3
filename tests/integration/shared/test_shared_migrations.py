from __future__ import annotations

import asyncpg
import pytest

from satupintu_shared.migrations import apply_migrations

pytestmark = pytest.mark.postgres


async def test_migrations_apply_to_a_fresh_database_once(database_url: str) -> None:
    first = await apply_migrations(database_url, schema="sample", package="tests.support.sample_migrations")
    again = await apply_migrations(database_url, schema="sample", package="tests.support.sample_migrations")
    assert first == ["001_create.sql", "002_seed.sql"]
    assert again == []
    conn = await asyncpg.connect(database_url)
    try:
        assert await conn.fetchval("SELECT name FROM sample.things WHERE id = 1") == "first"
    finally:
        await conn.close()


async def test_every_service_schema_migrates_on_a_fresh_database(database_url: str) -> None:
    for service in ("intake", "routing", "performance"):
        applied = await apply_migrations(database_url, schema=service, package=f"{service}.migrations")
        assert applied, f"{service} has no migrations"
