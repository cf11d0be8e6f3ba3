"""Run as a separate process: publish one RequestSubmitted with the broker factory, print its id."""

from __future__ import annotations

import asyncio
import sys

from satupintu_shared.broker import EventPublisher, create_broker
from satupintu_shared.settings import KafkaSettings
from tests.support.events import submitted


async def main(bootstrap: str, topic: str, tracking_number: str) -> None:
    broker = create_broker(KafkaSettings(kafka_bootstrap_servers=bootstrap), service="test-publisher")
    await broker.connect()
    try:
        event_id = await EventPublisher(broker, source="/tests/publisher").publish(
            topic, submitted(tracking_number)
        )
    finally:
        await broker.stop()
    print(event_id, flush=True)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
