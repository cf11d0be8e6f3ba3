"""Entry point: `intake` runs the HTTP API and the Kafka consumers in one process."""

from __future__ import annotations

import uvicorn

from satupintu_shared.http import exit_zero_after_sigterm

from .bootstrap import create_app
from .settings import Settings


def run() -> None:
    """Serve until SIGTERM/SIGINT; uvicorn then runs the lifespan shutdown, which drains the consumers."""
    settings = Settings()
    exit_zero_after_sigterm()
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=20,
    )


if __name__ == "__main__":
    run()
