from datetime import UTC, datetime, timedelta

from performance.domain.readmodel import Assignment, RequestState, fold
from performance.domain.records import StoredEvent, to_stored, trace_id_of
from satupintu_shared.events import (
    Applicant,
    Channel,
    Event,
    RequestCompleted,
    RequestEscalated,
    RequestInProgress,
    RequestReturned,
    RequestRouted,
    RequestSubmitted,
    RoutingReason,
    SurveyAnswered,
    SurveyAnswers,
)

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Monday 09:00 WIB
TN = "SP-0001"
NIP = "198501012010011001"
REASON = RoutingReason(rule="jurisdiction", owning_level="regency_city", explanation="Kota Bandung")


def stored(event: Event, n: int) -> StoredEvent:
    return to_stored(event, event_id=f"e{n}", traceparent=None, partition=0, offset=n)


def run(events: list[Event], states=None, opens=None):  # type: ignore[no-untyped-def]
    states = states if states is not None else {}
    opens = opens if opens is not None else {}
    result = fold(states, opens, [stored(e, i) for i, e in enumerate(events)], lambda _code: "Asia/Jakarta")
    return result, states, opens


def submitted() -> RequestSubmitted:
    return RequestSubmitted(
        tracking_number=TN,
        occurred_at=T0,
        service_code="ktp",
        region_code="32.73",
        applicant=Applicant(nik="3273010101900001", name="Budi", phone="081234567890"),
        description="alamat Jl. Merdeka 1",
        attributes={"rt": "01"},
        channel=Channel.WEB,
    )


def routed(agency: str, at: datetime, due: datetime) -> RequestRouted:
    return RequestRouted(
        tracking_number=TN,
        occurred_at=at,
        agency_code=agency,
        service_code="ktp",
        region_code="32.73",
        due_at=due,
        sla_working_days=3,
        reason=REASON,
    )


def test_a_request_completed_before_its_due_time_is_on_time_with_its_turnaround() -> None:
    due = T0 + timedelta(days=3)
    done = RequestCompleted(
        tracking_number=TN,
        occurred_at=T0 + timedelta(days=2),
        agency_code="capil",
        officer_id=NIP,
        report_id="r2",
    )
    progress = RequestInProgress(
        tracking_number=TN,
        occurred_at=T0 + timedelta(days=1),
        agency_code="capil",
        officer_id=NIP,
        report_id="r1",
    )
    result, states, opens = run([submitted(), routed("capil", T0, due), progress, done])
    state = states[TN]
    assert (state.status, state.agency_code, state.officer_id, state.breached) == (
        "completed",
        "capil",
        NIP,
        False,
    )
    assert state.completed_at == done.occurred_at and state.channel == "web"
    (assignment,) = result.assignments.values()
    assert (assignment.outcome, assignment.on_time, assignment.turnaround_wd, assignment.officer_id) == (
        "completed",
        True,
        2,
        NIP,
    )
    assert opens == {}


def test_escalation_closes_the_late_assignment_and_opens_one_for_the_parent() -> None:
    due = T0 + timedelta(days=1)
    esc = RequestEscalated(
        tracking_number=TN,
        occurred_at=T0 + timedelta(days=2),
        from_agency_code="capil",
        agency_code="pemkot",
        breached_due_at=due,
        due_at=T0 + timedelta(days=6),
    )
    result, states, opens = run([submitted(), routed("capil", T0, due), esc])
    first, second = result.assignments.values()
    assert (first.agency_code, first.outcome, first.on_time) == ("capil", "escalated", False)
    assert (second.agency_code, second.outcome, second.rule) == ("pemkot", None, "escalation")
    state = states[TN]
    assert (state.status, state.agency_code, state.breached, state.breached_at, state.escalations) == (
        "escalated",
        "pemkot",
        True,
        due,
        1,
    )
    assert opens[TN] is second


def test_a_return_counts_and_frees_the_request_for_rerouting() -> None:
    ret = RequestReturned(
        tracking_number=TN,
        occurred_at=T0 + timedelta(hours=5),
        agency_code="capil",
        report_id="r",
        reason="bukan kewenangan; hubungi 081234567890",
    )
    result, states, opens = run([routed("capil", T0, T0 + timedelta(days=3)), ret])
    assert states[TN].returns == 1 and states[TN].status == "returned"
    assert [a.outcome for a in result.assignments.values()] == ["returned"]
    assert opens == {}


def test_state_advances_from_what_the_store_holds_and_never_rewinds() -> None:
    state = RequestState(TN, status="completed", status_at=T0 + timedelta(days=5), agency_code="capil")
    late_old = RequestInProgress(
        tracking_number=TN, occurred_at=T0 + timedelta(days=1), agency_code="capil", report_id="x"
    )
    _, states, _ = run([late_old], states={TN: state}, opens={})
    assert states[TN].status == "completed"


def test_a_survey_without_agency_is_attributed_to_the_agency_that_held_the_request() -> None:
    answers = SurveyAnswers(**dict.fromkeys(SurveyAnswers.model_fields, 3))
    survey = SurveyAnswered(tracking_number=TN, occurred_at=T0 + timedelta(days=4), answers=answers)
    state = RequestState(TN, status="completed", status_at=T0, agency_code="capil")
    result, _, _ = run([survey], states={TN: state}, opens={})
    assert result.surveys[0].agency_code == "capil" and result.surveys[0].answers["cost"] == 3


def test_open_assignment_from_the_store_is_closed_by_the_agency_action() -> None:
    open_ = Assignment("a1", TN, "capil", "ktp", T0, T0 + timedelta(days=3), "jurisdiction", 0)
    done = RequestCompleted(
        tracking_number=TN, occurred_at=T0 + timedelta(days=7), agency_code="capil", report_id="r"
    )
    result, _, opens = run(
        [done], states={TN: RequestState(TN, due_at=T0 + timedelta(days=3))}, opens={TN: open_}
    )
    assert result.assignments["a1"].on_time is False and opens == {}


def test_personal_data_is_dropped_and_free_text_masked_before_storage() -> None:
    s = stored(submitted(), 0)
    assert "applicant" not in s.payload and "description" not in s.payload and "attributes" not in s.payload
    assert "3273010101900001" not in str(s.payload) and "Budi" not in str(s.payload)
    ret = RequestReturned(
        tracking_number=TN,
        occurred_at=T0,
        agency_code="capil",
        report_id="r",
        reason="hubungi 081234567890",
        note="NIK 3273010101900001",
    )
    payload = stored(ret, 1).payload
    assert "081234567890" not in payload["reason"] and "3273010101900001" not in payload["note"]


def test_trace_id_comes_from_a_valid_traceparent_only() -> None:
    tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    assert trace_id_of(tp) == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert trace_id_of("garbage") is None and trace_id_of(None) is None
