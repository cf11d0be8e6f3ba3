"""Keeps the metadata of every dead-lettered record (never its value, which may hold personal data)."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from satupintu_shared import broker as b

from ..adapters.batch_consumer import Record

_INSERT = """
INSERT INTO dead_letters (dlq_partition, dlq_offset, received_at, reason, kind, source_topic,
                          source_partition, source_offset, consumer_group, event_type, event_id,
                          tracking_number)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (dlq_partition, dlq_offset) DO NOTHING
"""


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def row_of(record: Record) -> tuple[object, ...]:
    """The ``dead_letters`` row of one record of the dead-letter topic."""
    h = {k.lower(): v.decode(errors="replace") for k, v in (record.headers or ())}
    key = record.key.decode(errors="replace")[:64] if record.key else None
    return (
        record.partition,
        record.offset,
        datetime.fromtimestamp(record.timestamp / 1000, UTC),
        h.get(b.DLQ_REASON, "(no reason given)"),
        h.get(b.DLQ_KIND),
        h.get(b.DLQ_TOPIC),
        _int(h.get(b.DLQ_PARTITION)),
        _int(h.get(b.DLQ_OFFSET)),
        h.get(b.DLQ_GROUP),
        h.get("ce_type"),
        h.get("ce_id"),
        h.get("ce_subject") or key,
    )


class DeadLetterIngest:
    """Handles batches of the dead-letter topic for ``BatchConsumer``."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def __call__(self, records: list[Record]) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.executemany(_INSERT, [row_of(r) for r in records])
