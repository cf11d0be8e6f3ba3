"""Entry point: `performance` runs the HTTP API and the Kafka consumers in one process."""

from __future__ import annotations

from satupintu_shared.http import serve

from .bootstrap import create_app
from .settings import Settings


def run() -> None:
    """Serve until SIGTERM; shutdown drains the consumers and exits 0."""
    settings = Settings()
    serve(create_app(settings), host=settings.http_host, port=settings.http_port)


if __name__ == "__main__":
    run()
