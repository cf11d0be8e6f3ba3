"""``AgencyClient``: what an agency system needs to work with SatuPintu over Kafka.

It reads the agency's own inbox (assignments and submission receipts), reports progress to the
agency's own status topic and submits new requests to the agency's own submissions topic, all as
CloudEvents in binary content mode. It connects as the agency's own principal (the credentials
``satupintu agency credentials create`` issues): the broker lets it touch those three topics only.

Tracing: the client's broker carries faststream's ``KafkaTelemetryMiddleware``. While a handler runs,
the current OpenTelemetry context is the one extracted from the inbox record's ``traceparent`` header,
so the agency's ``handle`` span and every report published from the handler belong to the request's
trace. A report sent later, outside the handler, can rejoin that trace by passing the ``traceparent``
the handler saw (``current_traceparent()``), or start the agency's own trace by passing none.

Either way SatuPintu's handling of a report is a trace of its own: routing consumes the report
within the report's ``traceparent`` (so the agency's trace shows that it was delivered), then
applies it in a new root span linked to the report's context and to the request's trace, and the
resulting lifecycle event travels on in that new trace (see docs/tracing.md).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from os import PathLike
from typing import Any, Self, TypedDict, Unpack

from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import Topic
from faststream.kafka.annotations import KafkaMessage
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import TracerProvider

from ..acl import agency_group
from ..broker import EventPublisher, create_broker, undecoded
from ..envelope import Envelope, InvalidEvent, decode
from ..events import (
    Applicant,
    Channel,
    Contract,
    ReportedStatus,
    RequestAssigned,
    StatusReported,
    SubmissionReceipt,
    SubmissionRequested,
    utc_now,
)
from ..settings import KafkaSettings
from .credentials import AgencyCredentials
from .ids import assignment_marker, report_event_id, submission_event_id

log = logging.getLogger(__name__)

AssignmentHandler = Callable[[RequestAssigned], Awaitable[None]]
ReceiptHandler = Callable[[SubmissionReceipt], Awaitable[None]]
#: Told about an inbox record that cannot be decoded or validated (the record, the reason); it is skipped.
InvalidHandler = Callable[["ConsumerRecord[Any, Any]", str], Awaitable[None] | None]

#: The assignment being handled (tracking number, ``assignment_marker``), for the ids of its reports.
_handling: ContextVar[tuple[str, str] | None] = ContextVar("satupintu_sdk_assignment", default=None)


class ReportOptions(TypedDict, total=False):
    """Optional parts of a progress report (see ``AgencyClient.report``)."""

    officer_id: str | None
    note: str | None
    idempotency_key: str | None
    assignment: RequestAssigned | str | None
    event_id: str | None
    occurred_at: datetime | None
    traceparent: str | None


class AgencyClient:
    """One agency system's connection to SatuPintu (an async context manager).

    ``agency_code`` is the agency's code in the catalog; it names the topics the client uses
    (``satupintu.agency.<code>.inbox``, ``.status`` and ``.submissions``). The client authenticates
    with ``credentials`` (see ``from_credentials_json``), or else with ``settings``, or else with the
    environment's ``KAFKA_SASL_USERNAME``/``KAFKA_SASL_PASSWORD`` (``KAFKA_SECURITY_PROTOCOL``,
    ``KAFKA_SSL_CAFILE``, …); ``bootstrap_servers`` and ``topic_prefix`` override what those say.

    ``group_id`` defaults to ``satupintu-agency-<code>`` (after the topic prefix, if any), the group
    the agency's principal may use: replicas of one agency system share the inbox between them. The
    offset of an inbox record is committed only after its handler returned; a handler that raises
    gets the record again after ``retry_delay`` seconds, so make handlers safe to repeat (reports
    are: a repeated report carries the same event id).

    An inbox record that cannot be decoded or validated never stops the client: it is logged (ERROR),
    handed to ``on_invalid`` if given (the raw record and the reason; a failing callback is logged),
    committed past, and the next records flow. An agency may not write the dead-letter topic, so
    keeping a copy is the callback's to do.
    """

    def __init__(
        self,
        agency_code: str,
        bootstrap_servers: str | None = None,
        topic_prefix: str | None = None,
        *,
        credentials: AgencyCredentials | None = None,
        settings: KafkaSettings | None = None,
        group_id: str | None = None,
        source: str | None = None,
        retry_delay: float = 1.0,
        tracer_provider: TracerProvider | None = None,
        on_invalid: InvalidHandler | None = None,
        **broker_options: Any,
    ) -> None:
        if credentials is not None and credentials.agency_code != agency_code:
            raise ValueError(
                f"these credentials are agency {credentials.agency_code!r}'s, not {agency_code!r}'s"
            )
        self.agency_code = agency_code
        self.settings = _settings(credentials, settings, bootstrap_servers, topic_prefix)
        self.topics = self.settings.topics
        # The prefix isolates environments sharing a cluster, consumer groups included.
        self.group_id = group_id or agency_group(self.topics, agency_code)
        self.retry_delay = retry_delay
        self._broker = create_broker(
            self.settings, service=f"agency-{agency_code}", tracer_provider=tracer_provider, **broker_options
        )
        self._publisher = EventPublisher(self._broker, source=source or f"/agency/{agency_code}")
        self._tracer = trace.get_tracer(__name__, tracer_provider=tracer_provider)
        self._on_assignment: AssignmentHandler | None = None
        self._on_receipt: ReceiptHandler | None = None
        self._on_invalid = on_invalid
        self._consuming = False
        self._stopped = asyncio.Event()

    @classmethod
    def from_credentials_json(cls, path: str | PathLike[str], **options: Any) -> Self:
        """A client for the agency, broker and environment named in a credentials file (what
        ``satupintu agency credentials create CODE --json`` printed); ``options`` as for the
        constructor (``group_id``, ``tracer_provider``, …)."""
        credentials = AgencyCredentials.from_json(path)
        return cls(credentials.agency_code, credentials=credentials, **options)

    # --- lifecycle --------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self._broker.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._broker.stop()

    def on_assignment(self, handler: AssignmentHandler) -> AssignmentHandler:
        """Register the handler of requests assigned to this agency (usable as a decorator)."""
        self._check_not_consuming()
        self._on_assignment = handler
        return handler

    def on_receipt(self, handler: ReceiptHandler) -> ReceiptHandler:
        """Register the handler of receipts for this agency's submissions (usable as a decorator)."""
        self._check_not_consuming()
        self._on_receipt = handler
        return handler

    async def listen(self) -> None:
        """Start consuming the inbox in the background (``run`` does this and waits)."""
        if self._consuming:
            return
        if self._on_assignment is None and self._on_receipt is None:
            # Consuming without a handler would commit (and so lose) the agency's assignments.
            raise RuntimeError("register on_assignment or on_receipt before listen() or run()")
        self._consuming = True
        subscriber = self._broker.subscriber(
            # The platform created the inbox (`catalog apply`); the agency may not create topics.
            Topic(self.topics.inbox(self.agency_code), declare=False),
            group_id=self.group_id,
            # Commit only after the handler returned; a failing handler gets the record again.
            ack_policy=AckPolicy.NACK_ON_ERROR,
            # A new agency system must see assignments made before it first started.
            auto_offset_reset="earliest",
            # ``_consume`` decodes the CloudEvent itself: FastStream's JSON decoder would fail on an
            # undecodable body before it, and the record would come back for ever.
            decoder=undecoded,
        )
        subscriber(self._consume)
        await subscriber.start()

    async def run(self) -> None:
        """Consume the inbox until ``stop()`` is called or the task is cancelled."""
        await self.listen()
        await self._stopped.wait()

    def stop(self) -> None:
        """Make ``run()`` return (call it from a signal handler, for example)."""
        self._stopped.set()

    # --- progress reports -------------------------------------------------------------------------

    async def accept(self, tracking_number: str, **options: Unpack[ReportOptions]) -> str:
        """Report that the agency accepted the request. Returns the CloudEvent id."""
        return await self.report(tracking_number, "accepted", **options)

    async def start(self, tracking_number: str, **options: Unpack[ReportOptions]) -> str:
        """Report that work on the request started (``in_progress``). Returns the CloudEvent id."""
        return await self.report(tracking_number, "in_progress", **options)

    async def complete(self, tracking_number: str, **options: Unpack[ReportOptions]) -> str:
        """Report that the request is completed. Returns the CloudEvent id."""
        return await self.report(tracking_number, "completed", **options)

    async def reject(self, tracking_number: str, reason: str, **options: Unpack[ReportOptions]) -> str:
        """Report that the agency rejected the request, saying why. Returns the CloudEvent id."""
        return await self.report(tracking_number, "rejected", reason=reason, **options)

    async def return_not_our_authority(
        self, tracking_number: str, reason: str, **options: Unpack[ReportOptions]
    ) -> str:
        """Return the request as not this agency's authority (bukan kewenangan), so it is re-routed."""
        return await self.report(tracking_number, "returned", reason=reason, **options)

    async def report(
        self,
        tracking_number: str,
        status: ReportedStatus,
        *,
        officer_id: str | None = None,
        note: str | None = None,
        reason: str | None = None,
        idempotency_key: str | None = None,
        assignment: RequestAssigned | str | None = None,
        event_id: str | None = None,
        occurred_at: datetime | None = None,
        traceparent: str | None = None,
    ) -> str:
        """Publish a ``StatusReported`` to this agency's status topic and wait for the broker's ack.

        The event id is ``event_id`` or derived from (tracking number, status, ``idempotency_key``,
        assignment), so calling again after a failure publishes the same ``ce_id`` and counts once,
        while the same status reported on a later assignment of the request (it came back after a
        return and a re-route) is a new report. ``assignment`` is the ``RequestAssigned`` answered (or
        its ``assignment_marker``); inside the ``on_assignment`` handler it defaults to the assignment
        being handled, so pass it when reporting later. ``traceparent`` continues a trace seen earlier
        (by default the current context is used, e.g. the handler's).
        """
        if status in ("rejected", "returned") and not reason:
            raise ValueError(f"a {status} report needs a reason")
        event = StatusReported(
            tracking_number=tracking_number,
            occurred_at=occurred_at or utc_now(),
            status=status,
            officer_id=officer_id,
            note=note,
            reason=reason,
        )
        marker = _marker(tracking_number, assignment)
        ce_id = event_id or report_event_id(
            self.agency_code, tracking_number, status, idempotency_key, assignment=marker
        )
        with _continuing(traceparent):
            return await self._publisher.publish(self.topics.status(self.agency_code), event, event_id=ce_id)

    # --- submissions ------------------------------------------------------------------------------

    async def submit(
        self,
        reference: str,
        *,
        service_code: str,
        region_code: str,
        applicant: Applicant,
        attributes: Mapping[str, Any] | None = None,
        description: str = "",
        channel: Channel = Channel.AGENCY_SYSTEM,
        idempotency_key: str | None = None,
    ) -> str:
        """Submit a new request through intake; returns ``reference`` (echoed by the receipt).

        It goes to the agency's own submissions topic, which only this agency may write, so intake
        knows the submitting agency from the topic. Intake takes ``idempotency_key`` (default:
        ``reference``) as the agency's idempotency key, so a retried submission yields the same
        tracking number; the receipt arrives in the inbox.
        """
        request = SubmissionRequested(
            reference=reference,
            submitted_by=self.agency_code,
            service_code=service_code,
            region_code=region_code,
            applicant=applicant,
            attributes=dict(attributes or {}),
            description=description,
            channel=channel,
            idempotency_key=idempotency_key,
        )
        ce_id = submission_event_id(self.agency_code, idempotency_key or reference)
        topic = self.topics.agency_submissions(self.agency_code)
        await self._publisher.publish(topic, request, event_id=ce_id, key=reference)
        return reference

    # --- consuming --------------------------------------------------------------------------------

    async def _consume(self, message: KafkaMessage) -> None:
        record: ConsumerRecord[Any, Any] = message.raw_message
        try:
            envelope = decode(record.value, record.headers or ())
            event: Contract = envelope.parse()
        except Exception as exc:  # whatever the record is, the inbox goes on
            reason = str(exc) if isinstance(exc, InvalidEvent) else f"{type(exc).__name__}: {exc}"
            await self._invalid(record, reason)
            return
        with self._span(envelope):
            try:
                await self._dispatch(event, envelope.type)
            except Exception:
                # Not committed: the record comes back after a pause (no hot loop on a lasting fault).
                log.exception("inbox handler failed; retrying", extra={"subject": envelope.subject})
                await asyncio.sleep(self.retry_delay)
                raise

    async def _invalid(self, record: ConsumerRecord[Any, Any], reason: str) -> None:
        # Not ours to repair and no dead-letter topic the agency may write: log, tell, move on.
        log.error(
            "skipped an invalid inbox record",
            extra={"topic": record.topic, "offset": record.offset, "reason": reason[:300]},
        )
        if self._on_invalid is None:
            return
        try:
            result = self._on_invalid(record, reason)
            if result is not None:
                await result
        except Exception:
            log.exception("the on_invalid callback failed", extra={"offset": record.offset})

    async def _dispatch(self, event: Contract, event_type: str) -> None:
        if isinstance(event, RequestAssigned) and self._on_assignment is not None:
            token = _handling.set((event.tracking_number, assignment_marker(event)))
            try:
                await self._on_assignment(event)
            finally:
                _handling.reset(token)
        elif isinstance(event, SubmissionReceipt) and self._on_receipt is not None:
            await self._on_receipt(event)
        else:
            log.info("no handler for an inbox record", extra={"type": event_type})

    @contextmanager
    def _span(self, envelope: Envelope) -> Iterator[None]:
        attributes = {
            "messaging.message.id": envelope.id,
            "satupintu.agency_code": self.agency_code,
            "satupintu.tracking_number": envelope.subject or "",
            "satupintu.event_type": envelope.type,
        }
        with self._tracer.start_as_current_span(f"agency {self.agency_code} handle", attributes=attributes):
            yield

    def _check_not_consuming(self) -> None:
        if self._consuming:
            raise RuntimeError("register handlers before listen() or run()")


def _settings(
    credentials: AgencyCredentials | None,
    settings: KafkaSettings | None,
    bootstrap_servers: str | None,
    topic_prefix: str | None,
) -> KafkaSettings:
    overrides: dict[str, Any] = {}
    if bootstrap_servers is not None:
        overrides["kafka_bootstrap_servers"] = bootstrap_servers
    if topic_prefix is not None:
        overrides["topic_prefix"] = topic_prefix
    if credentials is not None:
        settings = credentials.settings()
    if settings is not None:
        return settings.model_copy(update=overrides)
    return KafkaSettings(**overrides)  # credentials from the environment (KAFKA_SASL_*)


def _marker(tracking_number: str, assignment: RequestAssigned | str | None) -> str | None:
    if isinstance(assignment, RequestAssigned):
        return assignment_marker(assignment)
    if assignment:
        return assignment
    handling = _handling.get()
    return handling[1] if handling and handling[0] == tracking_number else None


def current_traceparent() -> str | None:
    """The W3C ``traceparent`` of the current span: keep it to continue the trace in a later report."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


@contextmanager
def _continuing(traceparent: str | None) -> Iterator[None]:
    if not traceparent:
        yield
        return
    token = otel_context.attach(propagate.extract({"traceparent": traceparent}))
    try:
        yield
    finally:
        otel_context.detach(token)
