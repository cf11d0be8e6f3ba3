"""The whole platform as separate processes, for end-to-end tests: the three services on free ports,
pointed at the real broker and database with a test's own topic prefix, exporting spans to a test
OTLP receiver."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from satupintu_shared.admin import ensure_platform_topics
from satupintu_shared.settings import KafkaSettings
from satupintu_shared.topics import Topics
from tests.support.security import principal_env

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "routing", "performance")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Platform:
    """Running services and how to reach them."""

    env: dict[str, str]
    topics: Topics
    log_dir: Path
    urls: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # The services and the CLI share these (no built-in token exists): fresh ones for each platform.
        self.env.setdefault("SATUPINTU_OPERATOR_TOKEN", secrets.token_hex(32))
        self.env.setdefault("SATUPINTU_ADMIN_TOKEN", secrets.token_hex(32))
        self.env.setdefault("INTAKE_OPEN311_API_KEYS", secrets.token_hex(16))

    def headers(self, role: str = "operator") -> dict[str, str]:
        """``Authorization`` with the platform's ``operator`` or ``administrator`` token."""
        variable = "SATUPINTU_ADMIN_TOKEN" if role == "administrator" else "SATUPINTU_OPERATOR_TOKEN"
        return {"Authorization": f"Bearer {self.env[variable]}"}

    def url(self, service: str, path: str = "") -> str:
        return self.urls[service] + path

    async def start(self, services: tuple[str, ...] = SERVICES, timeout: float = 60.0) -> None:
        await ensure_platform_topics(
            KafkaSettings(
                kafka_bootstrap_servers=self.env["KAFKA_BOOTSTRAP_SERVERS"], topic_prefix=self.topics.prefix
            )
        )
        for name in services:
            self.start_service(name)
        await asyncio.gather(*(self.wait_ready(name, timeout) for name in services))

    def start_service(self, name: str) -> None:
        port = free_port()
        # Each service authenticates as its own principal, with only the grants of docs/security.md.
        credentials = principal_env(f"satupintu-{name}")
        env = {**os.environ, **self.env, **credentials, f"{name.upper()}_PORT": str(port)}
        log = (self.log_dir / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", f"{name}.main"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        self.urls[name] = f"http://127.0.0.1:{port}"

    async def wait_ready(self, name: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                if self.processes[name].poll() is not None:
                    raise AssertionError(f"{name} exited during start-up:\n{self.log(name)}")
                try:
                    if (await client.get(self.url(name, "/readyz"), timeout=2)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.3)
        raise AssertionError(f"{name} not ready within {timeout}s:\n{self.log(name)}")

    def stop_service(self, name: str, timeout: float = 30.0) -> int:
        """SIGTERM, like an orchestrator; returns the exit code."""
        proc = self.processes.pop(name)
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError(f"{name} did not stop within {timeout}s of SIGTERM") from None

    def stop(self) -> dict[str, int]:
        return {name: self.stop_service(name) for name in list(self.processes)}

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace")[-6000:] if path.exists() else ""

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the `satupintu` CLI against this platform."""
        env = {**os.environ, **self.env}
        return subprocess.run(
            [sys.executable, "-m", "routing.cli", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
