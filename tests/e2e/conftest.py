from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from satupintu_shared.topics import Topics
from tests.support.otlp import OtlpReceiver
from tests.support.platform import Platform


@pytest.fixture
def otlp() -> Iterator[OtlpReceiver]:
    receiver = OtlpReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
async def platform(
    service_env: dict[str, str], topics: Topics, otlp: OtlpReceiver, tmp_path: Path
) -> AsyncIterator[Platform]:
    """The three services as separate processes, exporting every span to ``otlp``."""
    env = {
        **service_env,
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp.url,
        "OTEL_TRACES_SAMPLER_ARG": "1.0",
        "LOG_LEVEL": "INFO",
        "ROUTING_WATCHDOG_INTERVAL_SECONDS": "1",
    }
    platform = Platform(env=env, topics=topics, log_dir=tmp_path)
    try:
        yield platform
    finally:
        platform.stop()
