from __future__ import annotations

from datetime import UTC, datetime

import pytest

from routing.domain.decision import NoRoute, Routed, route
from routing.domain.policy import Escalation, after_return, escalate
from routing.domain.regions import covers
from satupintu_shared.catalog import Agency, AgencyLevel, Catalog, GovernmentLevel, Service


def routed_to(catalog: Catalog, service: str, region: str) -> str:
    decision = route(catalog, service, region)
    assert isinstance(decision, Routed), decision
    return decision.agency.code


@pytest.mark.parametrize(
    ("service", "region", "agency"),
    [
        ("ktp-el", "32.73", "bdg-disdukcapil"),
        ("ktp-el", "32.73.02.1003", "bdg-disdukcapil"),
        ("ktp-el", "16.05.01", "mura-disdukcapil"),
        ("pbg", "16.05", "mura-dpmptsp"),
        ("bansos", "32.73.10", "bdg-dinsos"),
        ("layanan-puskesmas", "32.73.01.1001", "bdg-puskesmas-sukasari"),
        ("layanan-puskesmas", "32.73.05", "bdg-dinkes"),
        ("layanan-puskesmas", "16.05.09", "mura-puskesmas-muara-beliti"),
        ("jalan-provinsi", "32.73.01", "jabar-dbmpr"),
        ("jalan-provinsi", "16.71", "sumsel-pubmtr"),
        ("jalan-nasional", "32.73", "bbpjn-jabar"),
        ("kepesertaan-jkn", "16.05.01", "bpjs-kc-lubuklinggau"),
        ("kepesertaan-jkn", "11.01", "bpjs-kesehatan"),
        ("data-kependudukan", "16.05", "kemendagri-dukcapil"),
    ],
)
def test_the_most_specific_covering_agency_at_the_owning_level_wins(demo, service, region, agency) -> None:
    assert routed_to(demo, service, region) == agency


def test_the_decision_records_rule_level_matched_region_and_candidates(demo) -> None:
    decision = route(demo, "layanan-puskesmas", "32.73.01.1001")
    assert isinstance(decision, Routed)
    assert decision.reason.rule == "jurisdiction"
    assert decision.reason.owning_level == "regency_city"
    assert decision.reason.matched_region == "32.73.01"
    assert decision.reason.candidates == ["bdg-puskesmas-sukasari", "bdg-dinkes"]


def test_a_region_no_agency_covers_is_unroutable_with_the_reason(demo) -> None:
    decision = route(demo, "ktp-el", "11.01")
    assert isinstance(decision, NoRoute)
    assert "regency_city-level" in decision.reason and "11.01" in decision.reason


def test_an_unknown_service_is_unroutable(demo) -> None:
    assert isinstance(route(demo, "no-such-service", "32.73"), NoRoute)


def test_a_code_covers_only_its_own_subtree() -> None:
    assert covers("32.73", "32.73.01.1001") and covers("32.73", "32.73")
    assert not covers("32.7", "32.73") and not covers("32.73.01", "32.73")


def test_ties_are_broken_by_agency_level_then_code() -> None:
    catalog = _catalog(
        ("zeta", ["32"], AgencyLevel.OPD),
        ("beta", ["32"], AgencyLevel.OPD),
        ("unit", ["32"], AgencyLevel.UNIT),
    )
    assert routed_to(catalog, "svc", "32.73") == "unit"
    catalog = _catalog(("zeta", ["32"], AgencyLevel.OPD), ("beta", ["32"], AgencyLevel.OPD))
    assert routed_to(catalog, "svc", "32.73") == "beta"


def test_a_return_reroutes_to_another_eligible_agency(demo) -> None:
    decision = after_return(
        demo,
        service_code="layanan-puskesmas",
        region_code="32.73.01",
        returning_agency="bdg-puskesmas-sukasari",
        returned_by=[],
        hop=0,
    )
    assert isinstance(decision, Routed)
    assert (decision.agency.code, decision.reason.rule) == ("bdg-dinkes", "reroute-after-return")


def test_a_return_with_no_other_eligible_agency_goes_to_the_parent(demo) -> None:
    decision = after_return(
        demo,
        service_code="ktp-el",
        region_code="32.73",
        returning_agency="bdg-disdukcapil",
        returned_by=[],
        hop=0,
    )
    assert isinstance(decision, Routed)
    assert (decision.agency.code, decision.reason.rule) == ("bdg-pemkot", "parent-after-return")


def test_a_request_never_bounces_past_the_hop_limit(demo) -> None:
    decision = after_return(
        demo,
        service_code="ktp-el",
        region_code="32.73",
        returning_agency="bdg-pemkot",
        returned_by=["bdg-disdukcapil", "jabar-pemprov"],
        hop=3,
        hop_limit=3,
    )
    assert isinstance(decision, NoRoute) and "hop limit" in decision.reason


def test_an_agency_that_returned_it_never_gets_it_back(demo) -> None:
    decision = after_return(
        demo,
        service_code="ktp-el",
        region_code="32.73",
        returning_agency="bdg-pemkot",
        returned_by=["bdg-disdukcapil"],
        hop=1,
    )
    assert isinstance(decision, Routed) and decision.agency.code == "jabar-pemprov"


def test_an_overdue_request_escalates_to_the_parent_with_the_policys_new_deadline(demo) -> None:
    now = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # Tuesday
    step = escalate(demo, service_code="ktp-el", agency_code="bdg-disdukcapil", escalation_level=0, now=now)
    assert isinstance(step, Escalation)
    assert (step.to.code, step.level, step.reason.rule) == ("bdg-pemkot", 1, "escalation")
    assert step.due_at == datetime(2026, 12, 3, 16, 59, 59, tzinfo=UTC)  # 2 working days, end of day WIB


def test_escalation_stops_at_the_policys_max_level_and_at_the_top(demo) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert isinstance(
        escalate(demo, service_code="ktp-el", agency_code="bdg-pemkot", escalation_level=2, now=now), str
    )
    top = escalate(
        demo, service_code="kepesertaan-jkn", agency_code="bpjs-kesehatan", escalation_level=0, now=now
    )
    assert isinstance(top, str) and "no parent" in top


def _catalog(*agencies: tuple[str, list[str], AgencyLevel]) -> Catalog:
    return Catalog(
        services=[Service(code="svc", name="S", owning_level=GovernmentLevel.PROVINCE, sla_working_days=3)],
        agencies=[
            Agency(
                code=code,
                name=code,
                level=level,
                government_level=GovernmentLevel.PROVINCE,
                jurisdiction=juris,
                services=["svc"],
            )
            for code, juris, level in agencies
        ],
    )
