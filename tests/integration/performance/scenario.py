"""A scripted November 2026 in Kota Bandung: the events, the catalog, and the scorecards they must give."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from satupintu_shared.catalog import Agency, AgencyLevel, Catalog, CatalogApplied, GovernmentLevel
from satupintu_shared.events import (
    Applicant,
    Channel,
    Event,
    RequestAccepted,
    RequestCompleted,
    RequestEscalated,
    RequestInProgress,
    RequestRejected,
    RequestReturned,
    RequestRouted,
    RequestSubmitted,
    RequestUnroutable,
    RoutingReason,
    SurveyAnswered,
    SurveyAnswers,
)

WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 12, 15, 10, 0, tzinfo=WIB)
NIP_A = "198501012010011001"
NIP_B = "199002022015022002"
NIP_C = "198803032012033003"
CAPIL, DPMPTSP, PEMKOT, DINKES_MURA, PEMKAB_MURA = (
    "disdukcapil-bandung",
    "dpmptsp-bandung",
    "pemkot-bandung",
    "dinkes-musirawas",
    "pemkab-musirawas",
)


def at(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=WIB)


def catalog() -> CatalogApplied:
    def agency(code: str, level: AgencyLevel, parent: str | None) -> Agency:
        return Agency(
            code=code,
            name=code.replace("-", " ").title(),
            level=level,
            government_level=GovernmentLevel.REGENCY_CITY,
            parent=parent,
        )

    agencies = [
        agency(PEMKOT, AgencyLevel.REGENCY_CITY, None),
        agency(CAPIL, AgencyLevel.OPD, PEMKOT),
        agency(DPMPTSP, AgencyLevel.OPD, PEMKOT),
        agency(PEMKAB_MURA, AgencyLevel.REGENCY_CITY, None),
        agency(DINKES_MURA, AgencyLevel.OPD, PEMKAB_MURA),
    ]
    return CatalogApplied(version=1, applied_at=at(1, 8), catalog=Catalog(agencies=agencies), digest="test")


REASON = RoutingReason(
    rule="jurisdiction",
    owning_level="regency_city",
    matched_region="32.73",
    candidates=[CAPIL],
    explanation="Kota Bandung owns KTP services",
)


def submitted(tn: str, when: datetime) -> RequestSubmitted:
    return RequestSubmitted(
        tracking_number=tn,
        occurred_at=when,
        service_code="ktp-replacement",
        region_code="32.73.01",
        applicant=Applicant(nik="3273010101900001", name="Siti Rahma", phone="081234567890"),
        description="KTP hilang",
        channel=Channel.WEB,
    )


def routed(tn: str, agency: str, when: datetime, due: datetime, hop: int = 0) -> RequestRouted:
    return RequestRouted(
        tracking_number=tn,
        occurred_at=when,
        agency_code=agency,
        service_code="ktp-replacement",
        region_code="32.73.01",
        due_at=due,
        sla_working_days=3,
        reason=REASON,
        hop=hop,
    )


def survey(tn: str, when: datetime, score: int) -> SurveyAnswered:
    answers = SurveyAnswers(**dict.fromkeys(SurveyAnswers.model_fields, score))
    return SurveyAnswered(tracking_number=tn, occurred_at=when, answers=answers)


def events() -> list[Event]:
    """The script, in publishing order (per request in time order)."""
    return [
        # R1: completed by officer A in two working days, on time; survey all 4.
        submitted("SP-R1", at(2, 9)),
        routed("SP-R1", CAPIL, at(2, 9) + timedelta(minutes=5), at(5, 17)),
        RequestAccepted(
            tracking_number="SP-R1",
            occurred_at=at(2, 10),
            agency_code=CAPIL,
            officer_id=NIP_A,
            report_id="r1a",
        ),
        RequestCompleted(
            tracking_number="SP-R1",
            occurred_at=at(4, 11),
            agency_code=CAPIL,
            officer_id=NIP_A,
            report_id="r1c",
            note="KTP siap diambil",
        ),
        survey("SP-R1", at(5, 9), 4),
        # R2: completed late by officer B after five working days; survey all 3.
        submitted("SP-R2", at(2, 10)),
        routed("SP-R2", CAPIL, at(2, 10) + timedelta(minutes=1), at(5, 17)),
        RequestInProgress(
            tracking_number="SP-R2",
            occurred_at=at(3, 9),
            agency_code=CAPIL,
            officer_id=NIP_B,
            report_id="r2p",
        ),
        RequestCompleted(
            tracking_number="SP-R2",
            occurred_at=at(9, 10),
            agency_code=CAPIL,
            officer_id=NIP_B,
            report_id="r2c",
        ),
        survey("SP-R2", at(10, 9), 3),
        # R3: returned by capil (not our authority), re-routed to DPMPTSP which completes on time.
        submitted("SP-R3", at(3, 8)),
        routed("SP-R3", CAPIL, at(3, 9), at(6, 17)),
        RequestReturned(
            tracking_number="SP-R3",
            occurred_at=at(3, 11),
            agency_code=CAPIL,
            officer_id=NIP_A,
            report_id="r3r",
            reason="bukan kewenangan: izin usaha",
        ),
        routed("SP-R3", DPMPTSP, at(3, 12), at(6, 17), hop=1),
        RequestCompleted(
            tracking_number="SP-R3",
            occurred_at=at(5, 10),
            agency_code=DPMPTSP,
            officer_id=NIP_C,
            report_id="r3c",
        ),
        # R4: capil misses a one-day deadline; escalated to Pemkot Bandung, still open there.
        submitted("SP-R4", at(4, 8)),
        routed("SP-R4", CAPIL, at(4, 9), at(5, 17)),
        RequestEscalated(
            tracking_number="SP-R4",
            occurred_at=at(6, 9),
            from_agency_code=CAPIL,
            agency_code=PEMKOT,
            breached_due_at=at(5, 17),
            due_at=at(11, 17),
        ),
        # R5: rejected the same day by officer B.
        submitted("SP-R5", at(10, 8)),
        routed("SP-R5", CAPIL, at(10, 9), at(13, 17)),
        RequestRejected(
            tracking_number="SP-R5",
            occurred_at=at(10, 15),
            agency_code=CAPIL,
            officer_id=NIP_B,
            report_id="r5x",
            reason="dokumen tidak lengkap",
        ),
        # R6, R7: still open at the end of November (3 and 1 working days old on 30 Nov).
        submitted("SP-R6", at(25, 8)),
        routed("SP-R6", CAPIL, at(25, 9), at(30, 17)),
        RequestAccepted(
            tracking_number="SP-R6",
            occurred_at=at(26, 9),
            agency_code=CAPIL,
            officer_id=NIP_A,
            report_id="r6a",
        ),
        submitted("SP-R7", at(27, 8)),
        routed("SP-R7", CAPIL, at(27, 9), at(2, 17, month=12)),
        # R8: received in October, still open (more than ten working days old).
        submitted("SP-R8", at(1, 8, month=10)),
        routed("SP-R8", CAPIL, at(1, 9, month=10), at(6, 17, month=10)),
        # R9: nobody has authority.
        submitted("SP-R9", at(12, 8)),
        RequestUnroutable(
            tracking_number="SP-R9",
            occurred_at=at(12, 8) + timedelta(seconds=2),
            service_code="ktp-replacement",
            region_code="32.73.01",
            reason="no agency for 32.73.01",
        ),
    ]


def event_id(index: int, event: Event) -> str:
    return f"evt-{event.tracking_number}-{index}"


CAPIL_SCORECARD = {
    "received": 7,
    "completed": 2,
    "completed_on_time": 1,
    "on_time_rate": 0.5,
    "rejected": 1,
    "returned": 1,
    "escalations": 1,
    "turnaround_working_days": {"median": 3.5, "p90": 4.7},
    "backlog_open": 3,
    "ageing": {"0-2": 1, "3-5": 1, "6-10": 0, ">10": 1},
    "ikm": {"respondents": 2, "value": 87.5, "grade": "B"},
    "score": round(100 * (0.4 * 0.5 + 0.3 * 0.875 + 0.15 * (6 / 7) + 0.15 * (6 / 7)), 2),
}
