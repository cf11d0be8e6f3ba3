"""The transactional outbox: events are stored with the state change, then published and deleted.

A crash after the commit and before the publish loses nothing: the relay publishes what is left.
A crash after the publish and before the delete republishes with the same (deterministic) event id,
which consumers deduplicate.
"""

from __future__ import annotations

import json
import logging

import asyncpg
from opentelemetry import context as otel_context

from satupintu_shared.broker import EventPublisher
from satupintu_shared.events import EVENT_TYPES, Event
from satupintu_shared.telemetry import context_of, current_traceparent

log = logging.getLogger(__name__)


async def enqueue(conn: asyncpg.Connection, topic: str, event: Event, event_id: str) -> str:
    """Store ``event`` for publication on ``topic`` in the caller's transaction. Returns ``event_id``.

    The current trace context is stored with it: the event is published within it, whenever that is.
    """
    await conn.execute(
        "INSERT INTO routing.outbox (event_id, topic, event_type, payload, traceparent) "
        "VALUES ($1, $2, $3, $4::jsonb, $5) ON CONFLICT (event_id) DO NOTHING",
        event_id,
        topic,
        event.EVENT_TYPE,
        event.model_dump_json(),
        current_traceparent(),
    )
    return event_id


class OutboxRelay:
    """Publishes stored events in the order they were stored."""

    def __init__(self, pool: asyncpg.Pool, publisher: EventPublisher) -> None:
        self._pool = pool
        self._publisher = publisher

    async def flush(self, event_ids: list[str]) -> int:
        """Publish the given events now (right after the transaction that stored them)."""
        if not event_ids:
            return 0
        return await self._publish("event_id = ANY($1::text[])", event_ids)

    async def flush_stale(self, older_than_seconds: float = 5.0) -> int:
        """Publish events left behind by a crash (stored more than ``older_than_seconds`` ago)."""
        return await self._publish("created_at < now() - make_interval(secs => $1)", older_than_seconds)

    async def _publish(self, where: str, arg: object) -> int:
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                f"SELECT seq, event_id, topic, event_type, payload, traceparent FROM routing.outbox "
                f"WHERE {where} "
                "ORDER BY seq LIMIT 500 FOR UPDATE SKIP LOCKED",
                arg,
            )
            for row in rows:
                await self._publish_one(row)
            if rows:
                await conn.execute(
                    "DELETE FROM routing.outbox WHERE seq = ANY($1::bigint[])", [r["seq"] for r in rows]
                )
        return len(rows)

    async def _publish_one(self, row: asyncpg.Record) -> None:
        event = EVENT_TYPES[row["event_type"]].model_validate(json.loads(row["payload"]))
        context = context_of(row["traceparent"])
        token = otel_context.attach(context) if context is not None else None
        try:
            await self._publisher.publish(row["topic"], event, event_id=row["event_id"])
        finally:
            if token is not None:
                otel_context.detach(token)
