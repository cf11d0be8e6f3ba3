"""Event contracts: every request lifecycle event and every message agency systems exchange.

One source of truth: JSON Schema and AsyncAPI are generated from these models. Each event class has a
CloudEvents ``type`` (``EVENT_TYPE``); a breaking change gets a new type with a new version suffix.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

TrackingNumber = Annotated[str, StringConstraints(min_length=4, max_length=32, pattern=r"^[A-Z0-9-]+$")]
AgencyCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
RegionCode = Annotated[str, StringConstraints(pattern=r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")]
OfficerId = Annotated[str, StringConstraints(pattern=r"^\d{18}$")]
SurveyScore = Annotated[int, Field(ge=1, le=4)]

#: Bounds of free text in every contract (the doors refuse longer input with a field error first).
MAX_TEXT = 4000
MAX_SHORT = 200
MAX_ITEMS = 1000
#: Earliest and latest instant any contract accepts: a timestamp outside is a bug or an attack.
EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)

Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
ShortText = Annotated[str, StringConstraints(max_length=MAX_SHORT)]
ServiceCode = Annotated[str, StringConstraints(max_length=MAX_SHORT)]
Hop = Annotated[int, Field(ge=0, le=100)]


def _in_range(value: datetime) -> datetime:
    if not EARLIEST <= value < LATEST:
        raise ValueError(f"must be between {EARLIEST.year} and {LATEST.year - 1}")
    return value


Timestamp = Annotated[
    AwareDatetime,
    AfterValidator(_in_range),
    Field(
        json_schema_extra={
            "formatMinimum": "2000-01-01T00:00:00Z",
            "formatExclusiveMaximum": "2100-01-01T00:00:00Z",
        }
    ),
]


class RequestStatus(StrEnum):
    """Where a request stands. Every lifecycle event moves it to one of these."""

    SUBMITTED = "submitted"
    ROUTED = "routed"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    REJECTED = "rejected"
    RETURNED = "returned"
    ESCALATED = "escalated"
    UNROUTABLE = "unroutable"


class Channel(StrEnum):
    """Where the citizen came in."""

    COUNTER = "counter"
    WEB = "web"
    MOBILE = "mobile"
    MPP = "mpp"
    OPEN311 = "open311"
    AGENCY_SYSTEM = "agency_system"


class Contract(BaseModel):
    """Base of every contract model: immutable, and strict about unknown fields when our code builds one.

    Readers are tolerant: ``read`` (and ``Envelope.parse``) ignore fields this version does not know, so a
    producer that adds an optional field never breaks an older consumer during a rolling deploy.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    #: The CloudEvents ``type`` of messages carrying this model (empty for parts of messages).
    EVENT_TYPE: ClassVar[str] = ""

    @classmethod
    def read(cls, data: Any) -> Self:
        """Validate received ``data``: unknown fields (also nested) are ignored, every other rule holds."""
        return cls.model_validate(data, extra="ignore")


class Event(Contract):
    """Base of every event carried as a CloudEvent. ``tracking_number`` is the Kafka key and subject."""

    tracking_number: TrackingNumber
    occurred_at: Timestamp

    @property
    def subject(self) -> str:
        """The CloudEvents subject (and Kafka key) of this event."""
        return self.tracking_number


class Applicant(Contract):
    """The citizen or business behind a request. Personal data: only the assigned agency sees it."""

    nik: Annotated[str, StringConstraints(pattern=r"^\d{16}$")]
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    phone: Annotated[str, StringConstraints(max_length=32)] | None = None
    email: Annotated[str, StringConstraints(max_length=254)] | None = None


class RoutingReason(Contract):
    """Why a request went where it went, so an operator can answer that question."""

    rule: Literal["jurisdiction", "reroute-after-return", "escalation", "parent-after-return"]
    owning_level: ShortText
    matched_region: ShortText | None = None
    candidates: list[ShortText] = Field(default_factory=list, max_length=MAX_ITEMS)
    explanation: Text


class SurveyAnswers(Contract):
    """The nine elements (unsur) of the PermenPANRB 14/2017 satisfaction survey, each 1 to 4."""

    requirements: SurveyScore
    procedure: SurveyScore
    completion_time: SurveyScore
    cost: SurveyScore
    product_specification: SurveyScore
    officer_competence: SurveyScore
    officer_behaviour: SurveyScore
    facilities: SurveyScore
    complaint_handling: SurveyScore


# --- lifecycle events (topic: Topics.lifecycle) -------------------------------------------------


class RequestSubmitted(Event):
    """Intake accepted a request and the broker acknowledged it."""

    EVENT_TYPE: ClassVar[str] = "id.satupintu.request.submitted.v1"
    service_code: ServiceCode
    region_code: RegionCode
    applicant: Applicant
    attributes: dict[str, Any] = Field(default_factory=dict, max_length=MAX_SHORT)
    description: Text = ""
    channel: Channel
    submitted_by: AgencyCode | None = None


class RequestRouted(Event):
    """Routing assigned the request to exactly one agency, with a deadline."""

    EVENT_TYPE: ClassVar[str] = "id.satupintu.request.routed.v1"
    agency_code: AgencyCode
    service_code: ServiceCode
    region_code: RegionCode
    due_at: Timestamp
    sla_working_days: int = Field(ge=1, le=365)
    reason: RoutingReason
    hop: Hop = 0
    previous_agency_code: AgencyCode | None = None


class AgencyAction(Event):
    """An accepted progress report of the assigned agency (which is known from its topic or key)."""

    agency_code: AgencyCode
    officer_id: OfficerId | None = None
    note: Text | None = None
    report_id: ShortText


class RequestAccepted(AgencyAction):
    """The assigned agency accepted the request and will work on it."""

    EVENT_TYPE: ClassVar[str] = "id.satupintu.request.accepted.v1"


class RequestInProgress(AgencyAction):
    """The assigned agency is working on the request."""

    EVENT_TYPE: ClassVar[str] = "id.satupintu.request.in-progress.v1"


class RequestCompleted(AgencyAction):
    """The assigned agency completed the request; the citizen may now answer the survey."""

    EVENT_TYPE: ClassVar[str] = "id.satupintu.request.completed.v1"


class RequestRejected(AgencyAction):
    """The assigned agency refused the request on its merits, with a reason."""

    EVENT_TYPE: ClassVar[str] = "id.satupintu.request.rejected.v1"
    reason: Text


class RequestReturned(AgencyAction):
    """The agency says the request is not its authority (bukan kewenangan)."""

    EVENT_TYPE: ClassVar[str] = "id.satupintu.request.returned.v1"
    reason: Text


class RequestEscalated(Event):
    """The assigned agency missed its deadline; the request moved up the hierarchy."""

    EVENT_TYPE: ClassVar[str] = "id.satupintu.request.escalated.v1"
    from_agency_code: AgencyCode
    agency_code: AgencyCode
    breached_due_at: Timestamp
    due_at: Timestamp
    escalation_level: int = Field(default=1, ge=0, le=100)


class RequestUnroutable(Event):
    """No agency has authority over the request (or it bounced too often). Visible to operators."""

    EVENT_TYPE: ClassVar[str] = "id.satupintu.request.unroutable.v1"
    service_code: ServiceCode
    region_code: RegionCode
    reason: Text
    hop: Hop = 0


class SurveyAnswered(Event):
    """The citizen answered the satisfaction survey after completion."""

    EVENT_TYPE: ClassVar[str] = "id.satupintu.request.survey-answered.v1"
    agency_code: AgencyCode | None = None
    answers: SurveyAnswers


# --- agency-facing messages ----------------------------------------------------------------------


class RequestAssigned(Event):
    """Sent to ``satupintu.agency.<code>.inbox``: a request this agency must act on, with personal data."""

    EVENT_TYPE: ClassVar[str] = "id.satupintu.agency.request-assigned.v1"
    agency_code: AgencyCode
    service_code: ServiceCode
    region_code: RegionCode
    applicant: Applicant
    attributes: dict[str, Any] = Field(default_factory=dict, max_length=MAX_SHORT)
    description: Text = ""
    channel: Channel
    due_at: Timestamp
    reason: RoutingReason


ReportedStatus = Literal["accepted", "in_progress", "completed", "rejected", "returned"]


class StatusReported(Event):
    """Written by an agency system to its own ``satupintu.agency.<code>.status`` topic."""

    EVENT_TYPE: ClassVar[str] = "id.satupintu.agency.status-reported.v1"
    status: ReportedStatus
    officer_id: OfficerId | None = None
    note: Text | None = None
    reason: Text | None = Field(default=None, description="Required when status is rejected or returned.")


class SubmissionRequested(Contract):
    """Written by an agency system to ``satupintu.intake.submissions``: a new request to take in.

    Not an ``Event``: it has no tracking number yet. ``reference`` is the agency's own id, echoed in
    the receipt sent to its inbox.
    """

    EVENT_TYPE: ClassVar[str] = "id.satupintu.intake.submission-requested.v1"
    reference: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    submitted_by: AgencyCode
    service_code: ServiceCode
    region_code: ShortText
    applicant: Applicant
    attributes: dict[str, Any] = Field(default_factory=dict, max_length=MAX_SHORT)
    description: Text = ""
    channel: Channel = Channel.AGENCY_SYSTEM
    idempotency_key: ShortText | None = None


class SubmissionReceipt(Event):
    """Sent to the submitting agency's inbox: the tracking number its submission got."""

    EVENT_TYPE: ClassVar[str] = "id.satupintu.intake.submission-received.v1"
    reference: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    status: RequestStatus = RequestStatus.SUBMITTED


LIFECYCLE_EVENTS: tuple[type[Event], ...] = (
    RequestSubmitted,
    RequestRouted,
    RequestAccepted,
    RequestInProgress,
    RequestCompleted,
    RequestRejected,
    RequestReturned,
    RequestEscalated,
    RequestUnroutable,
    SurveyAnswered,
)
AGENCY_MESSAGES: tuple[type[Contract], ...] = (
    RequestAssigned,
    StatusReported,
    SubmissionRequested,
    SubmissionReceipt,
)
EVENT_TYPES: dict[str, type[Contract]] = {
    model.EVENT_TYPE: model for model in (*LIFECYCLE_EVENTS, *AGENCY_MESSAGES)
}
STATUS_OF_EVENT: dict[str, RequestStatus] = {
    RequestSubmitted.EVENT_TYPE: RequestStatus.SUBMITTED,
    RequestRouted.EVENT_TYPE: RequestStatus.ROUTED,
    RequestAccepted.EVENT_TYPE: RequestStatus.ACCEPTED,
    RequestInProgress.EVENT_TYPE: RequestStatus.IN_PROGRESS,
    RequestCompleted.EVENT_TYPE: RequestStatus.COMPLETED,
    RequestRejected.EVENT_TYPE: RequestStatus.REJECTED,
    RequestReturned.EVENT_TYPE: RequestStatus.RETURNED,
    RequestEscalated.EVENT_TYPE: RequestStatus.ESCALATED,
    RequestUnroutable.EVENT_TYPE: RequestStatus.UNROUTABLE,
}


def utc_now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)
