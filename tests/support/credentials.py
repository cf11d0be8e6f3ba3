"""Waiting for new SCRAM credentials to take effect: the broker applies a password from its metadata log
about half a second after the call that set it returned, so a client connecting at once may be refused."""

from __future__ import annotations

import asyncio
import time

from aiokafka.errors import KafkaConnectionError

from satupintu_shared.kafka_clients import create_admin
from satupintu_shared.settings import KafkaSettings


async def until_authenticated(settings: KafkaSettings, *, timeout: float = 15.0) -> KafkaSettings:
    """Return ``settings`` once the broker accepts their credentials (fails the test after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        admin = create_admin(settings, client_id="tests-credentials-probe")
        try:
            await admin.start()
            return settings
        except KafkaConnectionError:
            if time.monotonic() > deadline:
                raise AssertionError(f"the broker never accepted {settings.kafka_sasl_username}") from None
            await asyncio.sleep(0.1)
        finally:
            await admin.close()
