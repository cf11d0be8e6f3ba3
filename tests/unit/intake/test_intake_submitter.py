"""Who a submission comes from: the agency of the topic it arrived on, never a payload field."""

from __future__ import annotations

import pytest

from intake.domain.submission import validate_submission
from intake.domain.submitter import SubmitterRefused, submitting_agency
from satupintu_shared.topics import Topics
from tests.integration.intake.catalog_fixture import BANDUNG_AGENCY, CATALOG, MUSI_RAWAS_AGENCY, valid_body

TOPICS = Topics(prefix="env.")
OWN_TOPIC = TOPICS.agency_submissions(BANDUNG_AGENCY)


def test_on_an_agency_topic_the_agency_is_the_topics_with_or_without_a_matching_claim() -> None:
    assert submitting_agency(TOPICS, OWN_TOPIC, valid_body()) == BANDUNG_AGENCY
    assert submitting_agency(TOPICS, OWN_TOPIC, valid_body(submitted_by=BANDUNG_AGENCY)) == BANDUNG_AGENCY
    assert submitting_agency(TOPICS, OWN_TOPIC, None) == BANDUNG_AGENCY


def test_a_claim_to_be_another_agency_is_refused_with_the_reason() -> None:
    with pytest.raises(SubmitterRefused, match=f"{MUSI_RAWAS_AGENCY}.*not the agency of {OWN_TOPIC}"):
        submitting_agency(TOPICS, OWN_TOPIC, valid_body(submitted_by=MUSI_RAWAS_AGENCY))


def test_on_the_shared_topic_a_submission_is_from_no_agency_and_naming_one_is_refused() -> None:
    assert submitting_agency(TOPICS, TOPICS.submissions, valid_body()) is None
    with pytest.raises(SubmitterRefused, match=r"publish to env\.satupintu\.agency\.<code>\.submissions"):
        submitting_agency(TOPICS, TOPICS.submissions, valid_body(submitted_by=BANDUNG_AGENCY))


def test_the_submitting_agency_is_what_the_door_vouches_for_never_a_body_field() -> None:
    submission, errors = validate_submission(valid_body(), CATALOG, submitted_by=BANDUNG_AGENCY)
    assert errors == [] and submission is not None and submission.submitted_by == BANDUNG_AGENCY
    _, errors = validate_submission(valid_body(submitted_by=BANDUNG_AGENCY), CATALOG)
    assert [(e.pointer, e.code) for e in errors] == [("/submitted_by", "unknown_field")]
    _, errors = validate_submission(valid_body(), CATALOG, submitted_by="not-in-the-catalog")
    assert [(e.pointer, e.code) for e in errors] == [("/submitted_by", "unknown_agency")]
