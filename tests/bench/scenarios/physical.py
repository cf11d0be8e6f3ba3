"""Scenario 1, the physical limit: Kafka's own ProducerPerformance and ConsumerPerformance (Java) on the
local broker, with our producer settings and our record size, authenticated as the bench principal
(SASL/SCRAM, from a client properties file readable by the owner only)."""

from __future__ import annotations

import asyncio
import re
import tempfile
from pathlib import Path
from typing import ClassVar

from ..access import bench_name, bench_settings, java_client_properties, write_private
from ..infra import Env, NotRun, create_topics, environment, record_size, run_token, submitted_records
from ..report import Figures
from .base import Context, Scenario

PRODUCER = "org.apache.kafka.tools.ProducerPerformance"
CONSUMER = "org.apache.kafka.tools.ConsumerPerformance"
_SENT = re.compile(r"(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency")


async def java(env: Env, cls: str, *args: str, timeout: float = 240) -> str:
    """Run a Kafka tool class on the stack's classpath; its stdout."""
    if not env.kafka_lib.is_dir():
        raise NotRun(f"Kafka jars not found in {env.kafka_lib} (run `deploy/local/stack.sh up kafka`)")
    proc = await asyncio.create_subprocess_exec(
        "java",
        "-Xmx512m",
        "-cp",
        f"{env.kafka_lib}/*",
        cls,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    if proc.returncode != 0:
        raise RuntimeError(f"{cls} exited {proc.returncode}: {err.decode(errors='replace')[-500:]}")
    return out.decode(errors="replace")


def parse_producer(output: str) -> tuple[float, float]:
    """(records/s, avg latency ms) from ProducerPerformance's final line."""
    found = _SENT.findall(output)
    if not found:
        raise RuntimeError(f"unexpected ProducerPerformance output: {output[-300:]}")
    _, rate, _, latency = found[-1]
    return float(rate), float(latency)


def parse_consumer(output: str) -> tuple[float, float]:
    """(fetch records/s, overall records/s) from ConsumerPerformance's CSV line."""
    lines = [
        line for line in output.strip().splitlines() if line.count(",") >= 9 and "start.time" not in line
    ]
    if not lines:
        raise RuntimeError(f"unexpected ConsumerPerformance output: {output[-300:]}")
    cols = [c.strip() for c in lines[-1].split(",")]
    return float(cols[9]), float(cols[5])


class Physical(Scenario):
    name = "physical"
    number = "1"
    title = "Physical limit: Kafka ProducerPerformance / ConsumerPerformance, our record size"
    units: ClassVar[dict[str, str]] = {
        "producer_events_per_s": "events/s",
        "producer_avg_latency_ms": "ms",
        "consumer_events_per_s": "events/s",
    }
    throughput = ("producer_events_per_s", "consumer_events_per_s")

    async def prepare(self, ctx: Context) -> None:
        samples = submitted_records(run_token(), 500)
        value_bytes, record_bytes = record_size(samples[0])
        # ProducerPerformance cannot send headers: each payload is an encoded RequestSubmitted value
        # followed by its CloudEvent headers as text, so a record carries the bytes ours carry.
        lines = [v + b" " + b";".join(k.encode() + b"=" + h for k, h in hdrs) for _, v, hdrs in samples]
        self._dir = tempfile.TemporaryDirectory(prefix="bench-physical-")
        self._payload = Path(self._dir.name) / "payloads.txt"
        self._payload.write_bytes(b"\n".join(lines))
        # The tools read their SASL settings from a file: the bench principal's, in the private folder.
        self._client_config = write_private(
            Path(self._dir.name), "bench-client", java_client_properties(bench_settings(ctx.env.bootstrap))
        )
        self.params = {
            "records": 100_000 if ctx.quick else 300_000,
            "partitions": 3,
            "value_bytes": value_bytes,
            "record_bytes_with_headers": record_bytes,
            "payload_bytes_avg": round(sum(len(x) for x in lines) / len(lines)),
            "producer_props": "acks=all enable.idempotence=true compression.type=zstd linger.ms=5",
        }

    async def run_once(self, ctx: Context, index: int) -> Figures:
        n = int(self.params["records"])
        async with environment(ctx.env, "physical") as topics:
            topic = bench_name(topics.prefix, "perf")
            await create_topics(ctx.env, {topic: 3})
            out = await java(
                ctx.env,
                PRODUCER,
                "--topic",
                topic,
                "--num-records",
                str(n),
                "--throughput",
                "-1",
                "--payload-file",
                str(self._payload),
                "--producer.config",
                str(self._client_config),
                "--producer-props",
                f"bootstrap.servers={ctx.env.bootstrap}",
                "acks=all",
                "enable.idempotence=true",
                "compression.type=zstd",
                "linger.ms=5",
            )
            produced, latency = parse_producer(out)
            out = await java(
                ctx.env,
                CONSUMER,
                "--bootstrap-server",
                ctx.env.bootstrap,
                "--topic",
                topic,
                "--messages",
                str(n),
                "--timeout",
                "60000",
                "--group",
                bench_name(topics.prefix, "perf-consumer"),
                "--consumer.config",
                str(self._client_config),
            )
            fetched, _overall = parse_consumer(out)
        return {
            "producer_events_per_s": produced,
            "producer_avg_latency_ms": latency,
            "consumer_events_per_s": fetched,
        }

    async def cleanup(self, ctx: Context) -> None:
        if hasattr(self, "_dir"):
            self._dir.cleanup()
