"""A simulated agency system, built on the SDK's ``AgencyClient``.

The handler decides the assignment's fate (``behaviour.plan_assignment``) and returns at once, so the
inbox keeps flowing; the plan then plays out in a background task: accept after a few seconds, report
progress, and complete (or reject, return as not-our-authority, or leave it lying so the deadline
passes and routing escalates it). Every report carries the request's ``traceparent``, so the agency's
work appears in the request's trace in Jaeger.

Work still pending when the process stops is dropped (its assignment was already committed): such a
request stays open at the agency and is escalated when its deadline passes, like any neglected case.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import Any

from opentelemetry.trace import TracerProvider

from satupintu_shared.events import ReportedStatus, RequestAssigned
from satupintu_shared.sdk import AgencyClient, AgencyCredentials, current_traceparent

from .behaviour import Plan, Profile, plan_assignment, profile_of
from .identity import officer_roster
from .stats import Stats

log = logging.getLogger(__name__)

ACCEPT_NOTES = (
    "Berkas diterima di loket {n}.",
    "Diterima petugas, antrean nomor {n}.",
    "Diterima melalui sistem.",
)
PROGRESS_NOTES = ("Berkas sedang diverifikasi.", "Sedang ditindaklanjuti petugas.", "Menunggu tanda tangan.")
DONE_NOTES = (
    "Dokumen selesai, dapat diambil di loket.",
    "Selesai ditindaklanjuti.",
    "Dokumen dikirim elektronik.",
)

#: Attempts for one report when the broker does not acknowledge (same event id each time).
REPORT_ATTEMPTS = 5


class AgencySimulator:
    """One simulated agency system: an ``AgencyClient`` on the agency's inbox and status topics,
    connected as the agency's own principal (``credentials``), like a real agency system."""

    def __init__(
        self,
        credentials: AgencyCredentials,
        *,
        profile: Profile | None = None,
        seed: int = 0,
        time_scale: float = 1.0,
        stats: Stats | None = None,
        tracer_provider: TracerProvider | None = None,
        **broker_options: Any,
    ) -> None:
        agency_code = credentials.agency_code
        self.agency_code = agency_code
        self.profile = profile or profile_of(agency_code)
        self.seed = seed
        self.time_scale = time_scale
        self.stats = stats or Stats()
        self.officers = officer_roster(agency_code, seed)
        self.client = AgencyClient(
            agency_code, credentials=credentials, tracer_provider=tracer_provider, **broker_options
        )
        self.client.on_assignment(self.handle)
        self._work: dict[str, asyncio.Task[None]] = {}

    async def start(self) -> None:
        """Connect and start consuming the inbox."""
        await self.client.__aenter__()
        try:
            await self.client.listen()
        except BaseException:
            await self.client.__aexit__(None, None, None)
            raise

    async def stop(self) -> None:
        """Drop pending work and close the connection (the consumer drains its current record)."""
        tasks = list(self._work.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.client.__aexit__(None, None, None)

    @property
    def pending(self) -> int:
        """Assignments whose plan is still playing out."""
        return len(self._work)

    async def handle(self, request: RequestAssigned) -> None:
        """Decide what happens to the assignment and let it play out in the background."""
        key = f"{request.tracking_number}@{request.occurred_at.isoformat()}"
        if key in self._work:
            return  # a redelivery of an assignment already being worked on
        # Seeded per assignment: a redelivered assignment gets the same plan (and the same event ids).
        rng = random.Random(f"{self.seed}:{self.agency_code}:{key}")
        plan = plan_assignment(
            self.profile, rng, rule=request.reason.rule, officers=self.officers, time_scale=self.time_scale
        )
        self.stats.plans[plan.outcome] += 1
        log.info(
            "assignment planned",
            extra={
                "agency": self.agency_code,
                "tracking_number": request.tracking_number,
                "plan": plan.outcome,
            },
        )
        if plan.outcome == "ignore":
            return  # left lying: routing's watchdog escalates it when the deadline passes
        traceparent = current_traceparent()
        task = asyncio.create_task(self._play(request.tracking_number, plan, traceparent, rng))
        self._work[key] = task
        task.add_done_callback(lambda _: self._work.pop(key, None))

    async def _play(self, tn: str, plan: Plan, traceparent: str | None, rng: random.Random) -> None:
        async def send(status: ReportedStatus, note: str | None = None) -> None:
            reason = plan.reason if status in ("rejected", "returned") else None
            for attempt in range(1, REPORT_ATTEMPTS + 1):
                try:
                    # report() is what accept/start/complete/reject/return_not_our_authority call.
                    await self.client.report(
                        tn,
                        status,
                        officer_id=plan.officer_id,
                        note=note,
                        reason=reason,
                        traceparent=traceparent,
                    )
                    self.stats.reports[status] += 1
                    return
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.warning(
                        "report not acknowledged; retrying",
                        extra={"agency": self.agency_code, "tracking_number": tn, "attempt": attempt},
                        exc_info=True,
                    )
                    await asyncio.sleep(min(2.0 * attempt, 10.0))
            self.stats.reports["failed"] += 1

        try:
            await asyncio.sleep(plan.accept_after)
            if plan.outcome == "return" and not plan.acknowledge:
                await send("returned")  # straight from the inbox: bukan kewenangan
                return
            if plan.outcome == "reject" and not plan.acknowledge:
                await send("rejected")
                return
            await send("accepted", rng.choice(ACCEPT_NOTES).format(n=rng.randint(1, 12)))
            await asyncio.sleep(plan.start_after)
            if plan.outcome == "return":
                await send("returned")  # noticed while checking the file
                return
            await send("in_progress", rng.choice(PROGRESS_NOTES))
            if plan.outcome == "stall":
                return  # started, never finished: the deadline passes and routing escalates it
            await asyncio.sleep(plan.finish_after)
            if plan.outcome == "reject":
                await send("rejected")
            else:
                await send("completed", rng.choice(DONE_NOTES))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("simulated work failed", extra={"agency": self.agency_code, "tracking_number": tn})
