"""The one path every door takes: validate, honour idempotency keys, publish ``submitted``, report.

A request counts as accepted only after the broker acknowledged its ``RequestSubmitted`` event. With an
idempotency key, the key is reserved (with the tracking number) *before* publishing, so a retry after a
timeout reuses the same tracking number and the same event id: consumers deduplicate by event id.
Once acknowledged, the request is written to the status view before the caller is answered, so that
the caller reads its own write (the lifecycle consumer applies the same event id again, a no-op).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import asyncpg
from opentelemetry import trace

from satupintu_shared.catalog import Catalog
from satupintu_shared.events import Channel, RequestSubmitted, utc_now
from satupintu_shared.topics import Topics

from ..adapters.idempotency import IdempotencyStore, KeyRecord
from ..adapters.kafka import BoundedPublisher, Outgoing
from ..domain.bounds import DEFAULT_BOUNDS, Bounds
from ..domain.messages import FieldError
from ..domain.status import StatusChange, status_change
from ..domain.submission import Submission, validate_submission
from ..domain.tracking import TrackingNumberGenerator
from .metrics import Metrics

log = logging.getLogger(__name__)

#: Namespace of intake's deterministic event ids.
EVENT_NAMESPACE = uuid.UUID("5b1f3a8e-7c2d-4e61-9a0b-2f6d8c4e1a37")

OutcomeKind = Literal["accepted", "replayed", "invalid", "conflict", "unavailable"]


class StatusView(Protocol):
    """Where the citizen-facing status of a request is kept (``adapters.status_store.StatusStore``)."""

    async def apply_many(self, changes: Sequence[StatusChange]) -> None:
        """Apply lifecycle events' effects, idempotently."""


class CatalogUnavailable(Exception):
    """No catalog has been read yet, so nothing can be validated."""


def submitted_event_id(tracking_number: str) -> str:
    """The id of a request's ``RequestSubmitted`` CloudEvent (the same on every retry)."""
    return str(uuid.uuid5(EVENT_NAMESPACE, f"{tracking_number}:submitted"))


@dataclass(frozen=True)
class Item:
    """One submission as a door received it; ``key`` is the namespaced idempotency key, if any;
    ``submitted_by`` the agency the door vouches for (the Kafka ingress: the topic's agency)."""

    raw: Any
    key: str | None = None
    pointer: str = ""
    submitted_by: str | None = None


@dataclass(frozen=True)
class Door:
    """How a door's input is read: its name (for metrics), default channel, extra fields, leniency,
    size bounds."""

    name: str
    default_channel: Channel = Channel.WEB
    extra_fields: frozenset[str] = frozenset()
    lenient_attributes: bool = False
    bounds: Bounds = DEFAULT_BOUNDS


@dataclass(frozen=True)
class Outcome:
    """What happened to one submission."""

    kind: OutcomeKind
    tracking_number: str | None = None
    errors: tuple[FieldError, ...] = ()
    submission: Submission | None = None


@dataclass
class _Plan:
    index: int
    submission: Submission
    record: KeyRecord
    publish: bool = True
    same_as: int | None = None


class Submitter:
    """Takes submissions in; shared by HTTP, batch, Open311 and the Kafka ingress."""

    def __init__(
        self,
        catalog: Callable[[], Catalog | None],
        keys: IdempotencyStore,
        publisher: BoundedPublisher,
        topics: Topics,
        numbers: TrackingNumberGenerator,
        metrics: Metrics,
        *,
        status: StatusView | None = None,
    ) -> None:
        self._catalog = catalog
        self._status = status
        self._keys = keys
        self._publisher = publisher
        self._topics = topics
        self._numbers = numbers
        self._metrics = metrics

    @property
    def keys(self) -> IdempotencyStore:
        """The idempotency keys (shared with the agency HTTP API's reports)."""
        return self._keys

    async def submit(self, item: Item, door: Door) -> Outcome:
        """Take one submission in."""
        return (await self.submit_many([item], door))[0]

    async def submit_many(self, items: Sequence[Item], door: Door) -> list[Outcome]:
        """Take many in at once (one database round trip, concurrent publishing); one outcome per item."""
        catalog = self._catalog()
        if catalog is None:
            raise CatalogUnavailable
        # Attributes go on the caller's span (the HTTP server span or the consume span): a span of its
        # own per submission cost more than the rest of the bookkeeping.
        span = trace.get_current_span()
        span.set_attribute("satupintu.door", door.name)
        span.set_attribute("satupintu.items", len(items))
        outcomes = await self._take_in(items, door, catalog)
        if len(outcomes) == 1 and outcomes[0].tracking_number:
            span.set_attribute("satupintu.tracking_number", outcomes[0].tracking_number)
        for outcome, item in zip(outcomes, items, strict=True):
            self._metrics.count(door.name, _service_label(outcome, item, catalog), outcome.kind)
        return outcomes

    async def _take_in(self, items: Sequence[Item], door: Door, catalog: Catalog) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(items)
        plans: list[_Plan] = []
        now = utc_now()
        for i, item in enumerate(items):
            submission, errors = validate_submission(
                item.raw,
                catalog,
                pointer=item.pointer,
                extra_fields=door.extra_fields,
                lenient_attributes=door.lenient_attributes,
                default_channel=door.default_channel,
                submitted_by=item.submitted_by,
                bounds=door.bounds,
            )
            if submission is None:
                outcomes[i] = Outcome("invalid", errors=tuple(errors))
                continue
            # The fingerprint (canonical JSON + sha256) matters only when there is a key to compare.
            fingerprint = submission.fingerprint() if item.key else ""
            record = KeyRecord(item.key or "", fingerprint, self._numbers.next(), now, False)
            plans.append(_Plan(i, submission, record))
        try:
            await self._resolve_keys(plans, outcomes)
        except (asyncpg.PostgresError, OSError) as exc:
            log.error("idempotency store unavailable", extra={"error": type(exc).__name__})
            return [o or Outcome("unavailable") for o in outcomes]
        await self._publish(plans, outcomes)
        return [o or Outcome("unavailable") for o in outcomes]

    async def _resolve_keys(self, plans: list[_Plan], outcomes: list[Outcome | None]) -> None:
        keyed = [p for p in plans if p.record.key]
        stored = await self._keys.reserve([p.record for p in keyed])
        first_with_key: dict[str, _Plan] = {}
        for plan in keyed:
            key, fingerprint = plan.record.key, plan.record.fingerprint
            earlier = first_with_key.setdefault(key, plan)
            found = stored.get(key)
            if found is None or (earlier is not plan and earlier.record.fingerprint != fingerprint):
                outcomes[plan.index] = Outcome("conflict") if found else Outcome("unavailable")
                plan.publish = False
            elif earlier is not plan:
                plan.publish, plan.same_as = False, earlier.index
            elif found.fingerprint != fingerprint:
                outcomes[plan.index] = Outcome("conflict")
                plan.publish = False
            elif found.published:
                outcomes[plan.index] = Outcome("replayed", found.tracking_number, submission=plan.submission)
                plan.publish = False
            else:
                # Ours, or reserved by an attempt that may not have been acknowledged: (re)publish it.
                plan.record = found

    async def _publish(self, plans: list[_Plan], outcomes: list[Outcome | None]) -> None:
        to_send = [p for p in plans if p.publish]
        items = [
            Outgoing(
                self._topics.lifecycle,
                p.submission.to_event(p.record.tracking_number, p.record.occurred_at),
                submitted_event_id(p.record.tracking_number),
            )
            for p in to_send
        ]
        failures = await self._publisher.publish_many(items)
        for plan, failure in zip(to_send, failures, strict=True):
            kind: OutcomeKind = "unavailable" if failure else "accepted"
            tn = None if failure else plan.record.tracking_number
            outcomes[plan.index] = Outcome(kind, tn, submission=plan.submission)
        await self._show([o for o, f in zip(items, failures, strict=True) if f is None])
        acked = [p.record.key for p, f in zip(to_send, failures, strict=True) if f is None and p.record.key]
        if acked:
            try:
                await self._keys.mark_published(acked)
            except (asyncpg.PostgresError, OSError) as exc:
                # Harmless: the next retry re-publishes the same event id, which consumers deduplicate.
                log.warning("could not mark idempotency keys published", extra={"error": type(exc).__name__})
        for plan in plans:
            if plan.same_as is not None:
                first = outcomes[plan.same_as]
                kind = (
                    "replayed"
                    if first and first.kind == "accepted"
                    else (first.kind if first else "unavailable")
                )
                outcomes[plan.index] = Outcome(
                    kind, first.tracking_number if first else None, submission=plan.submission
                )

    async def _show(self, acknowledged: Sequence[Outgoing]) -> None:
        """Write what the broker acknowledged to the status view, so a ``GET`` right after the answer
        finds it; if the database fails, the lifecycle consumer writes it a moment later anyway."""
        if self._status is None or not acknowledged:
            return
        changes = [
            status_change(o.event, RequestSubmitted.EVENT_TYPE, o.event_id)
            for o in acknowledged
            if isinstance(o.event, RequestSubmitted)
        ]
        try:
            await self._status.apply_many(changes)
        except (asyncpg.PostgresError, OSError) as exc:
            log.warning("could not show accepted requests yet", extra={"error": type(exc).__name__})


def _service_label(outcome: Outcome, item: Item, catalog: Catalog) -> str:
    # Label only with codes from the catalog, so a client cannot blow up metric cardinality.
    if outcome.submission:
        return outcome.submission.service_code
    code = item.raw.get("service_code") if isinstance(item.raw, dict) else None
    return code if isinstance(code, str) and catalog.service(code) else "unknown"
