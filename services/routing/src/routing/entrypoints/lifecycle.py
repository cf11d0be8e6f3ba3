"""The lifecycle consumer: submitted requests in batches (aiokafka directly, like performance's ingest).

``getmany`` → decode → route the batch (one transaction, events sent together) → commit the offsets.
The offsets are committed only after the batch's events were acknowledged by the broker, so a crash
redelivers the batch, which the idempotent handler turns into no change (and re-flushed events).

- Nothing is consumed before the catalog feed has caught up with the catalog topic (a request decided
  on an empty or stale catalog would wrongly be unroutable): until then the loop waits, and
  ``check_alive`` (``/readyz``) says so.
- Only ``RequestSubmitted`` is acted on; routing's own events and everyone else's are skipped.
- A record that is not a valid CloudEvent or ``RequestSubmitted`` is dead-lettered (kind ``invalid``),
  one that cannot be decided is dead-lettered (kind ``handler-error``); the rest of the batch goes on.
- Failures are classified once (``satupintu_shared.failures``). A transient one (the database or the
  broker away) retries the batch as a whole with ``Backoff``, dead-lettering nothing. Any other
  failure of the batch handles its records one by one: a record failing permanently (data the
  database refuses, …) is dead-lettered at once, one failing with an unknown error after
  ``POISON_BUDGET`` attempts (kind ``handler-error``); the others are stored.
- A failed publish of routing's own events is the outbox relay's to resolve (it isolates the event
  that can never be published): for this consumer, any broker error is transient.
- Each record read is a ``<topic> process`` span (kind CONSUMER) that continues the record's
  ``traceparent``, with the attributes faststream's consume spans carry
  (``satupintu_shared.kafka_telemetry``): a request stays one trace, and an event routing publishes is
  seen consumed in its trace. A submitted event's span covers its processing; the batch's SQL
  statements are traced within the first submitted event's span.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, TypeAlias

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, TracerProvider

from satupintu_shared.background import BackgroundLoop
from satupintu_shared.broker import DeadLetters
from satupintu_shared.catalog_feed import CatalogFeed
from satupintu_shared.envelope import InvalidEvent, decode
from satupintu_shared.events import RequestSubmitted
from satupintu_shared.failures import POISON_BUDGET, Backoff, Failure, classify, describe
from satupintu_shared.kafka_clients import create_consumer
from satupintu_shared.kafka_telemetry import CONSUMER_GROUP, DESTINATION, KAFKA_CONSUMER_GROUP, OPERATION_TYPE
from satupintu_shared.settings import KafkaSettings

from ..service.deps import Deps
from ..service.submitted import Submitted, route_submitted

log = logging.getLogger(__name__)

Record: TypeAlias = ConsumerRecord[bytes | None, bytes | None]


def _failure(exc: BaseException) -> Failure:
    """``classify``, except that every broker error is transient here (see the module docstring)."""
    return Failure.TRANSIENT if isinstance(exc, KafkaError) else classify(exc)


_TRACE_HEADERS = ("traceparent", "tracestate", "baggage")


class LifecycleConsumer(BackgroundLoop):
    """Routes the ``RequestSubmitted`` events of the lifecycle topic, a batch at a time."""

    def __init__(
        self,
        settings: KafkaSettings,
        deps: Deps,
        dead_letters: DeadLetters,
        *,
        group: str,
        max_records: int = 1000,
        retry_delay: float = 1.0,
        tracer_provider: TracerProvider | None = None,
        catalog: CatalogFeed | None = None,
    ) -> None:
        self._settings = settings
        self._catalog = catalog
        self._deps = deps
        self._dead_letters = dead_letters
        self._group = group
        super().__init__(deps.topics.lifecycle)
        self._max_records = max_records
        self._retry_delay = retry_delay
        self._backoff = Backoff()
        self._tracer = trace.get_tracer("routing.lifecycle", tracer_provider=tracer_provider)

    awaits_topic = True

    def check_alive(self) -> None:
        """Raise when the loop is not running, its topic does not exist yet, or its catalog is behind."""
        super().check_alive()
        if self._catalog is not None and not self._catalog.caught_up:
            raise RuntimeError("waiting for the catalog feed to catch up with the catalog topic")

    async def _until_catalog_caught_up(self) -> None:
        # Decide nothing on a catalog not read yet; no group is joined meanwhile (no partition held).
        if self._catalog is None or self._catalog.caught_up:
            return
        log.warning("waiting for the catalog feed to catch up before routing", extra={"topic": self._topic})
        while not self._stopping.is_set():
            if await self._catalog.wait_caught_up(self._retry_delay):
                log.info("the catalog feed caught up; routing starts", extra={"topic": self._topic})
                return

    async def _run(self) -> None:
        await self._until_catalog_caught_up()
        if self._stopping.is_set():
            return
        consumer = create_consumer(
            self._settings,
            self._topic,
            client_id="routing",
            group_id=self._group,
            # A new group must not skip requests that arrived before it first started.
            auto_offset_reset="earliest",
        )
        await consumer.start()
        committed: frozenset[TopicPartition] = frozenset()
        try:
            await self._until_topic_exists(consumer, poll=self._retry_delay)
            while not self._stopping.is_set():
                batch = await consumer.getmany(timeout_ms=500, max_records=self._max_records)
                records: list[Record] = [r for part in batch.values() for r in part]
                assigned = frozenset(consumer.assignment())
                if records:
                    if await self._handle(records):
                        committed = assigned if await self._commit(consumer) else frozenset()
                elif assigned and assigned != committed:
                    # Newly assigned partitions: commit where they stand, so that the group's lag is known
                    # (satupintu_consumer_lag) before the first record arrives.
                    committed = assigned if await self._commit(consumer) else frozenset()
        finally:
            # No commit here: whatever was not committed above is redelivered to the next owner.
            await consumer.stop()

    async def _handle(self, records: list[Record]) -> bool:
        """Handle ``records`` until done (True), or until asked to stop (False: not committed)."""
        isolate = False
        while not self._stopping.is_set():
            try:
                if isolate:
                    await self._one_by_one(records)
                else:
                    await self._process(records)
                self._backoff.reset()
                return True
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if _failure(exc) is not Failure.TRANSIENT:
                    log.exception(
                        "batch failed; handling its records one by one", extra={"topic": self._topic}
                    )
                    isolate = True
                    continue
                log.warning(
                    "batch failed on the database or the broker; retrying",
                    extra={"topic": self._topic, "records": len(records), "error": describe(exc)[:300]},
                )
                await self._backoff.wait(self._stopping)
        return False

    async def _one_by_one(self, records: Sequence[Record]) -> None:
        """Isolate the record the database refuses: each alone; a permanent failure is dead-lettered at
        once, an unknown one after ``POISON_BUDGET`` attempts, a transient one retries the batch."""
        for record in records:
            backoff = Backoff()
            for attempt in range(1, POISON_BUDGET + 1):
                try:
                    await self._process([record])
                    break
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    failure = _failure(exc)
                    if failure is Failure.TRANSIENT:
                        raise  # back to retrying the batch; what is done is deduplicated
                    if failure is Failure.UNKNOWN and attempt < POISON_BUDGET:
                        log.exception("handler failed; retrying", extra={"topic": record.topic})
                        await backoff.wait(self._stopping)
                        continue
                    reason = describe(exc)
                    if failure is Failure.UNKNOWN:
                        reason = f"handler failed {POISON_BUDGET} times: {type(exc).__name__}: {exc}"
                    await self._dead_letter(record, reason, kind="handler-error", span=None)
                    break

    async def _process(self, records: Sequence[Record]) -> None:
        items: list[Submitted] = []
        opened: list[Span] = []
        by_id: dict[str, tuple[Record, Span]] = {}
        try:
            for record in records:
                item = await self._decode(record)
                if item is not None:
                    span = trace.get_current_span(item.context)
                    items.append(item)
                    opened.append(span)
                    by_id.setdefault(item.event_id, (record, span))
            for f in await route_submitted(self._deps, items):
                record, span = by_id[f.item.event_id]
                span.record_exception(f.error)
                span.set_status(Status(StatusCode.ERROR, type(f.error).__name__))
                reason = f"handler failed: {type(f.error).__name__}: {f.error}"
                await self._dead_letter(record, reason, kind="handler-error", span=span)
        except BaseException as exc:
            for span in opened:
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise
        finally:
            for span in opened:
                span.end()

    async def _decode(self, record: Record) -> Submitted | None:
        """The submitted event of ``record`` in its processing span; None if it is not one (or poison)."""
        try:
            envelope = decode(record.value, record.headers or ())
        except InvalidEvent as exc:
            await self._dead_letter(record, str(exc), kind="invalid", span=None)
            return None
        span = self._span(record, envelope.id)
        if envelope.type != RequestSubmitted.EVENT_TYPE:
            span.end()  # routing's own events and everyone else's: read (and traced), not acted on
            return None
        try:
            event = envelope.parse(RequestSubmitted)
        except InvalidEvent as exc:
            try:
                await self._dead_letter(record, str(exc), kind="invalid", span=span)
            finally:
                span.end()
            return None
        return Submitted(envelope.id, event, trace.set_span_in_context(span))

    def _span(self, record: Record, event_id: str | None) -> Span:
        carrier = {
            name: raw.decode(errors="replace")
            for name, raw in record.headers or ()
            if name in _TRACE_HEADERS and raw is not None
        }
        attributes: dict[str, Any] = {
            "messaging.system": "kafka",
            DESTINATION: record.topic,
            OPERATION_TYPE: "process",
            CONSUMER_GROUP: self._group,
            KAFKA_CONSUMER_GROUP: self._group,
            "messaging.kafka.destination.partition": record.partition,
            "messaging.destination.partition.id": str(record.partition),
            "messaging.kafka.message.offset": record.offset,
            "messaging.kafka.offset": record.offset,
        }
        if event_id:
            attributes["messaging.message.id"] = event_id
        return self._tracer.start_span(
            f"{record.topic} process",
            context=propagate.extract(carrier),
            kind=SpanKind.CONSUMER,
            attributes=attributes,
        )

    async def _dead_letter(self, record: Record, reason: str, *, kind: str, span: Span | None) -> None:
        own = span is None
        span = span or self._span(record, None)
        try:
            with trace.use_span(span, end_on_exit=False):
                await self._dead_letters.send(record, reason=reason, group=self._group, kind=kind)
        finally:
            if own:
                span.end()

    async def _commit(self, consumer: AIOKafkaConsumer) -> bool:
        """Commit the position of every assigned partition: everything ``getmany`` returned is handled."""
        try:
            await consumer.commit()
            self._made_progress()
            return True
        except (CommitFailedError, IllegalStateError, KafkaError):
            # The group rebalanced: the new owner gets these records again and deduplicates them.
            log.warning("offset commit failed after a rebalance", extra={"topic": self._topic})
            return False
