"""Simulated citizens: submit requests through intake's HTTP API, follow them, answer the survey.

Arrivals are a Poisson process at ``DEMO_SUBMISSIONS_PER_MINUTE``. Each citizen is a task: submit
(with an ``Idempotency-Key``, retried on 503 or a lost connection), then poll the status now and then;
once the request is completed, most citizens answer the nine-element satisfaction survey, with scores
that depend on the agency that served them (its profile's IKM grade). A citizen whose request stays
open longer than ``DEMO_CITIZEN_PATIENCE_SECONDS`` stops looking.

Each submission is a ``citizen submit`` span whose ``traceparent`` intake continues, so in Jaeger the
request's trace starts at the citizen.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, TracerProvider

from .behaviour import profile_of, survey_answers
from .forms import Submission, SubmissionFactory
from .stats import Stats

log = logging.getLogger(__name__)

FINAL = frozenset({"completed", "rejected", "unroutable"})
SUBMIT_ATTEMPTS = 4


class Citizens:
    """The stream of simulated citizens."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        factory: Callable[[], SubmissionFactory | None],
        *,
        per_minute: float,
        rng: random.Random,
        stats: Stats,
        poll_interval: float = 20.0,
        patience: float = 1800.0,
        survey_rate: float = 0.8,
        max_open: int = 500,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        self.http = http
        self.factory = factory
        self.per_minute = per_minute
        self.rng = rng
        self.stats = stats
        self.poll_interval = poll_interval
        self.patience = patience
        self.survey_rate = survey_rate
        self.max_open = max_open
        self.tracer = trace.get_tracer(__name__, tracer_provider=tracer_provider)
        self._open: set[asyncio.Task[None]] = set()

    @property
    def open(self) -> int:
        """Citizens still following their request."""
        return len(self._open)

    async def run(self) -> None:
        """Send citizens until cancelled."""
        if self.per_minute <= 0:
            return
        await self._wait_for_intake()
        log.info("citizens arriving", extra={"per_minute": self.per_minute})
        try:
            while True:
                await asyncio.sleep(self.rng.expovariate(self.per_minute / 60.0))
                factory = self.factory()
                if factory is None:
                    self.stats.citizens["waiting_for_catalog"] += 1
                    continue
                if len(self._open) >= self.max_open:
                    self.stats.citizens["turned_away"] += 1
                    continue
                submission = factory.draw(self.rng)
                if submission is None:
                    self.stats.citizens["nothing_offered"] += 1
                    continue
                # Each citizen has its own RNG, so concurrent citizens don't interleave draws.
                citizen_rng = random.Random(self.rng.getrandbits(64))
                task = asyncio.create_task(self.citizen(submission, citizen_rng))
                self._open.add(task)
                task.add_done_callback(self._open.discard)
        finally:
            await self.stop()

    async def stop(self) -> None:
        """Send the citizens home (pending polls and surveys are dropped)."""
        tasks = list(self._open)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def citizen(self, submission: Submission, rng: random.Random) -> None:
        """One citizen's whole story."""
        try:
            tracking_number = await self.submit(submission, rng)
            if tracking_number is not None:
                await self.follow(tracking_number, rng)
        except asyncio.CancelledError:
            raise
        except Exception:
            self.stats.citizens["errors"] += 1
            log.warning("citizen gave up after an error", exc_info=True)

    async def submit(self, submission: Submission, rng: random.Random) -> str | None:
        """POST the request; the tracking number, or None when intake refused it."""
        key = f"demo-{uuid.UUID(int=rng.getrandbits(128))}"
        attributes = {
            "satupintu.service_code": submission.service_code,
            "satupintu.region_code": submission.region_code,
            "http.request.method": "POST",
        }
        with self.tracer.start_as_current_span(
            "citizen submit", kind=SpanKind.CLIENT, attributes=attributes
        ) as span:
            headers = {"Idempotency-Key": key}
            propagate.inject(headers)
            for attempt in range(1, SUBMIT_ATTEMPTS + 1):
                try:
                    response = await self.http.post("/v1/requests", json=submission.body, headers=headers)
                except httpx.TransportError:
                    response = None
                status = response.status_code if response is not None else 0
                span.set_attribute("http.response.status_code", status)
                if response is not None and status == 202:
                    self.stats.citizens["submitted"] += 1
                    tracking_number: str = response.json()["tracking_number"]
                    span.set_attribute("satupintu.tracking_number", tracking_number)
                    return tracking_number
                if response is not None and 400 <= status < 500:
                    # A generator bug or a catalog change in flight: count it, show the field errors.
                    self.stats.citizens[f"refused_{status}"] += 1
                    log.warning(
                        "intake refused a demo submission",
                        extra={
                            "status": status,
                            "service_code": submission.service_code,
                            "problem": _errors(response),
                        },
                    )
                    return None
                await asyncio.sleep(min(2.0**attempt, 15.0))
            self.stats.citizens["unavailable"] += 1
            return None

    async def follow(self, tracking_number: str, rng: random.Random) -> None:
        """Poll the status until the request is final, then maybe answer the survey."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + self.patience
        while loop.time() < give_up:
            await asyncio.sleep(self.poll_interval * rng.uniform(0.5, 1.5))
            try:
                response = await self.http.get(f"/v1/requests/{tracking_number}")
            except httpx.TransportError:
                continue
            if response.status_code != 200:
                continue  # 404 until intake's read model saw the submission; 5xx: try later
            view = response.json()
            status = view.get("status")
            if status not in FINAL:
                continue
            self.stats.citizens[f"saw_{status}"] += 1
            if status == "completed" and rng.random() < self.survey_rate:
                await asyncio.sleep(rng.uniform(2.0, 20.0))
                await self.answer_survey(tracking_number, view.get("agency_code"), rng)
            return
        self.stats.citizens["gave_up_waiting"] += 1

    async def answer_survey(self, tracking_number: str, agency_code: str | None, rng: random.Random) -> None:
        """The nine elements, 1-4, as the agency's quality (its profile's grade) makes them likely."""
        grade = profile_of(agency_code).grade if agency_code else "B"
        answers = survey_answers(grade, rng)
        with self.tracer.start_as_current_span(
            "citizen survey", kind=SpanKind.CLIENT, attributes={"satupintu.tracking_number": tracking_number}
        ):
            headers: dict[str, str] = {}
            propagate.inject(headers)
            try:
                response = await self.http.post(
                    f"/v1/requests/{tracking_number}/survey", json=answers, headers=headers
                )
            except httpx.TransportError:
                self.stats.citizens["survey_unavailable"] += 1
                return
        if response.is_success:
            self.stats.citizens["surveys"] += 1
        else:
            self.stats.citizens[f"survey_refused_{response.status_code}"] += 1
            log.warning(
                "survey refused", extra={"status": response.status_code, "problem": _errors(response)}
            )

    async def _wait_for_intake(self) -> None:
        warned = False
        while True:
            try:
                response = await self.http.get("/readyz")
                if response.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if not warned:
                log.info("waiting for intake to be ready", extra={"url": str(self.http.base_url)})
                warned = True
            await asyncio.sleep(2.0)


def _errors(response: httpx.Response) -> Any:
    # Problem details name fields and codes, never their values' personal data.
    with contextlib.suppress(ValueError):
        body = response.json()
        if isinstance(body, dict):
            return [
                {"pointer": e.get("pointer"), "code": e.get("code")}
                for e in body.get("errors", [])
                if isinstance(e, dict)
            ] or body.get("title")
    return None
