"""The ACL table: least privilege as data, and docs/security.md showing exactly it."""

from __future__ import annotations

from pathlib import Path

from satupintu_shared.acl import (
    INTAKE,
    PERFORMANCE,
    ROUTING,
    Acl,
    agency_acls,
    agency_principal,
    environment_acls,
    managed_by,
    platform_acls,
    with_table,
)
from satupintu_shared.topics import Topics

DOCS = Path(__file__).resolve().parents[3] / "docs" / "security.md"
T = Topics()


def grants(principal: str, acls: set[Acl]) -> set[tuple[str, str]]:
    return {(a.resource_name, a.operation) for a in acls if a.principal == principal}


def test_the_security_page_shows_the_table_the_code_applies() -> None:
    page = DOCS.read_text(encoding="utf-8")
    assert with_table(page) == page, "run: python -m satupintu_shared.acl docs/security.md"


def test_performance_reads_the_history_and_writes_nothing_to_it() -> None:
    mine = grants(PERFORMANCE, platform_acls(T))
    assert (T.lifecycle, "READ") in mine
    assert (T.lifecycle, "WRITE") not in mine
    assert (T.catalog, "WRITE") not in mine


def test_no_service_writes_the_catalog() -> None:
    acls = environment_acls(T, ["a", "b"])
    assert not {a for a in acls if a.resource_name == T.catalog and a.operation == "WRITE"}


def test_an_agency_is_granted_only_its_own_topics_and_groups() -> None:
    acls = agency_acls(T, "bdg-dinkes")
    mine = {a for a in acls if a.principal == agency_principal(T, "bdg-dinkes")}
    for acl in mine:
        assert "bdg-dinkes" in acl.resource_name or acl.resource_name == T.submissions
    assert (T.inbox("bdg-dinkes"), "READ") in grants(agency_principal(T, "bdg-dinkes"), acls)
    assert (T.status("bdg-dinkes"), "READ") not in grants(agency_principal(T, "bdg-dinkes"), acls)


def test_an_agency_code_that_extends_another_does_not_reach_its_groups() -> None:
    # A prefixed group grant for "bdg" must not cover "bdg-dinkes"'s group.
    acls = agency_acls(T, "bdg")
    prefixed = [a.resource_name for a in acls if a.resource_type == "group" and a.pattern_type == "prefixed"]
    assert prefixed and all(not "satupintu-agency-bdg-dinkes".startswith(p) for p in prefixed)


def test_the_services_are_granted_what_delivery_needs_on_each_agency() -> None:
    acls = agency_acls(T, "x")
    assert (T.inbox("x"), "WRITE") in grants(ROUTING, acls)
    assert (T.status("x"), "READ") in grants(ROUTING, acls)
    assert (T.agency_submissions("x"), "READ") in grants(INTAKE, acls)


def test_environments_do_not_manage_each_others_grants() -> None:
    test_env = Topics(prefix="t123.")
    theirs = next(iter(platform_acls(test_env)))
    ours = next(iter(platform_acls(T)))
    assert managed_by(test_env, theirs) and not managed_by(T, theirs)
    assert managed_by(T, ours) and not managed_by(test_env, ours)
    agency = next(iter(agency_acls(test_env, "a")))
    assert not managed_by(T, agency)


def test_operators_replay_only_what_agencies_and_channels_sent() -> None:
    from satupintu_shared.acl import replay_refusal

    assert replay_refusal(T, T.status("a")) is None
    assert replay_refusal(T, T.agency_submissions("a")) is None
    assert replay_refusal(T, T.submissions) is None
    for topic in (T.lifecycle, T.catalog, T.inbox("a"), T.deadletter, "elsewhere"):
        assert replay_refusal(T, topic)
