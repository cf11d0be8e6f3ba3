"""The demo's pure logic: synthetic identities, outcome distribution, valid forms, survey grades."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import lokal
import pytest
import yaml

from intake.domain.submission import validate_submission
from routing.domain.catalog_file import load_catalog
from satupintu_demo.behaviour import (
    AGENCY_PROFILES,
    PROFILES,
    SURVEY_ELEMENTS,
    Profile,
    expected_ikm,
    plan_assignment,
    profile_of,
    survey_answers,
)
from satupintu_demo.forms import SubmissionFactory
from satupintu_demo.identity import FIRST_NAMES, SURNAMES, make_nik, make_nip, make_person, officer_roster
from satupintu_demo.scope import Scope
from satupintu_shared.catalog import Catalog
from satupintu_shared.events import Applicant

DEMO_CATALOG = Path(__file__).resolve().parents[3] / "deploy" / "catalog" / "demo.yaml"
OFFICERS = ("198001012005011001", "198502142010012002")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    loaded, problems = load_catalog(yaml.safe_load(DEMO_CATALOG.read_text(encoding="utf-8")))
    assert loaded is not None, problems
    return loaded


@pytest.mark.parametrize("region", ["32.73", "32.73.01", "32.73.02.1001", "16.05", "16.05.09", "32", "16"])
def test_generated_niks_pass_lokal_and_come_from_the_region(region: str) -> None:
    rng = random.Random(7)
    for _ in range(300):
        nik = make_nik(region, rng)
        info = lokal.parse_nik(nik)
        assert lokal.is_valid_nik(nik), (nik, info.errors)
        assert info.valid
        assert info.district_code is not None
        assert info.district_code.replace(".", "") == nik[:6]
        if len(region) >= 8:  # a kecamatan or a village: the NIK is from that kecamatan
            assert nik[:6] == region[:8].replace(".", "")
        else:  # a regency or a province: some kecamatan inside it
            assert nik.startswith(region.replace(".", ""))
        assert region.split(".")[0] == nik[:2]


def test_women_get_the_forty_day_offset_and_birth_dates_are_real() -> None:
    rng = random.Random(11)
    for _ in range(200):
        female = lokal.parse_nik(make_nik("32.73.01", rng, female=True))
        male = lokal.parse_nik(make_nik("32.73.01", rng, female=False))
        assert female.gender == "P"
        assert male.gender == "L"
        assert female.birth_date is not None
        assert "1955-01-01" <= female.birth_date <= "2006-12-31"


def test_people_are_obviously_fictional_and_valid_applicants() -> None:
    rng = random.Random(3)
    for _ in range(200):
        person = make_person("16.05.01", rng)
        first, surname = person.name.split(" ", 1)
        assert first in FIRST_NAMES
        assert surname in SURNAMES
        assert person.email is None or person.email.endswith("@example.com")
        assert person.phone is None or person.phone.startswith("0812000")
        Applicant.model_validate(person.as_json())


def test_nips_are_eighteen_digits_with_a_plausible_structure() -> None:
    rng = random.Random(5)
    for _ in range(200):
        nip = make_nip(rng)
        assert len(nip) == 18
        assert nip.isdigit()
        born, appointed = int(nip[:4]), int(nip[8:12])
        assert 1965 <= born <= 1998
        assert born + 22 <= appointed <= 2024 or appointed == 2024
        assert 1 <= int(nip[12:14]) <= 12
        assert nip[14] in "12"
    assert officer_roster("bdg-disdukcapil", 1) == officer_roster("bdg-disdukcapil", 1)
    assert officer_roster("bdg-disdukcapil", 1) != officer_roster("mura-disdukcapil", 1)


def test_outcomes_follow_the_profile_with_a_seeded_rng() -> None:
    profile = Profile(
        "test", "B", (1, 2), (10, 20), p_return=0.05, p_reject=0.05, p_ignore=0.04, p_stall=0.06
    )
    rng = random.Random(42)
    n = 20_000
    plans = [plan_assignment(profile, rng, rule="jurisdiction", officers=OFFICERS) for _ in range(n)]
    counts = Counter(p.outcome for p in plans)
    for outcome, p in (
        ("return", 0.05),
        ("reject", 0.05),
        ("ignore", 0.04),
        ("stall", 0.06),
        ("complete", 0.80),
    ):
        assert abs(counts[outcome] / n - p) < 0.01, (outcome, counts)
    assert all(p.reason for p in plans if p.outcome in ("return", "reject"))
    assert all(p.reason is None for p in plans if p.outcome not in ("return", "reject"))
    assert all(p.officer_id in OFFICERS for p in plans)
    assert all(1 <= p.accept_after <= 2 and 10 <= p.finish_after <= 20 for p in plans)
    # The same seed gives the same plans (a redelivered assignment is handled the same way).
    again = random.Random(42)
    assert plans[:50] == [
        plan_assignment(profile, again, rule="jurisdiction", officers=OFFICERS) for _ in range(50)
    ]


@pytest.mark.parametrize("rule", ["reroute-after-return", "parent-after-return", "escalation"])
def test_a_returned_or_escalated_request_is_never_returned_or_left_again(rule: str) -> None:
    rng = random.Random(1)
    counts = Counter(
        plan_assignment(PROFILES["lamban"], rng, rule=rule, officers=OFFICERS).outcome for _ in range(5000)
    )
    assert set(counts) <= {"complete", "reject"}
    assert counts["reject"] > 0


def test_time_scale_shrinks_every_delay() -> None:
    plan = plan_assignment(
        PROFILES["lamban"], random.Random(2), rule="jurisdiction", officers=OFFICERS, time_scale=0.01
    )
    assert plan.accept_after <= 0.9
    assert plan.start_after <= 0.2
    assert plan.finish_after <= 3.0


def test_the_demo_as_a_whole_returns_and_rejects_about_five_percent() -> None:
    rng = random.Random(9)
    counts: Counter[str] = Counter()
    for code in AGENCY_PROFILES:
        for _ in range(1000):
            counts[
                plan_assignment(profile_of(code), rng, rule="jurisdiction", officers=OFFICERS).outcome
            ] += 1
    total = sum(counts.values())
    assert 0.03 < counts["return"] / total < 0.07
    assert 0.03 < counts["reject"] / total < 0.08
    assert 0 < (counts["ignore"] + counts["stall"]) / total < 0.1


def test_survey_grades_differ_from_a_to_d() -> None:
    rng = random.Random(4)
    grades = {"A": (88.31, 100), "B": (76.61, 88.30), "C": (65.0, 76.60), "D": (25.0, 64.99)}
    for grade, (low, high) in grades.items():
        assert low + 1 < expected_ikm(grade) < high - 1
        answers = [survey_answers(grade, rng) for _ in range(400)]
        assert all(set(a) == set(SURVEY_ELEMENTS) and all(1 <= v <= 4 for v in a.values()) for a in answers)
        ikm = 25 * sum(sum(a.values()) for a in answers) / (len(answers) * len(SURVEY_ELEMENTS))
        assert low <= ikm <= high, (grade, ikm)
    assert {profile_of(code).grade for code in AGENCY_PROFILES} == {"A", "B", "C", "D"}
    assert profile_of("some-new-agency") == profile_of("some-new-agency")


def test_every_generated_submission_passes_intakes_validation(catalog: Catalog) -> None:
    factory = SubmissionFactory(catalog, services=Scope.from_catalog_file(DEMO_CATALOG).services)
    rng = random.Random(13)
    services, regions, levels = Counter[str](), Counter[str](), Counter[str]()
    for _ in range(1500):
        drawn = factory.draw(rng)
        assert drawn is not None
        submission, errors = validate_submission(drawn.body, catalog)
        assert submission is not None, (drawn.body["service_code"], drawn.body["region_code"], errors)
        services[drawn.service_code] += 1
        regions[drawn.region_code[:5]] += 1
        service = catalog.service(drawn.service_code)
        assert service is not None
        levels[service.owning_level.value] += 1
    assert len(services) == len(catalog.services)  # every service gets traffic
    assert regions["32.73"] > regions["16.05"] > 0  # both local governments
    assert sum(n for r, n in regions.items() if r not in ("32.73", "16.05")) > 0  # elsewhere in the provinces
    assert levels["province"] > 0 and levels["national"] > 0


def test_the_scope_is_the_demo_catalog_file(catalog: Catalog) -> None:
    scope = Scope.from_catalog_file(DEMO_CATALOG)
    assert scope.agencies_in(catalog) == [a.code for a in catalog.agencies]
    assert scope.agencies is not None and "bdg-disdukcapil" in scope.agencies
    narrowed = Scope.from_catalog_file(DEMO_CATALOG, frozenset({"bdg-disdukcapil", "not-in-demo"}))
    assert narrowed.agencies_in(catalog) == ["bdg-disdukcapil"]
    everything = Scope.from_catalog_file(None)
    assert everything.agencies_in(catalog) == [a.code for a in catalog.agencies]
    assert set(AGENCY_PROFILES) == {a.code for a in catalog.agencies}
