"""Event contracts: every request lifecycle event and every message agency systems exchange.

One source of truth: JSON Schema and AsyncAPI are generated from these models. Each event class has a
CloudEvents ``type`` (``EVENT_TYPE``); a breaking change gets a new type with a new version suffix.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

TrackingNumber = Annotated[str, StringConstraints(min_length=4, max_length=32, pattern=r"^[A-Z0-9-]+$")]
AgencyCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
RegionCode = Annotated[str, StringConstraints(pattern=r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")]
OfficerId = Annotated[str, StringConstraints(pattern=r"^\d{18}$")]
SurveyScore = Annotated[int, Field(ge=1, le=4)]


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
    """Base of every contract model: strict about unknown fields, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    #: The CloudEvents ``type`` of messages carrying this model (empty for parts of messages).
    EVENT_TYPE: ClassVar[str] = ""


class Event(Contract):
    """Base of every event carried as a CloudEvent. ``tracking_number`` is the Kafka key and subject."""

    tracking_number: TrackingNumber
    occurred_at: AwareDatetime

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
    owning_level: str
    matched_region: str | None = None
    candidates: list[str] = Field(default_factory=list)
    explanation: str


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
    service_code: str
    region_code: RegionCode
    applicant: Applicant
    attributes: dict[str, Any] = Field(default_factory=dict)
    description: str = ""
    channel: Channel
    submitted_by: AgencyCode | None = None


class RequestRouted(Event):
    """Routing assigned the request to exactly one agency, with a deadline."""

    EVENT_TYPE: ClassVar[str] = "id.satupintu.request.routed.v1"
    agency_code: AgencyCode
    service_code: str
    region_code: RegionCode
    due_at: AwareDatetime
    sla_working_days: int
    reason: RoutingReason
    hop: int = 0
    previous_agency_code: AgencyCode | None = None


class AgencyAction(Event):
    """An accepted progress report of the assigned agency (which is known from its topic or key)."""

    agency_code: AgencyCode
    officer_id: OfficerId | None = None
    note: str | None = None
    report_id: str


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
    reason: str


class RequestReturned(AgencyAction):
    """The agency says the request is not its authority (bukan kewenangan)."""

    EVENT_TYPE: ClassVar[str] = "id.satupintu.request.returned.v1"
    reason: str


class RequestEscalated(Event):
    """The assigned agency missed its deadline; the request moved up the hierarchy."""

    EVENT_TYPE: ClassVar[str] = "id.satupintu.request.escalated.v1"
    from_agency_code: AgencyCode
    agency_code: AgencyCode
    breached_due_at: AwareDatetime
    due_at: AwareDatetime
    escalation_level: int = 1


class RequestUnroutable(Event):
    """No agency has authority over the request (or it bounced too often). Visible to operators."""

    EVENT_TYPE: ClassVar[str] = "id.satupintu.request.unroutable.v1"
    service_code: str
    region_code: RegionCode
    reason: str
    hop: int = 0


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
    service_code: str
    region_code: RegionCode
    applicant: Applicant
    attributes: dict[str, Any] = Field(default_factory=dict)
    description: str = ""
    channel: Channel
    due_at: AwareDatetime
    reason: RoutingReason


ReportedStatus = Literal["accepted", "in_progress", "completed", "rejected", "returned"]


class StatusReported(Event):
    """Written by an agency system to its own ``satupintu.agency.<code>.status`` topic."""

    EVENT_TYPE: ClassVar[str] = "id.satupintu.agency.status-reported.v1"
    status: ReportedStatus
    officer_id: OfficerId | None = None
    note: str | None = None
    reason: str | None = Field(default=None, description="Required when status is rejected or returned.")


class SubmissionRequested(Contract):
    """Written by an agency system to ``satupintu.intake.submissions``: a new request to take in.

    Not an ``Event``: it has no tracking number yet. ``reference`` is the agency's own id, echoed in
    the receipt sent to its inbox.
    """

    EVENT_TYPE: ClassVar[str] = "id.satupintu.intake.submission-requested.v1"
    reference: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    submitted_by: AgencyCode
    service_code: str
    region_code: str
    applicant: Applicant
    attributes: dict[str, Any] = Field(default_factory=dict)
    description: str = ""
    channel: Channel = Channel.AGENCY_SYSTEM
    idempotency_key: str | None = None


class SubmissionReceipt(Event):
    """Sent to the submitting agency's inbox: the tracking number its submission got."""

    EVENT_TYPE: ClassVar[str] = "id.satupintu.intake.submission-received.v1"
    reference: str
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
