"""The satisfaction survey: once per request, only after completion, published as ``SurveyAnswered``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from satupintu_shared.events import SurveyAnswered, SurveyAnswers, utc_now
from satupintu_shared.topics import Topics

from ..adapters.kafka import BoundedPublisher, BrokerUnavailable, Outgoing
from ..adapters.status_store import StatusStore
from .metrics import Metrics
from .submit import EVENT_NAMESPACE

SurveyOutcome = Literal["answered", "not_found", "not_completed", "already_answered", "unavailable"]


@dataclass(frozen=True)
class SurveyResult:
    """What happened to a survey answer; ``status`` is the request's status when it was refused."""

    outcome: SurveyOutcome
    status: str | None = None


class Surveys:
    """Accepts survey answers for completed requests."""

    def __init__(
        self, store: StatusStore, publisher: BoundedPublisher, topics: Topics, metrics: Metrics
    ) -> None:
        self._store = store
        self._publisher = publisher
        self._topics = topics
        self._metrics = metrics

    async def answer(self, tracking_number: str, answers: SurveyAnswers) -> SurveyResult:
        """Record and publish the answers, or say why not."""
        result = await self._answer(tracking_number, answers)
        self._metrics.survey(result.outcome)
        return result

    async def _answer(self, tracking_number: str, answers: SurveyAnswers) -> SurveyResult:
        row = await self._store.get(tracking_number)
        if row is None:
            return SurveyResult("not_found")
        if row.status != "completed":
            return SurveyResult("not_completed", row.status)
        event_id = str(uuid.uuid5(EVENT_NAMESPACE, f"{tracking_number}:survey"))
        if not await self._store.record_survey(
            tracking_number, row.agency_code, answers.model_dump(), event_id
        ):
            return SurveyResult("already_answered")
        event = SurveyAnswered(
            tracking_number=tracking_number,
            occurred_at=utc_now(),
            agency_code=row.agency_code,
            answers=answers,
        )
        try:
            await self._publisher.publish(Outgoing(self._topics.lifecycle, event, event_id))
        except BrokerUnavailable:
            await self._store.forget_survey(tracking_number)
            return SurveyResult("unavailable")
        return SurveyResult("answered")
