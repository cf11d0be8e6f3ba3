"""Entry point: ``satupintu-demo`` runs the simulated agency systems and citizens in one process.

Start-up order does not matter: the process follows the catalog topic and starts an agency system for
each demo agency as soon as the catalog names it, and citizens wait until intake answers ``/readyz``.
The process reads the catalog as ``satupintu-demo``; each agency system connects as its own agency,
with the credentials file `make up` saved for it (an agency without one is not simulated).
SIGTERM or SIGINT stops it cleanly: no new citizens, pending simulated work dropped, consumers drained,
Kafka connections and span exporters closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import signal

import httpx
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from satupintu_shared.catalog import Catalog, CatalogApplied
from satupintu_shared.catalog_feed import CatalogFeed
from satupintu_shared.sdk import AgencyCredentials, InvalidCredentials
from satupintu_shared.telemetry import setup_logging

from .agencies import AgencySimulator
from .citizens import Citizens
from .forms import SubmissionFactory
from .scope import Scope
from .settings import DemoSettings
from .stats import Stats

log = logging.getLogger("satupintu_demo")


def tracer_provider(service_name: str, settings: DemoSettings) -> TracerProvider:
    """A provider exporting to the OTLP collector when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set."""
    provider = TracerProvider(
        resource=Resource.create({"service.name": service_name, "service.namespace": "satupintu"}),
        sampler=ParentBased(TraceIdRatioBased(settings.otel_traces_sampler_arg)),
    )
    if settings.otel_exporter_otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    return provider


class Demo:
    """The agency systems of the demo catalog, and the citizens."""

    def __init__(self, settings: DemoSettings, feed: CatalogFeed) -> None:
        self.settings = settings
        self.feed = feed
        self.seed = settings.seed if settings.seed is not None else random.SystemRandom().randrange(2**32)
        self.scope = Scope.from_catalog_file(settings.catalog_path(), settings.agency_allowlist())
        self.stats = Stats()
        self.agency_tracing = tracer_provider("satupintu-demo-agencies", settings)
        self.citizen_tracing = tracer_provider("satupintu-demo-citizens", settings)
        self.simulators: dict[str, AgencySimulator] = {}
        self.citizens: Citizens | None = None
        self._factory: SubmissionFactory | None = None
        self._reconciling = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._http = httpx.AsyncClient(
            base_url=settings.intake_url,
            timeout=httpx.Timeout(10.0),
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
        )

    def factory(self) -> SubmissionFactory | None:
        """What citizens can ask for under the current catalog (None before one was applied)."""
        return self._factory

    async def start(self) -> None:
        """Follow the catalog and start the citizens (agency systems start as the catalog names them)."""
        log.info(
            "demo starting",
            extra={
                "seed": self.seed,
                "catalog_file": str(self.settings.catalog_path()),
                "per_minute": self.settings.submissions_per_minute,
                "time_scale": self.settings.time_scale,
            },
        )
        self.feed.on_change(self._catalog_changed)
        if self.feed.latest is not None:
            await self._reconcile(self.feed.latest.catalog)
        else:
            log.info("no catalog applied yet; waiting for `satupintu catalog apply`")
        if self.settings.citizens_enabled:
            citizens = Citizens(
                self._http,
                self.factory,
                per_minute=self.settings.submissions_per_minute,
                rng=random.Random(f"{self.seed}:citizens"),
                stats=self.stats,
                poll_interval=self.settings.poll_interval_seconds,
                patience=self.settings.citizen_patience_seconds,
                survey_rate=self.settings.survey_response_rate,
                max_open=self.settings.max_open_citizens,
                tracer_provider=self.citizen_tracing,
            )
            self.citizens = citizens
            self._tasks.append(asyncio.create_task(citizens.run(), name="citizens"))
        self._tasks.append(asyncio.create_task(self._summaries(), name="summaries"))

    async def stop(self) -> None:
        """Stop citizens, then agency systems; flush spans."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        async with self._reconciling:
            simulators = list(self.simulators.values())
        results = await asyncio.gather(*(s.stop() for s in simulators), return_exceptions=True)
        for sim, result in zip(simulators, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("agency system did not stop cleanly", extra={"agency": sim.agency_code})
        await self._http.aclose()
        self._log_summary("demo stopped")
        self.simulators.clear()
        for provider in (self.agency_tracing, self.citizen_tracing):
            provider.shutdown()

    async def _catalog_changed(self, applied: CatalogApplied) -> None:
        # The feed awaits its listeners; starting clients takes a moment, so do it aside.
        self._tasks.append(asyncio.create_task(self._reconcile(applied.catalog), name="reconcile"))

    async def _reconcile(self, catalog: Catalog) -> None:
        try:
            await self._start_agencies(catalog)
        except Exception:
            log.exception("could not start the agency systems of the new catalog")

    async def _start_agencies(self, catalog: Catalog) -> None:
        async with self._reconciling:
            self._factory = SubmissionFactory(catalog, services=self.scope.services)
            if not self.settings.agencies_enabled:
                return
            wanted = [code for code in self.scope.agencies_in(catalog) if code not in self.simulators]
            if not wanted:
                return
            started = await asyncio.gather(*(self._start_agency(code) for code in wanted))
            count = sum(1 for ok in started if ok)
            log.info("agency systems started", extra={"started": count, "total": len(self.simulators)})

    def _credentials(self, code: str) -> AgencyCredentials | None:
        """The agency's own credentials (`make up` saves them), or None after saying why not."""
        path = self.settings.credentials_dir() / f"{code}.json"
        where = {"agency": code, "path": str(path)}
        try:
            credentials = AgencyCredentials.from_json(path)
        except FileNotFoundError:
            log.info("no credentials file for the agency; its system is not simulated", extra=where)
            return None
        except (OSError, InvalidCredentials) as exc:
            log.warning(
                "unreadable agency credentials; its system is not simulated",
                extra=where | {"reason": str(exc)},
            )
            return None
        if credentials.agency_code != code:
            log.warning("the credentials file is another agency's; its system is not simulated", extra=where)
            return None
        return credentials

    async def _start_agency(self, code: str) -> bool:
        s = self.settings
        credentials = self._credentials(code)
        if credentials is None:
            return False
        simulator = AgencySimulator(
            credentials,
            seed=self.seed,
            time_scale=s.time_scale,
            stats=self.stats,
            tracer_provider=self.agency_tracing,
            metadata_max_age_ms=s.agency_metadata_max_age_ms,
            # faststream logs every consumed record at this level: keep it out of an INFO log.
            log_level=logging.DEBUG,
        )
        try:
            await simulator.start()
        except Exception:
            log.exception("could not start an agency system", extra={"agency": code})
            return False
        self.simulators[code] = simulator
        return True

    async def _summaries(self) -> None:
        while True:
            await asyncio.sleep(self.settings.summary_interval_seconds)
            self._log_summary("demo traffic")

    def _log_summary(self, message: str) -> None:
        summary = self.stats.summary()
        pending = sum(s.pending for s in self.simulators.values())
        open_citizens = self.citizens.open if self.citizens is not None else 0
        log.info(
            message,
            extra={
                "agencies": len(self.simulators),
                "pending_work": pending,
                "open_citizens": open_citizens,
                "stats": json.dumps(summary, sort_keys=True),
            },
        )


async def main(settings: DemoSettings | None = None) -> None:
    """Run until SIGTERM/SIGINT."""
    settings = settings or DemoSettings()
    setup_logging("satupintu-demo", settings.log_level)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per poll is noise
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    feed = CatalogFeed(settings)
    await feed.start(catch_up_timeout=15.0)
    demo = Demo(settings, feed)
    try:
        await demo.start()
        await stop.wait()
        log.info("stopping")
    finally:
        await demo.stop()
        await feed.stop()


def run() -> None:
    """Console entry point."""
    asyncio.run(main())


if __name__ == "__main__":
    run()
