"""What the scenarios stand on: loopback ports, unique Kafka environments (a topic prefix with its topics
and grants), fresh databases, service processes, a no-op OTLP sink, synthetic lifecycle events and the
Kafka helpers to pre-fill and read topics as a given principal (``access.py`` says who is who).

Everything started here is stopped by the same helper (context managers), so a failed scenario leaves
no process, topic, grant or database behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import TopicPartition
from aiokafka.admin import NewTopic

from satupintu_shared.acl import agency_acls
from satupintu_shared.admin import bootstrap_environment, ensure_agency_topics
from satupintu_shared.envelope import encode
from satupintu_shared.events import (
    Applicant,
    Channel,
    Event,
    RequestAccepted,
    RequestCompleted,
    RequestInProgress,
    RequestRouted,
    RequestSubmitted,
    RoutingReason,
)
from satupintu_shared.kafka_admin import KafkaAdministration
from satupintu_shared.kafka_clients import create_admin, create_consumer, create_producer
from satupintu_shared.settings import KafkaSettings
from satupintu_shared.topics import Topics

from .access import admin_settings, service_env

REPO = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).resolve().parent / "results"
CATALOG_FILE = REPO / "deploy" / "catalog" / "demo.yaml"
Headers = list[tuple[str, bytes]]
Record = tuple[bytes, bytes, Headers]  # key, value, headers


#: Every benchmark environment's topic prefix starts with this. Not ``bench-``: the default environment
#: grants the bench principal every topic and group starting with ``bench-``, which would cover a whole
#: benchmark environment (its lifecycle and the services' groups too) and hide a missing grant.
ENVIRONMENT_PREFIX = "benchmark-"


class NotRun(Exception):
    """A scenario (or part) cannot be measured now; the message says why. Never turned into a number."""


@dataclass
class Env:
    """Where the infrastructure is and where to write logs."""

    bootstrap: str = field(
        default_factory=lambda: os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    )
    database_url: str = field(
        default_factory=lambda: os.environ.get(
            "DATABASE_URL", "postgresql://satupintu:satupintu@127.0.0.1:55432/satupintu"
        )
    )
    kafka_lib: Path = field(
        default_factory=lambda: Path(os.environ.get("SATUPINTU_CACHE_DIR", REPO / ".cache")) / "kafka" / "lib"
    )
    logs: Path = RESULTS / "logs"

    def dsn_for(self, database: str) -> str:
        """The DSN of ``database`` on the same server, as the same user."""
        base, _, _ = self.database_url.rpartition("/")
        return f"{base}/{database}"


def unique(name: str) -> str:
    """A short unique token, e.g. for topic prefixes (``benchmark-routing-1a2b3c.``) and database names."""
    return f"{name}-{uuid.uuid4().hex[:6]}"


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- PostgreSQL ----------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def fresh_database(env: Env, name: str) -> AsyncIterator[str]:
    """A new, empty database (``CREATE DATABASE``), dropped afterwards; yields its DSN."""
    db = "bench_" + unique(name).replace("-", "_")
    admin = await asyncpg.connect(env.database_url)
    try:
        await admin.execute(f'CREATE DATABASE "{db}"')
    finally:
        await admin.close()
    try:
        yield env.dsn_for(db)
    finally:
        admin = await asyncpg.connect(env.database_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        finally:
            await admin.close()


# --- Kafka ---------------------------------------------------------------------------------------


async def create_topics(env: Env, topics: Mapping[str, int], *, compact: Sequence[str] = ()) -> None:
    """Create ``topics`` (name → partitions) as the admin tool; compacted ones for ``compact``."""
    admin = create_admin(admin_settings(env.bootstrap), client_id="satupintu-bench-setup")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        new = [
            NewTopic(
                name,
                num_partitions=parts,
                replication_factor=1,
                topic_configs={"cleanup.policy": "compact"} if name in compact else {},
            )
            for name, parts in topics.items()
            if name not in existing
        ]
        if new:
            await admin.create_topics(new)
    finally:
        await admin.close()


async def delete_environment(env: Env, prefix: str) -> None:
    """Revoke every grant of the environment ``prefix`` (a benchmark's, never the platform's: the
    services', the agencies', the bench principal's) and delete every topic whose name starts with it."""
    if not prefix.startswith(ENVIRONMENT_PREFIX):
        raise ValueError(f"refusing to delete topics of prefix {prefix!r}")
    administration = KafkaAdministration(admin_settings(env.bootstrap, prefix))
    await administration.revoke(await administration.environment_acls(Topics(prefix)))
    admin = create_admin(admin_settings(env.bootstrap), client_id="satupintu-bench-setup")
    await admin.start()
    try:
        names = [t for t in await admin.list_topics() if t.startswith(prefix)]
        if names:
            await admin.delete_topics(names)
    finally:
        await admin.close()


@contextlib.asynccontextmanager
async def environment(env: Env, name: str, *, partitions: int = 3) -> AsyncIterator[Topics]:
    """A unique environment (topic prefix ``benchmark-<name>-<hex>.``) with the platform topics — lifecycle
    and submissions with ``partitions`` partitions — and the grants of every platform principal in it
    (the services' and the bench principal's); its topics and grants are removed afterwards."""
    topics = Topics(unique(f"{ENVIRONMENT_PREFIX}{name}") + ".")
    try:
        await create_topics(env, {topics.lifecycle: partitions, topics.submissions: partitions})
        await bootstrap_environment(admin_settings(env.bootstrap, topics.prefix))
        yield topics
    finally:
        try:
            await delete_environment(env, topics.prefix)
        except Exception:
            logging.getLogger("bench").warning(
                "could not remove environment %s", topics.prefix, exc_info=True
            )


async def produce_all(kafka: KafkaSettings, topic: str, records: Sequence[Record]) -> float:
    """Write ``records`` with the platform's producer settings as ``kafka``'s principal; returns the
    seconds it took (all acknowledged)."""
    producer = create_producer(kafka, client_id="satupintu-bench-load", request_timeout_ms=30_000)
    await producer.start()
    started = time.perf_counter()
    try:
        futures = []
        for key, value, headers in records:
            futures.append(await producer.send(topic, value, key=key, headers=headers))
            if len(futures) >= 5000:
                await asyncio.gather(*futures)
                futures.clear()
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return time.perf_counter() - started


class OffsetWatcher:
    """Polls a topic's end offsets with one long-lived client (cheap enough to poll every 100 ms)."""

    def __init__(self, kafka: KafkaSettings, topic: str) -> None:
        self._consumer = create_consumer(kafka, client_id="satupintu-bench-watch", group_id=None)
        self._topic = topic
        self._tps: list[TopicPartition] = []

    async def __aenter__(self) -> OffsetWatcher:
        await self._consumer.start()
        await self._consumer._client.force_metadata_update()
        parts = self._consumer.partitions_for_topic(self._topic) or set()
        self._tps = [TopicPartition(self._topic, p) for p in sorted(parts)]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._consumer.stop()

    async def count(self) -> int:
        return sum((await self._consumer.end_offsets(self._tps)).values()) if self._tps else 0


async def read_topic(kafka: KafkaSettings, topic: str, *, count: int, timeout: float = 60.0) -> list[Any]:
    """Read ``count`` records from the start of ``topic`` (fewer if the timeout passes first)."""
    consumer = create_consumer(
        kafka,
        topic,
        client_id="satupintu-bench-read",
        group_id=None,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    await consumer.start()
    out: list[Any] = []
    deadline = time.monotonic() + timeout
    try:
        while len(out) < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            for recs in batch.values():
                out.extend(recs)
    finally:
        await consumer.stop()
    return out


def header(record: Any, name: str) -> str | None:
    """A header of a consumed record, decoded."""
    for k, v in record.headers or ():
        if k == name:
            return bytes(v).decode(errors="replace")
    return None


def rate_from_timestamps(timestamps_ms: Sequence[int]) -> float | None:
    """Events per second between the first and the last record (record timestamps, ms resolution)."""
    if len(timestamps_ms) < 2:
        return None
    span = (max(timestamps_ms) - min(timestamps_ms)) / 1000.0
    return (len(timestamps_ms) - 1) / span if span > 0 else None


# --- synthetic events ----------------------------------------------------------------------------

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
SERVICES = (("ktp-el", {"alasan": "hilang"}), ("kartu-keluarga", {"jenis_permohonan": "baru"}))
REGION = "32.73.01"
AGENCY = "bdg-disdukcapil"
NIK = "3273014107900001"
OFFICER = "199001012020121001"


def tracking_number(run: str, i: int) -> str:
    """A valid tracking number unique to one run (``run`` is a short upper-case token)."""
    return f"BN-{run}-{i:08d}"


def submitted_event(tn: str, i: int = 0, *, at: datetime | None = None) -> RequestSubmitted:
    """A RequestSubmitted like intake publishes (Kota Bandung, one of two civil-registry services)."""
    code, attrs = SERVICES[i % len(SERVICES)]
    return RequestSubmitted(
        tracking_number=tn,
        occurred_at=at or T0 + timedelta(seconds=i),
        service_code=code,
        region_code=REGION,
        applicant=Applicant(nik=NIK, name="Siti Aminah", phone="081234567890", email="siti@example.id"),
        attributes=attrs,
        description="KTP-el hilang saat banjir; mohon penggantian.",
        channel=Channel.WEB,
    )


def lifecycle_of(tn: str, i: int, *, start: datetime, agency: str = AGENCY) -> list[Event]:
    """One request's five-event life: submitted, routed, accepted, in progress, completed."""
    code, _ = SERVICES[i % len(SERVICES)]
    at = start
    reason = RoutingReason(
        rule="jurisdiction",
        owning_level="regency_city",
        matched_region="32.73",
        candidates=[agency],
        explanation="bench",
    )
    return [
        submitted_event(tn, i, at=at),
        RequestRouted(
            tracking_number=tn,
            occurred_at=at + timedelta(seconds=1),
            agency_code=agency,
            service_code=code,
            region_code=REGION,
            due_at=at + timedelta(days=5),
            sla_working_days=3,
            reason=reason,
        ),
        RequestAccepted(
            tracking_number=tn,
            occurred_at=at + timedelta(hours=2),
            agency_code=agency,
            officer_id=OFFICER,
            report_id=f"{tn}-a",
        ),
        RequestInProgress(
            tracking_number=tn,
            occurred_at=at + timedelta(hours=3),
            agency_code=agency,
            officer_id=OFFICER,
            report_id=f"{tn}-p",
        ),
        RequestCompleted(
            tracking_number=tn,
            occurred_at=at + timedelta(days=1 + i % 4),
            agency_code=agency,
            officer_id=OFFICER,
            report_id=f"{tn}-c",
        ),
    ]


def to_record(event: Event, *, source: str = "bench", sampled: bool = True) -> Record:
    """A binary-mode CloudEvent record, keyed by tracking number, as ``EventPublisher`` writes it.

    ``sampled`` is the upstream sampling decision carried in ``traceparent``: with parent-based
    sampling a stage only traces what upstream sampled, so an untraced measurement needs unsampled input.
    """
    value, headers = encode(event, source=source)
    flags = "01" if sampled else "00"
    headers["traceparent"] = f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-{flags}"
    return event.tracking_number.encode(), value, [(k, v.encode()) for k, v in headers.items()]


def submitted_records(run: str, n: int, *, sampled: bool = True) -> list[Record]:
    """``n`` RequestSubmitted records."""
    return [to_record(submitted_event(tracking_number(run, i), i), sampled=sampled) for i in range(n)]


def lifecycle_records(run: str, n_events: int, *, sampled: bool = True) -> list[Record]:
    """About ``n_events`` lifecycle records (five per request), in per-request order."""
    out: list[Record] = []
    i = 0
    while len(out) < n_events:
        tn = tracking_number(run, i)
        out.extend(
            to_record(e, sampled=sampled) for e in lifecycle_of(tn, i, start=T0 + timedelta(minutes=i))
        )
        i += 1
    return out[:n_events]


def record_size(record: Record) -> tuple[int, int]:
    """(value bytes, value + key + header bytes) of one record."""
    key, value, headers = record
    return len(value), len(value) + len(key) + sum(len(k) + len(v) for k, v in headers)


def run_token() -> str:
    """A short upper-case token for tracking numbers."""
    return uuid.uuid4().hex[:6].upper()


# --- catalog -------------------------------------------------------------------------------------


async def apply_catalog(env: Env, topics: Topics) -> str:
    """Apply the demo catalog to ``topics.catalog`` as the admin tool: routing's CLI when installed (it
    also creates every agency's topics and grants), else the same record (``CatalogApplied``, key
    ``catalog``) built with routing's own catalog-file loader, after creating the agencies' topics and
    grants here. Returns how."""
    cli = shutil.which("satupintu", path=str(Path(sys.executable).parent))
    cli_error = ""
    if cli:
        proc = await asyncio.create_subprocess_exec(
            cli,
            "catalog",
            "apply",
            str(CATALOG_FILE),
            env={
                **os.environ,
                "SATUPINTU_TOPIC_PREFIX": topics.prefix,
                "KAFKA_BOOTSTRAP_SERVERS": env.bootstrap,
            },
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
        if proc.returncode == 0:
            return "cli"
        cli_error = " ".join(out.decode(errors="replace").split())[-300:]
    try:
        import yaml

        from routing.domain.catalog_file import load_catalog
        from satupintu_shared.catalog import CatalogApplied
    except ImportError as exc:
        raise NotRun(f"no catalog CLI and routing's catalog loader is missing: {exc}") from exc
    catalog, problems = load_catalog(yaml.safe_load(CATALOG_FILE.read_text()))
    if catalog is None:
        raise NotRun(f"demo catalog does not load: {problems[:3]}")
    canonical = json.dumps(catalog.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    applied = CatalogApplied(
        version=1,
        applied_at=datetime.now(UTC),
        catalog=catalog,
        digest=hashlib.sha256(canonical.encode()).hexdigest(),
    )
    # The broker creates no topic by itself: routing delivers to the inboxes of these agencies.
    kafka = admin_settings(env.bootstrap, topics.prefix)
    codes = [agency.code for agency in catalog.agencies]
    await ensure_agency_topics(kafka, codes)
    administration = KafkaAdministration(kafka)
    for code in codes:
        await administration.grant(agency_acls(topics, code))
    value, headers = encode(applied, source="bench", subject="catalog")
    await produce_all(
        kafka, topics.catalog, [(b"catalog", value, [(k, v.encode()) for k, v in headers.items()])]
    )
    why = f"`satupintu catalog apply` failed: {cli_error}" if cli_error else "no `satupintu` CLI"
    return f"bench ({why}; CatalogApplied built with routing.domain.catalog_file)"


# --- processes -----------------------------------------------------------------------------------


class Service:
    """One SatuPintu service as a separate process (``python -m <name>.main``) on a free loopback port."""

    def __init__(self, env: Env, name: str, *, settings: Mapping[str, str], label: str = "") -> None:
        self.env = env
        self.name = name
        self.port = free_port()
        self.label = label or name
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = env.logs / f"{self.label}-{self.port}.log"
        self._settings = dict(settings)
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self) -> None:
        self.env.logs.mkdir(parents=True, exist_ok=True)
        # The bench's own (admin) password must not reach a service under another principal's name.
        inherited = {k: v for k, v in os.environ.items() if k != "KAFKA_SASL_PASSWORD"}
        environ = {
            **inherited,
            "KAFKA_BOOTSTRAP_SERVERS": self.env.bootstrap,
            "LOG_LEVEL": "WARNING",
            f"{self.name.upper()}_HOST": "127.0.0.1",
            f"{self.name.upper()}_PORT": str(self.port),
            # Its own principal; its consumer groups carry the environment's prefix (never the groups
            # of a platform started with `make up`), which is also what its grants cover.
            **service_env(self.name),
            **self._settings,
        }
        with self.log_path.open("wb") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", f"{self.name}.main"],
                env=environ,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=REPO,
                start_new_session=True,
            )

    def log_tail(self, lines: int = 6) -> str:
        try:
            text = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return " / ".join(line[:300] for line in text[-lines:])

    async def wait_ready(self, timeout: float = 60.0) -> None:
        """Until ``GET /readyz`` answers 200; NotRun when the process dies or the time runs out."""
        deadline = time.monotonic() + timeout
        last = ""
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self._proc is not None and self._proc.poll() is not None:
                    raise NotRun(
                        f"{self.name} exited with {self._proc.returncode} at start: {self.log_tail()}"
                    )
                try:
                    r = await client.get(f"{self.url}/readyz")
                    if r.status_code == 200:
                        return
                    last = f"/readyz {r.status_code} {r.text[:200]}"
                except httpx.HTTPError as exc:
                    last = type(exc).__name__
                await asyncio.sleep(0.2)
        raise NotRun(f"{self.name} not ready within {timeout:.0f} s ({last}); log: {self.log_tail()}")

    def stop(self, timeout: float = 8.0) -> None:
        """SIGTERM (the services drain on it), then SIGKILL if it does not exit in time."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@contextlib.asynccontextmanager
async def services(*items: Service, ready_timeout: float = 60.0) -> AsyncIterator[tuple[Service, ...]]:
    """Start ``items``, wait until each is ready, and stop them all afterwards."""
    try:
        for s in items:
            s.start()
        began = time.monotonic()
        for s in items:
            await s.wait_ready(ready_timeout)
        logging.getLogger("bench").info(
            "%s ready in %.1f s", ", ".join(s.label for s in items), time.monotonic() - began
        )
        yield items
    finally:
        await asyncio.gather(*(asyncio.to_thread(s.stop) for s in items))


def service_settings(
    prefix: str, dsn: str, *, sampler: float | None = None, otlp: str | None = None
) -> dict[str, str]:
    """Environment of one service process: its topic prefix, database and tracing."""
    out = {"SATUPINTU_TOPIC_PREFIX": prefix, "DATABASE_URL": dsn, "DATABASE_POOL_SIZE": "10"}
    if sampler is not None:
        out["OTEL_TRACES_SAMPLER_ARG"] = str(sampler)
    if otlp:
        out["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp
    return out


class OtlpSink:
    """A no-op OTLP/HTTP collector in its own process: accepts ``POST /v1/traces``, counts bytes."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> OtlpSink:
        self.env.logs.mkdir(parents=True, exist_ok=True)
        log = (self.env.logs / f"otlp-sink-{self.port}.log").open("wb")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tests.bench.otlp_sink", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.endpoint}/stats", timeout=1).status_code == 200:
                    return self
            time.sleep(0.1)
        raise RuntimeError("the OTLP sink did not start")

    def stats(self) -> dict[str, int]:
        """Requests and bytes received so far."""
        try:
            return dict(httpx.get(f"{self.endpoint}/stats", timeout=2).json())
        except httpx.HTTPError:
            return {}

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(5)


@contextlib.contextmanager
def timer() -> Iterator[list[float]]:
    """``with timer() as t: ...`` then ``t[0]`` is the elapsed seconds."""
    out: list[float] = []
    started = time.perf_counter()
    try:
        yield out
    finally:
        out.append(time.perf_counter() - started)
